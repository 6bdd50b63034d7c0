package bleve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"golang.org/x/sync/errgroup"

	"github.com/kazhq/kaz/search"
)

var _ search.Index = (*Engine)(nil)

// Field names of the index.
const (
	fLibrary  = "library"
	fPath     = "path"
	fFolders  = "folders"
	fName     = "name"
	fTitle    = "title"
	fAuthor   = "author"
	fMeta     = "meta" // title and author, searchable
	fType     = "type"
	fSize     = "size"
	fModified = "modified"
	fContent  = "content" // stored only (snippets, phrases)
	// fMatch is the one field words are looked for in: the text, the
	// name, the title and the author together (format 2, see format.go).
	// A word of the query is then one term search instead of a
	// disjunction over three fields; the name and the title still rank
	// higher through optional clauses on fName and fMeta.
	fMatch = "match"
)

// Engine is the embedded search engine, one Bleve index per library.
type Engine struct {
	dir     string
	log     *slog.Logger
	mapping *mapping.IndexMappingImpl
	text    analysis.Analyzer

	mu     sync.RWMutex
	shards map[string]bleve.Index // by library
	// order and tails keep each library's batches in the order they were
	// started (Start): tails holds the end of each library's last one.
	order sync.Mutex
	tails map[string]chan struct{}
	// beforeBatch, for tests, runs before a library's part of a batch.
	beforeBatch func(lib string)
	closed      bool
	lock        *os.File // held while open: see lockDir
	// noFastPath makes every search go through Bleve's searchers (tests
	// compare both; see fastpath.go).
	noFastPath bool
	values     valueCache // facet values of segments, for the fast path
}

// ErrInUse is returned by Open when another process (a running server)
// holds the indexes.
var ErrInUse = errors.New("bleve: the search index is in use by another Kaz process")

// Open opens (creating when needed) the indexes under dir. It fails when
// another process holds them (the server, while an admin command runs).
func Open(ctx context.Context, dir string, log *slog.Logger) (*Engine, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("bleve: create %s: %w", dir, err)
	}
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("bleve: mapping: %w", err)
	}
	e := &Engine{dir: dir, log: log, mapping: m, shards: map[string]bleve.Index{}, text: m.AnalyzerNamed(analyzerText)}
	if e.text == nil {
		return nil, errors.New("bleve: text analyzer missing")
	}
	if e.lock, err = lockDir(dir); err != nil {
		return nil, err
	}
	if err := recoverRebuilds(dir); err != nil {
		e.Close()
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("bleve: list %s: %w", dir, err)
	}
	found := map[string]string{} // folder → library
	for _, ent := range entries {
		if !ent.IsDir() {
			continue
		}
		p := filepath.Join(dir, ent.Name())
		lib, err := os.ReadFile(filepath.Join(p, "library"))
		if err != nil {
			continue // an unfinished shard; it is recreated on first write
		}
		found[p] = string(lib)
	}
	if err := e.upgradeShards(ctx, dir, found); err != nil {
		e.Close()
		return nil, err
	}
	for p, lib := range found {
		idx, err := bleve.OpenUsing(filepath.Join(p, "index"), shardConfig())
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("bleve: open shard of %q (is another Kaz process using %s?): %w", lib, dir, err)
		}
		e.shards[lib] = idx
	}
	return e, nil
}

func newMapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	if err := addAnalysis(m); err != nil {
		return nil, err
	}
	m.DefaultAnalyzer = analyzerText
	doc := bleve.NewDocumentStaticMapping()
	keyword := func(store, docValues bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store = store
		f.DocValues = docValues
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		return f
	}
	text := func(store, vectors bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzerText
		f.Store = store
		f.IncludeTermVectors = vectors
		f.DocValues = false
		f.IncludeInAll = false
		return f
	}
	doc.AddFieldMappingsAt(fLibrary, keyword(true, true))
	// The path and the size are shown, never searched: stored only (an
	// indexed path is one dictionary term per document, an indexed number
	// sixteen).
	path := keyword(true, false)
	path.Index = false
	doc.AddFieldMappingsAt(fPath, path)
	doc.AddFieldMappingsAt(fFolders, keyword(false, false))
	doc.AddFieldMappingsAt(fName, text(true, false))
	title := text(true, false)
	title.Index = false
	doc.AddFieldMappingsAt(fTitle, title)
	doc.AddFieldMappingsAt(fAuthor, keyword(true, true))
	doc.AddFieldMappingsAt(fMeta, text(false, false))
	doc.AddFieldMappingsAt(fType, keyword(true, true))
	size := bleve.NewNumericFieldMapping()
	size.Store, size.Index, size.DocValues, size.IncludeInAll = true, false, false, false
	doc.AddFieldMappingsAt(fSize, size)
	mod := bleve.NewDateTimeFieldMapping()
	mod.Store, mod.DocValues, mod.IncludeInAll = true, true, false
	doc.AddFieldMappingsAt(fModified, mod)
	// No term vectors: snippets and phrases use the stored text (match.go).
	// The text is searched through fMatch, so it is stored, not indexed.
	content := text(true, false)
	content.Index = false
	doc.AddFieldMappingsAt(fContent, content)
	doc.AddFieldMappingsAt(fMatch, text(false, false))
	m.DefaultMapping = doc
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m, nil
}

// shardConfig is scorch's run-time configuration of a shard. Durability
// is kept: a batch returns once persisted (no unsafe_batch).
//
// Merging: the indexer writes one segment per library and batch (a few
// hundred documents); scorch's default plan treats every segment under
// 2,000 documents as one size and merges them 10 at a time, so documents
// were re-merged several times while a library filled (40% of indexing
// CPU). A floor near one library's share of a batch gives the tiers their
// real sizes, so each document is rewritten fewer times: +40–60% indexing
// throughput for an index about 7% larger (more, smaller segments left).
func shardConfig() map[string]interface{} {
	return map[string]interface{}{
		"bolt_timeout": "2s",
		"scorchMergePlanOptions": map[string]interface{}{
			"MaxSegmentsPerTier":   mergeWidth,
			"SegmentsPerMergeTask": mergeWidth,
			"FloorSegmentSize":     mergeFloor,
		},
	}
}

// mergeWidth is scorch's default; mergeFloor is near the size of one
// library's share of a batch.
const mergeWidth, mergeFloor = 10, 300

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// shardDir names a library's folder: a readable part and a hash, so that
// any library name maps to a safe, unique folder.
func shardDir(lib string) string {
	h := sha256.Sum256([]byte(lib))
	readable := unsafeChars.ReplaceAllString(lib, "_")
	if len(readable) > 40 {
		readable = readable[:40]
	}
	return readable + "-" + hex.EncodeToString(h[:6])
}

// shard returns the index of lib, creating it when create is set.
func (e *Engine) shard(lib string, create bool) (bleve.Index, error) {
	e.mu.RLock()
	idx, ok := e.shards[lib]
	closed := e.closed
	e.mu.RUnlock()
	if closed {
		return nil, errors.New("bleve: engine closed")
	}
	if ok || !create {
		return idx, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if idx, ok := e.shards[lib]; ok {
		return idx, nil
	}
	p := filepath.Join(e.dir, shardDir(lib))
	os.RemoveAll(p) // a half-created shard from a crash
	if err := os.MkdirAll(p, 0o700); err != nil {
		return nil, fmt.Errorf("bleve: create shard: %w", err)
	}
	idx, err := bleve.NewUsing(filepath.Join(p, "index"), e.mapping, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, shardConfig())
	if err != nil {
		return nil, fmt.Errorf("bleve: create shard of %q: %w", lib, err)
	}
	// The format first: the library file marks a complete shard.
	if err := writeFormat(p); err != nil {
		idx.Close()
		return nil, fmt.Errorf("bleve: create shard: %w", err)
	}
	if err := os.WriteFile(filepath.Join(p, "library"), []byte(lib), 0o600); err != nil {
		idx.Close()
		return nil, fmt.Errorf("bleve: create shard: %w", err)
	}
	e.shards[lib] = idx
	return idx, nil
}

// Close closes every shard.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	var errs []error
	for lib, idx := range e.shards {
		if err := idx.Close(); err != nil {
			errs = append(errs, fmt.Errorf("bleve: close %q: %w", lib, err))
		}
	}
	e.shards = map[string]bleve.Index{}
	e.values.mu.Lock()
	e.values.m, e.values.docs = nil, 0
	e.values.mu.Unlock()
	if e.lock != nil {
		errs = append(errs, e.lock.Close()) // releases the lock
		e.lock = nil
	}
	return errors.Join(errs...)
}

