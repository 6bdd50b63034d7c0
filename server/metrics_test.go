package server_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// /metrics shows the document store's writes and the search index's
// state next to the HTTP figures, for the administrators' monitoring.
func TestMetricsShowWritesAndIndex(t *testing.T) {
	srv, cs := docsServer(t)
	for i, name := range []string{"/a.txt", "/b.txt", "/c.txt"} {
		if code, body := cs["bob"].upload("rh", name, "contenu "+strconv.Itoa(i)); code != http.StatusCreated {
			t.Fatalf("upload = %d %v", code, body)
		}
	}
	value := func(text, name string) (float64, bool) {
		m := regexp.MustCompile(`(?m)^` + name + ` ([0-9.e+]+)$`).FindStringSubmatch(text)
		if m == nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(m[1], 64)
		return v, err == nil
	}
	var text string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		text = string(b)
		if docs, _ := value(text, "kaz_search_documents"); docs >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index never showed 3 documents:\n%s", text)
		}
	}
	for name, least := range map[string]float64{
		"kaz_docs_committed_writes_total":  3,
		"kaz_docs_commits_total":           1,
		"kaz_docs_log_syncs_total":         1,
		"kaz_docs_commit_seconds_total":    0,
		"kaz_search_pending_changes":       0,
		"kaz_search_lag_seconds":           0,
		"kaz_search_unreadable_documents":  0,
		"kaz_search_indexed_changes_total": 3,
	} {
		if v, ok := value(text, name); !ok || v < least {
			t.Errorf("%s = %v (present %v), want at least %v", name, v, ok, least)
		}
	}
}
