package bleve

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
	"golang.org/x/sync/errgroup"

	"github.com/kazhq/kaz/search"

	bsearch "github.com/blevesearch/bleve/v2/search"
)

// The index keeps no term vectors (positions and offsets of every word:
// they were about 40% of the index and a fifth of the indexing CPU).
// What needed them is done from the stored text instead:
//
//   - snippets: the page's hits (20 by default) are analyzed again and
//     their words compared with the query's (matcher);
//   - phrases: the documents holding all the words of a phrase are
//     candidates; their stored text is analyzed and the phrase looked for
//     at the same relative positions as Bleve's phrase search would
//     (phraseDocs). A phrase of common words costs more than with term
//     vectors (every candidate is read), one of rare words about the same.

// phrase is an analyzed phrase: its terms and their positions relative
// to the first (a removed stop word leaves a gap, as in Bleve).
type phrase struct {
	text  string
	terms []string
	offs  []int
}

func (e *Engine) parsePhrase(text string) phrase {
	p := phrase{text: text}
	toks := e.text.Analyze([]byte(text))
	for _, t := range toks {
		p.terms = append(p.terms, string(t.Term))
		p.offs = append(p.offs, t.Position-toks[0].Position)
	}
	return p
}

// at returns the index in toks of each start of p.
func (p *phrase) at(toks analysis.TokenStream) []int {
	if len(p.terms) == 0 {
		return nil
	}
	byPos := make(map[int]string, len(toks))
	for _, t := range toks {
		byPos[t.Position] = string(t.Term)
	}
	var out []int
	for i, t := range toks {
		if string(t.Term) != p.terms[0] {
			continue
		}
		ok := true
		for k := 1; k < len(p.terms) && ok; k++ {
			ok = byPos[t.Position+p.offs[k]] == p.terms[k]
		}
		if ok {
			out = append(out, i)
		}
	}
	return out
}

// maxPhraseCandidates bounds the documents read per shard to check a
// phrase. Beyond it (a phrase of words found together in more documents
// than that), only the first candidates are checked and the search logs
// it.
const maxPhraseCandidates = 50_000

// phraseFields are the fields a phrase is looked for in, as phraseQuery
// did: the text, the name and the title and author (the meta field).
var phraseFields = []string{fContent, fName, fTitle, fAuthor}

// phraseDocs returns the ids of the documents of scope that contain p in
// their text, name or meta data.
func (e *Engine) phraseDocs(ctx context.Context, scope []string, p phrase) ([]string, error) {
	// Candidates: the documents with every word of the phrase somewhere
	// in their text, name, title or author (fMatch); hasPhrase checks each
	// field.
	var qs []query.Query
	for _, t := range dedupeStrings(p.terms) {
		tq := bleve.NewTermQuery(t)
		tq.SetField(fMatch)
		qs = append(qs, tq)
	}
	cand := bleve.NewConjunctionQuery(qs...)
	var mu sync.Mutex
	var ids []string
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, runtime.GOMAXPROCS(0)))
	for _, lib := range scope {
		idx, err := e.shard(lib, false)
		if err != nil {
			return nil, err
		}
		if idx == nil {
			continue
		}
		g.Go(func() error {
			found, err := e.phraseDocsIn(gctx, idx, lib, cand, p)
			mu.Lock()
			ids = append(ids, found...)
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return ids, nil
}

func (e *Engine) phraseDocsIn(ctx context.Context, idx bleve.Index, lib string, cand query.Query, p phrase) ([]string, error) {
	req := bleve.NewSearchRequestOptions(cand, maxPhraseCandidates, 0, false)
	req.Score = "none"
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("bleve: phrase candidates: %w", err)
	}
	if res.Total > uint64(len(res.Hits)) {
		e.log.Warn("phrase too common: only some documents checked", "library", lib, "candidates", res.Total, "checked", len(res.Hits))
	}
	var out []string
	const chunk = 200
	for start := 0; start < len(res.Hits); start += chunk {
		hits := res.Hits[start:min(start+chunk, len(res.Hits))]
		ids := make([]string, len(hits))
		for i, h := range hits {
			ids[i] = h.ID
		}
		req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(ids), len(ids), 0, false)
		req.Fields = phraseFields
		req.Score = "none"
		docs, err := idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("bleve: phrase check: %w", err)
		}
		for _, h := range docs.Hits {
			if e.hasPhrase(h.Fields, p) {
				out = append(out, h.ID)
			}
		}
	}
	return out, nil
}

// hasPhrase reports whether one of a document's phrase fields holds p.
func (e *Engine) hasPhrase(fields map[string]interface{}, p phrase) bool {
	meta := strings.TrimSpace(str(fields[fTitle]) + " " + str(fields[fAuthor])) // as docFields builds fMeta
	for _, text := range []string{str(fields[fContent]), str(fields[fName]), meta} {
		if text != "" && len(p.at(e.text.Analyze([]byte(text)))) > 0 {
			return true
		}
	}
	return false
}

func dedupeStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// phrases finds the documents of every phrase of the query (those of
// two or more words; a one-word phrase is a word).
func (e *Engine) phrases(ctx context.Context, p search.Parsed, scope []string) (map[string][]string, error) {
	var out map[string][]string
	for _, t := range p.Terms {
		if !t.Phrase {
			continue
		}
		ph := e.parsePhrase(t.Text)
		if len(ph.terms) < 2 {
			continue
		}
		if _, done := out[t.Text]; done {
			continue
		}
		ids, err := e.phraseDocs(ctx, scope, ph)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string][]string{}
		}
		out[t.Text] = ids
	}
	return out, nil
}

// matcher finds in a text the words a query matched, for snippets: as
// wordQuery matches them in the content field (exactly, as prefixes, with
// one typo when the search fell back to typos) and the phrases.
type matcher struct {
	words   []wordMatch
	phrases []phrase
}

type wordMatch struct {
	term     string
	prefixes []string
	fuzzy    bool
}

func (e *Engine) newMatcher(text string, fuzzy bool) *matcher {
	m := &matcher{}
	for _, t := range search.Parse(text).Terms {
		if t.Exclude {
			continue
		}
		toks := e.tokens(t.Text)
		if t.Phrase {
			if ph := e.parsePhrase(t.Text); len(ph.terms) > 1 {
				m.phrases = append(m.phrases, ph)
				continue
			}
			for _, tok := range toks {
				m.words = append(m.words, wordMatch{term: tok})
			}
			continue
		}
		raw := Fold(t.Text)
		n := utf8.RuneCountInString(raw)
		for i, tok := range toks {
			w := wordMatch{term: tok, fuzzy: fuzzy && n >= 5}
			prefix := t.Prefix && i == len(toks)-1
			switch {
			case prefix && n >= 2:
				w.prefixes = append(w.prefixes, tok)
				if raw != tok {
					w.prefixes = append(w.prefixes, raw)
				}
			case n >= minLongWord:
				w.prefixes = append(w.prefixes, longPrefix(tok, raw, len(toks)))
			}
			m.words = append(m.words, w)
		}
	}
	return m
}

// snippetScan bounds the text analyzed for a snippet: the matches are
// looked for in chunks of this size, until maxLocations are found.
const snippetScan = 64 << 10

// locations returns where the query's words and phrases are in text, by
// byte offsets, keyed by what they match (the snippet counts distinct
// keys).
func (m *matcher) locations(a analysis.Analyzer, text string) bsearch.TermLocationMap {
	locs := bsearch.TermLocationMap{}
	if len(m.words) == 0 && len(m.phrases) == 0 {
		return locs
	}
	n := 0
	for base := 0; base < len(text) && n < maxLocations; {
		end := min(len(text), base+snippetScan)
		if end < len(text) {
			// Cut after a space: no word spans one.
			if k := strings.LastIndexByte(text[base:end], ' '); k > 0 {
				end = base + k + 1
			}
		}
		toks := a.Analyze([]byte(text[base:end]))
		for _, t := range toks {
			for i := range m.words {
				if m.words[i].matches(string(t.Term)) {
					locs.AddLocation("w"+strconv.Itoa(i), &bsearch.Location{Start: uint64(base + t.Start), End: uint64(base + t.End)})
					n++
					break
				}
			}
		}
		for i := range m.phrases {
			p := &m.phrases[i]
			for _, at := range p.at(toks) {
				// Mark the phrase's words, found again by position.
				first := toks[at].Position
				for k := at; k < len(toks) && toks[k].Position <= first+p.offs[len(p.offs)-1]; k++ {
					locs.AddLocation("p"+strconv.Itoa(i)+"."+strconv.Itoa(toks[k].Position-first), &bsearch.Location{Start: uint64(base + toks[k].Start), End: uint64(base + toks[k].End)})
					n++
				}
			}
		}
		base = end
	}
	return locs
}

func (w *wordMatch) matches(term string) bool {
	if term == w.term {
		return true
	}
	for _, p := range w.prefixes {
		if strings.HasPrefix(term, p) {
			return true
		}
	}
	return w.fuzzy && oneEdit(term, w.term)
}

// oneEdit reports whether a and b differ by at most one rune inserted,
// deleted or replaced (Levenshtein distance 1, as the fuzzy query).
func oneEdit(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	if len(ra)-len(rb) > 1 {
		return false
	}
	i := 0
	for i < len(rb) && ra[i] == rb[i] {
		i++
	}
	if len(ra) == len(rb) {
		return i == len(ra) || string(ra[i+1:]) == string(rb[i+1:])
	}
	return string(ra[i+1:]) == string(rb[i:])
}
