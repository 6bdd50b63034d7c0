package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/server/auth"
)

// davServer is a whole Kaz with library "equipe" where alice (group
// staff) is an editor and has an app password.
type davServer struct {
	*testenv.Server
	secret string
	store  *docstore.Store
}

func newDAVServer(t *testing.T) *davServer {
	t.Helper()
	s := testenv.NewServer(t, nil)
	ctx := t.Context()
	if err := s.Kaz().Dir().Add(ctx, directory.User{Name: "alice", Groups: []string{"staff"}}); err != nil {
		t.Fatal(err)
	}
	ast, err := auth.OpenStore(ctx, s.Kaz().DB())
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := ast.CreateAppPassword(ctx, "alice", "webdav", "", "")
	if err != nil {
		t.Fatal(err)
	}
	// A second handle on the same database and blobs, to set up libraries.
	st, err := docstore.Open(ctx, s.Cfg.Docs, s.Kaz().DB(), filepath.Join(s.Data, "blobs"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateLibrary(ctx, &auth.Principal{User: "admin", Admin: true}, docstore.LibrarySpec{
		Name: "equipe", Quota: -1, Grants: []docstore.Grant{{Role: docstore.RoleEditor, Subject: "user:alice"}},
	}); err != nil {
		t.Fatal(err)
	}
	return &davServer{Server: s, secret: secret, store: st}
}

func (d *davServer) req(t *testing.T, method, path, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, d.URL+path, rd)
	req.SetBasicAuth("alice", d.secret)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "anonymous" {
			req.Header.Del("Authorization")
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestDAVLitmusWholeServer runs the five litmus suites through the whole
// server with an app password.
func TestDAVLitmusWholeServer(t *testing.T) {
	bin := testenv.Peer(t, "litmus")
	d := newDAVServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--keep-going", d.URL+"/dav/equipe/", "alice", d.secret)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"TESTS=basic copymove props locks http", "HOME=" + cmd.Dir, "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	text := string(out)
	re := regexp.MustCompile("summary for `(\\w+)': of (\\d+) tests run: (\\d+) passed, (\\d+) failed")
	ms := re.FindAllStringSubmatch(text, -1)
	if len(ms) != 5 {
		t.Errorf("litmus ran %d suites, want 5", len(ms))
	}
	for _, m := range ms {
		if m[4] != "0" {
			t.Errorf("litmus %s: %s of %s failed", m[1], m[4], m[2])
		}
	}
	if regexp.MustCompile(`warnings? (was|were) issued`).MatchString(text) {
		t.Error("litmus issued warnings")
	}
	if err != nil || t.Failed() {
		t.Errorf("litmus: %v\n%s", err, text)
	}
}

// TestDAVWindowsProbesWholeServer checks the routes the Windows redirector
// uses outside /dav/ and the /dav redirect.
func TestDAVWindowsProbesWholeServer(t *testing.T) {
	d := newDAVServer(t)
	res, _ := d.req(t, "OPTIONS", "/", "", "anonymous", "")
	if res.StatusCode != 200 || res.Header.Get("DAV") != "1, 2" || res.Header.Get("MS-Author-Via") != "DAV" {
		t.Errorf("anonymous OPTIONS /: %d %v", res.StatusCode, res.Header)
	}
	res, _ = d.req(t, "OPTIONS", "/dav/equipe/", "", "anonymous", "")
	if res.StatusCode != 200 || res.Header.Get("DAV") != "1, 2" || !strings.Contains(res.Header.Get("Allow"), "LOCK") {
		t.Errorf("anonymous OPTIONS /dav/equipe/: %d %v", res.StatusCode, res.Header)
	}
	res, _ = d.req(t, "PROPFIND", "/", "", "anonymous", "", "Depth", "0")
	if res.StatusCode != 401 {
		t.Errorf("anonymous PROPFIND /: %d, want 401", res.StatusCode)
	}
	res, body := d.req(t, "PROPFIND", "/", "", "Depth", "0")
	if res.StatusCode != 207 || !strings.Contains(body, "<D:collection/>") {
		t.Errorf("PROPFIND /: %d\n%s", res.StatusCode, body)
	}
	res, body = d.req(t, "PROPFIND", "/dav/", "", "Depth", "1")
	if res.StatusCode != 207 || !strings.Contains(body, "<D:href>/dav/equipe/</D:href>") {
		t.Errorf("PROPFIND /dav/: %d\n%s", res.StatusCode, body)
	}
	// The mount point without its slash, as the redirector sends it.
	res, _ = d.req(t, "OPTIONS", "/dav", "", "anonymous", "")
	if res.StatusCode != 200 || res.Header.Get("DAV") != "1, 2" {
		t.Errorf("anonymous OPTIONS /dav: %d %v", res.StatusCode, res.Header)
	}
	res, body = d.req(t, "PROPFIND", "/dav", "", "Depth", "1")
	if res.StatusCode != 207 || !strings.Contains(body, "<D:href>/dav/equipe/</D:href>") {
		t.Errorf("PROPFIND /dav: %d\n%s", res.StatusCode, body)
	}
	res, _ = d.req(t, "GET", "/dav", "")
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/dav/" {
		t.Errorf("GET /dav: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestDAVLocksSurviveRestart takes a lock, restarts the server, and finds
// the lock still held.
func TestDAVLocksSurviveRestart(t *testing.T) {
	d := newDAVServer(t)
	if res, _ := d.req(t, "PUT", "/dav/equipe/a.odt", "v1"); res.StatusCode != 201 {
		t.Fatalf("PUT: %d", res.StatusCode)
	}
	res, _ := d.req(t, "LOCK", "/dav/equipe/a.odt", `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>alice</D:owner></D:lockinfo>`)
	token := strings.Trim(res.Header.Get("Lock-Token"), "<>")
	if res.StatusCode != 200 || token == "" {
		t.Fatalf("LOCK: %d %q", res.StatusCode, token)
	}
	d.Restart(t)
	if res, _ := d.req(t, "PUT", "/dav/equipe/a.odt", "v2"); res.StatusCode != 423 {
		t.Errorf("PUT without the token after restart: %d, want 423", res.StatusCode)
	}
	if res, _ := d.req(t, "PUT", "/dav/equipe/a.odt", "v2", "If", "(<"+token+">)"); res.StatusCode != 204 {
		t.Errorf("PUT with the token after restart: %d, want 204", res.StatusCode)
	}
}

// TestDAVRcloneWholeServer syncs a tree up and back with rclone through the
// whole server, authenticated by an app password.
func TestDAVRcloneWholeServer(t *testing.T) {
	bin := testenv.Peer(t, "rclone")
	d := newDAVServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	work := t.TempDir()
	rc := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = []string{"HOME=" + work, "PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	obscured := strings.TrimSpace(rc("obscure", d.secret))
	conf := filepath.Join(work, "rclone.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[kaz]\ntype = webdav\nurl = %s/dav/equipe/\nvendor = other\nuser = alice\npass = %s\n", d.URL, obscured)), 0o600)
	src, back := filepath.Join(work, "src"), filepath.Join(work, "back")
	for i := range 6 {
		dir := filepath.Join(src, fmt.Sprintf("d%d", i%2))
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.txt", i)), []byte(strings.Repeat(fmt.Sprint(i), 1000*(i+1))), 0o644)
	}
	rc("--config", conf, "sync", src, "kaz:arbre")
	rc("--config", conf, "sync", "kaz:arbre", back)
	rc("--config", conf, "check", src, back)
	rc("--config", conf, "check", src, "kaz:arbre", "--download")
}
