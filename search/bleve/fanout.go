package bleve

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"

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
// shard and returns the merged page req.From, req.Size.
func (s shardSet) search(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
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
		wg.Go(func() { results[i], errs[i] = idx.SearchInContext(ctx, &child) })
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
