package search_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/search/bleve"
	"github.com/kazhq/kaz/search/extract/extracttest"
)

type rig struct {
	t   *testing.T
	dir string
	db  *sqldb.DB
	src *memSource
	eng *bleve.Engine
	idx search.Index
	ix  *search.Indexer
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir(), src: newMemSource()}
	db, err := sqldb.OpenSQLite(t.Context(), filepath.Join(r.dir, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r.db = db
	r.open(nil)
	return r
}

// open (re)opens the engine and the indexer, as a restart does.
func (r *rig) open(wrap func(search.Index) search.Index) {
	r.t.Helper()
	if r.eng != nil {
		r.eng.Close()
	}
	eng, err := bleve.Open(r.t.Context(), filepath.Join(r.dir, "index"), nil)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { eng.Close() })
	r.eng = eng
	r.idx = eng
	if wrap != nil {
		r.idx = wrap(eng)
	}
	r.ix, err = search.NewIndexer(r.t.Context(), r.db, r.idx, r.src, "bleve:test", search.Config{}, nil)
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) drain() {
	r.t.Helper()
	for range 100 {
		n, err := r.ix.RunOnce(r.t.Context())
		if err != nil {
			r.t.Fatalf("RunOnce: %v", err)
		}
		if n == 0 {
			return
		}
	}
	r.t.Fatal("the outbox never drained")
}

func (r *rig) find(q string, libs ...string) []string {
	r.t.Helper()
	if len(libs) == 0 {
		libs = []string{"rh", "public"}
	}
	res, err := r.idx.Search(r.t.Context(), search.Query{Text: q, Libraries: libs, Limit: 100})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Library+":"+h.Path)
	}
	slices.Sort(out)
	return out
}

func (r *rig) want(q string, want ...string) {
	r.t.Helper()
	got := r.find(q)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		r.t.Errorf("search %q = %q, want %q", q, got, want)
	}
}

func TestIndexerFollowsEveryKindOfChange(t *testing.T) {
	r := newRig(t)
	s := r.src
	s.Put("rh", "/Chartes/Charte_Télétravail_v3.docx", extracttest.DOCX("Charte", "Élodie", "Les télétravailleurs signent la charte."))
	s.Put("rh", "/Chartes/annexe.odt", extracttest.ODT("Annexe", "Paul", "Annexe sur les horaires variables."))
	s.Put("public", "/note.txt", []byte("Note publique sur la cantine."))
	r.drain()
	r.want("teletravail charte", "rh:/Chartes/Charte_Télétravail_v3.docx")
	r.want("horaires", "rh:/Chartes/annexe.odt")

	// Overwrite.
	s.Put("public", "/note.txt", []byte("Note publique sur le parking."))
	r.drain()
	r.want("cantine")
	r.want("parking", "public:/note.txt")

	// Rename a file, then a folder.
	s.Move("rh", "/Chartes/annexe.odt", "/Chartes/annexe-2026.odt")
	r.drain()
	r.want("horaires", "rh:/Chartes/annexe-2026.odt")
	s.Move("rh", "/Chartes", "/Textes")
	r.drain()
	r.want("horaires", "rh:/Textes/annexe-2026.odt")
	r.want("teletravailleurs", "rh:/Textes/Charte_Télétravail_v3.docx")

	// Delete a file and a folder, in one batch with a create.
	s.Delete("public", "/note.txt")
	s.Delete("rh", "/Textes")
	s.Put("rh", "/Textes/nouveau.txt", []byte("Nouveau texte sur les horaires."))
	r.drain()
	r.want("parking")
	r.want("teletravailleurs")
	r.want("horaires", "rh:/Textes/nouveau.txt")

	// A file created then deleted within one batch is not indexed.
	s.Put("public", "/ephemere.txt", []byte("éphémère"))
	s.Delete("public", "/ephemere.txt")
	r.drain()
	r.want("ephemere")

	// A library deleted disappears whole.
	s.DropLibrary("rh")
	r.drain()
	r.want("horaires")
}

// flaky fails Apply while fail is set, like a crash before the batch
// became durable.
type flaky struct {
	search.Index
	fail atomic.Bool
}

func (f *flaky) Apply(ctx context.Context, b *search.Batch) error {
	if f.fail.Load() {
		return errors.New("disk full")
	}
	return f.Index.Apply(ctx, b)
}

