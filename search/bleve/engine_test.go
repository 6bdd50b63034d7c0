package bleve_test

import (
	"testing"

	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/search/bleve"
	"github.com/kazhq/kaz/search/searchtest"
)

func TestConformance(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Index {
		e, err := bleve.Open(t.Context(), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}
