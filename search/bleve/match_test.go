package bleve

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kazhq/kaz/search"
)

func openTest(t *testing.T, docs ...search.Document) *Engine {
	t.Helper()
	e, err := Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.Apply(t.Context(), &search.Batch{Put: docs}); err != nil {
		t.Fatal(err)
	}
	return e
}

func textDoc(lib, p, content string) search.Document {
	name := p[strings.LastIndex(p, "/")+1:]
	return search.Document{Library: lib, Path: p, Name: name, Type: search.TypeOf(name), Modified: time.Now().UTC(), Content: content}
}

func hitPaths(res *search.Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Path)
	}
	slices.Sort(out)
	return out
}

func TestPhrasesMatchWordsInOrderInTextNameOrTitle(t *testing.T) {
	titled := textDoc("a", "/titre.txt", "rien à voir")
	titled.Title = "Rapport sur la charte télétravail"
	e := openTest(t,
		textDoc("a", "/dans-l-ordre.txt", "La charte du télétravail est signée."),
		textDoc("a", "/desordre.txt", "Le télétravail et la charte."),
		textDoc("a", "/loin.txt", "La charte, longue, parle enfin du télétravail."),
		textDoc("a", "/Charte_télétravail.docx", "sans rapport"),
		titled,
		textDoc("b", "/autre-bibliotheque.txt", "La charte du télétravail est signée."),
	)
	tests := []struct {
		q    string
		want []string
	}{
		// A stop word keeps its place: "charte du télétravail" is not
		// "charte télétravail".
		{`"charte du télétravail"`, []string{"/dans-l-ordre.txt"}},
		{`"charte teletravail"`, []string{"/Charte_télétravail.docx", "/titre.txt"}},
		{`"télétravail charte"`, nil},
		{`"charte"`, []string{"/Charte_télétravail.docx", "/dans-l-ordre.txt", "/desordre.txt", "/loin.txt", "/titre.txt"}},
		{`teletravail -"charte du télétravail"`, []string{"/Charte_télétravail.docx", "/desordre.txt", "/loin.txt", "/titre.txt"}},
		{`"la charte est" signée`, []string{"/dans-l-ordre.txt"}}, // stop words only around one word
		{`"charte signée"`, nil},
		{`"charte du télétravail" signée`, []string{"/dans-l-ordre.txt"}},
	}
	for _, tt := range tests {
		res, err := e.Search(t.Context(), search.Query{Text: tt.q, Libraries: []string{"a"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := hitPaths(res); !slices.Equal(got, tt.want) {
			t.Errorf("%s: hits %q, want %q", tt.q, got, tt.want)
		}
		if res.Total != uint64(len(tt.want)) {
			t.Errorf("%s: total %d, want %d", tt.q, res.Total, len(tt.want))
		}
	}
}

func TestPhraseOverManyCandidatesCountsAndPagesExactly(t *testing.T) {
	var docs []search.Document
	for i := range 450 {
		text := fmt.Sprintf("Note %d : le système de fichiers est plein.", i)
		if i%3 == 0 {
			text = fmt.Sprintf("Note %d : le système a des fichiers.", i) // both words, not the phrase
		}
		docs = append(docs, textDoc("a", fmt.Sprintf("/n%03d.txt", i), text))
	}
	e := openTest(t, docs...)
	q := search.Query{Text: `"système de fichiers"`, Libraries: []string{"a"}, Limit: 100}
	seen := map[string]bool{}
	for page := 0; ; page++ {
		res, err := e.Search(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 300 {
			t.Fatalf("total %d, want 300", res.Total)
		}
		for _, h := range res.Hits {
			if seen[h.Path] {
				t.Fatalf("%s on two pages", h.Path)
			}
			seen[h.Path] = true
			if !strings.Contains(h.Snippet, "<mark>système</mark> de <mark>fichiers</mark>") {
				t.Fatalf("snippet %q", h.Snippet)
			}
		}
		if res.Next == "" || page > 5 {
			break
		}
		q.Cursor = res.Next
	}
	if len(seen) != 300 {
		t.Errorf("paged through %d hits, want 300", len(seen))
	}
}

func TestSnippetsMarkWhatTheQueryMatched(t *testing.T) {
	e := openTest(t,
		textDoc("a", "/a.txt", "Les télétravailleurs du service ont une charte. Le budget est voté."),
		textDoc("a", "/b.txt", "Le parking est fermé pendant les travaux du restaurant."),
	)
	tests := []struct {
		q         string
		want      []string
		forbidden []string
	}{
		{"télétrav", []string{"<mark>télétravailleurs</mark>"}, nil},                       // being typed: prefix
		{"charte budget ", []string{"<mark>charte</mark>", "<mark>budget</mark>"}, nil},    // words
		{"Chartes ", []string{"<mark>charte</mark>"}, []string{"<mark>budget</mark>"}},     // stemmed
		{"restaurnt ", []string{"<mark>restaurant</mark>"}, []string{"<mark>parking"}},     // one typo, after nothing else matched
		{"charte -parking", []string{"<mark>charte</mark>"}, []string{"<mark>service"}},    // exclusions are not marked
		{`"une charte"`, []string{"<mark>charte</mark>"}, []string{"<mark>budget</mark>"}}, // phrase
	}
	for _, tt := range tests {
		res, err := e.Search(t.Context(), search.Query{Text: tt.q, Libraries: []string{"a"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != 1 {
			t.Errorf("%s: %d hits", tt.q, len(res.Hits))
			continue
		}
		s := res.Hits[0].Snippet
		for _, w := range tt.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: snippet %q lacks %q", tt.q, s, w)
			}
		}
		for _, w := range tt.forbidden {
			if strings.Contains(s, w) {
				t.Errorf("%s: snippet %q has %q", tt.q, s, w)
			}
		}
	}
}

func TestSnippetFindsMatchesDeepInLongText(t *testing.T) {
	long := strings.Repeat("du texte sans intérêt particulier. ", 10000) // 350 KB
	e := openTest(t, textDoc("a", "/long.txt", long+"Voici enfin la conclusion."))
	res, err := e.Search(t.Context(), search.Query{Text: "conclusion ", Libraries: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 || !strings.Contains(res.Hits[0].Snippet, "<mark>conclusion</mark>") {
		t.Errorf("hits %+v", res.Hits)
	}
}

func TestOneEdit(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"budget", "budget", true}, {"budget", "budgat", true}, {"budget", "budgt", true}, {"budget", "budgets", true},
		{"budget", "bugdet", false}, {"budget", "bud", false}, {"é", "e", true}, {"", "a", true}, {"ab", "ba", false},
	}
	for _, tt := range tests {
		if got := oneEdit(tt.a, tt.b); got != tt.want {
			t.Errorf("oneEdit(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
