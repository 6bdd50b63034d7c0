package bleve

import (
	"strings"
	"testing"

	"github.com/kazhq/kaz/search"
)

func newTestEngine(t *testing.T) *Engine {
	e, err := Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestSnippetMarksMatchesAndEscapesTheRest(t *testing.T) {
	e := newTestEngine(t)
	content := strings.Repeat("Préambule sans rapport. ", 10) + "Les <b>télétravailleurs</b> & la charte du télétravail.\n" + strings.Repeat("Suite. ", 60)
	m := e.matcherFor(&search.Query{Text: "teletravail charte "}, false)
	got := e.snippet(content, m)
	for _, want := range []string{"<mark>télétravailleurs</mark>", "<mark>charte</mark>", "<mark>télétravail</mark>", "&lt;b&gt;", "&amp;", "…"} {
		if !strings.Contains(got, want) {
			t.Errorf("snippet %q lacks %q", got, want)
		}
	}
	if len(got) > 400 {
		t.Errorf("snippet of %d bytes", len(got))
	}
	if s := e.snippet(content, e.matcherFor(&search.Query{Text: "absent "}, false)); s != "" {
		t.Errorf("snippet without match = %q", s)
	}
	if s := e.snippet("le budjet annuel", e.matcherFor(&search.Query{Text: "budget "}, true)); !strings.Contains(s, "<mark>budjet</mark>") {
		t.Errorf("fuzzy snippet = %q", s)
	}
}

func TestWithinOneEdit(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{{"budget", "budget", true}, {"budget", "budjet", true}, {"budget", "budgets", true}, {"budget", "udget", true},
		{"budget", "bugdet", false}, {"budget", "budgetss", false}, {"été", "éte", true}} {
		if got := withinOneEdit(tt.a, tt.b); got != tt.want {
			t.Errorf("withinOneEdit(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func FuzzSnippet(f *testing.F) {
	f.Add("Les <script>télétravailleurs</script> & la charte", "teletravail")
	f.Add("\xff\xfe<mark>", "mark")
	e, err := Open(f.Context(), f.TempDir(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, content, q string) {
		s := e.snippet(content, e.matcherFor(&search.Query{Text: q}, true))
		rest := strings.ReplaceAll(strings.ReplaceAll(s, "<mark>", ""), "</mark>", "")
		if strings.ContainsAny(rest, "<>") {
			t.Fatalf("unescaped markup in %q", s)
		}
	})
}
