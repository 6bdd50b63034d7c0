package bleve

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kazhq/kaz/search"
)

func search1(t *testing.T, e *Engine, text string) *search.Result {
	t.Helper()
	res, err := e.Search(t.Context(), search.Query{Text: text, Libraries: []string{"lib"}, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestWordsInNameOrTitleRankAboveWordsInText(t *testing.T) {
	title := textDoc("lib", "/notes/compte-rendu.txt", "Ordre du jour de la séance et questions diverses.")
	title.Title = "Budget annexe"
	e := openTest(t,
		textDoc("lib", "/a/texte.txt", "Le budget, le budget et encore le budget : la réunion traite du budget."),
		textDoc("lib", "/b/Budget_2026.xlsx", "Tableau des dépenses prévues pour l'année."),
		title,
		textDoc("lib", "/c/autre.txt", "Rien à voir."),
	)
	res := search1(t, e, "budget")
	var got []string
	for _, h := range res.Hits {
		got = append(got, h.Path)
	}
	want := []string{"/b/Budget_2026.xlsx", "/notes/compte-rendu.txt", "/a/texte.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v (name, then title, then text)", got, want)
	}
	if res.Total != 3 {
		t.Errorf("total = %d, want 3", res.Total)
	}
}

func TestLongWordsFindLongerWordsOfTheirFamily(t *testing.T) {
	e := openTest(t,
		textDoc("lib", "/1.txt", "Les télétravailleurs disposent d'un équipement."),
		textDoc("lib", "/2.txt", "Le répertoire2 du service."),
		textDoc("lib", "/3.txt", "Le répertoire du service."),
		textDoc("lib", "/4.txt", "Le télétravail est encadré."),
	)
	for _, c := range []struct {
		q    string
		want []string
	}{
		// télétravail → télétravailleurs (another stem): a longer word.
		// (A space after the word: finished, not being typed.)
		{"teletravail ", []string{"/1.txt", "/4.txt"}},
		// "répertoire2" is not a word of the family (a digit follows).
		{"répertoire ", []string{"/3.txt"}},
		{"télétravailleurs ", []string{"/1.txt"}},
		// While typing, any longer word.
		{"répertoire", []string{"/2.txt", "/3.txt"}},
	} {
		if got := hitPaths(search1(t, e, c.q)); !slices.Equal(got, c.want) {
			t.Errorf("%q found %v, want %v", c.q, got, c.want)
		}
	}
	res := search1(t, e, "teletravail ")
	for _, h := range res.Hits {
		if h.Path == "/1.txt" && !strings.Contains(h.Snippet, "<mark>télétravailleurs</mark>") {
			t.Errorf("snippet = %q, want the longer word marked", h.Snippet)
		}
	}
}

func TestLongWordWithManyLongerWordsStillFindsThem(t *testing.T) {
	// More longer words than maxExtensions: a prefix search is used.
	var docs []search.Document
	for i := range maxExtensions + 8 {
		w := "télétravail" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + "eux"
		docs = append(docs, textDoc("lib", fmt.Sprintf("/%02d.txt", i), "Un agent "+w+" ici."))
	}
	docs = append(docs, textDoc("lib", "/autre.txt", "Rien à voir."))
	e := openTest(t, docs...)
	res := search1(t, e, "teletravail ")
	if res.Total != uint64(maxExtensions+8) {
		t.Errorf("total = %d, want %d", res.Total, maxExtensions+8)
	}
}

func TestExtensionsAreLongerWordsOfLettersFromEveryShard(t *testing.T) {
	e := openTest(t,
		textDoc("a", "/1.txt", "repertoire1 et repertoiremap"),
		textDoc("b", "/2.txt", "repertoirelab"),
	)
	got, ok := e.searchSet([]string{"a", "b"}).extensions(t.Context())("repertoire")
	if !ok || !slices.Equal(got, []string{"repertoirelab", "repertoiremap"}) {
		t.Errorf("extensions = %v, %v; want [repertoirelab repertoiremap], true", got, ok)
	}
}
