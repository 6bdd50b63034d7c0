package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/search/bleve"
	"github.com/kazhq/kaz/server/auth"
)

// noChanges is a source with an empty outbox.
type noChanges struct{}

func (noChanges) Changes(context.Context, int64, int) ([]search.Change, error) { return nil, nil }
func (noChanges) Open(context.Context, string, string) (io.ReadCloser, search.Item, error) {
	return nil, search.Item{}, search.ErrNotFound
}
func (noChanges) Walk(context.Context, string, string, func(search.Item) error) error { return nil }
func (noChanges) LibraryNames(context.Context) ([]string, error)                      { return nil, nil }

func newSearchAPI(t *testing.T) *Server {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	eng, err := bleve.Open(ctx, filepath.Join(dir, "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ix, err := search.NewIndexer(ctx, db, eng, noChanges{}, "bleve", search.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	docs := []search.Document{
		{Library: "rh", Path: "/Charte_Télétravail_v3.docx", Name: "Charte_Télétravail_v3.docx", Type: "docx", Author: "Élodie", Modified: now, Size: 10,
			Content: "Les télétravailleurs signent la charte <b>avant</b> de commencer."},
		{Library: "direction", Path: "/secret.txt", Name: "secret.txt", Type: "txt", Modified: now, Content: "Télétravail des cadres dirigeants."},
	}
	for i := range 30 {
		docs = append(docs, search.Document{Library: "rh", Path: "/notes/n" + string(rune('a'+i)) + ".txt", Name: "n.txt", Type: "txt", Modified: now.Add(-time.Duration(i) * time.Hour), Content: "note de service"})
	}
	if err := eng.Apply(ctx, &search.Batch{Put: docs}); err != nil {
		t.Fatal(err)
	}
	s := &Server{log: slog.New(slog.DiscardHandler), api: http.NewServeMux()}
	s.searchp = &searchPart{engine: eng, ix: ix, libraries: func(_ context.Context, p *auth.Principal) ([]string, error) {
		if p.InGroup("direction") {
			return []string{"rh", "direction"}, nil
		}
		if p.InGroup("rh") {
			return []string{"rh"}, nil
		}
		return nil, nil
	}}
	s.searchp.bg, s.searchp.bgCancel = context.WithCancel(context.Background())
	t.Cleanup(func() { s.searchp.bgCancel(); s.searchp.reindexW.Wait() })
	s.routesSearch()
	return s
}

func call(t *testing.T, s *Server, p *auth.Principal, method, target string, out any) int {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if p != nil {
		req = req.WithContext(auth.WithPrincipal(req.Context(), p))
	}
	w := httptest.NewRecorder()
	s.api.ServeHTTP(w, req)
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, target, w.Code, w.Body.String(), err)
		}
	}
	return w.Code
}

type apiResult struct {
	Results []struct {
		Library, Path, Name, Snippet, Author, Type string
		Size                                       int64
		Modified                                   time.Time
	} `json:"results"`
	Total  int                       `json:"total"`
	Facets map[string][]search.Facet `json:"facets"`
	Next   string                    `json:"next"`
	Error  string                    `json:"error"`
}

var (
	agentRH  = &auth.Principal{User: "awa", Groups: []string{"rh"}}
	director = &auth.Principal{User: "dir", Groups: []string{"direction"}}
	outsider = &auth.Principal{User: "zoe", Groups: []string{"compta"}}
)

func TestSearchAPIFindsAccentlessAndTrimsToReadableLibraries(t *testing.T) {
	s := newSearchAPI(t)
	var res apiResult
	if code := call(t, s, agentRH, "GET", "/api/search?q="+url.QueryEscape("teletravail charte"), &res); code != 200 {
		t.Fatalf("status %d: %s", code, res.Error)
	}
	if res.Total != 1 || len(res.Results) != 1 || res.Results[0].Path != "/Charte_Télétravail_v3.docx" {
		t.Fatalf("results = %+v", res)
	}
	h := res.Results[0]
	if !strings.Contains(h.Snippet, "<mark>") || strings.Contains(h.Snippet, "<b>") || h.Library != "rh" || h.Type != "docx" || h.Author != "Élodie" {
		t.Errorf("hit = %+v", h)
	}
	for _, f := range res.Facets["library"] {
		if f.Value == "direction" {
			t.Error("the library facet shows a library the agent cannot read")
		}
	}
	// A finished short word is a word; fich* asks for the words starting so.
	call(t, s, agentRH, "GET", "/api/search?q="+url.QueryEscape("char "), &res)
	if res.Total != 0 {
		t.Errorf("'char ' (a finished word) found %d documents, want 0", res.Total)
	}
	call(t, s, agentRH, "GET", "/api/search?q="+url.QueryEscape("char* "), &res)
	if res.Total != 1 {
		t.Errorf("'char* ' found %d documents, want the charter", res.Total)
	}
	// The direction can read both; asking for an unreadable library gives nothing.
	call(t, s, director, "GET", "/api/search?q=teletravail", &res)
	if res.Total != 2 {
		t.Errorf("director total = %d, want 2", res.Total)
	}
	call(t, s, agentRH, "GET", "/api/search?q=teletravail&library=direction", &res)
	if res.Total != 0 {
		t.Errorf("agent asking for direction got %d results", res.Total)
	}
	call(t, s, outsider, "GET", "/api/search?q=teletravail", &res)
	if res.Total != 0 || res.Results == nil {
		t.Errorf("outsider: %+v", res)
	}
}

