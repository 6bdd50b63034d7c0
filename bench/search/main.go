// Command search benchmarks Kaz's embedded search engine against SQLite
// FTS5 (modernc.org/sqlite, tokenizer "unicode61 remove_diacritics 2") on
// the same corpus of real French text (Debian manpages-fr, cut into
// documents) and the same queries. It is run by hand, not by go test:
//
//	go run ./bench/search -n 10000
//	go run ./bench/search -n 100000 -out /tmp/kaz-bench
//
// It reports indexing throughput (docs/s), index size ÷ text size, query
// latency p50/p99 (single terms, two common terms with highlighting, fuzzy
// and prefix queries) and freshness (docstore write until searchable
// through the indexer, polling as the server does).
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"github.com/kazhq/kaz/search/extract/extracttest"
	"io"
	"io/fs"
	"log"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/search/bleve"
	"github.com/kazhq/kaz/server/auth"
)

func main() {
	n := flag.Int("n", 10000, "number of documents")
	out := flag.String("out", "", "work folder (default: a temporary folder, removed at the end)")
	corpusDir := flag.String("corpus", "/usr/share/man/fr", "folder of gzipped French man pages")
	libs := flag.Int("libraries", 4, "number of libraries (Bleve shards)")
	runs := flag.Int("runs", 200, "runs per query kind")
	batch := flag.Int("batch", 500, "documents per indexing batch (the indexer's batch_size)")
	fresh := flag.Int("fresh", 50, "freshness samples (0 skips)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the query phase to this file")
	indexprofile := flag.String("indexprofile", "", "write a CPU profile of Kaz's indexing to this file")
	reuse := flag.Bool("reuse", false, "with -out: reuse the indexes a previous run left there (queries only)")
	flag.BoolVar(&skipFTSQueries, "nofts", false, "skip the FTS5 queries (Kaz's latencies only, while iterating)")
	flag.StringVar(&onlyKinds, "kinds", "", "comma-separated words: run only the query kinds whose name holds one (e.g. two,prefix)")
	indexRounds := flag.Int("index-rounds", 1, "indexing rounds, engines alternated (median ratio reported)")
	reindexN := flag.Int("reindex", 0, "instead of the comparison: time \"kaz admin reindex\" of this many documents stored in docstore (half .docx, half .txt), the indexer pipelined and not, alternated")
	flag.IntVar(&inflight, "inflight", 2, "Kaz batches in flight (the indexer's pipeline)")
	flag.Parse()
	ctx := context.Background()
	dir := *out
	if dir == "" {
		d, err := os.MkdirTemp("", "kaz-bench-*")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	paras, err := loadCorpus(*corpusDir)
	if err != nil {
		log.Fatal(err)
	}
	docs, textBytes := makeDocs(paras, *n, *libs)
	if *reindexN > 0 {
		reindexBench(ctx, dir, docs[:min(*reindexN, len(docs))])
		return
	}
	fmt.Printf("corpus: %d paragraphs from %s; %d documents, %.1f MB of text, %d libraries\n", len(paras), *corpusDir, len(docs), float64(textBytes)/1e6, *libs)

	if *reuse {
		if *out == "" {
			log.Fatal("-reuse needs -out")
		}
		start := time.Now()
		kaz, err := bleve.Open(ctx, filepath.Join(dir, "bleve"), nil)
		if err != nil {
			log.Fatal(err)
		}
		defer kaz.Close()
		// An index of an older format is upgraded by Open (once).
		fmt.Printf("Kaz index opened in %.1f s\n", time.Since(start).Seconds())
		fts, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "fts.db"))
		if err != nil {
			log.Fatal(err)
		}
		defer fts.Close()
		queries(ctx, kaz, fts, *libs, *runs, *cpuprofile)
		return
	}

	// Indexing.
	if *indexprofile != "" {
		f, err := os.Create(*indexprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
	}
	// Rounds alternate which engine indexes first (Kaz, FTS5, then FTS5,
	// Kaz…), each into a fresh folder, so that both meet the same moments
	// of a noisy machine; each round's ratio and the medians are printed.
	// The last round's indexes serve the queries.
	var (
		kaz                        *bleve.Engine
		fts                        *sql.DB
		kazRates, ftsRates, ratios []float64
		settledRatios              []float64
	)
	for round := range max(1, *indexRounds) {
		if kaz != nil {
			kaz.Close()
			fts.Close()
			os.RemoveAll(filepath.Join(dir, "bleve"))
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Remove(filepath.Join(dir, "fts.db"+s))
			}
		}
		var kazRate, kazSettled, ftsRate float64
		runKaz := func() {
			if *indexprofile != "" && round == 0 {
				f, err := os.Create(*indexprofile)
				if err != nil {
					log.Fatal(err)
				}
				pprof.StartCPUProfile(f)
				defer pprof.StopCPUProfile()
			}
			kaz, kazRate, kazSettled = indexKaz(ctx, filepath.Join(dir, "bleve"), docs, *batch)
		}
		runFTS := func() {
			ftsCPU0, ftsStart := cpuTime(), time.Now()
			fts, ftsRate = indexFTS(ctx, filepath.Join(dir, "fts.db"), docs, *batch)
			fmt.Printf("FTS5 indexing: %.1f s, %.2f cores busy on average\n", time.Since(ftsStart).Seconds(), (cpuTime()-ftsCPU0).Seconds()/time.Since(ftsStart).Seconds())
		}
		if round%2 == 0 {
			runKaz()
			runFTS()
		} else {
			runFTS()
			runKaz()
		}
		kazRates, ftsRates, ratios = append(kazRates, kazRate), append(ftsRates, ftsRate), append(ratios, kazRate/ftsRate)
		settledRatios = append(settledRatios, kazSettled/ftsRate)
		fmt.Printf("round %d: Kaz %.0f docs/s (%.0f counting the merges after), FTS5 %.0f docs/s, ratio %.2f (%.2f)\n", round+1, kazRate, kazSettled, ftsRate, kazRate/ftsRate, kazSettled/ftsRate)
	}
	defer kaz.Close()
	defer fts.Close()
	kazRate, ftsRate := median(kazRates), median(ftsRates)
	kazSize := settledSize(filepath.Join(dir, "bleve"))
	ftsSize := dirSize(filepath.Join(dir, "fts.db")) + dirSize(filepath.Join(dir, "fts.db-wal"))
	fmt.Printf("\n%-34s %14s %14s %10s\n", "", "Kaz (Bleve)", "FTS5", "ratio")
	fmt.Printf("%-34s %14.0f %14.0f %10.2f\n", "indexing (docs/s), medians", kazRate, ftsRate, median(ratios))
	fmt.Printf("%-34s %14s %14s %10.2f\n", "  counting Kaz's merges after", "", "", median(settledRatios))
	fmt.Printf("%-34s %14.2f %14.2f %10.2f\n", "index size ÷ text size", float64(kazSize)/float64(textBytes), float64(ftsSize)/float64(textBytes), float64(kazSize)/float64(ftsSize))

	// The queries run in a process that holds the two engines only, as a
	// server holds its index: the corpus (a few hundred MB at 100k) is
	// dropped first, else every garbage collection during the queries
	// marks it, which lengthened the slowest queries of both engines.
	docs, paras = nil, nil
	runtime.GC()
	queries(ctx, kaz, fts, *libs, *runs, *cpuprofile)

	// Freshness through docstore and the indexer.
	if *fresh <= 0 {
		return
	}
	fp50, fp99 := freshness(ctx, filepath.Join(dir, "fresh"), *fresh)
	fmt.Printf("\nfreshness (docstore write → searchable, polling 150 ms): p50 %.0f ms, p99 %.0f ms (FTS5: synchronous insert, ~0)\n", fp50, fp99)
}

