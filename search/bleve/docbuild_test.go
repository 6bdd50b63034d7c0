package bleve

import (
	"slices"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/numeric"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/kazhq/kaz/search"
)

// The document Kaz builds holds the fields the mapping makes, with the
// same values and options, the same terms and counts for every field but
// the date, and the date's exact value as its one term.
func TestDocumentMatchesTheMapping(t *testing.T) {
	e := openTest(t)
	d := &search.Document{
		Library: "rh", Path: "/Notes/Charte_Télétravail_v3.odt", Name: "Charte_Télétravail_v3.odt",
		Title: "Charte du télétravail", Author: "Élodie Martin", Type: "odt", Size: 1234,
		Modified: time.Date(2026, 11, 27, 10, 30, 0, 123456789, time.UTC),
		Content:  "La présente charte encadre le télétravail des agents. Les télétravailleurs l'acceptent — 日本語 aussi.",
	}
	got, err := e.document(d.ID(), d)
	if err != nil {
		t.Fatal(err)
	}
	want := document.NewDocument(d.ID())
	if err := e.mapping.MapDocument(want, docFields(d)); err != nil {
		t.Fatal(err)
	}
	if len(got.CompositeFields) != 0 {
		t.Errorf("composite fields %d, want none", len(got.CompositeFields))
	}
	if len(got.Fields) != len(want.Fields) {
		t.Fatalf("%d fields, the mapping makes %d", len(got.Fields), len(want.Fields))
	}
	// Fields come in the order of a map: compare them by name (a list,
	// the folders, keeps its order).
	byName := map[string][]index.Field{}
	for _, g := range got.Fields {
		byName[g.Name()] = append(byName[g.Name()], g)
	}
	dates := 0
	for i, w := range want.Fields {
		if len(byName[w.Name()]) == 0 {
			t.Fatalf("field %s missing", w.Name())
		}
		g := byName[w.Name()][0]
		byName[w.Name()] = byName[w.Name()][1:]
		if g.Name() != w.Name() || string(g.Value()) != string(w.Value()) || g.Options() != w.Options() || g.EncodedFieldType() != w.EncodedFieldType() {
			t.Fatalf("field %d: %s %q %v, mapping %s %q %v", i, g.Name(), g.Value(), g.Options(), w.Name(), w.Value(), w.Options())
		}
		if !w.Options().IsIndexed() {
			continue
		}
		g.Analyze()
		w.Analyze()
		if _, ok := w.(*document.DateTimeField); ok {
			dates++
			term := string(numeric.MustNewPrefixCodedInt64(d.Modified.UnixNano(), 0))
			if len(g.AnalyzedTokenFrequencies()) != 1 || g.AnalyzedTokenFrequencies()[term] == nil || w.AnalyzedTokenFrequencies()[term] == nil {
				t.Errorf("date terms %s, want only the exact value (one of the mapping's %d)", describeFreqs(g.AnalyzedTokenFrequencies()), len(w.AnalyzedTokenFrequencies()))
			}
			continue
		}
		if g.AnalyzedLength() != w.AnalyzedLength() || !sameFrequencies(g.AnalyzedTokenFrequencies(), w.AnalyzedTokenFrequencies()) {
			t.Errorf("field %s: %d %s, mapping %d %s", g.Name(), g.AnalyzedLength(), describeFreqs(g.AnalyzedTokenFrequencies()), w.AnalyzedLength(), describeFreqs(w.AnalyzedTokenFrequencies()))
		}
	}
	if dates != 1 {
		t.Errorf("%d date fields, want 1", dates)
	}
}

// The date filter reads the exact value: both bounds are inclusive to the
// nanosecond, with or without words, and shards written before (the date
// indexed by Bleve's mapping, sixteen terms) filter the same.
func TestDateFilterIsExactAtItsBounds(t *testing.T) {
	base := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	docs := func(lib string) []search.Document {
		var out []search.Document
		for name, at := range map[string]time.Time{"avant": base.Add(-time.Nanosecond), "pile": base, "apres": base.Add(time.Nanosecond), "lendemain": base.Add(24 * time.Hour)} {
			out = append(out, search.Document{Library: lib, Path: "/" + name + ".txt", Name: name + ".txt", Type: "txt", Modified: at, Content: "rapport " + name})
		}
		return out
	}
	e := openTest(t)
	if err := e.Apply(t.Context(), &search.Batch{Put: docs("neuve")}); err != nil {
		t.Fatal(err)
	}
	// "ancienne" is written as before docbuild.go: through the mapping.
	idx, err := e.shard("ancienne", true)
	if err != nil {
		t.Fatal(err)
	}
	b := idx.NewBatch()
	for _, d := range docs("ancienne") {
		if err := b.Index(d.ID(), docFields(&d)); err != nil {
			t.Fatal(err)
		}
	}
	if err := idx.Batch(b); err != nil {
		t.Fatal(err)
	}
	for _, lib := range []string{"neuve", "ancienne"} {
		for _, c := range []struct {
			text          string
			after, before time.Time
			want          []string
		}{
			{"", base, time.Time{}, []string{"/apres.txt", "/lendemain.txt", "/pile.txt"}},
			{"", time.Time{}, base, []string{"/avant.txt", "/pile.txt"}},
			{"", base, base, []string{"/pile.txt"}},
			{"rapport", base.Add(time.Nanosecond), base.Add(time.Hour), []string{"/apres.txt"}},
			{"lendemain", time.Time{}, base, nil},
			{"", base.Add(48 * time.Hour), time.Time{}, nil},
		} {
			res, err := e.Search(t.Context(), search.Query{Text: c.text, Libraries: []string{lib}, ModifiedAfter: c.after, ModifiedBefore: c.before, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.Path)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) || res.Total != uint64(len(c.want)) {
				t.Errorf("%s: %q after %v before %v: %q (total %d), want %q", lib, c.text, c.after, c.before, got, res.Total, c.want)
			}
		}
	}
}