func docFields(d *search.Document) map[string]interface{} {
	m := map[string]interface{}{
		fLibrary:  d.Library,
		fPath:     d.Path,
		fFolders:  d.Folders(),
		fName:     d.Name,
		fType:     d.Type,
		fSize:     float64(d.Size),
		fModified: d.Modified.UTC(),
		fContent:  d.Content,
	}
	if d.Title != "" {
		m[fTitle] = d.Title
	}
	if d.Author != "" {
		m[fAuthor] = d.Author
	}
	meta := strings.TrimSpace(d.Title + " " + d.Author)
	if meta != "" {
		m[fMeta] = meta
	}
	m[fMatch] = matchText(d.Content, d.Name, meta)
	return m
}

// Apply writes b, one Bleve batch per library. Bleve returns once the
// batch is persisted (scorch's default), so b is durable on success.
func (e *Engine) Apply(ctx context.Context, b *search.Batch) error {
	return e.Start(ctx, b)()
}

// Start begins writing b and returns the wait for its end, which is
// Apply's result. Batches started one after the other (by one goroutine)
// are applied to each library in that order; a library not in the
// earlier batch does not wait for it. So the indexer can start the next
// batch while the shards of this one finish: a batch ends when its
// slowest library is persisted, and the cores the others leave idle
// meanwhile analyse the next batch (about a tenth of the indexing time
// had a core idle).
func (e *Engine) Start(ctx context.Context, b *search.Batch) (wait func() error) {
	type work struct {
		deletes []string
		folders []string
		puts    []*search.Document
		drop    bool
		prev    <-chan struct{} // the library's previous batch
		done    chan struct{}
	}
	libs := map[string]*work{}
	get := func(lib string) *work {
		w := libs[lib]
		if w == nil {
			w = &work{}
			libs[lib] = w
		}
		return w
	}
	for _, lib := range b.DropLibraries {
		get(lib).drop = true
	}
	for _, r := range b.Delete {
		get(r.Library).deletes = append(get(r.Library).deletes, search.DocID(r.Library, r.Path))
	}
	for _, r := range b.DeleteFolders {
		get(r.Library).folders = append(get(r.Library).folders, r.Path)
	}
	for i := range b.Put {
		d := &b.Put[i]
		get(d.Library).puts = append(get(d.Library).puts, d)
	}
	// Take each library's turn now, in the caller's order.
	e.order.Lock()
	if e.tails == nil {
		e.tails = map[string]chan struct{}{}
	}
	for lib, w := range libs {
		w.prev, w.done = e.tails[lib], make(chan struct{})
		e.tails[lib] = w.done
	}
	e.order.Unlock()
	// Libraries are written in parallel (one Bleve batch each): analysis
	// and segment building are CPU-bound and each shard waits for its own
	// segment to be persisted, so the waits overlap. Twice as many shards
	// as cores: while one waits for its fsync, another analyses (+8% docs/s
	// at 30k documents in 4 libraries).
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(2, 2*runtime.GOMAXPROCS(0)))
	for lib, w := range libs {
		g.Go(func() error {
			defer e.endTurn(lib, w.done)
			if w.prev != nil {
				select {
				case <-w.prev:
				case <-gctx.Done():
					// The turn is still awaited: a later batch of this
					// library must not overtake this one's writes.
					<-w.prev
					return gctx.Err()
				}
			}
			if e.beforeBatch != nil {
				e.beforeBatch(lib)
			}
			if w.drop {
				if err := e.dropLibrary(lib); err != nil {
					return err
				}
			}
			return e.applyLibrary(gctx, lib, w.folders, w.deletes, w.puts)
		})
	}
	return g.Wait
}