func TestIndexerLosesNoChangeAcrossFailureAndRestart(t *testing.T) {
	r := newRig(t)
	var fl *flaky
	r.open(func(i search.Index) search.Index { fl = &flaky{Index: i}; return fl })
	r.src.Put("public", "/a.txt", []byte("premier document budgétaire"))
	r.drain()
	cur, _ := r.ix.Cursor(t.Context())
	fl.fail.Store(true)
	r.src.Put("public", "/b.txt", []byte("second document budgétaire"))
	if _, err := r.ix.RunOnce(t.Context()); err == nil {
		t.Fatal("RunOnce succeeded on a failing index")
	}
	if after, _ := r.ix.Cursor(t.Context()); after != cur {
		t.Fatalf("cursor moved from %d to %d although the batch failed", cur, after)
	}
	// Restart with changes still in the outbox.
	r.src.Put("public", "/c.txt", []byte("troisième document budgétaire"))
	r.open(nil)
	r.drain()
	r.want("budget", "public:/a.txt", "public:/b.txt", "public:/c.txt")
	if after, _ := r.ix.Cursor(t.Context()); after != 3 {
		t.Errorf("cursor = %d, want 3", after)
	}
}

func bombDOCX() []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("word/document.xml")
	w.Write([]byte("<w:document><w:body><w:p><w:r><w:t>"))
	w.Write(bytes.Repeat([]byte("a"), 8<<20))
	zw.Close()
	return b.Bytes()
}

