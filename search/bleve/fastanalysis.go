package bleve

import (
	"fmt"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
	index "github.com/blevesearch/bleve_index_api"
)

// The text analyzer of the index, made fast without changing a token.
//
// It is the chain of addAnalysis (separators → Unicode word boundaries →
// lower case → elision → folding → stop words → French light stemming),
// with two shortcuts that a CPU profile of indexing pointed at (word
// segmentation and stemming were about a third of the indexing CPU):
//
//   - fastTokenize splits text made only of Latin letters, digits and
//     common punctuation (nearly every French document) by the same rules
//     as blevesearch/segment's Unicode word segmentation (UAX #29);
//     any other character sends the whole text through the original
//     tokenizer;
//   - every filter after the tokenizer works on one token at a time, so
//     the term of a word is computed once (by the original filters) and
//     remembered: a language has far fewer distinct words than a corpus
//     has tokens.
//
// analysis_fast_test.go checks the output against the original chain,
// token by token (term, offsets, positions).
const analyzerFastType = "kaz_text_fast"

// textAnalyzer is the analyzer registered as analyzerFastType.
type textAnalyzer struct {
	sep       analysis.CharFilter
	tokenizer analysis.Tokenizer // the original, for texts fastTokenize declines
	filters   []analysis.TokenFilter
}

func newTextAnalyzer(_ map[string]interface{}, cache *registry.Cache) (analysis.Analyzer, error) {
	sep, err := cache.CharFilterNamed(charSeparators)
	if err != nil {
		return nil, err
	}
	tok, err := cache.TokenizerNamed(unicodetok.Name)
	if err != nil {
		return nil, err
	}
	a := &textAnalyzer{sep: sep, tokenizer: tok}
	for _, name := range textFilters {
		f, err := cache.TokenFilterNamed(name)
		if err != nil {
			return nil, fmt.Errorf("analyzer %s: %w", analyzerFastType, err)
		}
		a.filters = append(a.filters, f)
	}
	return a, nil
}

// textFilters are the token filters of the text analyzer, in order. Each
// works on one token alone (none looks at its neighbours or its type),
// which is what makes terms cacheable.
var textFilters = []string{lowercase.Name, fr.ElisionName, filterFold, filterStop, fr.LightStemmerName}

func init() {
	if err := registry.RegisterAnalyzer(analyzerFastType, newTextAnalyzer); err != nil {
		panic(err)
	}
}

// Analyze returns the tokens of input, as the original chain does.
func (a *textAnalyzer) Analyze(input []byte) analysis.TokenStream {
	input = a.sep.Filter(input)
	toks, ok := fastTokenize(input)
	if !ok {
		toks = a.tokenizer.Tokenize(input)
	}
	return a.terms(toks)
}

// cachedTerm is the outcome of the token filters for one word.
type cachedTerm struct {
	term []byte // shared: never modified
	key  string // term as a string, for maps keyed by term
	drop bool   // a stop word
}

// termCache remembers the terms of words across documents and shards.
// It stops growing at maxCachedTerms (about 10 MB): rarer words are then
// computed each time.
//
// It holds no pointer the garbage collector must follow, apart from three
// slices: words and terms are bytes of one arena, found through an
// open-addressing table of entry numbers. As a map of strings it was
// hundreds of thousands of objects that every collection marked, and
// the queries of a server that indexes paid for it (at 100,000 documents
// the slowest two-word queries took 24–28 ms instead of 14–16).
var termCache = struct {
	sync.RWMutex
	arena   []byte      // words and terms; bytes are never changed once written
	entries []termEntry // in the order added; an entry's number never changes
	table   []uint32    // open addressing: entry number + 1, 0 when free
}{}

// termEntry is one word and its term in termCache.arena.
type termEntry struct {
	hash             uint32
	word, term       uint32 // offsets in arena
	wordLen, termLen uint16
	drop             bool
}