// endTurn ends a library's turn (see Start).
func (e *Engine) endTurn(lib string, done chan struct{}) {
	e.order.Lock()
	if e.tails[lib] == done {
		delete(e.tails, lib)
	}
	e.order.Unlock()
	close(done)
}

// applyLibrary writes one library's part of a batch as one Bleve batch,
// which returns once persisted.
func (e *Engine) applyLibrary(ctx context.Context, lib string, folders, deletes []string, puts []*search.Document) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	idx, err := e.shard(lib, len(puts) > 0)
	if err != nil {
		return err
	}
	if idx == nil {
		return nil // nothing indexed in this library: nothing to delete
	}
	batch := idx.NewBatch()
	for _, f := range folders {
		ids, err := e.folderIDs(ctx, idx, f)
		if err != nil {
			return err
		}
		for _, id := range ids {
			batch.Delete(id)
		}
	}
	for _, id := range deletes {
		batch.Delete(id)
	}
	for _, d := range puts {
		doc, err := e.document(d.ID(), d)
		if err != nil {
			return err
		}
		if err := batch.IndexAdvanced(doc); err != nil {
			return fmt.Errorf("bleve: index %q: %w", d.Path, err)
		}
	}
	if err := idx.Batch(batch); err != nil {
		return fmt.Errorf("bleve: write batch of %q: %w", lib, err)
	}
	return nil
}

// folderIDs lists the documents under folder.
func (e *Engine) folderIDs(ctx context.Context, idx bleve.Index, folder string) ([]string, error) {
	tq := bleve.NewTermQuery(strings.TrimRight(folder, "/"))
	tq.SetField(fFolders)
	var ids []string
	for from := 0; ; from += 1000 {
		req := bleve.NewSearchRequestOptions(tq, 1000, from, false)
		req.SortBy([]string{"_id"})
		res, err := idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("bleve: list folder %q: %w", folder, err)
		}
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		if len(res.Hits) < 1000 {
			return ids, nil
		}
	}
}

func (e *Engine) dropLibrary(lib string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if idx, ok := e.shards[lib]; ok {
		idx.Close()
		delete(e.shards, lib)
		e.values.forget(idx)
	}
	if err := os.RemoveAll(filepath.Join(e.dir, shardDir(lib))); err != nil {
		return fmt.Errorf("bleve: drop %q: %w", lib, err)
	}
	return nil
}

// Stats counts documents per library.
func (e *Engine) Stats(ctx context.Context) (search.Stats, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := search.Stats{Engine: "bleve", Libraries: map[string]uint64{}}
	for lib, idx := range e.shards {
		n, err := idx.DocCount()
		if err != nil {
			return st, fmt.Errorf("bleve: count %q: %w", lib, err)
		}
		st.Libraries[lib] = n
		st.Documents += n
	}
	return st, nil
}

// tokens analyzes s like indexed text.
func (e *Engine) tokens(s string) []string {
	var out []string
	for _, t := range e.text.Analyze([]byte(s)) {
		out = append(out, string(t.Term))
	}
	return out
}

func boost(q query.BoostableQuery, b float64) query.Query {
	q.SetBoost(b)
	return q.(query.Query)
}

// matchText is what fMatch indexes: the text, the name and the meta data
// (title and author), each on its own line.
func matchText(content, name, meta string) string {
	return content + "\n" + name + "\n" + meta
}

