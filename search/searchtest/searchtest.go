// Package searchtest is the conformance suite every search.Index engine
// passes: French accents and stemming, typos, phrases, prefixes, filters,
// paging, deletes, renames and permission trimming.
package searchtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kazhq/kaz/search"
)

// NewIndex returns an empty index for one test; the suite closes it.
type NewIndex func(t *testing.T) search.Index

var base = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func doc(lib, p, author string, age time.Duration, content string) search.Document {
	name := p[strings.LastIndex(p, "/")+1:]
	return search.Document{
		Library: lib, Path: p, Name: name, Author: author, Type: search.TypeOf(name),
		Size: int64(len(content)), Modified: time.Now().Add(-age).UTC().Truncate(time.Second), Content: content,
	}
}

// corpus is indexed before most tests.
func corpus() []search.Document {
	return []search.Document{
		doc("rh", "/Chartes/Charte_Télétravail_v3.docx", "Élodie Martin", time.Hour,
			"La présente charte encadre le télétravail des agents. Les télétravailleurs disposent d'un équipement fourni."),
		doc("rh", "/Notes/réunion-équipe.odt", "Paul Durand", 10*24*time.Hour,
			"Compte rendu des réunions d'équipe : budget prévisionnel et calendrier des congés."),
		doc("public", "/Guides/guide-accueil.pdf", "Paul Durand", 40*24*time.Hour,
			"Guide d'accueil des nouveaux arrivants : badge, parking, restauration collective."),
		doc("public", "/Guides/procédure.txt", "Élodie Martin", 2*time.Hour,
			"Télétravail du service : la procédure de demande passe par le formulaire en ligne."),
		doc("direction", "/Confidentiel/plan-social.docx", "Direction", time.Hour,
			"Plan confidentiel : réorganisation et télétravail des cadres."),
		doc("public", "/Divers/ordre.txt", "Paul Durand", 3*time.Hour,
			"Du télétravail, la charte est en cours de rédaction."),
		doc("public", "/Divers/xss.html", "Paul Durand", 3*time.Hour,
			"Attention <script>alert('x')</script> la charte & le budget."),
	}
}