// queries measures the latency of each kind of query on both engines.
func queries(ctx context.Context, kaz *bleve.Engine, fts *sql.DB, libs, runs int, cpuprofile string) {
	var all []string
	for i := 0; i < libs; i++ {
		all = append(all, fmt.Sprintf("lib%d", i))
	}
	kinds := []struct {
		name  string
		kaz   []string
		fts   []string
		ftsOK bool
	}{
		{"single term", []string{"fichier ", "utilisateur ", "répertoire ", "commande ", "option "}, []string{"fichier", "utilisateur", "repertoire", "commande", "option"}, true},
		{"two common terms + highlight", []string{"fichier option ", "commande utilisateur ", "valeur défaut ", "système fichiers "}, []string{"fichier option", "commande utilisateur", "valeur defaut", "systeme fichiers"}, true},
		{"fuzzy (one typo)", []string{"utilisatuer ", "repertiore ", "comande ", "fichiiers "}, nil, false},
		{"prefix (as you type)", []string{"fich", "utilis", "répert", "comm"}, []string{"fich*", "utilis*", "repert*", "comm*"}, true},
		// As the API's default (facets=1): counts per library, type,
		// author and date range. FTS5 has no facets: no reference.
		{"two terms + highlight + facets", []string{"fichier option ", "commande utilisateur ", "valeur défaut ", "système fichiers "}, nil, false},
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("\n%-34s %9s %9s %9s %9s %8s\n", "latency (ms)", "Kaz p50", "Kaz p99", "FTS p50", "FTS p99", "p99 ratio")
	for _, k := range kinds {
		if !wantKind(k.name) {
			continue
		}
		kp50, kp99 := measure(runs, k.kaz, func(q string) {
			res, err := kaz.Search(ctx, search.Query{Text: q, Libraries: all, Limit: 20, Facets: strings.Contains(k.name, "facets")})
			if err != nil {
				log.Fatal(err)
			}
			_ = res
		})
		if !k.ftsOK || skipFTSQueries {
			fmt.Printf("%-34s %9.2f %9.2f %9s %9s %8s\n", k.name, kp50, kp99, "n/a", "n/a", "n/a")
			continue
		}
		fp50, fp99 := measure(runs, k.fts, func(q string) { ftsQuery(ctx, fts, q, all) })
		fmt.Printf("%-34s %9.2f %9.2f %9.2f %9.2f %8.2f\n", k.name, kp50, kp99, fp50, fp99, kp99/fp99)
	}
}

// onlyKinds and skipFTSQueries are the -kinds and -nofts flags.
var (
	onlyKinds      string
	skipFTSQueries bool
)

func wantKind(name string) bool {
	if onlyKinds == "" {
		return true
	}
	for _, w := range strings.Split(onlyKinds, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.Contains(name, w) {
			return true
		}
	}
	return false
}

var (
	roffEscape = regexp.MustCompile(`\\f[BIRPC1-4]|\\f\(..|\\\(..|\\\*\(..|\\\*.|\\[&|^%e]|\\s[-+]?\d`)
	roffMacro  = regexp.MustCompile(`^\.(\S+)\s*(.*)$`)
)

// loadCorpus reads the man pages and returns their paragraphs as plain
// text (roff requests dropped, font escapes removed).
func loadCorpus(root string) ([]string, error) {
	var paras []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".gz") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return nil
		}
		var cur strings.Builder
		flush := func() {
			if s := strings.TrimSpace(cur.String()); len(s) > 40 {
				paras = append(paras, s)
			}
			cur.Reset()
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, `.\"`) || strings.HasPrefix(line, `'\"`) {
				continue
			}
			if m := roffMacro.FindStringSubmatch(line); m != nil {
				switch m[1] {
				case "PP", "P", "LP", "SH", "SS", "TP", "IP", "HP", "sp", "br":
					flush()
				}
				switch m[1] {
				case "B", "I", "BI", "IB", "BR", "RB", "IR", "RI", "SH", "SS", "IP":
					cur.WriteString(strings.ReplaceAll(roffEscape.ReplaceAllString(m[2], ""), `"`, "") + " ")
				}
				continue
			}
			cur.WriteString(roffEscape.ReplaceAllString(line, "") + " ")
		}
		flush()
		return nil
	})
	if len(paras) == 0 && err == nil {
		err = fmt.Errorf("no text found under %s (install manpages-fr)", root)
	}
	return paras, err
}

