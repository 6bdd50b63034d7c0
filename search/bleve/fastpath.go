package bleve

import (
	"container/heap"
	"context"
	"errors"
	"math"
	"sort"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// The fast path runs the most common query — plain words, ranked by
// relevance, no filter, no facets — directly on the postings of each
// segment: a leapfrog intersection of the words' postings in fMatch, the
// optional name and title/author clauses looked up for each match, each
// match scored and kept in a bounded heap of the best from+size.
//
// It computes what Bleve's BooleanSearcher computes for the same query
// (same TF-IDF formula, idf and query norm, the should clauses' coord),
// with the same total, but without Bleve's per-match machinery (a
// searcher tree, a document match object per posting and per level, a
// collector): at 100,000 documents that machinery was most of the cost
// of a query of two common words. TestFastPathRanksAsBleve checks both
// give the same hits, scores and totals on a corpus.

// fastTerm is one term search of a plain query.
type fastTerm struct {
	field, term string
	boost       float64
}

// fastPlan is a plain query: every must clause one term, the should
// clauses single terms too.
type fastPlan struct {
	must, should []fastTerm
	// values caches the facet values of segments (the engine's).
	values *valueCache
}

// planFast returns the plan of q when the fast path can run it exactly
// as Bleve would, or nil.
func planFast(q query.Query) *fastPlan {
	bq, ok := q.(*query.BooleanQuery)
	if !ok || bq.MustNot != nil || bq.Filter != nil || bq.Must == nil {
		return nil
	}
	must, ok := bq.Must.(*query.ConjunctionQuery)
	if !ok || len(must.Conjuncts) == 0 {
		return nil
	}
	p := &fastPlan{}
	for _, c := range must.Conjuncts {
		t, ok := asTerm(c)
		if !ok {
			return nil
		}
		p.must = append(p.must, t)
	}
	if bq.Should != nil {
		dq, ok := bq.Should.(*query.DisjunctionQuery)
		if !ok || dq.Min != 0 || len(dq.Disjuncts) > 10 {
			// (Bleve's heap disjunction, from 11 clauses, might sum in
			// another order.)
			return nil
		}
		for _, c := range dq.Disjuncts {
			t, ok := asTerm(c)
			if !ok {
				return nil
			}
			p.should = append(p.should, t)
		}
	}
	return p
}

func asTerm(q query.Query) (fastTerm, bool) {
	tq, ok := q.(*query.TermQuery)
	if !ok || tq.FieldVal == "" {
		return fastTerm{}, false
	}
	return fastTerm{field: tq.FieldVal, term: tq.Term, boost: tq.BoostVal.Value()}, true
}

// errNoFastPath is returned when a shard cannot be searched by the fast
// path (not a scorch index): the caller uses Bleve's search.
var errNoFastPath = errors.New("bleve: fast path unavailable")

// searchFast runs p on idx and returns its hits from..from+size (by
// score, ties in index order), the total, the best score and the facets
// of facets.
func searchFast(ctx context.Context, idx bleve.Index, p *fastPlan, from, size int, facets bleve.FacetsRequest) (*bleve.SearchResult, error) {
	var fc *facetCounter
	if len(facets) > 0 {
		if fc = newFacetCounter(facets); fc == nil || p.values == nil {
			return nil, errNoFastPath
		}
	}
	ai, err := idx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := ai.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, errNoFastPath
	}
	docTotal, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	// Weights as Bleve's term scorers: idf from the term's document count,
	// the query norm over every term search (must, then should).
	terms := append(append([]fastTerm(nil), p.must...), p.should...)
	idf := make([]float64, len(terms))
	qw := make([]float64, len(terms))
	counts := make([]uint64, len(terms))
	var sumMust, sumShould float64
	for i, t := range terms {
		tfr, err := r.TermFieldReader(ctx, []byte(t.term), t.field, false, false, false)
		if err != nil {
			return nil, err
		}
		n := tfr.Count()
		tfr.Close()
		counts[i] = n
		idf[i] = 1.0 + math.Log(float64(docTotal)/float64(n+1.0))
		w := t.boost * idf[i]
		if i < len(p.must) {
			sumMust += w * w
		} else {
			sumShould += w * w
		}
	}
	norm := 1.0 / math.Sqrt(sumMust+sumShould)
	// The intersection is led by the rarest word (the others are
	// advanced to its documents); scores are still summed in the query's
	// order, as Bleve does.
	order := make([]int, len(p.must))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return counts[order[a]] < counts[order[b]] })
	lead, rest := order[0], order[1:]
	for i, t := range terms {
		qw[i] = t.boost * idf[i] * norm
	}
	score := func(i int, tf uint64, fieldNorm float64) float64 {
		var s float64
		if tf < uint64(len(sqrtCache)) {
			s = sqrtCache[tf]
		} else {
			s = math.Sqrt(float64(tf))
		}
		s = s * fieldNorm * idf[i]
		if qw[i] != 1.0 {
			s *= qw[i]
		}
		return s
	}

	k := from + size
	top := &fastHeap{}
	var total uint64
	var hitNumber uint64
	var maxScore float64
	segs := snap.Segments()
	its := make([]segment.PostingsIterator, len(terms))
	cur := make([]segment.Posting, len(terms))
	for si, ss := range segs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ok, err := openIterators(ss, terms, len(p.must), its, cur)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if fc != nil {
			v, err := p.values.get(idx, ss)
			if err != nil {
				return nil, err
			}
			fc.segment(v)
		}
		for cur[lead] != nil {
			// Leapfrog: bring every must iterator to the same document.
			doc := cur[lead].Number()
			aligned := true
			for _, j := range rest {
				if cur[j].Number() < doc {
					if cur[j], err = its[j].Advance(doc); err != nil {
						return nil, err
					}
					if cur[j] == nil {
						aligned = false
						cur[lead] = nil
						break
					}
				}
				if n := cur[j].Number(); n > doc {
					aligned = false
					if cur[lead], err = its[lead].Advance(n); err != nil {
						return nil, err
					}
					break
				}
			}
			if !aligned {
				continue
			}
			var s float64
			for j := range p.must {
				s += score(j, cur[j].Frequency(), cur[j].Norm())
			}
			matched := 0
			var ssum float64
			for j := len(p.must); j < len(terms); j++ {
				if its[j] == nil {
					continue
				}
				if cur[j] != nil && cur[j].Number() < doc {
					if cur[j], err = its[j].Advance(doc); err != nil {
						return nil, err
					}
				}
				if cur[j] == nil {
					its[j] = nil
					continue
				}
				if cur[j].Number() == doc {
					ssum += score(j, cur[j].Frequency(), cur[j].Norm())
					matched++
				}
			}
			if matched > 0 {
				s += ssum * (float64(matched) / float64(len(p.should)))
			}
			total++
			hitNumber++
			if fc != nil {
				fc.add(doc)
			}
			maxScore = max(maxScore, s)
			if k > 0 {
				h := fastHit{score: s, hit: hitNumber, seg: si, doc: doc}
				if top.Len() < k {
					heap.Push(top, h)
				} else if h.better((*top)[0]) {
					(*top)[0] = h
					heap.Fix(top, 0)
				}
			}
			if cur[lead], err = its[lead].Next(); err != nil {
				return nil, err
			}
		}
	}
	hits := []fastHit(*top)
	sort.Slice(hits, func(a, b int) bool { return hits[a].better(hits[b]) })
	res := &bleve.SearchResult{
		Status:   &bleve.SearchStatus{Total: 1, Successful: 1},
		Hits:     bsearch.DocumentMatchCollection{},
		Total:    total,
		MaxScore: maxScore,
	}
	if fc != nil {
		res.Facets = fc.results()
	}
	for i := from; i < len(hits); i++ {
		h := hits[i]
		id, err := segs[h.seg].DocID(h.doc)
		if err != nil {
			return nil, err
		}
		res.Hits = append(res.Hits, &bsearch.DocumentMatch{ID: string(id), Score: h.score, HitNumber: h.hit})
	}
	return res, nil
}

