package bleve

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kazhq/kaz/search"
)

// Documents of equal score in several libraries page without repeats or
// gaps, and the same query gives the same order every time.
func TestTiedHitsPageStablyAcrossLibraries(t *testing.T) {
	var docs []search.Document
	libs := []string{"c", "a", "b"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		d := textDoc(libs[i%3], fmt.Sprintf("/d%02d.txt", i), "La même note de service, mot pour mot.")
		d.Modified = base.Add(time.Duration(i%4) * time.Hour) // ties for sort=modified too
		docs = append(docs, d)
	}
	e := openTest(t, docs...)
	for _, sortBy := range []string{search.SortRelevance, search.SortModified} {
		var orders [2][]string
		for run := range orders {
			q := search.Query{Text: "note service", Libraries: []string{"b", "a", "c"}, Limit: 7, Sort: sortBy}
			var last time.Time
			for page := 0; page < 20; page++ {
				res, err := e.Search(t.Context(), q)
				if err != nil {
					t.Fatal(err)
				}
				if res.Total != 60 {
					t.Fatalf("total %d", res.Total)
				}
				for _, h := range res.Hits {
					if sortBy == search.SortModified && !last.IsZero() && h.Modified.After(last) {
						t.Errorf("%s: %s newer than the hit before", sortBy, h.Path)
					}
					last = h.Modified
					orders[run] = append(orders[run], h.Library+h.Path)
				}
				if res.Next == "" {
					break
				}
				q.Cursor = res.Next
			}
		}
		seen := map[string]bool{}
		for _, k := range orders[0] {
			if seen[k] {
				t.Errorf("%s: %s on two pages", sortBy, k)
			}
			seen[k] = true
		}
		if len(seen) != 60 {
			t.Errorf("%s: %d distinct hits over the pages, want 60", sortBy, len(seen))
		}
		if !slices.Equal(orders[0], orders[1]) {
			t.Errorf("%s: order changed between two identical searches", sortBy)
		}
	}
}