// makeDocs builds n documents of 1 to 4 KB from consecutive paragraphs at
// random places (seeded: the same corpus on every run).
func makeDocs(paras []string, n, libs int) ([]search.Document, int64) {
	r := rand.New(rand.NewPCG(1, 2))
	docs := make([]search.Document, n)
	var total int64
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range docs {
		target := 1000 + r.IntN(3000)
		j := r.IntN(len(paras))
		var b strings.Builder
		for b.Len() < target {
			b.WriteString(paras[j%len(paras)])
			b.WriteString("\n\n")
			j++
		}
		lib := fmt.Sprintf("lib%d", i%libs)
		name := fmt.Sprintf("document-%06d.txt", i)
		docs[i] = search.Document{Library: lib, Path: fmt.Sprintf("/dossier-%03d/%s", i%500, name), Name: name, Type: "txt",
			Author: fmt.Sprintf("agent%02d", i%40), Size: int64(b.Len()), Modified: base.Add(time.Duration(i) * time.Minute), Content: b.String()}
		total += int64(b.Len())
	}
	return docs, total
}

var inflight = 2

// indexKaz indexes docs and returns the engine, the rate at which they
// were made durable and searchable, and the rate counting the merges
// that went on after.
func indexKaz(ctx context.Context, dir string, docs []search.Document, batch int) (*bleve.Engine, float64, float64) {
	eng, err := bleve.Open(ctx, dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	cpu0 := cpuTime()
	var waits []func() error
	for i := 0; i < len(docs); i += batch {
		waits = append(waits, eng.Start(ctx, &search.Batch{Put: docs[i:min(i+batch, len(docs))]}))
		if len(waits) >= inflight {
			if err := waits[0](); err != nil {
				log.Fatal(err)
			}
			waits = waits[1:]
		}
	}
	for _, w := range waits {
		if err := w(); err != nil {
			log.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	// Bleve merges segments in the background: some of the work of the
	// last batches is still running when they are durable. It is waited
	// for (and printed), so that the next engine measured does not share
	// the cores with it.
	settled, mergeCPU := waitQuiet()
	fmt.Printf("Kaz indexing: %.1f s, %.2f cores busy on average (process CPU time ÷ elapsed); merges went on %.1f s more (%.1f CPU-s)\n",
		elapsed.Seconds(), cpu.Seconds()/elapsed.Seconds(), settled.Seconds(), mergeCPU.Seconds())
	return eng, float64(len(docs)) / elapsed.Seconds(), float64(len(docs)) / (elapsed + settled).Seconds()
}

// waitQuiet waits until the process uses less than a twentieth of a core
// over half a second, and returns how long it was busy before (up to the
// last busy half second) and the CPU it used meanwhile.
func waitQuiet() (busy, cpu time.Duration) {
	start, cpu0 := time.Now(), cpuTime()
	last, lastCPU := start, cpu0
	for time.Since(start) < 5*time.Minute {
		time.Sleep(500 * time.Millisecond)
		now, c := time.Now(), cpuTime()
		if c-lastCPU < 25*time.Millisecond {
			return last.Sub(start), lastCPU - cpu0
		}
		last, lastCPU = now, c
	}
	return last.Sub(start), lastCPU - cpu0
}

func indexFTS(ctx context.Context, path string, docs []search.Document, batch int) (*sql.DB, float64) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE VIRTUAL TABLE docs USING fts5(library UNINDEXED, path UNINDEXED, name, author UNINDEXED, content, tokenize = "unicode61 remove_diacritics 2")`); err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < len(docs); i += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			log.Fatal(err)
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO docs (library, path, name, author, content) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			log.Fatal(err)
		}
		for _, d := range docs[i:min(i+batch, len(docs))] {
			if _, err := st.ExecContext(ctx, d.Library, d.Path, d.Name, d.Author, d.Content); err != nil {
				log.Fatal(err)
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			log.Fatal(err)
		}
	}
	rate := float64(len(docs)) / time.Since(start).Seconds()
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		log.Fatal(err)
	}
	return db, rate
}

// ftsQuery runs what FTS5 offers for the same need: MATCH restricted to the
// readable libraries, ranked by bm25, 20 rows with a highlighted snippet.
func ftsQuery(ctx context.Context, db *sql.DB, q string, libs []string) {
	args := []any{q}
	for _, l := range libs {
		args = append(args, l)
	}
	rows, err := db.QueryContext(ctx, `SELECT library, path, name, snippet(docs, 4, '<mark>', '</mark>', '…', 30) FROM docs WHERE docs MATCH ? AND library IN (`+strings.TrimSuffix(strings.Repeat("?,", len(libs)), ",")+`) ORDER BY rank LIMIT 20`, args...)
	if err != nil {
		log.Fatal(err)
	}
	for rows.Next() {
		var a, b, c, d string
		if err := rows.Scan(&a, &b, &c, &d); err != nil {
			log.Fatal(err)
		}
	}
	rows.Close()
}

func measure(runs int, queries []string, fn func(string)) (p50, p99 float64) {
	for _, q := range queries { // warm up
		fn(q)
	}
	var ds []float64
	for i := 0; i < runs; i++ {
		q := queries[i%len(queries)]
		start := time.Now()
		fn(q)
		ds = append(ds, float64(time.Since(start).Microseconds())/1000)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)]
}

// openStore opens a document store in dir, and the administrator who
// writes in it.
func openStore(ctx context.Context, dir string) (*sqldb.DB, *docstore.Store, *auth.Principal) {
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "kaz.db"))
	if err != nil {
		log.Fatal(err)
	}
	st, err := docstore.Open(ctx, docstore.DefaultConfig(), db, filepath.Join(dir, "blobs"), nil)
	if err != nil {
		log.Fatal(err)
	}
	return db, st, &auth.Principal{User: "bench", Admin: true, Groups: []string{"admins"}}
}

// freshness writes documents through docstore and measures the time until
// the indexer (run as the server runs it) makes each searchable.
func freshness(ctx context.Context, dir string, samples int) (p50, p99 float64) {
	db, st, admin := openStore(ctx, dir)
	defer db.Close()
	if _, err := st.CreateLibrary(ctx, admin, docstore.LibrarySpec{Name: "bench", Grants: []docstore.Grant{{Role: docstore.RoleOwner, Subject: "group:admins"}}}); err != nil {
		log.Fatal(err)
	}
	eng, err := bleve.Open(ctx, filepath.Join(dir, "index"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	ix, err := search.NewIndexer(ctx, db, eng, storeSource{st}, "bleve", search.Config{}, nil)
	if err != nil {
		log.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { ix.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	var ds []float64
	for i := 0; i < samples; i++ {
		word := fmt.Sprintf("fraicheur%dx%d", i, rand.IntN(1e9))
		body := []byte("Note de service " + word + " pour le télétravail.")
		start := time.Now()
		if _, _, err := st.Put(ctx, admin, "bench", fmt.Sprintf("/note-%d.txt", i), bytes.NewReader(body), docstore.PutOptions{Size: int64(len(body))}); err != nil {
			log.Fatal(err)
		}
		for {
			res, err := eng.Search(ctx, search.Query{Text: word + " ", Libraries: []string{"bench"}})
			if err != nil {
				log.Fatal(err)
			}
			if len(res.Hits) > 0 {
				break
			}
			if time.Since(start) > 30*time.Second {
				log.Fatal("freshness: document never searchable")
			}
			time.Sleep(2 * time.Millisecond)
		}
		ds = append(ds, float64(time.Since(start).Microseconds())/1000)
		time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond) // desynchronise from the poll
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)]
}

func dirSize(p string) int64 {
	var n int64
	filepath.Walk(p, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// storeSource adapts docstore to search.Source (as server/wire_search.go
// does; the benchmark does not import the server).
type storeSource struct{ st *docstore.Store }

func (d storeSource) Changes(ctx context.Context, after int64, limit int) ([]search.Change, error) {
	cs, err := d.st.Changes(ctx, after, limit)
	out := make([]search.Change, len(cs))
	for i, c := range cs {
		out[i] = search.Change{Seq: c.Seq, Time: c.Time, Kind: search.ChangeKind(c.Kind), Library: c.Library, Path: c.Path, OldPath: c.OldPath, IsDir: c.IsDir}
	}
	return out, err
}

func item(it docstore.Item) search.Item {
	return search.Item{Library: it.Library, Path: it.Path, Name: it.Name, IsDir: it.IsDir, Size: it.Size, ContentType: it.ContentType, Modified: it.Modified, ModifiedBy: it.ModifiedBy}
}

func (d storeSource) Open(ctx context.Context, lib, p string) (io.ReadCloser, search.Item, error) {
	rc, it, err := d.st.OpenSystem(ctx, lib, p)
	if errors.Is(err, docstore.ErrNotFound) {
		err = search.ErrNotFound
	}
	return rc, item(it), err
}

func (d storeSource) Walk(ctx context.Context, lib, p string, fn func(search.Item) error) error {
	return d.st.Walk(ctx, lib, p, func(it docstore.Item) error { return fn(item(it)) })
}

func (d storeSource) LibraryNames(ctx context.Context) ([]string, error) {
	return d.st.LibraryNames(ctx)
}

// settledSize waits for Bleve's background merges to settle (the size
// stops changing for 3 s, at most 2 min) and returns the folder's size.
func settledSize(p string) int64 {
	last, stable := dirSize(p), 0
	for i := 0; i < 240 && stable < 6; i++ {
		time.Sleep(500 * time.Millisecond)
		n := dirSize(p)
		if n == last {
			stable++
		} else {
			stable = 0
		}
		last = n
	}
	return last
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// serial hides the engine's Start: the indexer then writes each batch
// before reading the next (as before it pipelined).
type serial struct{ search.Index }

// reindexBench stores docs in docstore (every other one as a .docx, so
// that extraction costs what it does for office files) and times the
// indexer's Reindex of them, pipelined (the indexer's way) and serial,
// alternated.
func reindexBench(ctx context.Context, dir string, docs []search.Document) {
	db, st, admin := openStore(ctx, dir)
	defer db.Close()
	libs, dirs := map[string]bool{}, map[string]bool{}
	var text int64
	for i, d := range docs {
		if !libs[d.Library] {
			libs[d.Library] = true
			if _, err := st.CreateLibrary(ctx, admin, docstore.LibrarySpec{Name: d.Library, Grants: []docstore.Grant{{Role: docstore.RoleOwner, Subject: "group:admins"}}}); err != nil {
				log.Fatal(err)
			}
		}
		body, p := []byte(d.Content), d.Path
		if i%2 == 1 {
			body, p = extracttest.DOCX(d.Name, d.Author, strings.Split(d.Content, "\n")...), strings.TrimSuffix(p, ".txt")+".docx"
		}
		text += int64(len(d.Content))
		if folder := path.Dir(p); !dirs[d.Library+folder] {
			dirs[d.Library+folder] = true
			if _, err := st.Mkdir(ctx, admin, d.Library, folder, docstore.WriteOptions{}); err != nil && !errors.Is(err, docstore.ErrExists) {
				log.Fatal(err)
			}
		}
		if _, _, err := st.Put(ctx, admin, d.Library, p, bytes.NewReader(body), docstore.PutOptions{Size: int64(len(body))}); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("stored %d documents (%.1f MB of text) in %d libraries\n", len(docs), float64(text)/1e6, len(libs))
	var rates [2][]float64
	for round := range 4 {
		pipelined := round%2 == 0
		os.RemoveAll(filepath.Join(dir, "index"))
		eng, err := bleve.Open(ctx, filepath.Join(dir, "index"), nil)
		if err != nil {
			log.Fatal(err)
		}
		var idx search.Index = eng
		if !pipelined {
			idx = serial{eng}
		}
		ix, err := search.NewIndexer(ctx, db, idx, storeSource{st}, fmt.Sprintf("bench%d", round), search.Config{}, nil)
		if err != nil {
			log.Fatal(err)
		}
		start, cpu0 := time.Now(), cpuTime()
		if err := ix.Reindex(ctx, "", nil); err != nil {
			log.Fatal(err)
		}
		el := time.Since(start)
		eng.Close()
		k := 1
		if pipelined {
			k = 0
		}
		rates[k] = append(rates[k], float64(len(docs))/el.Seconds())
		fmt.Printf("reindex, pipelined=%v: %.1f s, %.0f docs/s, %.2f cores busy\n", pipelined, el.Seconds(), float64(len(docs))/el.Seconds(), (cpuTime()-cpu0).Seconds()/el.Seconds())
	}
	fmt.Printf("reindex docs/s, medians: pipelined %.0f, serial %.0f, ratio %.2f\n", median(rates[0]), median(rates[1]), median(rates[0])/median(rates[1]))
}