// openIterators positions an iterator per term on segment ss (deleted
// documents excluded): its[i] and cur[i] (the first posting). It returns
// false when a must term has no posting there.
func openIterators(ss *scorch.SegmentSnapshot, terms []fastTerm, nMust int, its []segment.PostingsIterator, cur []segment.Posting) (bool, error) {
	dicts := map[string]segment.TermDictionary{}
	for i, t := range terms {
		its[i], cur[i] = nil, nil
		d, ok := dicts[t.field]
		if !ok {
			var err error
			if d, err = ss.Segment().Dictionary(t.field); err != nil {
				return false, err
			}
			dicts[t.field] = d
		}
		if d == nil {
			if i < nMust {
				return false, nil
			}
			continue
		}
		pl, err := d.PostingsList([]byte(t.term), ss.Deleted(), nil)
		if err != nil {
			return false, err
		}
		if pl == nil || pl.Count() == 0 {
			if i < nMust {
				return false, nil
			}
			continue
		}
		its[i] = pl.Iterator(true, true, false, nil)
		if cur[i], err = its[i].Next(); err != nil {
			return false, err
		}
		if cur[i] == nil {
			its[i] = nil
			if i < nMust {
				return false, nil
			}
		}
	}
	return true, nil
}

// sqrtCache is Bleve's table of square roots of small frequencies.
var sqrtCache = func() []float64 {
	c := make([]float64, 64)
	for i := range c {
		c[i] = math.Sqrt(float64(i))
	}
	return c
}()

type fastHit struct {
	score float64
	hit   uint64
	seg   int
	doc   uint64
}

// better orders hits by score, then in index order (as Bleve's hit
// numbers).
func (h fastHit) better(o fastHit) bool {
	if h.score != o.score {
		return h.score > o.score
	}
	return h.hit < o.hit
}

// fastHeap is a min-heap of the best hits: the worst at the top.
type fastHeap []fastHit

func (h fastHeap) Len() int           { return len(h) }
func (h fastHeap) Less(i, j int) bool { return h[j].better(h[i]) }
func (h fastHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *fastHeap) Push(x any)        { *h = append(*h, x.(fastHit)) }
func (h *fastHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