func TestUnreadableDocumentIsFindableByNameAndRecorded(t *testing.T) {
	r := newRig(t)
	cfg := search.Config{}
	cfg.Limits.MaxInflated = 1 << 20
	var err error
	r.ix, err = search.NewIndexer(t.Context(), r.db, r.idx, r.src, "bleve:test", cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.src.Put("public", "/Rapport_Annuel.docx", bombDOCX())
	r.src.Put("public", "/illisible.txt", []byte("contenu"))
	r.src.failOpen["/illisible.txt"] = true
	r.drain()
	r.want("rapport annuel", "public:/Rapport_Annuel.docx")
	r.want("illisible", "public:/illisible.txt")
	fails, total, err := r.ix.Failures(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(fails) != 2 {
		t.Fatalf("failures = %+v", fails)
	}
	for _, f := range fails {
		if f.Path == "/Rapport_Annuel.docx" && !strings.Contains(f.Reason, "zip") {
			t.Errorf("reason = %q", f.Reason)
		}
	}
	st, err := r.ix.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Failures != 2 || st.Pending != 0 || st.Documents != 2 || st.Cursor != 2 {
		t.Errorf("status = %+v", st)
	}
	// A readable new version clears the failure.
	r.src.Put("public", "/Rapport_Annuel.docx", extracttest.DOCX("Rapport", "A", "Bilan de l'année."))
	r.drain()
	r.want("bilan", "public:/Rapport_Annuel.docx")
	if _, total, _ := r.ix.Failures(t.Context(), 10); total != 1 {
		t.Errorf("failures after fix = %d, want 1", total)
	}
}

func TestRunIndexesAWriteWithinASecond(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.ix.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	r.src.Put("public", "/frais.txt", []byte("Note de frais kilométriques."))
	r.ix.Notify()
	deadline := time.Now().Add(10 * time.Second)
	for len(r.find("kilometriques")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("document never became searchable")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReindexRebuildsFromTheSource(t *testing.T) {
	r := newRig(t)
	for i, c := range []string{"alpha budget", "beta budget", "gamma budget"} {
		r.src.Put("public", "/d"+string(rune('0'+i))+".txt", []byte(c))
	}
	r.src.Put("rh", "/r.txt", []byte("delta budget"))
	// Reindex without following the outbox first: the walk finds all.
	var calls [][2]int
	if err := r.ix.Reindex(t.Context(), "", func(d, n int) { calls = append(calls, [2]int{d, n}) }); err != nil {
		t.Fatal(err)
	}
	r.want("budget", "public:/d0.txt", "public:/d1.txt", "public:/d2.txt", "rh:/r.txt")
	if len(calls) < 2 || calls[len(calls)-1] != [2]int{4, 4} {
		t.Errorf("progress calls = %v", calls)
	}
	if cur, _ := r.ix.Cursor(t.Context()); cur != 4 {
		t.Errorf("cursor after full reindex = %d, want 4", cur)
	}
	// One library only.
	r.src.mu.Lock()
	delete(r.src.files["rh"], "/r.txt")
	r.src.mu.Unlock()
	if err := r.ix.Reindex(t.Context(), "rh", nil); err != nil {
		t.Fatal(err)
	}
	r.want("budget", "public:/d0.txt", "public:/d1.txt", "public:/d2.txt")
}

func TestLargeFolderMoveIsIndexedInChunks(t *testing.T) {
	r := newRig(t)
	var err error
	r.ix, err = search.NewIndexer(t.Context(), r.db, r.idx, r.src, "bleve:test", search.Config{BatchSize: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 10 {
		r.src.Put("public", fmt.Sprintf("/vieux/doc%d.txt", i), []byte("archive municipale"))
		want = append(want, fmt.Sprintf("public:/neuf/doc%d.txt", i))
	}
	r.drain()
	r.src.Move("public", "/vieux", "/neuf")
	r.drain()
	r.want("archive municipale", want...)
}

// piped is an Index that starts batches (search.Starter) and watches the
// indexer: how many batches are in flight at once, and whether the
// cursor ever names a change whose document has not landed.
type piped struct {
	*bleve.Engine
	r                 *rig
	inFlight, maxSeen atomic.Int32
	landed            atomic.Int64 // documents whose batch ended
	failAt            atomic.Int32 // the number of the batch to fail (once), 0: none
	started           atomic.Int32
	bad               atomic.Value // string: the invariant broken
}

// check records a cursor naming changes not yet landed: each change of
// the test puts one new document, so the cursor at c needs c documents.
func (p *piped) check(ctx context.Context) {
	if c, err := p.r.ix.Cursor(context.WithoutCancel(ctx)); err == nil && c > p.landed.Load() {
		p.bad.Store(fmt.Sprintf("cursor at %d with %d documents landed", c, p.landed.Load()))
	}
}

func (p *piped) Start(ctx context.Context, b *search.Batch) func() error {
	p.check(ctx)
	n := p.started.Add(1)
	if v := p.inFlight.Add(1); v > p.maxSeen.Load() {
		p.maxSeen.Store(v)
	}
	wait := p.Engine.Start(ctx, b)
	return func() error {
		p.check(ctx)
		err := wait()
		if err == nil && p.failAt.CompareAndSwap(n, 0) {
			err = errors.New("disk full")
		}
		if err == nil {
			p.landed.Add(int64(len(b.Put)))
		}
		p.inFlight.Add(-1)
		return err
	}
}

// With changes waiting, Run reads and extracts the next batch while the
// engine writes the current one; the cursor only ever names changes
// whose batch has landed, also when a batch in flight fails.
func TestRunWritesOneBatchWhileReadingTheNext(t *testing.T) {
	r := newRig(t)
	var p *piped
	r.open(func(i search.Index) search.Index { p = &piped{Engine: i.(*bleve.Engine), r: r}; return p })
	var err error
	r.ix, err = search.NewIndexer(t.Context(), r.db, r.idx, r.src, "bleve:test", search.Config{BatchSize: 4, PollInterval: 50 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	var want []string
	for i := range n {
		r.src.Put("public", fmt.Sprintf("/lot/d%02d.txt", i), []byte("procès-verbal du conseil"))
		want = append(want, fmt.Sprintf("public:/lot/d%02d.txt", i))
	}
	p.failAt.Store(5) // a batch in the middle fails once
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.ix.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, _ := r.ix.Cursor(t.Context()); c == n {
			break
		}
		if time.Now().After(deadline) {
			c, _ := r.ix.Cursor(t.Context())
			t.Fatalf("cursor at %d after 30 s, want %d", c, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if bad, _ := p.bad.Load().(string); bad != "" {
		t.Fatal(bad)
	}
	if p.failAt.Load() != 0 {
		t.Fatal("the batch meant to fail never ran")
	}
	if m := p.maxSeen.Load(); m < 2 {
		t.Errorf("at most %d batch in flight: the next batch was never read while one was written", m)
	}
	if m := p.maxSeen.Load(); m > 2 {
		t.Errorf("%d batches in flight, want at most 2 (memory stays bounded)", m)
	}
	r.want("proces verbal conseil", want...)
}