// wordQuery matches one token in fMatch (the text, name, title and
// author): exactly; as a prefix for long words (télétravail finds
// télétravailleurs) or the word being typed; and, when fuzzy is set, with
// one typo for words of 5+ letters. A plain word is one term search.
//
// should holds optional clauses that rank documents higher when the word
// is in their name or title/author, as the former per-field boosts did
// (name 4, title/author 2, text 1): they only add to the score of the
// documents must matches.
//
// ext, when not nil, lists the longer words of the index starting with a
// finished long word (see shardSet.extensions).
func wordQuery(tok, raw, long string, prefix, fuzzy bool, ext func(string) ([]string, bool)) (must query.Query, should []query.Query) {
	n := utf8.RuneCountInString(raw)
	tq := bleve.NewTermQuery(tok)
	tq.SetField(fMatch)
	qs := []query.Query{tq}
	if fuzzy && n >= 5 {
		fq := bleve.NewFuzzyQuery(tok)
		fq.SetField(fMatch)
		fq.SetFuzziness(1)
		qs = append(qs, boost(fq, 0.3))
	}
	// Long words also match as prefixes of longer words of the same
	// family (télétravail → télétravailleurs, which light stemming keeps
	// apart): the indexed words that start with the word as typed (long,
	// see longPrefix) followed by letters. The word being typed matches
	// as a prefix from two letters.
	typing := prefix && n >= 2
	if !typing && n >= minLongWord && ext != nil {
		// The longer words are known (read from the dictionaries):
		// usually none, and the word stays one term search.
		words, ok := ext(long)
		if ok {
			for _, w := range words {
				tq := bleve.NewTermQuery(w)
				tq.SetField(fMatch)
				qs = append(qs, boost(tq, 0.5))
			}
		} else {
			pq := bleve.NewPrefixQuery(long)
			pq.SetField(fMatch)
			qs = append(qs, boost(pq, 0.5))
		}
	} else if typing || n >= minLongWord {
		start := tok
		if !typing {
			start = long // as the matcher marks it
		}
		pq := bleve.NewPrefixQuery(start)
		pq.SetField(fMatch)
		qs = append(qs, boost(pq, 0.5))
		if typing && raw != tok {
			pq := bleve.NewPrefixQuery(raw)
			pq.SetField(fMatch)
			qs = append(qs, boost(pq, 0.5))
		}
	}
	if len(qs) == 1 {
		must = tq
	} else {
		must = bleve.NewDisjunctionQuery(qs...)
	}
	for _, f := range []struct {
		name string
		w    float64
	}{{fName, 3}, {fMeta, 1}} {
		tq := bleve.NewTermQuery(tok)
		tq.SetField(f.name)
		should = append(should, boost(tq, f.w))
	}
	if typing {
		pq := bleve.NewPrefixQuery(tok)
		pq.SetField(fName)
		should = append(should, boost(pq, 1.5))
	}
	return must, should
}

// longPrefix is what a finished long word matches as a prefix: the word
// as typed, folded (raw), when it is one token — "utilisateur" finds
// "utilisateurs-relais" but not "utilisant", which share the stem
// "utilis" —; the stem when the term has several tokens.
func longPrefix(tok, raw string, ntoks int) string {
	if ntoks == 1 && raw != "" {
		return raw
	}
	return tok
}

// minLongWord is the length from which a finished word also matches as a
// prefix.
const minLongWord = 8

// exactQuery matches a token exactly in the text, name, title or author.
func exactQuery(tok string) query.Query {
	tq := bleve.NewTermQuery(tok)
	tq.SetField(fMatch)
	return tq
}

// phraseQuery matches the documents found to hold a phrase (ids, from
// phraseDocs), scored by its words. It is nil when none does.
func phraseQuery(toks, ids []string) query.Query {
	if len(ids) == 0 {
		return nil
	}
	qs := []query.Query{bleve.NewDocIDQuery(ids)}
	for _, tok := range toks {
		qs = append(qs, exactQuery(tok))
	}
	return bleve.NewConjunctionQuery(qs...)
}