// hashWord is FNV-1a.
func hashWord(word []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range word {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// findTerm returns the entry number of word in termCache (read lock held).
func findTerm(word []byte, h uint32) (uint32, bool) {
	t := termCache.table
	if len(t) == 0 {
		return 0, false
	}
	mask := uint32(len(t) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		n := t[i]
		if n == 0 {
			return 0, false
		}
		e := &termCache.entries[n-1]
		if e.hash == h && int(e.wordLen) == len(word) && string(termCache.arena[e.word:e.word+uint32(e.wordLen)]) == string(word) {
			return n - 1, true
		}
	}
}

// cached returns the term of entry n (read lock held): its bytes and
// string share the arena, which never changes them.
func cached(n uint32) cachedTerm {
	e := &termCache.entries[n]
	if e.drop {
		return cachedTerm{drop: true}
	}
	b := termCache.arena[e.term : e.term+uint32(e.termLen) : e.term+uint32(e.termLen)]
	if len(b) == 0 {
		return cachedTerm{term: b}
	}
	return cachedTerm{term: b, key: unsafe.String(&b[0], len(b))}
}

// addTerm adds word and its term ct to termCache (write lock held),
// unless it is there or full. Words or terms over maxCachedWord bytes (a
// long run of letters, not a word) are not kept: the arena stays under
// 100 MB, well within its 32-bit offsets.
func addTerm(word string, ct cachedTerm) {
	if len(termCache.entries) >= maxCachedTerms || len(word) > maxCachedWord || len(ct.term) > maxCachedWord {
		return
	}
	h := hashWord([]byte(word))
	if _, ok := findTerm([]byte(word), h); ok {
		return // another analysis added it meanwhile
	}
	if 2*(len(termCache.entries)+1) > len(termCache.table) {
		growTermTable()
	}
	e := termEntry{hash: h, word: uint32(len(termCache.arena)), wordLen: uint16(len(word)), drop: ct.drop}
	termCache.arena = append(termCache.arena, word...)
	e.term, e.termLen = uint32(len(termCache.arena)), uint16(len(ct.term))
	termCache.arena = append(termCache.arena, ct.term...)
	termCache.entries = append(termCache.entries, e)
	insertTerm(uint32(len(termCache.entries)))
}

func insertTerm(n uint32) {
	t := termCache.table
	mask := uint32(len(t) - 1)
	for i := termCache.entries[n-1].hash & mask; ; i = (i + 1) & mask {
		if t[i] == 0 {
			t[i] = n
			return
		}
	}
}

func growTermTable() {
	size := max(1024, 2*len(termCache.table))
	termCache.table = make([]uint32, size)
	for n := range termCache.entries {
		insertTerm(uint32(n + 1))
	}
}

const maxCachedTerms, maxCachedWord = 200_000, 255

// recentTerms is a direct-mapped cache of the terms of short words in
// front of termCache, one per analysing goroutine (recents): once
// termCache holds a large vocabulary, each of its look-ups misses the
// processor's caches several times (string keys live apart from the
// map), while a few tens of thousands of words are most of a text. With
// 32,768 entries, at 100,000 documents, the term look-ups went from 11%
// to 8% of the indexing CPU (2,048 entries before).
type recentTerms [1 << 15]recentEntry

// recentEntry is 28 bytes without pointers (the garbage collector
// does not scan the caches): 896 KiB a front cache.
type recentEntry struct {
	key [23]byte
	n   uint8  // length of the word in key; 0 when empty
	idx uint32 // the word's entry in termCache.entries
}

// recents are the front caches, taken by one analysis at a time (a
// sync.Pool would lose them at every garbage collection, which is often
// while indexing).
var recents [8]struct {
	sync.Mutex
	r recentTerms
}

// takeRecent returns a free front cache and its release, or nil.
func takeRecent() (*recentTerms, func()) {
	for i := range recents {
		if recents[i].TryLock() {
			return &recents[i].r, recents[i].Unlock
		}
	}
	return nil, func() {}
}

// slot returns the entry for word (FNV-1a hash), or nil for a long word
// or without a cache.
func (r *recentTerms) slot(word []byte) *recentEntry {
	if r == nil || len(word) == 0 || len(word) > len(recentEntry{}.key) {
		return nil
	}
	h := uint32(2166136261)
	for _, c := range word {
		h = (h ^ uint32(c)) * 16777619
	}
	return &r[h&(uint32(len(r))-1)]
}

// terms replaces each token's text by its term, dropping stop words.
func (a *textAnalyzer) terms(toks analysis.TokenStream) analysis.TokenStream {
	out := toks[:0]
	l := a.lookup()
	for _, t := range toks {
		ct := l.term(t.Term)
		if ct.drop {
			continue
		}
		t.Term = ct.term
		out = append(out, t)
	}
	l.done()
	return out
}

// termLookup finds the terms of words through recentTerms and termCache;
// it holds termCache's read lock from lookup to done.
type termLookup struct {
	a       *textAnalyzer
	recent  *recentTerms
	release func()
	misses  map[string]cachedTerm
}

func (a *textAnalyzer) lookup() *termLookup {
	l := &termLookup{a: a}
	l.recent, l.release = takeRecent()
	termCache.RLock()
	return l
}

// term returns the outcome of the filters for word.
func (l *termLookup) term(word []byte) cachedTerm {
	slot := l.recent.slot(word)
	if slot != nil && int(slot.n) == len(word) && string(slot.key[:slot.n]) == string(word) {
		return cached(slot.idx)
	}
	if n, ok := findTerm(word, hashWord(word)); ok {
		if slot != nil {
			slot.n = uint8(copy(slot.key[:], word))
			slot.idx = n
		}
		return cached(n)
	}
	ct, ok := l.misses[string(word)]
	if !ok {
		ct = l.a.filter(word)
		if l.misses == nil {
			l.misses = map[string]cachedTerm{}
		}
		l.misses[string(word)] = ct
	}
	return ct
}

// done releases the locks and remembers the words first seen.
func (l *termLookup) done() {
	termCache.RUnlock()
	l.release()
	if len(l.misses) > 0 {
		termCache.Lock()
		for k, v := range l.misses {
			addTerm(k, v)
		}
		termCache.Unlock()
	}
}

// frequencies returns what analysis.TokenFrequency returns for the
// tokens of Analyze(input) without term vectors (each term and its
// count), and the number of tokens, without making the tokens: no token,
// no stream, one map key that is the cached term's own string, and one
// allocation for the counts. This was a fifth of indexing's analysis.
// Text fastTokenize declines goes through Analyze.
func (a *textAnalyzer) frequencies(input []byte) (int, index.TokenFrequencies) {
	input = a.sep.Filter(input)
	l := a.lookup()
	rv := make(index.TokenFrequencies, len(input)/24+1)
	backing := make([]index.TokenFreq, 0, len(input)/12+1)
	n := 0
	ok := fastWords(input, func(word []byte) {
		ct := l.term(word)
		if ct.drop {
			return
		}
		n++
		if tf := rv[ct.key]; tf != nil {
			tf.SetFrequency(tf.Frequency() + 1)
			return
		}
		var tf *index.TokenFreq
		if len(backing) < cap(backing) {
			backing = append(backing, index.TokenFreq{Term: ct.term})
			tf = &backing[len(backing)-1]
		} else {
			tf = &index.TokenFreq{Term: ct.term}
		}
		tf.SetFrequency(1)
		rv[ct.key] = tf
	})
	l.done()
	if !ok {
		toks := a.tokenizer.Tokenize(input)
		toks = a.terms(toks)
		return len(toks), analysis.TokenFrequency(toks, nil, 0)
	}
	return n, rv
}

// filter runs the token filters on one word.
func (a *textAnalyzer) filter(word []byte) cachedTerm {
	ts := analysis.TokenStream{{Term: append([]byte(nil), word...), Start: 0, End: len(word), Position: 1, Type: analysis.AlphaNumeric}}
	for _, f := range a.filters {
		ts = f.Filter(ts)
	}
	if len(ts) == 0 {
		return cachedTerm{drop: true}
	}
	return cachedTerm{term: append([]byte(nil), ts[0].Term...), key: string(ts[0].Term)}
}

// Character classes for fastTokenize, with their UAX #29 word-break
// property as blevesearch/segment (Unicode 8) implements it.
const (
	cOther     = iota // breaks on both sides (spaces, most punctuation)
	cLetter           // ALetter
	cDigit            // Numeric
	cMidLetter        // MidLetter: joins two letters (':', '·')
	cMidNum           // MidNum: joins two digits (',', ';')
	cMidBoth          // MidNumLet and Single_Quote: both ('.', ''', '’')
	cUnknown          // anything else: the original tokenizer decides
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range utf8.RuneSelf {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			t[c] = cLetter
		case c >= '0' && c <= '9':
			t[c] = cDigit
		case c == ':':
			t[c] = cMidLetter
		case c == ',' || c == ';':
			t[c] = cMidNum
		case c == '.' || c == '\'':
			t[c] = cMidBoth
		case c == '_': // ExtendNumLet
			t[c] = cUnknown
		default:
			t[c] = cOther
		}
	}
	return t
}()

// runeClass classifies a non-ASCII rune. Only runes whose segmentation
// analysis_fast_test.go checks against blevesearch/segment are known.
func runeClass(r rune) uint8 {
	switch {
	case r == 0xAA || r == 0xB5 || r == 0xBA,
		r >= 0xC0 && r <= 0x24F && r != 0xD7 && r != 0xF7:
		return cLetter
	case r == 0xB7:
		return cMidLetter
	case r == 0x2018 || r == 0x2019:
		return cMidBoth
	case r == 0xAD: // soft hyphen: Format
		return cUnknown
	case r >= 0xA0 && r <= 0xBF, r == 0xD7 || r == 0xF7,
		r >= 0x2010 && r <= 0x2017, r >= 0x201A && r <= 0x2022, r == 0x2026, r == 0x2030,
		r == 0x2039 || r == 0x203A, r == 0x20AC, r == 0x2122:
		return cOther
	}
	return cUnknown
}

func classAt(in []byte, i int) (uint8, int) {
	if c := in[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, size := utf8.DecodeRune(in[i:])
	if r == utf8.RuneError {
		return cUnknown, size
	}
	return runeClass(r), size
}

// fastTokenize splits in into words as the Unicode tokenizer does, or
// reports false when in has a character outside the known classes.
func fastTokenize(in []byte) (analysis.TokenStream, bool) {
	backing := make([]analysis.Token, 0, len(in)/6+1)
	ok := fastSplit(in, func(start, end int, numeric bool) {
		typ := analysis.AlphaNumeric
		if numeric {
			typ = analysis.Numeric
		}
		backing = append(backing, analysis.Token{Term: in[start:end], Start: start, End: end, Position: len(backing) + 1, Type: typ})
	})
	if !ok {
		return nil, false
	}
	out := make(analysis.TokenStream, len(backing))
	for k := range backing {
		out[k] = &backing[k]
	}
	return out, true
}

// fastWords calls word for each word of in, as fastTokenize splits it;
// false when fastTokenize would decline in (after some calls, maybe).
func fastWords(in []byte, word func([]byte)) bool {
	return fastSplit(in, func(start, end int, _ bool) { word(in[start:end]) })
}

// fastSplit is fastTokenize's loop: it calls tok with each word's bounds
// and whether it is all digits.
func fastSplit(in []byte, tok func(start, end int, numeric bool)) bool {
	for i := 0; i < len(in); {
		c, size := classAt(in, i)
		if c == cUnknown {
			return false
		}
		if c != cLetter && c != cDigit {
			i += size
			continue
		}
		start, prev, numeric := i, c, c == cDigit
		i += size
		for i < len(in) {
			c, size = classAt(in, i)
			if c == cLetter || c == cDigit {
				numeric = numeric && c == cDigit
				prev = c
				i += size
				continue
			}
			if c == cUnknown {
				return false
			}
			if (c == cMidLetter || c == cMidNum || c == cMidBoth) && i+size < len(in) {
				next, nsize := classAt(in, i+size)
				if next == cUnknown {
					return false
				}
				if next == prev && ((prev == cLetter && c != cMidNum) || (prev == cDigit && c != cMidLetter)) {
					i += size + nsize
					continue
				}
			}
			break
		}
		tok(start, i, numeric)
	}
	return true
}
