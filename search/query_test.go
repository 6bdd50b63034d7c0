package search

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestParseSplitsPhrasesExclusionsAndPrefix(t *testing.T) {
	tests := []struct {
		in   string
		want []Term
	}{
		{"", nil},
		{"   ", nil},
		{"charte", []Term{{Text: "charte", Prefix: true}}},
		{"charte ", []Term{{Text: "charte"}}},
		{"teletravail charte", []Term{{Text: "teletravail"}, {Text: "charte", Prefix: true}}},
		{`"charte du télétravail" 2024`, []Term{{Text: "charte du télétravail", Phrase: true}, {Text: "2024", Prefix: true}}},
		{`budget -brouillon`, []Term{{Text: "budget"}, {Text: "brouillon", Exclude: true}}},
		{`-"note interne" rapport `, []Term{{Text: "note interne", Phrase: true, Exclude: true}, {Text: "rapport"}}},
		{`"unterminated phrase`, []Term{{Text: "unterminated phrase", Phrase: true}}},
		{`l'agent`, []Term{{Text: "l"}, {Text: "agent", Prefix: true}}},
		{`«réunion»`, []Term{{Text: "réunion"}}},
		{`-`, nil},
		{`""`, nil},
		{`C++ !!`, []Term{{Text: "C"}}},
		{`fich* option `, []Term{{Text: "fich", Prefix: true}, {Text: "option"}}},
		{`note -brouil* `, []Term{{Text: "note"}, {Text: "brouil", Exclude: true}}},
		{`l'ag*`, []Term{{Text: "l"}, {Text: "ag", Prefix: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Parse(tt.in).Terms
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseBoundsLongInput(t *testing.T) {
	p := Parse(strings.Repeat("mot ", 1000))
	if len(p.Terms) != MaxQueryTerms {
		t.Errorf("got %d terms, want %d", len(p.Terms), MaxQueryTerms)
	}
}

func TestOnlyExclusionsIsEmpty(t *testing.T) {
	if !Parse("-a -b").Empty() {
		t.Error("a query of exclusions only should be empty")
	}
	if Parse("a -b").Empty() {
		t.Error("a query with a word should not be empty")
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "charte", `"a b" -c d`, `-"x`, "«réunion» -", "\xff\xfe", strings.Repeat("é", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := Parse(s)
		if len(p.Terms) > MaxQueryTerms {
			t.Fatalf("%d terms", len(p.Terms))
		}
		for _, term := range p.Terms {
			if term.Text == "" || !utf8.ValidString(term.Text) {
				t.Fatalf("bad term %q", term.Text)
			}
			if term.Prefix && (term.Exclude || term.Phrase) {
				t.Fatalf("prefix on excluded or phrase term %+v", term)
			}
			if strings.ContainsAny(term.Text, `"`) {
				t.Fatalf("quote inside term %q", term.Text)
			}
		}
		// Parsing the rendering gives the same terms (ignoring prefix).
		again := Parse(p.String() + " ")
		if len(again.Terms) != len(p.Terms) {
			t.Fatalf("round trip %q -> %q: %d terms, want %d", s, p.String(), len(again.Terms), len(p.Terms))
		}
	})
}
