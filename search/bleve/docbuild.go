package bleve

import (
	"context"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/numeric"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/kazhq/kaz/search"
)

// The Bleve document of a Kaz document is the mapping's (newMapping),
// with three things made cheaper for indexing, each checked by
// docbuild_test.go against what the mapping alone gives:
//
//   - text fields count their terms straight from the words
//     (textAnalyzer.frequencies), without the token stream;
//   - the modified date is indexed as one term, its exact value, where
//     Bleve indexes sixteen (one per 4 bits of precision, for its range
//     queries): those were a tenth of the indexing CPU. The value feeds
//     the date's doc values (sort, facets), and the date filter reads
//     them (dateFilterQuery) instead of searching ranges of terms;
//   - no "_all" field: no field is included in it.
func (e *Engine) document(id string, d *search.Document) (*document.Document, error) {
	doc := document.NewDocument(id)
	if err := e.mapping.MapDocument(doc, docFields(d)); err != nil {
		return nil, fmt.Errorf("bleve: index %q: %w", d.Path, err)
	}
	doc.CompositeFields = nil
	for i, f := range doc.Fields {
		switch f := f.(type) {
		case *document.TextField:
			if a, ok := f.Analyzer().(*textAnalyzer); ok && !f.Options().IncludeTermVectors() {
				doc.Fields[i] = &textField{TextField: f, a: a}
			}
		case *document.DateTimeField:
			doc.Fields[i] = &dateField{DateTimeField: f}
		}
	}
	return doc, nil
}

// textField is a text field analysed by textAnalyzer.frequencies.
type textField struct {
	*document.TextField
	a      *textAnalyzer
	length int
	freqs  index.TokenFrequencies
}

func (f *textField) Analyze() {
	f.length, f.freqs = f.a.frequencies(f.Value())
}

func (f *textField) AnalyzedLength() int                              { return f.length }
func (f *textField) AnalyzedTokenFrequencies() index.TokenFrequencies { return f.freqs }

// dateField is a date indexed as its exact value alone.
type dateField struct {
	*document.DateTimeField
	freqs index.TokenFrequencies
}

func (f *dateField) Analyze() {
	t, _, err := f.DateTime()
	if err != nil {
		f.freqs = index.TokenFrequencies{}
		return
	}
	term := numeric.MustNewPrefixCodedInt64(t.UnixNano(), 0)
	tf := &index.TokenFreq{Term: term}
	tf.SetFrequency(1)
	f.freqs = index.TokenFrequencies{string(term): tf}
}

func (f *dateField) AnalyzedLength() int                              { return len(f.freqs) }
func (f *dateField) AnalyzedTokenFrequencies() index.TokenFrequencies { return f.freqs }

// dateFilterQuery keeps the documents of q modified within [after,
// before] (a zero bound is open), read from the date's doc values: the
// filter is part of the query, so totals and pages count only what it
// keeps, and it adds nothing to the scores.
type dateFilterQuery struct {
	q             query.Query
	after, before time.Time
}

func (d *dateFilterQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	s, err := d.q.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	dvr, err := r.DocValueReader([]string{fModified})
	if err != nil {
		s.Close()
		return nil, err
	}
	lo, hi := int64(minInt64), int64(maxInt64)
	if !d.after.IsZero() {
		lo = d.after.UnixNano()
	}
	if !d.before.IsZero() {
		hi = d.before.UnixNano()
	}
	var v int64
	var found bool
	visit := func(_ string, term []byte) {
		pc := numeric.PrefixCoded(term)
		if shift, err := pc.Shift(); err == nil && shift == 0 {
			if x, err := pc.Int64(); err == nil {
				v, found = x, true
			}
		}
	}
	return searcher.NewFilteringSearcher(ctx, s, func(_ *bsearch.SearchContext, dm *bsearch.DocumentMatch) bool {
		found = false
		if err := dvr.VisitDocValues(dm.IndexInternalID, visit); err != nil || !found {
			return false
		}
		return v >= lo && v <= hi
	}), nil
}

const (
	minInt64 = -1 << 63
	maxInt64 = 1<<63 - 1
)