// buildQuery turns what the agent typed and the filters into one Bleve
// query, including the library restriction (security trimming). phrases
// holds the documents of each phrase of two words or more (see
// Engine.phrases). It returns nil when the query can match nothing.
//
// ext (may be nil) lists the longer words of the index that start with a
// finished long word.
func (e *Engine) buildQuery(q *search.Query, p search.Parsed, phrases map[string][]string, textOnlyNames, fuzzy bool, ext func(string) ([]string, bool)) query.Query {
	var must, should, mustNot []query.Query
	for _, t := range p.Terms {
		toks := e.tokens(t.Text)
		if len(toks) == 0 {
			continue // only stop words
		}
		ids, isPhrase := phrases[t.Text]
		isPhrase = isPhrase && t.Phrase
		switch {
		case t.Exclude && isPhrase:
			if len(ids) > 0 {
				mustNot = append(mustNot, bleve.NewDocIDQuery(ids))
			}
		case t.Exclude:
			for _, tok := range toks {
				mustNot = append(mustNot, exactQuery(tok))
			}
		case isPhrase:
			pq := phraseQuery(toks, ids)
			if pq == nil {
				return nil // no document holds the phrase
			}
			must = append(must, pq)
		case t.Phrase: // one word
			for _, tok := range toks {
				must = append(must, exactQuery(tok))
			}
		default:
			raw := Fold(t.Text)
			for i, tok := range toks {
				if textOnlyNames {
					must = append(must, nameQuery(tok, raw, t.Prefix && i == len(toks)-1))
				} else {
					m, sh := wordQuery(tok, raw, longPrefix(tok, raw, len(toks)), t.Prefix && i == len(toks)-1, fuzzy, ext)
					must = append(must, m)
					should = append(should, sh...)
				}
			}
		}
	}
	if len(must) == 0 && q.Text != "" && !p.Empty() {
		// Only stop words ("le la"): match nothing rather than everything.
		return nil
	}
	if len(must) == 0 {
		must = append(must, bleve.NewMatchAllQuery())
	}
	// Security trimming: the search runs only over the shards of scope
	// (see alias); each shard holds one library's documents, so no
	// per-document filter is needed (it would cost a pass over every
	// posting of the library).
	if len(q.Types) > 0 {
		must = append(must, anyTerm(fType, q.Types))
	}
	if q.Author != "" {
		tq := bleve.NewTermQuery(q.Author)
		tq.SetField(fAuthor)
		must = append(must, tq)
	}
	bq := bleve.NewBooleanQuery()
	bq.AddMust(must...)
	if len(should) > 0 {
		bq.AddShould(should...) // optional: they only rank
	}
	if len(mustNot) > 0 {
		bq.AddMustNot(mustNot...)
	}
	if !q.ModifiedAfter.IsZero() || !q.ModifiedBefore.IsZero() {
		// From the doc values: the date is indexed as one term (docbuild.go).
		return &dateFilterQuery{q: bq, after: q.ModifiedAfter, before: q.ModifiedBefore}
	}
	return bq
}

func nameQuery(tok, raw string, prefix bool) query.Query {
	var qs []query.Query
	tq := bleve.NewTermQuery(tok)
	tq.SetField(fName)
	qs = append(qs, tq)
	n := utf8.RuneCountInString(raw)
	if prefix || n >= 5 {
		for _, s := range []string{tok, raw} {
			pq := bleve.NewPrefixQuery(s)
			pq.SetField(fName)
			qs = append(qs, pq)
		}
	}
	if n >= 5 {
		fq := bleve.NewFuzzyQuery(tok)
		fq.SetField(fName)
		fq.SetFuzziness(1)
		qs = append(qs, fq)
	}
	return bleve.NewDisjunctionQuery(qs...)
}

func anyTerm(field string, values []string) query.Query {
	var qs []query.Query
	for _, v := range values {
		tq := bleve.NewTermQuery(v)
		tq.SetField(field)
		qs = append(qs, tq)
	}
	return bleve.NewDisjunctionQuery(qs...)
}

var (
	storedFields            = []string{fLibrary, fPath, fName, fTitle, fAuthor, fType, fSize, fModified}
	storedFieldsWithContent = append(storedFields[:len(storedFields):len(storedFields)], fContent)
)

