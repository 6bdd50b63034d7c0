package bleve

import (
	"strings"
	"unicode/utf8"

	"github.com/kazhq/kaz/search"
)

// Snippets are cut from the stored text by Kaz (the index keeps no term
// vectors): the text is analyzed like the index, the words matching the
// query are marked, and everything else is HTML-escaped.
const (
	snippetScan   = 256 << 10 // bytes of a document scanned for matches
	snippetBefore = 60        // context before the first match (bytes)
	snippetLen    = 240       // snippet length (bytes)
)

// matcher says whether an analyzed word matches the query.
type matcher struct {
	exact    map[string]bool
	prefixes []string
	fuzzy    []string
}

func (m *matcher) match(term string) bool {
	if m.exact[term] {
		return true
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(term, p) {
			return true
		}
	}
	for _, f := range m.fuzzy {
		if withinOneEdit(term, f) {
			return true
		}
	}
	return false
}

// matcherFor builds the matcher of q's words (not its exclusions).
func (e *Engine) matcherFor(q *search.Query, fuzzy bool) *matcher {
	m := &matcher{exact: map[string]bool{}}
	for _, t := range search.Parse(q.Text).Terms {
		if t.Exclude {
			continue
		}
		toks := e.tokens(t.Text)
		n := utf8.RuneCountInString(t.Text)
		for i, tok := range toks {
			m.exact[tok] = true
			if t.Phrase {
				continue
			}
			last := i == len(toks)-1
			if (t.Prefix && last && n >= 2) || n >= minLongWord {
				m.prefixes = append(m.prefixes, tok)
			}
			if t.Prefix && last {
				if raw := Fold(t.Text); raw != tok && utf8.RuneCountInString(raw) >= 2 {
					m.prefixes = append(m.prefixes, raw)
				}
			}
			if fuzzy && n >= 5 {
				m.fuzzy = append(m.fuzzy, tok)
			}
		}
	}
	return m
}

// snippet returns an HTML snippet of content around the first match, or
// "" when no word matches (a match in the name or title only).
func (e *Engine) snippet(content string, m *matcher) string {
	if content == "" || (len(m.exact) == 0 && len(m.prefixes) == 0) {
		return ""
	}
	text := content
	if len(text) > snippetScan {
		cut := snippetScan
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	var marks [][2]int
	for _, t := range e.text.Analyze([]byte(text)) {
		if t.Start < 0 || t.End > len(text) || t.Start >= t.End {
			continue
		}
		if m.match(string(t.Term)) {
			marks = append(marks, [2]int{t.Start, t.End})
		}
	}
	if len(marks) == 0 {
		return ""
	}
	start := max(0, marks[0][0]-snippetBefore)
	if start > 0 {
		if i := strings.IndexAny(text[start:marks[0][0]], " \n\t"); i >= 0 {
			start += i + 1
		}
		for start < len(text) && !utf8.RuneStart(text[start]) {
			start++
		}
	}
	end := min(len(text), start+snippetLen)
	if end < marks[0][1] {
		end = marks[0][1]
	}
	if end < len(text) {
		if i := strings.LastIndexAny(text[marks[0][1]:end], " \n\t"); i >= 0 {
			end = marks[0][1] + i
		}
		for end > start && end < len(text) && !utf8.RuneStart(text[end]) {
			end--
		}
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	pos := start
	for _, mk := range marks {
		if mk[0] < pos || mk[1] > end {
			continue
		}
		b.WriteString(htmlEscape(collapseSpace(text[pos:mk[0]])))
		b.WriteString("<mark>")
		b.WriteString(htmlEscape(text[mk[0]:mk[1]]))
		b.WriteString("</mark>")
		pos = mk[1]
	}
	b.WriteString(htmlEscape(collapseSpace(text[pos:end])))
	if end < len(content) {
		b.WriteString("…")
	}
	return strings.ToValidUTF8(b.String(), "")
}

func collapseSpace(s string) string {
	if !strings.ContainsAny(s, "\n\t\r") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// withinOneEdit reports whether a and b differ by at most one insertion,
// deletion or substitution.
func withinOneEdit(a, b string) bool {
	if a == b {
		return true
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) > len(rb) {
		ra, rb = rb, ra
	}
	if len(rb)-len(ra) > 1 {
		return false
	}
	i := 0
	for i < len(ra) && ra[i] == rb[i] {
		i++
	}
	if len(ra) == len(rb) {
		return string(ra[i+1:]) == string(rb[i+1:])
	}
	return string(ra[i:]) == string(rb[i+1:])
}
