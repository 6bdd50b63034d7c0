package meili_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/search/meili"
	"github.com/kazhq/kaz/search/searchtest"
)

// TestConformance runs the shared suite against the Meilisearch server at
// KAZ_TEST_MEILI_URL (key in KAZ_TEST_MEILI_KEY). No Meilisearch can be
// installed on the build machines, so without the variable the test is
// skipped, even under KAZ_E2E=1: it is an optional, configured peer.
func TestConformance(t *testing.T) {
	url := os.Getenv("KAZ_TEST_MEILI_URL")
	if url == "" {
		t.Skip("KAZ_TEST_MEILI_URL not set: Meilisearch conformance not run (set it to a Meilisearch server, e.g. http://127.0.0.1:7700)")
	}
	n := 0
	searchtest.Run(t, func(t *testing.T) search.Index {
		n++
		cfg := meili.Config{URL: url, Key: os.Getenv("KAZ_TEST_MEILI_KEY"), Index: fmt.Sprintf("kaz_test_%d_%d", time.Now().UnixNano(), n), Timeout: 30 * time.Second}
		e, err := meili.Open(t.Context(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			e.DeleteIndex(ctx)
		})
		return e
	})
}