// Search runs q over the shards of the libraries q may search.
func (e *Engine) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	res := &search.Result{Hits: []search.Hit{}}
	offset, err := q.Offset()
	if err != nil {
		return nil, err
	}
	scope := q.Scope()
	if len(scope) == 0 {
		return res, nil
	}
	shards := e.searchSet(scope)
	if len(shards) == 0 {
		return res, nil
	}
	p := search.Parse(q.Text)
	phrases, err := e.phrases(ctx, p, scope)
	if err != nil {
		return nil, err
	}
	// Exact and prefix matches first; typos only when they find nothing
	// (as Meilisearch ranks them, and much cheaper).
	fuzzy := false
	sr, err := e.run(ctx, shards, &q, p, phrases, offset, false)
	if err == nil && sr != nil && sr.Total == 0 && hasLongWord(q.Text) {
		fuzzy = true
		sr, err = e.run(ctx, shards, &q, p, phrases, offset, true)
	}
	if err != nil {
		return nil, err
	}
	if sr == nil {
		return res, nil
	}
	return e.result(&q, sr, offset, fuzzy), nil
}

// hasLongWord reports whether text has a plain word of 5+ letters (the
// only ones typos apply to).
func hasLongWord(text string) bool {
	for _, t := range search.Parse(text).Terms {
		if !t.Phrase && !t.Exclude && utf8.RuneCountInString(t.Text) >= 5 {
			return true
		}
	}
	return false
}

func (e *Engine) run(ctx context.Context, shards shardSet, qp *search.Query, p search.Parsed, phrases map[string][]string, offset int, fuzzy bool) (*bleve.SearchResult, error) {
	q := *qp
	bq := e.buildQuery(&q, p, phrases, false, fuzzy, shards.extensions(ctx))
	if bq == nil {
		return nil, nil
	}
	limit := q.PageLimit()
	req := bleve.NewSearchRequestOptions(bq, limit, offset, false)
	req.Fields = storedFields
	// Ties are ordered by library and index order (see shardSet), not
	// by "_id", which costs a read of every match's id.
	if q.SortOrder() == search.SortModified {
		req.SortBy([]string{"-" + fModified})
		req.Score = "none" // the order ignores relevance: skip scoring
	}
	if q.Text != "" {
		// Snippets need the stored text, but only for the page's hits:
		// the page is loaded by a second search restricted to its ids
		// (see loadPage).
		req.Fields = nil
	}
	if q.Facets {
		req.AddFacet(search.FacetLibrary, bleve.NewFacetRequest(fLibrary, 20))
		req.AddFacet(search.FacetType, bleve.NewFacetRequest(fType, 20))
		req.AddFacet(search.FacetAuthor, bleve.NewFacetRequest(fAuthor, 20))
		df := bleve.NewFacetRequest(fModified, len(search.DateRanges))
		now := time.Now()
		far := now.Add(24 * time.Hour)
		for _, r := range search.DateRanges {
			start := now.Add(-r.Since)
			df.AddDateTimeRange(r.Name, start, far)
		}
		req.AddFacet(search.FacetModified, df)
	}
	var fast *fastPlan
	if !e.noFastPath && q.SortOrder() == search.SortRelevance {
		if fast = planFast(bq); fast != nil {
			fast.values = &e.values
		}
	}
	sr, err := shards.search(ctx, req, fast)
	if err != nil {
		return nil, fmt.Errorf("bleve: search: %w", err)
	}
	if q.Text != "" && len(sr.Hits) > 0 {
		if err := loadPage(ctx, shards, sr); err != nil {
			return nil, err
		}
	}
	return sr, nil
}

