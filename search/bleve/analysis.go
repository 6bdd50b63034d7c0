package bleve

import (
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2/analysis"
	_ "github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	_ "github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Analysis chain for text (French first, English too): Unicode word
// boundaries → lower case → French elision (l', d', qu'…) → accent
// folding (é→e, ç→c, œ→oe) → French and English stop words (folded) →
// French light stemming. Underscores and dots separate words, so that
// file names such as Charte_Télétravail_v3.docx are words too. The
// unstemmed analyzerName serves the Meilisearch-like name prefix needs.
const (
	analyzerText   = "kaz_text"
	analyzerName   = "kaz_name"
	filterFold     = "kaz_fold"
	filterStop     = "kaz_stop"
	tokenMapStop   = "kaz_stop_words"
	charSeparators = "kaz_separators"
)

// Fold lower-cases s and removes its accents, as the analyzers do: what
// prefix and fuzzy queries (which are not analyzed) must be given.
func Fold(s string) string {
	return foldString(strings.ToLower(s))
}

// foldTable maps accented Latin letters to their ASCII forms, for the
// common case; other non-ASCII runes go through Unicode decomposition.
var foldTable = func() map[rune]string {
	m := map[rune]string{'œ': "oe", 'æ': "ae", 'ß': "ss", 'ø': "o", 'đ': "d", 'ł': "l", 'Œ': "oe", 'Æ': "ae"}
	for r := rune(0xC0); r <= 0x24F; r++ {
		if _, ok := m[r]; ok {
			continue
		}
		d := norm.NFD.String(string(r))
		var b strings.Builder
		for _, c := range d {
			if !unicode.Is(unicode.Mn, c) {
				b.WriteRune(c)
			}
		}
		if out := b.String(); out != string(r) && out != "" {
			m[r] = strings.ToLower(out)
		}
	}
	return m
}()

// slowFold decomposes and drops combining marks. A transformer keeps
// state: one per call (the path is rare: letters beyond Latin Extended).
func slowFold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return out
}

func foldString(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		if rep, ok := foldTable[r]; ok {
			b.WriteString(rep)
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if r < 0x250 || !unicode.IsLetter(r) {
			b.WriteRune(r)
			continue
		}
		b.WriteString(slowFold(string(r)))
	}
	return b.String()
}

type foldFilter struct{}

func (foldFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, tok := range in {
		if f := foldString(string(tok.Term)); f != string(tok.Term) {
			tok.Term = []byte(f)
		}
	}
	return in
}

// separatorFilter turns '_' and '.' into spaces (same length: offsets for
// highlighting stay right), so that file names split into words.
type separatorFilter struct{}

func (separatorFilter) Filter(in []byte) []byte {
	out := in
	copied := false
	for i, c := range in {
		if c == '_' || c == '.' {
			if !copied {
				out = append([]byte(nil), in...)
				copied = true
			}
			out[i] = ' '
		}
	}
	return out
}

func init() {
	registry.RegisterCharFilter(charSeparators, func(map[string]interface{}, *registry.Cache) (analysis.CharFilter, error) {
		return separatorFilter{}, nil
	})
	registry.RegisterTokenFilter(filterFold, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{}, nil
	})
}

// addAnalysis registers Kaz's analyzers in m.
func addAnalysis(m *mapping.IndexMappingImpl) error {
	var tokens []interface{}
	for _, list := range [][]byte{fr.FrenchStopWords, en.EnglishStopWords} {
		for _, line := range strings.Split(string(list), "\n") {
			line, _, _ = strings.Cut(line, "|")
			for _, w := range strings.Fields(line) {
				tokens = append(tokens, foldString(w))
			}
		}
	}
	if err := m.AddCustomTokenMap(tokenMapStop, map[string]interface{}{"type": "custom", "tokens": tokens}); err != nil {
		return err
	}
	if err := m.AddCustomTokenFilter(filterStop, map[string]interface{}{"type": stop.Name, "stop_token_map": tokenMapStop}); err != nil {
		return err
	}
	// The text chain, computed faster (fastanalysis.go); referenceText
	// is the same chain as Bleve runs it, which the tests compare with.
	if err := m.AddCustomAnalyzer(analyzerText, map[string]interface{}{"type": analyzerFastType}); err != nil {
		return err
	}
	return m.AddCustomAnalyzer(analyzerName, map[string]interface{}{
		"type":          "custom",
		"char_filters":  []interface{}{charSeparators},
		"tokenizer":     unicodetok.Name,
		"token_filters": []interface{}{lowercase.Name, fr.ElisionName, filterFold},
	})
}

// referenceText is the text analyzer's chain as plain Bleve components
// (what fastanalysis.go computes faster), for tests.
func referenceText() map[string]interface{} {
	filters := make([]interface{}, len(textFilters))
	for i, f := range textFilters {
		filters[i] = f
	}
	return map[string]interface{}{
		"type":          "custom",
		"char_filters":  []interface{}{charSeparators},
		"tokenizer":     unicodetok.Name,
		"token_filters": filters,
	}
}
