package bleve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/kazhq/kaz/search"
)

// legacyShard writes, under dir, the shard of lib as Kaz wrote it before
// format 2: content, name and meta indexed as separate fields, no fMatch,
// no format file.
func legacyShard(t *testing.T, dir, lib string, docs ...search.Document) string {
	t.Helper()
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	props := m.DefaultMapping.Properties
	delete(props, fMatch)
	props[fContent].Fields[0].Index = true
	p := filepath.Join(dir, shardDir(lib))
	if err := os.MkdirAll(p, 0o700); err != nil {
		t.Fatal(err)
	}
	idx, err := bleve.NewUsing(filepath.Join(p, "index"), m, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, shardConfig())
	if err != nil {
		t.Fatal(err)
	}
	b := idx.NewBatch()
	for i := range docs {
		f := docFields(&docs[i])
		delete(f, fMatch)
		if err := b.Index(docs[i].ID(), f); err != nil {
			t.Fatal(err)
		}
	}
	if err := idx.Batch(b); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "library"), []byte(lib), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func legacyDocs() []search.Document {
	mod := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return []search.Document{
		{Library: "rh", Path: "/Chartes/Charte_Télétravail_v3.docx", Name: "Charte_Télétravail_v3.docx", Title: "Charte du télétravail",
			Author: "Camille Martin", Type: "docx", Size: 4242, Modified: mod,
			Content: "La présente charte encadre le télétravail des agents. Les télétravailleurs disposent d'un équipement fourni."},
		{Library: "rh", Path: "/Notes/réunion.txt", Name: "réunion.txt", Type: "txt", Size: 10, Modified: mod,
			Content: "Compte rendu des réunions de service."},
	}
}

// checkUpgraded checks that the engine in dir serves the legacy documents
// with every stored field intact, from a shard in the current format.
// indexedDir returns a folder holding a closed index of legacyDocs.
func indexedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	e, err := Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(t.Context(), &search.Batch{Put: legacyDocs()}); err != nil {
		t.Fatal(err)
	}
	e.Close()
	return dir
}

func checkUpgraded(t *testing.T, dir string) {
	t.Helper()
	e, err := Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p := filepath.Join(dir, shardDir("rh"))
	if v, err := shardFormat(p); err != nil || v != formatVersion {
		t.Fatalf("shard format after Open = %d, %v; want %d", v, err, formatVersion)
	}
	res, err := e.Search(t.Context(), search.Query{Text: "teletravail charte", Libraries: []string{"rh"}})
	if err != nil {
		t.Fatal(err)
	}
	want := legacyDocs()[0]
	if len(res.Hits) != 1 || res.Total != 1 {
		t.Fatalf("hits = %+v (total %d), want the charter", res.Hits, res.Total)
	}
	h := res.Hits[0]
	if h.Library != want.Library || h.Path != want.Path || h.Name != want.Name || h.Author != want.Author ||
		h.Type != want.Type || h.Size != want.Size || !h.Modified.Equal(want.Modified) {
		t.Errorf("hit = %+v, want the fields of %+v", h, want)
	}
	if !strings.Contains(h.Snippet, "<mark>télétravail</mark>") {
		t.Errorf("snippet = %q, want the word marked", h.Snippet)
	}
	// Stemming, and the title searched through the new match field.
	for q, path := range map[string]string{"reunion": "/Notes/réunion.txt", "Martin": want.Path} {
		res, err := e.Search(t.Context(), search.Query{Text: q, Libraries: []string{"rh"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != 1 || res.Hits[0].Path != path {
			t.Errorf("%q found %v, want %s", q, hitPaths(res), path)
		}
	}
	st, err := e.Stats(t.Context())
	if err != nil || st.Documents != 2 {
		t.Errorf("stats = %+v, %v; want 2 documents", st, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, ent := range entries {
		if strings.HasSuffix(ent.Name(), oldSuffix) || strings.HasSuffix(ent.Name(), rebuildSuffix) {
			t.Errorf("left over after the upgrade: %s", ent.Name())
		}
	}
}

func TestOpenUpgradesAnOldFormatShardFromItsStoredFields(t *testing.T) {
	dir := t.TempDir()
	legacyShard(t, dir, "rh", legacyDocs()...)
	// The legacy shard cannot answer the new query: it must be rebuilt.
	checkUpgraded(t, dir)
	// A second start finds the current format and keeps the shard.
	before, err := os.ReadDir(filepath.Join(dir, shardDir("rh"), "index"))
	if err != nil {
		t.Fatal(err)
	}
	checkUpgraded(t, dir)
	after, err := os.ReadDir(filepath.Join(dir, shardDir("rh"), "index"))
	if err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 || len(before) != len(after) {
		t.Errorf("index files %d then %d: the shard was rebuilt again", len(before), len(after))
	}
}

func TestOpenFinishesAnUpgradeACrashInterrupted(t *testing.T) {
	t.Run("before the swap", func(t *testing.T) {
		// The old shard renamed away, the new one not yet in place.
		dir := t.TempDir()
		p := legacyShard(t, dir, "rh", legacyDocs()...)
		if err := os.Rename(p, p+oldSuffix); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(p+rebuildSuffix, "index"), 0o700); err != nil {
			t.Fatal(err)
		}
		checkUpgraded(t, dir)
	})
	t.Run("while rebuilding", func(t *testing.T) {
		dir := t.TempDir()
		p := legacyShard(t, dir, "rh", legacyDocs()...)
		if err := os.MkdirAll(filepath.Join(p+rebuildSuffix, "index"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p+rebuildSuffix, "library"), []byte("rh"), 0o600); err != nil {
			t.Fatal(err)
		}
		checkUpgraded(t, dir)
	})
	t.Run("after the swap", func(t *testing.T) {
		// The new shard in place, the old one not yet removed.
		dir := indexedDir(t)
		p := filepath.Join(dir, shardDir("rh"))
		if err := os.MkdirAll(p+oldSuffix, 0o700); err != nil {
			t.Fatal(err)
		}
		checkUpgraded(t, dir)
	})
}

func TestOpenRefusesANewerFormat(t *testing.T) {
	dir := indexedDir(t)
	if err := os.WriteFile(filepath.Join(dir, shardDir("rh"), formatFile), []byte("99\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if e, err := Open(t.Context(), dir, nil); err == nil {
		e.Close()
		t.Fatal("Open accepted a shard of a newer format")
	}
}

func TestNewShardsRecordTheCurrentFormat(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Apply(t.Context(), &search.Batch{Put: legacyDocs()}); err != nil {
		t.Fatal(err)
	}
	if v, err := shardFormat(filepath.Join(dir, shardDir("rh"))); err != nil || v != formatVersion {
		t.Fatalf("format = %d, %v; want %d", v, err, formatVersion)
	}
}