// loadPage fills the stored fields of sr's hits with a second search
// restricted to their ids. A hit deleted in between is dropped.
func loadPage(ctx context.Context, shards shardSet, sr *bleve.SearchResult) error {
	ids := make([]string, len(sr.Hits))
	for i, h := range sr.Hits {
		ids[i] = h.ID
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = storedFieldsWithContent
	req.Score = "none"
	page, err := shards.search(ctx, req, nil)
	if err != nil {
		return fmt.Errorf("bleve: load results: %w", err)
	}
	byID := make(map[string]*bsearch.DocumentMatch, len(page.Hits))
	for _, h := range page.Hits {
		byID[h.ID] = h
	}
	hits := sr.Hits[:0]
	for _, h := range sr.Hits {
		if p := byID[h.ID]; p != nil {
			h.Fields = p.Fields
			hits = append(hits, h)
		}
	}
	sr.Hits = hits
	return nil
}

func (e *Engine) result(qp *search.Query, sr *bleve.SearchResult, offset int, fuzzy bool) *search.Result {
	q := *qp
	res := &search.Result{Hits: []search.Hit{}, Total: sr.Total}
	var m *matcher
	if len(sr.Hits) > 0 && q.Text != "" {
		m = e.newMatcher(q.Text, fuzzy)
	}
	// Snippets (the page's texts analyzed again) are cut on every core.
	snippets := make([]string, len(sr.Hits))
	var wg sync.WaitGroup
	workers := min(len(sr.Hits), max(1, runtime.GOMAXPROCS(0)))
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(sr.Hits); i += workers {
				content := str(sr.Hits[i].Fields[fContent])
				var locs bsearch.TermLocationMap
				if m != nil {
					locs = m.locations(e.text, content)
				}
				snippets[i] = snippet(content, locs)
			}
		})
	}
	wg.Wait()
	for i, h := range sr.Hits {
		hit := search.Hit{
			Library: str(h.Fields[fLibrary]),
			Path:    str(h.Fields[fPath]),
			Name:    str(h.Fields[fName]),
			Author:  str(h.Fields[fAuthor]),
			Type:    str(h.Fields[fType]),
		}
		if f, ok := h.Fields[fSize].(float64); ok {
			hit.Size = int64(f)
		}
		if s := str(h.Fields[fModified]); s != "" {
			hit.Modified, _ = time.Parse(time.RFC3339Nano, s)
		}
		if sn := snippets[i]; sn != "" {
			hit.Snippet = sn
		} else if t := str(h.Fields[fTitle]); t != "" {
			hit.Snippet = htmlEscape(t)
		}
		res.Hits = append(res.Hits, hit)
	}
	res.Next = q.NextCursor(offset, len(sr.Hits), sr.Total)
	if q.Facets {
		res.Facets = map[string][]search.Facet{}
		for name, fr := range sr.Facets {
			var fs []search.Facet
			if fr.Terms != nil {
				for _, t := range fr.Terms.Terms() {
					fs = append(fs, search.Facet{Value: t.Term, Count: t.Count})
				}
			}
			for _, d := range fr.DateRanges {
				if d.Count > 0 {
					fs = append(fs, search.Facet{Value: d.Name, Count: d.Count})
				}
			}
			if name == search.FacetModified {
				order := map[string]int{}
				for i, r := range search.DateRanges {
					order[r.Name] = i
				}
				sort.Slice(fs, func(i, j int) bool { return order[fs[i].Value] < order[fs[j].Value] })
			}
			if fs == nil {
				fs = []search.Facet{}
			}
			res.Facets[name] = fs
		}
	}
	return res
}

// Suggest proposes document names matching what is being typed.
func (e *Engine) Suggest(ctx context.Context, libraries []string, prefix string, limit int) ([]search.Suggestion, error) {
	out := []search.Suggestion{}
	q := search.Query{Text: prefix, Libraries: libraries}
	scope := q.Scope()
	if len(scope) == 0 || strings.TrimSpace(prefix) == "" {
		return out, nil
	}
	shards := e.searchSet(scope)
	if len(shards) == 0 {
		return out, nil
	}
	if limit <= 0 || limit > 20 {
		limit = 8
	}
	p := search.Parse(q.Text)
	phrases, err := e.phrases(ctx, p, scope)
	if err != nil {
		return nil, err
	}
	bq := e.buildQuery(&q, p, phrases, true, true, nil)
	if bq == nil {
		return out, nil
	}
	req := bleve.NewSearchRequestOptions(bq, limit, 0, false)
	req.Fields = []string{fLibrary, fPath, fName}
	sr, err := shards.search(ctx, req, nil)
	if err != nil {
		return nil, fmt.Errorf("bleve: suggest: %w", err)
	}
	for _, h := range sr.Hits {
		out = append(out, search.Suggestion{Text: str(h.Fields[fName]), Library: str(h.Fields[fLibrary]), Path: str(h.Fields[fPath])})
	}
	return out, nil
}

func str(v interface{}) string {
	s, _ := v.(string)
	return s
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func htmlEscape(s string) string { return htmlEscaper.Replace(s) }
