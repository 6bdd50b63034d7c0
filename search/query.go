package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of a parsed query: longer input is cut, extra terms dropped.
const (
	MaxQueryBytes = 512
	MaxQueryTerms = 32
)

// Term is one part of what the agent typed.
type Term struct {
	// Text is a word, or the words of a phrase separated by spaces.
	Text string
	// Phrase is true for "quoted words", matched in order.
	Phrase bool
	// Exclude is true for -word: documents containing it are left out.
	Exclude bool
	// Prefix is true for the last word when the agent may still be typing
	// it (no space after it): it also matches longer words.
	Prefix bool
}

// Parsed is a query string split into terms.
type Parsed struct {
	Terms []Term
}

// Empty reports whether p has no term that includes documents (a query of
// only exclusions finds nothing).
func (p Parsed) Empty() bool {
	for _, t := range p.Terms {
		if !t.Exclude {
			return false
		}
	}
	return true
}

// Parse splits what an agent typed into terms: "quoted words" form a
// phrase, -word excludes, and the last bare word is also a prefix unless
// followed by a space, as is any word ending with a star (fich*). Punctuation other than quotes, leading minus and
// characters inside words is treated as a separator. Parse never fails:
// any input gives a (possibly empty) query.
func Parse(s string) Parsed {
	if len(s) > MaxQueryBytes {
		s = s[:MaxQueryBytes]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	s = strings.ToValidUTF8(s, " ")
	var p Parsed
	add := func(t Term) {
		if len(p.Terms) < MaxQueryTerms && t.Text != "" {
			p.Terms = append(p.Terms, t)
		}
	}
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		exclude := false
		if r == '-' {
			exclude = true
			i += n
			if i >= len(s) {
				break
			}
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if r == '"' || r == '«' || r == '“' {
			i += n
			end := strings.IndexAny(s[i:], "\"»”")
			var body string
			if end < 0 {
				body, i = s[i:], len(s)
			} else {
				body = s[i : i+end]
				_, cn := utf8.DecodeRuneInString(s[i+end:])
				i += end + cn
			}
			words := words(body)
			switch len(words) {
			case 0:
			case 1:
				add(Term{Text: words[0], Exclude: exclude})
			default:
				add(Term{Text: strings.Join(words, " "), Phrase: true, Exclude: exclude})
			}
			continue
		}
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) || r == '"' || r == '«' || r == '“' {
				break
			}
			j += n
		}
		chunk := s[i:j]
		i = j
		ws := words(chunk)
		// A word is a prefix when the agent may still be typing it (last,
		// no space after it) or asks for it with a final star (fich*), as
		// in SharePoint and FTS5.
		prefix := j == len(s) || strings.HasSuffix(chunk, "*")
		for k, w := range ws {
			t := Term{Text: w, Exclude: exclude}
			if prefix && !exclude && k == len(ws)-1 {
				t.Prefix = true
			}
			if len(ws) > 1 && k == 0 && exclude {
				// -foo-bar: exclude the compound as a phrase.
				add(Term{Text: strings.Join(ws, " "), Phrase: true, Exclude: true})
				break
			}
			add(t)
		}
	}
	return p
}

// words splits s into words: runs of letters and digits, keeping inner
// apostrophes, hyphens and dots out (they separate).
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r)
	})
}

// String renders p back in the syntax Parse reads.
func (p Parsed) String() string {
	var b strings.Builder
	for i, t := range p.Terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		if t.Exclude {
			b.WriteByte('-')
		}
		if t.Phrase {
			b.WriteString(`"` + t.Text + `"`)
		} else {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}
