package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/search/extract/extracttest"
	"github.com/kazhq/kaz/server/auth"
)

type searchAgent struct {
	user, secret string
}

type searchHits struct {
	Results []struct {
		Library, Path, Name, Snippet, Type string
	} `json:"results"`
	Total  int    `json:"total"`
	Error  string `json:"error"`
	status int
}

func (a searchAgent) do(t *testing.T, srv *testenv.Server, method, path string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(a.user, a.secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (a searchAgent) search(t *testing.T, srv *testenv.Server, q string) searchHits {
	t.Helper()
	res := a.do(t, srv, "GET", "/api/search?q="+url.QueryEscape(q), nil)
	defer res.Body.Close()
	var out searchHits
	out.status = res.StatusCode
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("search %q: status %d: %v", q, res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("search %q: status %d: %s", q, res.StatusCode, out.Error)
	}
	return out
}

// waitFor polls the search until ok says yes (the indexer follows the
// outbox within a fraction of a second; the bound is generous for loaded
// CI machines).
func (a searchAgent) waitFor(t *testing.T, srv *testenv.Server, q string, ok func(searchHits) bool) searchHits {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := a.search(t, srv, q)
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("search %q never reached the expected state; last: %+v", q, h)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hasPath(p string) func(searchHits) bool {
	return func(h searchHits) bool {
		for _, r := range h.Results {
			if r.Path == p {
				return true
			}
		}
		return false
	}
}

func TestSearchEndToEndOverWebDAV(t *testing.T) {
	testenv.Peer(t, "pdftotext")
	srv := testenv.NewServer(t, nil)
	ctx := t.Context()
	kaz := srv.Kaz()
	for _, u := range []directory.User{{Name: "alice", Groups: []string{"staff"}}, {Name: "bob", Groups: []string{"compta"}}} {
		if err := kaz.Dir().Add(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	ast, err := auth.OpenStore(ctx, kaz.DB())
	if err != nil {
		t.Fatal(err)
	}
	agents := map[string]searchAgent{}
	for _, u := range []string{"alice", "bob"} {
		_, secret, err := ast.CreateAppPassword(ctx, u, "tests", "", "")
		if err != nil {
			t.Fatal(err)
		}
		agents[u] = searchAgent{user: u, secret: secret}
	}
	alice, bob := agents["alice"], agents["bob"]
	st, err := docstore.Open(ctx, srv.Cfg.Docs, kaz.DB(), filepath.Join(srv.Data, "blobs"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateLibrary(ctx, &auth.Principal{User: "admin", Admin: true}, docstore.LibrarySpec{
		Name: "equipe", Quota: -1, Grants: []docstore.Grant{{Role: docstore.RoleEditor, Subject: "group:staff"}},
	}); err != nil {
		t.Fatal(err)
	}

	docs := []struct {
		path, query string
		body        []byte
	}{
		{"/Charte_Télétravail_v3.docx", "teletravailleur charte", extracttest.DOCX("Charte du télétravail", "Élodie Martin", "Les télétravailleurs signent la charte avant leur premier jour à domicile.")},
		{"/Réunions/compte-rendu.odt", "reunion equipe", extracttest.ODT("Compte rendu", "Paul Durand", "Compte rendu des réunions de l'équipe de direction.")},
		{"/Guides/congés.pdf", "conge annuel", extracttest.PDF("Guide des congés", "Service RH", "Demande de congés annuels : formulaire et délais.")},
	}
	for _, d := range docs {
		res := alice.do(t, srv, "PUT", "/dav/equipe"+(&url.URL{Path: d.path}).EscapedPath(), d.body)
		res.Body.Close()
		if res.StatusCode == http.StatusConflict {
			// The folder does not exist yet: create it, then retry.
			dir := filepath.Dir(d.path)
			r := alice.do(t, srv, "MKCOL", "/dav/equipe"+(&url.URL{Path: dir}).EscapedPath(), nil)
			r.Body.Close()
			res = alice.do(t, srv, "PUT", "/dav/equipe"+(&url.URL{Path: d.path}).EscapedPath(), d.body)
			res.Body.Close()
		}
		if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusNoContent {
			t.Fatalf("PUT %s: %d", d.path, res.StatusCode)
		}
	}
	for _, d := range docs {
		h := alice.waitFor(t, srv, d.query, hasPath(d.path))
		if h.Results[0].Snippet == "" {
			t.Errorf("%s: no snippet", d.path)
		}
		// Another group never sees it.
		if got := bob.search(t, srv, d.query); got.Total != 0 || len(got.Results) != 0 {
			t.Errorf("bob found %+v", got)
		}
	}

	// DELETE: gone from the results.
	res := alice.do(t, srv, "DELETE", "/dav/equipe"+(&url.URL{Path: docs[0].path}).EscapedPath(), nil)
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent && res.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", res.StatusCode)
	}
	alice.waitFor(t, srv, docs[0].query, func(h searchHits) bool { return !hasPath(docs[0].path)(h) })

	// Changes written while the server is down are indexed after restart.
	srv.Stop(t)
	func() {
		db, err := sqldb.OpenSQLite(context.WithoutCancel(ctx), srv.Cfg.Database.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		st2, err := docstore.Open(ctx, srv.Cfg.Docs, db, filepath.Join(srv.Data, "blobs"), nil)
		if err != nil {
			t.Fatal(err)
		}
		body := extracttest.DOCX("Astreintes", "Paul", "Planning des astreintes hivernales.")
		if _, _, err := st2.Put(ctx, &auth.Principal{User: "alice", Groups: []string{"staff"}}, "equipe", "/astreintes.docx", bytes.NewReader(body), docstore.PutOptions{Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
	}()
	srv.Restart(t)
	h := alice.waitFor(t, srv, "astreinte hivernale", hasPath("/astreintes.docx"))
	if h.Results[0].Type != "docx" {
		t.Errorf("type = %q", h.Results[0].Type)
	}
	if got := bob.search(t, srv, "astreintes"); got.Total != 0 {
		t.Errorf("bob found %+v", got)
	}

	// Permissions are evaluated at query time: a grant opens the results
	// at once, a revoke closes them, without reindexing.
	st3, err := docstore.Open(ctx, srv.Cfg.Docs, srv.Kaz().DB(), filepath.Join(srv.Data, "blobs"), nil)
	if err != nil {
		t.Fatal(err)
	}
	root := &auth.Principal{User: "admin", Admin: true}
	if err := st3.Grant(ctx, root, "equipe", docstore.RoleReader, "group:compta"); err != nil {
		t.Fatal(err)
	}
	if got := bob.search(t, srv, "astreintes"); !hasPath("/astreintes.docx")(got) {
		t.Errorf("after the grant bob found %+v", got)
	}
	if err := st3.Revoke(ctx, root, "equipe", "group:compta"); err != nil {
		t.Fatal(err)
	}
	if got := bob.search(t, srv, "astreintes"); got.Total != 0 {
		t.Errorf("after the revoke bob found %+v", got)
	}
}
