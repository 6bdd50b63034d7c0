package bleve

import (
	"sort"
	"strings"
	"unicode/utf8"

	bsearch "github.com/blevesearch/bleve/v2/search"
)

// Snippets are cut by Kaz from the stored text and the match locations
// that the search already returns (term vectors), instead of Bleve's
// highlighter, which scores a fragment around every match: for common
// words that was half the time of a query.
const (
	snippetSize   = 200 // bytes of text around the matches, as Bleve's default
	snippetBefore = 40  // bytes of context kept before the first match
	maxLocations  = 512 // matches considered per document
)

type span struct{ start, end int }

// snippet returns an HTML fragment of text about snippetSize bytes long
// around the densest group of matches, each in <mark> tags, the rest
// escaped; "…" marks text cut at either end. With no match it is the
// beginning of text; with no text, "".
func snippet(text string, locs bsearch.TermLocationMap) string {
	if text == "" {
		return ""
	}
	var spans []span
	terms := map[int]string{} // span start → term, for distinct counting
	for term, ls := range locs {
		for _, l := range ls {
			s, e := int(l.Start), int(l.End)
			if s < 0 || e > len(text) || s >= e || !utf8.RuneStart(text[s]) || (e < len(text) && !utf8.RuneStart(text[e])) {
				continue // not from this text (a stale or wrong location)
			}
			spans = append(spans, span{s, e})
			terms[s] = term
			if len(spans) >= maxLocations {
				break
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	// Best window: the most distinct terms, then the most matches.
	best, bestEnd, bestDistinct, bestCount := -1, -1, 0, 0
	for i := range spans {
		seen := map[string]bool{}
		j := i
		for ; j < len(spans) && spans[j].end <= spans[i].start+snippetSize; j++ {
			seen[terms[spans[j].start]] = true
		}
		if d, c := len(seen), j-i; d > bestDistinct || (d == bestDistinct && c > bestCount) {
			best, bestEnd, bestDistinct, bestCount = i, j, d, c
		}
	}
	var start, end int
	var marks []span
	if best < 0 {
		end = min(len(text), snippetSize)
	} else {
		marks = spans[best:bestEnd]
		// Some context before the first match, more when the text ends
		// soon (a short text shows whole).
		start = max(0, min(marks[0].start-snippetBefore, len(text)-snippetSize))
		end = min(len(text), start+snippetSize)
		if last := marks[len(marks)-1].end; end < last {
			end = last
		}
		// Start after a space when one is near, so as not to cut a word.
		if start > 0 {
			if k := strings.IndexByte(text[start:marks[0].start], ' '); k >= 0 {
				start += k + 1
			}
		}
	}
	start = runeStart(text, start)
	if end < len(text) {
		if k := strings.LastIndexByte(text[max(start, end-30):end], ' '); k >= 0 && max(start, end-30)+k >= lastEnd(marks) {
			end = max(start, end-30) + k
		}
		end = runeStart(text, end)
	}
	var b strings.Builder
	b.Grow(end - start + 32)
	if start > 0 {
		b.WriteString("…")
	}
	pos := start
	for _, m := range marks {
		if m.start < pos || m.end > end {
			continue // overlapping matches (a word and its prefix)
		}
		b.WriteString(htmlEscape(text[pos:m.start]))
		b.WriteString("<mark>")
		b.WriteString(htmlEscape(text[m.start:m.end]))
		b.WriteString("</mark>")
		pos = m.end
	}
	b.WriteString(htmlEscape(text[pos:end]))
	if end < len(text) {
		b.WriteString("…")
	}
	return b.String()
}

func lastEnd(marks []span) int {
	if len(marks) == 0 {
		return 0
	}
	return marks[len(marks)-1].end
}

// runeStart moves i back to the start of the UTF-8 sequence it is in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
