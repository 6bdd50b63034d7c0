package dav

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

// testUsers are the Basic credentials the test middleware accepts.
var testUsers = map[string]string{"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}

// davEnv is a dav handler over a fresh store, behind a tiny Basic-auth
// middleware standing in for the server's requireDAV.
type davEnv struct {
	store *docstore.Store
	srv   *httptest.Server
	url   string // the server's base URL, no trailing slash
	dir   string
	// served counts the requests the handler has finished (aborted ones
	// included), so that a test can wait for the server to be done.
	served atomic.Int64
}

// newEnv starts a handler with library "lib" (alice and bob editors, carol
// reader) and returns it.
func newEnv(t testing.TB, quota int64) *davEnv {
	t.Helper()
	return newEnvBlobs(t, quota, "")
}

// newEnvBlobs is newEnv with the blobs in blobDir ("" for a folder of the
// environment's own).
func newEnvBlobs(t testing.TB, quota int64, blobDir string) *davEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if blobDir == "" {
		blobDir = filepath.Join(dir, "blobs")
	}
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := docstore.Open(ctx, docstore.DefaultConfig(), db, blobDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	admin := &auth.Principal{User: "admin", Admin: true}
	if quota == 0 {
		quota = -1
	}
	if _, err := st.CreateLibrary(ctx, admin, docstore.LibrarySpec{
		Name: "lib", Quota: quota,
		Grants: []docstore.Grant{
			{Role: docstore.RoleEditor, Subject: "group:staff"},
			{Role: docstore.RoleReader, Subject: "user:carol"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	e := &davEnv{store: st, dir: dir}
	// The handler needs the URL, known once the listener is open.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + ln.Addr().String()
	h := basicAuth(New(st, Options{PublicURL: e.url}))
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer e.served.Add(1)
		h.ServeHTTP(w, r)
	}))
	e.srv.Listener.Close()
	e.srv.Listener = ln
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

func basicAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, pw, ok := r.BasicAuth()
		if !ok || testUsers[u] == "" || testUsers[u] != pw {
			if r.Method == http.MethodOptions && !ok {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="Kaz"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		groups := []string{"staff"}
		if u == "carol" {
			groups = nil
		}
		p := &auth.Principal{User: u, Groups: groups, Method: "apppassword"}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// peer returns the path of a test peer program, like testenv.Peer (which
// this package does not import, to keep its tests independent of the
// whole server): missing fails under KAZ_E2E=1 and skips otherwise.
func peer(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin"} {
		if fi, err := os.Stat(dir + "/" + name); err == nil && !fi.IsDir() {
			return dir + "/" + name
		}
	}
	if os.Getenv("KAZ_E2E") == "1" {
		t.Fatalf("KAZ_E2E=1 but the program %q is not installed", name)
	}
	t.Skipf("skipped: the program %q is not installed (set KAZ_E2E=1 to make this a failure)", name)
	return ""
}

func alice() *auth.Principal { return &auth.Principal{User: "alice", Groups: []string{"staff"}} }
