package bleve

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
)

// shardSet is the shards a search runs over, in library order. It does
// what a Bleve IndexAlias does (one search per shard in parallel, results
// merged), with one difference that matters for speed: hits of equal rank
// are ordered by library, then by their order inside the shard, instead
// of by document id. An "_id" tie-break in the sort made every shard load
// the id of every matching document (a quarter of the CPU of a two-word
// query at 100,000 documents); the order here is as stable for paging,
// since it depends only on the indexes' contents.
type shardSet []bleve.Index

// searchSet returns the shards of libs that exist, in library order.
func (e *Engine) searchSet(libs []string) shardSet {
	libs = slices.Clone(libs)
	sort.Strings(libs)
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out shardSet
	for _, l := range libs {
		if idx, ok := e.shards[l]; ok {
			out = append(out, idx)
		}
	}
	return out
}

// search runs req (sorted by score, or by one field then score) on every
// shard and returns the merged page req.From, req.Size. fast, when not
// nil, is req's query as a plain query the fast path runs (fastpath.go).
func (s shardSet) search(ctx context.Context, req *bleve.SearchRequest, fast *fastPlan) (*bleve.SearchResult, error) {
	from, size := req.From, req.Size
	results := make([]*bleve.SearchResult, len(s))
	errs := make([]error, len(s))
	var wg sync.WaitGroup
	for i, idx := range s {
		child := *req
		child.Sort = req.Sort.Copy() // a field sort keeps state per search
		child.From, child.Size = 0, from+size
		if len(s) == 1 {
			child.From, child.Size = from, size
		}
		wg.Go(func() {
			if fast != nil {
				results[i], errs[i] = searchFast(ctx, idx, fast, child.From, child.Size, child.Facets)
				if errs[i] == nil {
					results[i].Request = &child
					return
				}
				if !errors.Is(errs[i], errNoFastPath) {
					return
				}
			}
			results[i], errs[i] = idx.SearchInContext(ctx, &child)
		})
	}
	wg.Wait()
	var sr *bleve.SearchResult
	type ranked struct {
		hit   *bsearch.DocumentMatch
		shard int
	}
	var hits []ranked
	for i, r := range results {
		if errs[i] != nil {
			return nil, errs[i]
		}
		for _, h := range r.Hits {
			hits = append(hits, ranked{h, i})
		}
		if sr == nil {
			sr = r
		} else {
			sr.Merge(r)
		}
	}
	if sr == nil {
		return &bleve.SearchResult{Status: &bleve.SearchStatus{}}, nil
	}
	if len(s) == 1 {
		return sr, nil
	}
	byField := len(req.Sort) > 0 && !isScoreSort(req.Sort[0])
	desc := len(req.Sort) > 0 && req.Sort[0].Descending()
	sort.SliceStable(hits, func(a, b int) bool {
		x, y := hits[a], hits[b]
		if byField {
			if c := strings.Compare(sortKey(x.hit), sortKey(y.hit)); c != 0 {
				return (c > 0) == desc
			}
		}
		if x.hit.Score != y.hit.Score {
			return x.hit.Score > y.hit.Score
		}
		if x.shard != y.shard {
			return x.shard < y.shard
		}
		return x.hit.HitNumber < y.hit.HitNumber
	})
	page := make(bsearch.DocumentMatchCollection, 0, size)
	for i := from; i < len(hits) && i < from+size; i++ {
		page = append(page, hits[i].hit)
	}
	sr.Hits = page
	sr.Request = req
	for name, fr := range req.Facets {
		sr.Facets.Fixup(name, fr.Size)
	}
	return sr, nil
}

func isScoreSort(s bsearch.SearchSort) bool {
	ss, ok := s.(*bsearch.SortScore)
	return ok && ss != nil
}

func sortKey(h *bsearch.DocumentMatch) string {
	if len(h.Sort) == 0 {
		return ""
	}
	return h.Sort[0]
}

// maxExtensions bounds the longer words a finished long word is expanded
// to as separate term searches; beyond it a prefix search is used.
const maxExtensions = 32

// extensions returns a function listing the words of fMatch, in any shard
// of s, that are tok followed by letters (not "fichier1"); ok is false when there are
// more than maxExtensions (or a dictionary could not be read). A long
// word with no longer word in the index (the usual case) is then one term
// search, not a prefix search merged with it.
func (s shardSet) extensions(ctx context.Context) func(tok string) ([]string, bool) {
	return func(tok string) ([]string, bool) {
		seen := map[string]bool{}
		var out []string
		for _, idx := range s {
			if ctx.Err() != nil {
				return nil, false
			}
			d, err := idx.FieldDictPrefix(fMatch, []byte(tok))
			if err != nil {
				return nil, false
			}
			for {
				e, err := d.Next()
				if err != nil {
					d.Close()
					return nil, false
				}
				if e == nil {
					break
				}
				if e.Term == tok || seen[e.Term] || !lettersOnly(e.Term[len(tok):]) {
					continue
				}
				if len(out) == maxExtensions {
					d.Close()
					return nil, false
				}
				seen[e.Term] = true
				out = append(out, e.Term)
			}
			if err := d.Close(); err != nil {
				return nil, false
			}
		}
		sort.Strings(out)
		return out, true
	}
}

func lettersOnly(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}
