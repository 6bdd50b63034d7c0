package bleve

import (
	"strings"
	"testing"
	"unicode/utf8"

	bsearch "github.com/blevesearch/bleve/v2/search"
)

// locsOf returns the locations of every occurrence of the given words in
// text, as the index reports them (byte offsets).
func locsOf(text string, words ...string) bsearch.TermLocationMap {
	m := bsearch.TermLocationMap{}
	for _, w := range words {
		for i := 0; ; {
			k := strings.Index(text[i:], w)
			if k < 0 {
				break
			}
			m[w] = append(m[w], &bsearch.Location{Start: uint64(i + k), End: uint64(i + k + len(w))})
			i += k + len(w)
		}
	}
	return m
}

func TestSnippetMarksMatchesAndEscapes(t *testing.T) {
	long := strings.Repeat("du texte sans intérêt ", 40)
	tests := []struct {
		name, text string
		words      []string
		want       []string // substrings that must be present
		notWant    []string
	}{
		{"short text shows whole", `<b>la charte</b> & le budget`, []string{"budget"},
			[]string{"&lt;b&gt;la charte&lt;/b&gt; &amp; le <mark>budget</mark>"}, []string{"…", "<b>"}},
		{"cut on both sides", long + "la charte du télétravail " + long, []string{"télétravail"},
			[]string{"<mark>télétravail</mark>", "…"}, nil},
		{"densest window with both words", "fichier " + long + "fichier option fichier " + long, []string{"fichier", "option"},
			[]string{"<mark>fichier</mark> <mark>option</mark> <mark>fichier</mark>"}, nil},
		{"no match: the beginning", long, nil, []string{"du texte"}, []string{"<mark>", "…du"}},
		{"overlapping matches marked once", "le télétravailleur", []string{"télétravail", "télétravailleur"},
			[]string{"<mark>"}, []string{"<mark><mark>", "</mark></mark>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := snippet(tt.text, locsOf(tt.text, tt.words...))
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("snippet %q lacks %q", s, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(s, w) {
					t.Errorf("snippet %q has %q", s, w)
				}
			}
			if !utf8.ValidString(s) {
				t.Errorf("snippet %q is not valid UTF-8", s)
			}
			if n := len(s); n > snippetSize+200 {
				t.Errorf("snippet is %d bytes", n)
			}
		})
	}
	if s := snippet("", locsOf("", "x")); s != "" {
		t.Errorf("empty text gives %q", s)
	}
}

// FuzzSnippet checks that any text and any (even wrong) locations give
// valid UTF-8 with balanced marks and no raw '<' from the text.
func FuzzSnippet(f *testing.F) {
	f.Add("la charte <du> télétravail", uint16(3), uint16(9))
	f.Add("ééééé", uint16(1), uint16(4))
	f.Add("x", uint16(5), uint16(2))
	f.Fuzz(func(t *testing.T, text string, a, b uint16) {
		if !utf8.ValidString(text) {
			return
		}
		s := snippet(text, bsearch.TermLocationMap{"t": {{Start: uint64(a), End: uint64(b)}}})
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
		if strings.Count(s, "<mark>") != strings.Count(s, "</mark>") || strings.Count(s, "<") != 2*strings.Count(s, "<mark>") {
			t.Fatalf("unbalanced or unescaped %q", s)
		}
	})
}