func put(t *testing.T, idx search.Index, docs ...search.Document) {
	t.Helper()
	if err := idx.Apply(t.Context(), &search.Batch{Put: docs}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func find(t *testing.T, idx search.Index, q search.Query) *search.Result {
	t.Helper()
	if q.Libraries == nil {
		q.Libraries = []string{"rh", "public", "direction"}
	}
	res, err := idx.Search(t.Context(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

func paths(res *search.Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Library+":"+h.Path)
	}
	slices.Sort(out)
	return out
}

func wantPaths(t *testing.T, res *search.Result, want ...string) {
	t.Helper()
	slices.Sort(want)
	got := paths(res)
	if !slices.Equal(got, want) {
		t.Errorf("hits = %q, want %q", got, want)
	}
}

// Run runs the conformance suite on indexes made by newIndex.
func Run(t *testing.T, newIndex NewIndex) {
	open := func(t *testing.T) search.Index {
		idx := newIndex(t)
		t.Cleanup(func() { idx.Close() })
		put(t, idx, corpus()...)
		return idx
	}
	const charte = "rh:/Chartes/Charte_Télétravail_v3.docx"
	t.Run("AccentsAndStems", func(t *testing.T) {
		idx := open(t)
		tests := []struct {
			q    string
			want []string
		}{
			{"teletravail charte", []string{charte, "public:/Divers/ordre.txt"}},
			{"teletravailleurs", []string{charte}},
			{"TÉLÉTRAVAILLEUR ", []string{charte}},
			{"reunion ", []string{"rh:/Notes/réunion-équipe.odt"}},
			{"congé ", []string{"rh:/Notes/réunion-équipe.odt"}},
			{"arrivant ", []string{"public:/Guides/guide-accueil.pdf"}},
		}
		for _, tt := range tests {
			res := find(t, idx, search.Query{Text: tt.q, Libraries: []string{"rh", "public"}})
			wantPaths(t, res, tt.want...)
		}
	})
	t.Run("TyposOnLongWords", func(t *testing.T) {
		idx := open(t)
		wantPaths(t, find(t, idx, search.Query{Text: "restauratoin ", Libraries: []string{"public"}}))
		wantPaths(t, find(t, idx, search.Query{Text: "parkinf ", Libraries: []string{"public"}}), "public:/Guides/guide-accueil.pdf")
		wantPaths(t, find(t, idx, search.Query{Text: "budgat ", Libraries: []string{"rh"}}), "rh:/Notes/réunion-équipe.odt")
		// Four letters: no typo allowed.
		wantPaths(t, find(t, idx, search.Query{Text: "bidge ", Libraries: []string{"public"}}), "public:/Guides/guide-accueil.pdf")
		wantPaths(t, find(t, idx, search.Query{Text: "pkan ", Libraries: []string{"direction"}}))
	})
	t.Run("Phrases", func(t *testing.T) {
		idx := open(t)
		wantPaths(t, find(t, idx, search.Query{Text: `"charte encadre le télétravail"`}), charte)
		wantPaths(t, find(t, idx, search.Query{Text: `"télétravail charte"`}))
	})
	t.Run("PrefixWhileTyping", func(t *testing.T) {
		idx := open(t)
		wantPaths(t, find(t, idx, search.Query{Text: "restau", Libraries: []string{"public"}}), "public:/Guides/guide-accueil.pdf")
		wantPaths(t, find(t, idx, search.Query{Text: "rest ", Libraries: []string{"public"}}))
		sugg, err := idx.Suggest(t.Context(), []string{"rh", "public"}, "charte_tél", 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(sugg) == 0 || sugg[0].Path != "/Chartes/Charte_Télétravail_v3.docx" || sugg[0].Text != "Charte_Télétravail_v3.docx" {
			t.Errorf("suggestions = %+v", sugg)
		}
		sugg, _ = idx.Suggest(t.Context(), []string{"public"}, "plan-so", 5)
		if len(sugg) != 0 {
			t.Errorf("suggestions leak another library: %+v", sugg)
		}
	})
	t.Run("Exclusion", func(t *testing.T) {
		idx := open(t)
		wantPaths(t, find(t, idx, search.Query{Text: "télétravail -charte", Libraries: []string{"public", "rh"}}), "public:/Guides/procédure.txt")
	})
	t.Run("HighlightEscapesHTML", func(t *testing.T) {
		idx := open(t)
		res := find(t, idx, search.Query{Text: "budget ", Libraries: []string{"public"}})
		if len(res.Hits) != 1 {
			t.Fatalf("hits %v", paths(res))
		}
		s := res.Hits[0].Snippet
		if !strings.Contains(s, "<mark>budget</mark>") || strings.Contains(s, "<script>") || !strings.Contains(s, "&lt;script&gt;") {
			t.Errorf("snippet = %q", s)
		}
		res = find(t, idx, search.Query{Text: "teletravailleurs", Libraries: []string{"rh"}})
		if len(res.Hits) != 1 || !strings.Contains(res.Hits[0].Snippet, "<mark>télétravailleurs</mark>") {
			t.Errorf("hits %+v", res.Hits)
		}
		h := res.Hits[0]
		if h.Name != "Charte_Télétravail_v3.docx" || h.Author != "Élodie Martin" || h.Type != "docx" || h.Size == 0 || h.Modified.IsZero() {
			t.Errorf("hit fields = %+v", h)
		}
	})
	t.Run("Filters", func(t *testing.T) {
		idx := open(t)
		all := []string{"rh", "public", "direction"}
		wantPaths(t, find(t, idx, search.Query{Text: "télétravail", Libraries: all, Types: []string{"txt"}}), "public:/Guides/procédure.txt", "public:/Divers/ordre.txt")
		wantPaths(t, find(t, idx, search.Query{Text: "télétravail", Libraries: all, Author: "Élodie Martin"}), charte, "public:/Guides/procédure.txt")
		wantPaths(t, find(t, idx, search.Query{Text: "télétravail", Libraries: all, Library: []string{"direction"}}), "direction:/Confidentiel/plan-social.docx")
		wantPaths(t, find(t, idx, search.Query{Libraries: all, ModifiedBefore: time.Now().Add(-5 * 24 * time.Hour)}), "rh:/Notes/réunion-équipe.odt", "public:/Guides/guide-accueil.pdf")
		wantPaths(t, find(t, idx, search.Query{Libraries: all, ModifiedAfter: time.Now().Add(-20 * 24 * time.Hour), ModifiedBefore: time.Now().Add(-5 * 24 * time.Hour)}), "rh:/Notes/réunion-équipe.odt")
		// A Library filter cannot widen the allowed libraries.
		wantPaths(t, find(t, idx, search.Query{Text: "télétravail", Libraries: []string{"public"}, Library: []string{"direction"}}))
	})
	t.Run("SortByModified", func(t *testing.T) {
		idx := open(t)
		res := find(t, idx, search.Query{Text: "télétravail", Libraries: []string{"rh", "public", "direction"}, Sort: search.SortModified})
		for i := 1; i < len(res.Hits); i++ {
			if res.Hits[i].Modified.After(res.Hits[i-1].Modified) {
				t.Errorf("hit %d (%s) newer than hit %d", i, res.Hits[i].Modified, i-1)
			}
		}
		if len(res.Hits) != 4 {
			t.Errorf("got %d hits, want 4", len(res.Hits))
		}
	})
	t.Run("Facets", func(t *testing.T) {
		idx := open(t)
		res := find(t, idx, search.Query{Text: "télétravail", Libraries: []string{"rh", "public"}, Facets: true})
		libs := map[string]int{}
		for _, f := range res.Facets[search.FacetLibrary] {
			libs[f.Value] = f.Count
		}
		if libs["rh"] != 1 || libs["public"] != 2 || len(libs) != 2 {
			t.Errorf("library facet = %v", res.Facets[search.FacetLibrary])
		}
		types := map[string]int{}
		for _, f := range res.Facets[search.FacetType] {
			types[f.Value] = f.Count
		}
		if types["txt"] != 2 || types["docx"] != 1 {
			t.Errorf("type facet = %v", res.Facets[search.FacetType])
		}
		mod := map[string]int{}
		for _, f := range res.Facets[search.FacetModified] {
			mod[f.Value] = f.Count
		}
		if mod["day"] != 3 || mod["year"] != 3 {
			t.Errorf("modified facet = %v", res.Facets[search.FacetModified])
		}
		authors := map[string]int{}
		for _, f := range res.Facets[search.FacetAuthor] {
			authors[f.Value] = f.Count
		}
		if authors["Élodie Martin"] != 2 || authors["Direction"] != 0 {
			t.Errorf("author facet = %v", res.Facets[search.FacetAuthor])
		}
	})
	t.Run("Paging", func(t *testing.T) {
		idx := newIndex(t)
		t.Cleanup(func() { idx.Close() })
		var docs []search.Document
		for i := range 25 {
			docs = append(docs, doc("public", fmt.Sprintf("/lot/note-%02d.txt", i), "A", time.Duration(i)*time.Minute, "note de service numéro "+fmt.Sprint(i)))
		}
		put(t, idx, docs...)
		seen := map[string]bool{}
		q := search.Query{Text: "service", Libraries: []string{"public"}, Limit: 10}
		for page := 0; ; page++ {
			if page > 5 {
				t.Fatal("too many pages")
			}
			res := find(t, idx, q)
			if res.Total != 25 {
				t.Errorf("total = %d, want 25", res.Total)
			}
			for _, h := range res.Hits {
				if seen[h.Path] {
					t.Errorf("%s seen twice", h.Path)
				}
				seen[h.Path] = true
			}
			if res.Next == "" {
				break
			}
			q.Cursor = res.Next
		}
		if len(seen) != 25 {
			t.Errorf("saw %d documents, want 25", len(seen))
		}
		other := search.Query{Text: "autre", Libraries: []string{"public"}, Cursor: q.Cursor}
		if _, err := idx.Search(t.Context(), other); err == nil {
			t.Error("a cursor of another query was accepted")
		}
	})
	t.Run("DeletesAndRenames", func(t *testing.T) {
		idx := open(t)
		ctx := t.Context()
		if err := idx.Apply(ctx, &search.Batch{Delete: []search.Ref{{Library: "public", Path: "/Divers/ordre.txt"}}}); err != nil {
			t.Fatal(err)
		}
		wantPaths(t, find(t, idx, search.Query{Text: "rédaction", Libraries: []string{"public"}}))
		// Rename the folder /Guides to /Manuels: delete the folder, put the
		// documents at their new paths, in one batch.
		moved := corpus()[2]
		moved.Path = "/Manuels/guide-accueil.pdf"
		if err := idx.Apply(ctx, &search.Batch{DeleteFolders: []search.Ref{{Library: "public", Path: "/Guides"}}, Put: []search.Document{moved}}); err != nil {
			t.Fatal(err)
		}
		wantPaths(t, find(t, idx, search.Query{Text: "arrivants", Libraries: []string{"public"}}), "public:/Manuels/guide-accueil.pdf")
		wantPaths(t, find(t, idx, search.Query{Text: "formulaire", Libraries: []string{"public"}}))
		// Overwrite replaces the content.
		upd := corpus()[0]
		upd.Content = "Nouvelle version : astreintes du week-end."
		put(t, idx, upd)
		wantPaths(t, find(t, idx, search.Query{Text: "télétravailleurs", Libraries: []string{"rh"}}))
		wantPaths(t, find(t, idx, search.Query{Text: "astreintes", Libraries: []string{"rh"}}), charte)
		// Dropping a library removes all of it.
		if err := idx.Apply(ctx, &search.Batch{DropLibraries: []string{"rh"}}); err != nil {
			t.Fatal(err)
		}
		wantPaths(t, find(t, idx, search.Query{Libraries: []string{"rh"}}))
		put(t, idx, corpus()[1])
		wantPaths(t, find(t, idx, search.Query{Text: "budget", Libraries: []string{"rh"}}), "rh:/Notes/réunion-équipe.odt")
		st, err := idx.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Libraries["rh"] != 1 || st.Libraries["public"] != 2 || st.Documents != 4 {
			t.Errorf("stats = %+v", st)
		}
		// Deleting what was never indexed is not an error.
		if err := idx.Apply(ctx, &search.Batch{Delete: []search.Ref{{Library: "nowhere", Path: "/x"}}, DeleteFolders: []search.Ref{{Library: "nowhere", Path: "/y"}}}); err != nil {
			t.Errorf("delete unknown: %v", err)
		}
	})
	t.Run("PermissionTrimming", func(t *testing.T) {
		idx := open(t)
		res := find(t, idx, search.Query{Text: "télétravail", Libraries: []string{"public"}, Facets: true, Limit: 1})
		if res.Total != 2 {
			t.Errorf("total = %d, want 2 (only public)", res.Total)
		}
		for _, f := range res.Facets[search.FacetLibrary] {
			if f.Value != "public" {
				t.Errorf("facet shows library %q", f.Value)
			}
		}
		for _, f := range res.Facets[search.FacetAuthor] {
			if f.Value == "Direction" {
				t.Errorf("facet shows an author of a hidden library")
			}
		}
		wantPaths(t, find(t, idx, search.Query{Text: "confidentiel", Libraries: []string{"rh", "public"}}))
		if res := find(t, idx, search.Query{Text: "télétravail", Libraries: []string{}}); len(res.Hits) != 0 || res.Total != 0 {
			t.Errorf("no library: %v", paths(res))
		}
		wantPaths(t, find(t, idx, search.Query{Text: "confidentiel", Libraries: []string{"direction"}}), "direction:/Confidentiel/plan-social.docx")
	})
	t.Run("StopWordsOnlyFindNothing", func(t *testing.T) {
		idx := open(t)
		wantPaths(t, find(t, idx, search.Query{Text: "le la des "}))
	})
	t.Run("FailedDocumentFindableByName", func(t *testing.T) {
		idx := open(t)
		d := doc("public", "/Scans/rapport-annuel-2025.pdf", "", time.Hour, "")
		d.Failed = true
		put(t, idx, d)
		wantPaths(t, find(t, idx, search.Query{Text: "rapport annuel", Libraries: []string{"public"}}), "public:/Scans/rapport-annuel-2025.pdf")
	})
}