func TestSearchAPIPagesWithCursorAndFilters(t *testing.T) {
	s := newSearchAPI(t)
	seen := map[string]bool{}
	target := "/api/search?q=service&limit=12&sort=modified"
	for page := 0; page < 5; page++ {
		var res apiResult
		if code := call(t, s, agentRH, "GET", target, &res); code != 200 {
			t.Fatalf("status %d", code)
		}
		for _, h := range res.Results {
			seen[h.Path] = true
		}
		if res.Next == "" {
			break
		}
		target = "/api/search?q=service&limit=12&sort=modified&cursor=" + url.QueryEscape(res.Next)
	}
	if len(seen) != 30 {
		t.Errorf("paged through %d documents, want 30", len(seen))
	}
	var res apiResult
	day := time.Now().Add(-5 * time.Hour).UTC().Format(time.RFC3339)
	call(t, s, agentRH, "GET", "/api/search?q=service&modified_after="+url.QueryEscape(day)+"&type=txt", &res)
	if res.Total < 5 || res.Total > 6 {
		t.Errorf("modified_after total = %d, want 5 or 6", res.Total)
	}
	for _, tc := range []string{"sort=name", "limit=0", "limit=abc", "modified_after=hier", "cursor=xyz"} {
		var e apiResult
		if code := call(t, s, agentRH, "GET", "/api/search?q=service&"+tc, &e); code != 400 || e.Error == "" {
			t.Errorf("%s: status %d, error %q", tc, code, e.Error)
		}
	}
}

func TestSearchAPISuggestsAndGuardsAdmin(t *testing.T) {
	s := newSearchAPI(t)
	var sugg struct {
		Suggestions []search.Suggestion `json:"suggestions"`
	}
	call(t, s, agentRH, "GET", "/api/search/suggest?q=charte_tel", &sugg)
	if len(sugg.Suggestions) != 1 || sugg.Suggestions[0].Text != "Charte_Télétravail_v3.docx" {
		t.Errorf("suggestions = %+v", sugg)
	}
	call(t, s, agentRH, "GET", "/api/search/suggest?q=secr", &sugg)
	if len(sugg.Suggestions) != 0 {
		t.Errorf("suggestion leaks: %+v", sugg)
	}
	if code := call(t, s, agentRH, "GET", "/api/admin/search", nil); code != http.StatusForbidden {
		t.Errorf("non-admin status page: %d", code)
	}
	admin := &auth.Principal{User: "root", Admin: true}
	var st struct {
		Status   search.Status    `json:"status"`
		Failures []search.Failure `json:"failures"`
	}
	if code := call(t, s, admin, "GET", "/api/admin/search", &st); code != 200 || st.Status.Documents != 32 || st.Status.Engine != "bleve" {
		t.Errorf("admin status %d: %+v", code, st)
	}
	if code := call(t, s, nil, "GET", "/api/search?q=x", nil); code != http.StatusUnauthorized {
		t.Errorf("no principal: %d", code)
	}
}

func TestSearchAPIReindexRunsInBackground(t *testing.T) {
	s := newSearchAPI(t)
	admin := &auth.Principal{User: "root", Admin: true}
	if code := call(t, s, agentRH, "POST", "/api/admin/search/reindex", nil); code != http.StatusForbidden {
		t.Errorf("non-admin reindex: %d", code)
	}
	if code := call(t, s, admin, "POST", "/api/admin/search/reindex", nil); code != http.StatusAccepted {
		t.Fatalf("reindex: %d", code)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st struct {
			Status  search.Status `json:"status"`
			Reindex *struct {
				Running bool   `json:"running"`
				Error   string `json:"error"`
			} `json:"reindex"`
		}
		call(t, s, admin, "GET", "/api/admin/search", &st)
		if st.Reindex != nil && !st.Reindex.Running {
			// The source knows no library: the rebuilt index is empty.
			if st.Reindex.Error != "" || st.Status.Documents != 0 {
				t.Errorf("after reindex: %+v, %+v", st.Status, st.Reindex)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("reindex never finished")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
