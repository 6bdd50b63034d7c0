package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/search/bleve"
	"github.com/kazhq/kaz/search/extract/extracttest"
	"github.com/kazhq/kaz/server"
	"github.com/kazhq/kaz/server/auth"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAdminReindexWhileServerRuns(t *testing.T) {
	// The indexer polls the outbox once a minute only, so documents
	// written by another docstore (as an import tool would) are found
	// after the reindex the command asks the server for.
	srv := testenv.NewServer(t, func(c *server.Config) { c.Search.PollInterval = time.Minute })
	ctx := t.Context()
	kaz := srv.Kaz()
	if err := kaz.Dir().Add(ctx, directory.User{Name: "alice", Groups: []string{"staff"}}); err != nil {
		t.Fatal(err)
	}
	secret := srv.AppPassword(t, "alice", "tests")
	st, err := docstore.Open(ctx, srv.Cfg.Docs, kaz.DB(), filepath.Join(srv.Data, "blobs"), nil)
	if err != nil {
		t.Fatal(err)
	}
	admin := &auth.Principal{User: "admin", Admin: true, Groups: []string{"admins"}}
	for _, lib := range []string{"rh", "compta"} {
		if _, err := st.CreateLibrary(ctx, admin, docstore.LibrarySpec{Name: lib, Quota: -1,
			Grants: []docstore.Grant{{Role: docstore.RoleOwner, Subject: "group:admins"}, {Role: docstore.RoleReader, Subject: "group:staff"}}}); err != nil {
			t.Fatal(err)
		}
	}
	docs := map[string][]byte{
		"rh/Charte_Télétravail.docx": extracttest.DOCX("Charte", "Élodie", "La charte du télétravail est signée par chaque agent."),
		"rh/Congés.odt":              extracttest.ODT("Congés", "Paul", "Les congés annuels se posent un mois à l'avance."),
		"compta/budget.docx":         extracttest.DOCX("Budget", "Inès", "Le budget du télétravail prévoit un écran par agent."),
	}
	for p, body := range docs {
		lib, name, _ := strings.Cut(p, "/")
		if _, _, err := st.Put(ctx, admin, lib, "/"+name, bytes.NewReader(body), docstore.PutOptions{Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
	}

	out, errOut, err := adminRun(t, srv.Data, "", "reindex")
	if err != nil {
		t.Fatalf("reindex while the server runs: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "running Kaz server") || !strings.Contains(errOut, "100%") || !strings.Contains(errOut, "3/3") || !strings.Contains(errOut, "ETA") {
		t.Errorf("stderr %q", errOut)
	}
	if !strings.Contains(out, "rebuilt by the running server for every library: 3 documents") {
		t.Errorf("stdout %q", out)
	}
	var by string
	var total int
	if err := kaz.DB().QueryRowContext(ctx, `SELECT requested_by, total FROM search_reindex_requests ORDER BY id DESC LIMIT 1`).Scan(&by, &total); err != nil || by != "cli" || total != 3 {
		t.Errorf("request row: by %q total %d err %v", by, total, err)
	}
	if n := searchCount(t, srv, secret, "teletravail"); n != 2 {
		t.Errorf("teletravail: %d hits after reindex, want 2", n)
	}

	// One library, named: the server rebuilds just that one.
	out, errOut, err = adminRun(t, srv.Data, "", "reindex", "--library", "compta")
	if err != nil || !strings.Contains(out, "library compta: 1 documents") {
		t.Fatalf("reindex compta: %q %v\n%s", out, err, errOut)
	}
	if n := searchCount(t, srv, secret, "budget"); n != 1 {
		t.Errorf("budget: %d hits after reindex of compta, want 1", n)
	}
	if _, _, err := adminRun(t, srv.Data, "", "reindex", "--library", "nope"); err == nil || !strings.Contains(err.Error(), "no library") {
		t.Errorf("unknown library: %v", err)
	}
}

func searchCount(t *testing.T, srv *testenv.Server, secret, q string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/search?q="+url.QueryEscape(q), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("alice", secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Results []json.RawMessage `json:"results"`
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("search %q: %s", q, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return len(body.Results)
}

// holdIndex stands for a running server: it holds the embedded index of
// a data folder with a prepared database, without answering requests.
func holdIndex(t *testing.T) (data string, eng *bleve.Engine, db *sqldb.DB) {
	t.Helper()
	data = t.TempDir()
	ctx := t.Context()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(data, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := search.MigrateDB(ctx, db); err != nil {
		t.Fatal(err)
	}
	eng, err = bleve.Open(ctx, filepath.Join(data, "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return data, eng, db
}

// waitRequest waits until the command has recorded its request.
func waitRequest(t *testing.T, db *sqldb.DB) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM search_reindex_requests`).Scan(&n); err == nil && n > 0 {
			return
		}
	}
	t.Fatal("the command recorded no reindex request")
}

func TestAdminReindexInterruptedLeavesTheRequest(t *testing.T) {
	data, _, db := holdIndex(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"admin", "--data", data, "reindex"}, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	}()
	waitRequest(t, db)
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the command did not stop after Ctrl-C")
	}
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(errOut.String(), "the server will still rebuild") {
		t.Errorf("stderr %q", errOut.String())
	}
	r, err := search.GetReindexRequest(t.Context(), db, 1)
	if err != nil || !r.Pending() || r.RequestedBy != "cli" {
		t.Errorf("request after Ctrl-C = %+v, %v (want still pending)", r, err)
	}
}

func TestAdminReindexNoticesTheServerStopped(t *testing.T) {
	data, eng, db := holdIndex(t)
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(t.Context(), []string{"admin", "--data", data, "reindex"}, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	}()
	waitRequest(t, db)
	eng.Close() // the "server" stops without answering
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the command waits for ever for a stopped server")
	}
	if err == nil || !strings.Contains(err.Error(), "stopped before it started the rebuild") {
		t.Errorf("err = %v\nstderr %q", err, errOut.String())
	}
}
