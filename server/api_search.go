package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/server/auth"
)

func (s *Server) routesSearch() {
	h := func(fn httperr.Func) http.Handler { return httperr.Handler(s.log, fn) }
	s.api.Handle("GET /api/search", h(s.apiSearch))
	s.api.Handle("GET /api/search/suggest", h(s.apiSuggest))
	s.api.Handle("GET /api/admin/search", h(s.apiSearchStatus))
	s.api.Handle("POST /api/admin/search/reindex", h(s.apiSearchReindex))
}

// searchReady returns the search part, or a 503 while search is not wired.
func (s *Server) searchReady() (*searchPart, error) {
	if s.searchp == nil || s.searchp.engine == nil {
		return nil, httperr.New(http.StatusServiceUnavailable, "search is not available", nil)
	}
	return s.searchp, nil
}

func searchPrincipal(r *http.Request) (*auth.Principal, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return nil, httperr.New(http.StatusUnauthorized, "authentication required", nil)
	}
	return p, nil
}

// parseDate reads 2026-03-01 or an RFC 3339 time. A bare date used as an
// upper bound covers the whole day.
func searchDate(v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, err
	}
	if end {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

func searchList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func searchBad(msg string) error { return httperr.New(http.StatusBadRequest, msg, nil) }

// searchResponse is the JSON of GET /api/search.
type searchResponse struct {
	Results []search.Hit              `json:"results"`
	Total   uint64                    `json:"total"`
	Facets  map[string][]search.Facet `json:"facets"`
	Next    string                    `json:"next,omitempty"`
}

// apiSearch: GET /api/search?q=…&library=…&type=…&modified_after=…&
// modified_before=…&author=…&sort=relevance|modified&limit=…&cursor=…
// Results come only from libraries the principal may read: the list is
// part of the engine query, before sorting and paging.
func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) error {
	sp, err := s.searchReady()
	if err != nil {
		return err
	}
	p, err := searchPrincipal(r)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	q := search.Query{
		Text:    v.Get("q"),
		Library: searchList(v["library"]),
		Types:   searchList(v["type"]),
		Author:  v.Get("author"),
		Sort:    v.Get("sort"),
		Cursor:  v.Get("cursor"),
		Facets:  v.Get("facets") != "0",
	}
	if len(q.Text) > 2*search.MaxQueryBytes {
		return searchBad("query too long")
	}
	for i, t := range q.Types {
		q.Types[i] = strings.ToLower(strings.TrimPrefix(t, "."))
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > search.MaxLimit {
			return searchBad("limit must be a number between 1 and 100")
		}
		q.Limit = n
	}
	if q.ModifiedAfter, err = searchDate(v.Get("modified_after"), false); err != nil {
		return searchBad("modified_after must be a date like 2026-03-01")
	}
	if q.ModifiedBefore, err = searchDate(v.Get("modified_before"), true); err != nil {
		return searchBad("modified_before must be a date like 2026-03-01")
	}
	if err := q.Validate(); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid search: sort by relevance or by date, and put the start date before the end date", err)
	}
	if q.Libraries, err = sp.libraries(r.Context(), p); err != nil {
		return err
	}
	if q.Libraries == nil {
		q.Libraries = []string{}
	}
	res, err := sp.engine.Search(r.Context(), q)
	if errors.Is(err, search.ErrBadCursor) {
		return searchBad("this page link has expired: search again")
	}
	if err != nil {
		return err
	}
	out := searchResponse{Results: res.Hits, Total: res.Total, Facets: res.Facets, Next: res.Next}
	if out.Facets == nil {
		out.Facets = map[string][]search.Facet{}
	}
	httperr.WriteJSON(w, http.StatusOK, out)
	return nil
}

// apiSuggest: GET /api/search/suggest?q=…&limit=… proposes document names
// as the agent types, from readable libraries only.
func (s *Server) apiSuggest(w http.ResponseWriter, r *http.Request) error {
	sp, err := s.searchReady()
	if err != nil {
		return err
	}
	p, err := searchPrincipal(r)
	if err != nil {
		return err
	}
	text := r.URL.Query().Get("q")
	if len(text) > search.MaxQueryBytes {
		return searchBad("query too long")
	}
	limit := 8
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 20 {
			return searchBad("limit must be a number between 1 and 20")
		}
		limit = n
	}
	libs, err := sp.libraries(r.Context(), p)
	if err != nil {
		return err
	}
	sugg, err := sp.engine.Suggest(r.Context(), libs, text, limit)
	if err != nil {
		return err
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"suggestions": sugg})
	return nil
}

func searchRequireAdmin(r *http.Request) error {
	p, err := searchPrincipal(r)
	if err != nil {
		return err
	}
	if !p.Admin {
		return httperr.New(http.StatusForbidden, "administrators only", nil)
	}
	return nil
}

// apiSearchStatus: GET /api/admin/search: index state, lag, failures.
func (s *Server) apiSearchStatus(w http.ResponseWriter, r *http.Request) error {
	if err := searchRequireAdmin(r); err != nil {
		return err
	}
	sp, err := s.searchReady()
	if err != nil {
		return err
	}
	st, err := sp.ix.Status(r.Context())
	if err != nil {
		return err
	}
	fails, total, err := sp.ix.Failures(r.Context(), 200)
	if err != nil {
		return err
	}
	sp.mu.Lock()
	var re *reindexState
	if sp.reindex != nil {
		c := *sp.reindex
		re = &c
	}
	sp.mu.Unlock()
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"status": st, "failures": fails, "failures_total": total, "reindex": re})
	return nil
}

// apiSearchReindex: POST /api/admin/search/reindex?library=… rebuilds the
// index (of one library, or all) in the background; progress is in
// GET /api/admin/search.
func (s *Server) apiSearchReindex(w http.ResponseWriter, r *http.Request) error {
	if err := searchRequireAdmin(r); err != nil {
		return err
	}
	sp, err := s.searchReady()
	if err != nil {
		return err
	}
	lib := r.URL.Query().Get("library")
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.reindex != nil && sp.reindex.Running {
		return httperr.New(http.StatusConflict, "a reindex is already running", nil)
	}
	sp.startReindexLocked(s.log, lib, "admin page", nil, nil)
	httperr.WriteJSON(w, http.StatusAccepted, map[string]any{"reindex": "started"})
	return nil
}
