package bleve

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/kazhq/kaz/search"
)

// fastCorpus indexes, in several batches (several segments per shard),
// documents of random lengths over a small vocabulary, some words in
// names and titles, then overwrites and deletes some (deleted postings in
// older segments).
func fastCorpus(t *testing.T) *Engine {
	t.Helper()
	e := openTest(t)
	words := strings.Fields("fichier option commande utilisateur valeur défaut système réseau service agent budget charte note rapport réunion projet")
	r := rand.New(rand.NewPCG(7, 11))
	doc := func(i int) search.Document {
		n := 5 + r.IntN(120)
		var b strings.Builder
		for range n {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		name := fmt.Sprintf("doc-%04d.txt", i)
		if r.IntN(8) == 0 {
			name = words[r.IntN(len(words))] + "-" + name
		}
		d := textDoc([]string{"a", "b", "c"}[i%3], fmt.Sprintf("/d/%04d", i), b.String())
		d.Name = name
		if r.IntN(6) == 0 {
			d.Title = words[r.IntN(len(words))] + " " + words[r.IntN(len(words))]
		}
		// Facet values: 4 types, 25 authors (more than a facet shows),
		// dates over two years back from now, some missing.
		d.Type = []string{"txt", "pdf", "docx", "odt"}[r.IntN(4)]
		if r.IntN(10) > 0 {
			d.Author = fmt.Sprintf("agent%02d", r.IntN(25))
		}
		d.Modified = time.Now().UTC().Add(-time.Duration(r.IntN(2*365*24)) * time.Hour)
		return d
	}
	var all []search.Document
	for batch := range 6 {
		var docs []search.Document
		for i := range 150 {
			docs = append(docs, doc(batch*150+i))
		}
		all = append(all, docs...)
		if err := e.Apply(t.Context(), &search.Batch{Put: docs}); err != nil {
			t.Fatal(err)
		}
	}
	var upd []search.Document
	var del []search.Ref
	for i := 0; i < len(all); i += 7 {
		upd = append(upd, doc(i)) // new text, same path
		d := all[i+3]
		del = append(del, search.Ref{Library: d.Library, Path: d.Path})
	}
	if err := e.Apply(t.Context(), &search.Batch{Put: upd, Delete: del}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestFastPathRanksAsBleve(t *testing.T) {
	e := fastCorpus(t)
	ctx := t.Context()
	libs := []string{"a", "b", "c"}
	for _, text := range []string{
		"fichier ", "option ", "budget ", "fichier option ", "commande utilisateur ", "valeur défaut système ",
		"charte réunion ", "note rapport projet agent ", "absentword ", "fichier absentword ",
	} {
		for _, scope := range [][]string{libs, {"b"}} {
			for _, page := range []struct{ from, size int }{{0, 10}, {10, 10}, {0, 100}} {
				q := search.Query{Text: text, Libraries: scope}
				bq := e.buildQuery(&q, search.Parse(text), nil, false, false, e.searchSet(scope).extensions(ctx))
				plan := planFast(bq)
				if plan == nil {
					t.Fatalf("%q: no fast plan for %#v", text, bq)
				}
				shards := e.searchSet(scope)
				req := bleve.NewSearchRequestOptions(bq, page.size, page.from, false)
				fast, err := shards.search(ctx, req, plan)
				if err != nil {
					t.Fatal(err)
				}
				slow, err := shards.search(ctx, req, nil)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%q in %v, page %v", text, scope, page)
				if fast.Total != slow.Total || len(fast.Hits) != len(slow.Hits) {
					t.Fatalf("%s: fast path %d hits of %d, Bleve %d of %d", name, len(fast.Hits), fast.Total, len(slow.Hits), slow.Total)
				}
				if text == "absentword " || text == "fichier absentword " {
					if fast.Total != 0 {
						t.Errorf("%s: %d hits for an absent word", name, fast.Total)
					}
					continue
				}
				if fast.Total == 0 {
					t.Fatalf("%s: nothing found", name)
				}
				var cut float64
				for i := range fast.Hits {
					f, s := fast.Hits[i].Score, slow.Hits[i].Score
					if math.Abs(f-s) > 1e-9*math.Abs(s) {
						t.Fatalf("%s: hit %d score %v (fast) against %v (Bleve)", name, i, f, s)
					}
					cut = s
				}
				// The same documents, except where tied scores straddle the
				// page's ends (Bleve orders ties by its heap).
				above := func(sr *bleve.SearchResult) []string {
					var ids []string
					for _, h := range sr.Hits {
						if h.Score > cut*(1+1e-9) && (page.from == 0 || h.Score < sr.Hits[0].Score*(1-1e-9)) {
							ids = append(ids, h.ID)
						}
					}
					slices.Sort(ids)
					return ids
				}
				if a, b := above(fast), above(slow); !slices.Equal(a, b) {
					t.Errorf("%s: fast path found %v, Bleve %v", name, a, b)
				}
			}
		}
	}
}

func TestFastPathOnlyForPlainRelevanceQueries(t *testing.T) {
	e := fastCorpus(t)
	ctx := t.Context()
	for _, c := range []struct {
		q    search.Query
		fast bool
	}{
		{search.Query{Text: "fichier option "}, true},
		{search.Query{Text: "fichier -option "}, false},                 // exclusion
		{search.Query{Text: "fich"}, false},                             // typed prefix
		{search.Query{Text: `"fichier option"`}, false},                 // phrase
		{search.Query{Text: "fichier ", Types: []string{"txt"}}, false}, // filter
		{search.Query{Text: ""}, false},
	} {
		c.q.Libraries = []string{"a", "b", "c"}
		p := search.Parse(c.q.Text)
		phrases, err := e.phrases(ctx, p, c.q.Libraries)
		if err != nil {
			t.Fatal(err)
		}
		bq := e.buildQuery(&c.q, p, phrases, false, false, e.searchSet(c.q.Libraries).extensions(ctx))
		if got := bq != nil && planFast(bq) != nil; got != c.fast {
			t.Errorf("%+v: fast path %v, want %v", c.q, got, c.fast)
		}
	}
}

func TestFastPathResultsMatchBleveThroughSearch(t *testing.T) {
	e := fastCorpus(t)
	for _, text := range []string{"fichier option ", "budget ", "commande utilisateur "} {
		q := search.Query{Text: text, Libraries: []string{"a", "b", "c"}, Limit: 7}
		var pages [2][]string
		var marked [2]int // snippets with a mark (not those matched by name only)
		for i, noFast := range []bool{false, true} {
			e.noFastPath = noFast
			cur := ""
			for range 4 {
				q.Cursor = cur
				res, err := e.Search(t.Context(), q)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range res.Hits {
					if strings.Contains(h.Snippet, "<mark>") {
						marked[i]++
					}
					pages[i] = append(pages[i], h.Path)
				}
				if cur = res.Next; cur == "" {
					break
				}
			}
		}
		e.noFastPath = false
		if len(pages[0]) != 28 || len(pages[1]) != 28 {
			t.Fatalf("%q: %d and %d hits over 4 pages, want 28", text, len(pages[0]), len(pages[1]))
		}
		if marked[0] != marked[1] || marked[0] < 20 {
			t.Errorf("%q: %d and %d of 28 snippets marked", text, marked[0], marked[1])
		}
		if !slices.Equal(pages[0], pages[1]) {
			// Only tied scores may come in another order.
			a, b := slices.Sorted(slices.Values(pages[0])), slices.Sorted(slices.Values(pages[1]))
			if !slices.Equal(a, b) {
				t.Logf("%q: pages differ (ties at the end?):\n fast  %v\n Bleve %v", text, pages[0], pages[1])
			}
		}
		if len(dedupeStrings(pages[0])) != len(pages[0]) {
			t.Errorf("%q: the fast path repeats hits across pages: %v", text, pages[0])
		}
	}
}

func TestFastPathFacetsAsBleve(t *testing.T) {
	e := fastCorpus(t)
	for _, text := range []string{"fichier option ", "budget ", "commande utilisateur ", "valeur défaut système "} {
		for _, scope := range [][]string{{"a", "b", "c"}, {"c"}} {
			for _, q := range []search.Query{
				{Text: text, Libraries: scope, Facets: true},
				{Text: text, Libraries: scope, Facets: true, Limit: 5, Library: scope[:1]},
			} {
				var res [2]*search.Result
				for i, noFast := range []bool{false, true} {
					e.noFastPath = noFast
					r, err := e.Search(t.Context(), q)
					if err != nil {
						t.Fatal(err)
					}
					res[i] = r
				}
				e.noFastPath = false
				if res[0].Total == 0 || res[0].Total != res[1].Total {
					t.Fatalf("%q in %v: totals %d (fast) and %d (Bleve)", text, scope, res[0].Total, res[1].Total)
				}
				if !reflect.DeepEqual(res[0].Facets, res[1].Facets) {
					t.Errorf("%q in %v: facets\n fast  %v\n Bleve %v", text, scope, res[0].Facets, res[1].Facets)
				}
				if n := len(res[0].Facets[search.FacetAuthor]); n != 20 {
					t.Errorf("%q in %v: %d authors in the facet, want 20 of 25", text, scope, n)
				}
				if len(res[0].Facets[search.FacetModified]) < 2 || len(res[0].Facets[search.FacetType]) != 4 {
					t.Errorf("%q in %v: facets %v, want dates and 4 types", text, scope, res[0].Facets)
				}
			}
		}
	}
}
