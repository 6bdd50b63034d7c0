package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/server"
	"github.com/kazhq/kaz/server/auth"
)

// docsClient calls the documents API with a session cookie and the CSRF
// token, as the web application does.
type docsClient struct {
	t           *testing.T
	base        string
	token, csrf string
}

func docsSession(t *testing.T, srv *testenv.Server, user string) *docsClient {
	t.Helper()
	st, err := auth.OpenStore(t.Context(), srv.Kaz().DB())
	if err != nil {
		t.Fatal(err)
	}
	sess := &auth.Session{User: user}
	token, err := st.CreateSession(t.Context(), sess, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &docsClient{t: t, base: srv.URL, token: token, csrf: sess.CSRF}
}

func (c *docsClient) raw(method, path string, body io.Reader, hdr map[string]string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: c.token})
	if method != http.MethodGet {
		req.Header.Set(auth.CSRFHeader, c.csrf)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

func (c *docsClient) json(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	hdr := map[string]string{}
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
		hdr["Content-Type"] = "application/json"
	}
	resp := c.raw(method, path, rd, hdr)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			m = map[string]any{"raw": string(raw)}
		}
	}
	return resp.StatusCode, m
}

func (c *docsClient) upload(lib, path, body string) (int, map[string]any) {
	c.t.Helper()
	resp := c.raw("PUT", "/api/libraries/"+lib+"/files?path="+url.QueryEscape(path), strings.NewReader(body), map[string]string{"Content-Type": "application/octet-stream"})
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (c *docsClient) download(lib, path string, hdr map[string]string) (*http.Response, string) {
	c.t.Helper()
	resp := c.raw("GET", "/api/libraries/"+lib+"/files?path="+url.QueryEscape(path), nil, hdr)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func docsUsers(t *testing.T, srv *testenv.Server) {
	t.Helper()
	for _, u := range []directory.User{
		{Name: "admin", Groups: []string{"admins"}},
		{Name: "alice", Groups: []string{"rh-chefs"}},
		{Name: "bob", Groups: []string{"rh"}},
		{Name: "carol", Groups: []string{"tous"}},
		{Name: "dave"},
	} {
		if err := srv.Kaz().Dir().Add(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
}

func docsServer(t *testing.T) (*testenv.Server, map[string]*docsClient) {
	srv := testenv.NewServer(t, nil)
	docsUsers(t, srv)
	cs := map[string]*docsClient{}
	for _, u := range []string{"admin", "alice", "bob", "carol", "dave"} {
		cs[u] = docsSession(t, srv, u)
	}
	code, body := cs["admin"].json("POST", "/api/admin/libraries", map[string]any{
		"name": "rh", "description": "Ressources humaines", "quota": "1M",
		"owners": []string{"rh-chefs"}, "editors": []string{"rh"}, "readers": []string{"tous"},
	})
	if code != http.StatusCreated || body["name"] != "rh" || body["dav_url"] != srv.URL+"/dav/rh/" {
		t.Fatalf("create library = %d %v", code, body)
	}
	return srv, cs
}

func TestDocsAPIFileLifecycle(t *testing.T) {
	_, cs := docsServer(t)
	alice, bob, carol := cs["alice"], cs["bob"], cs["carol"]

	if code, body := bob.json("POST", "/api/libraries/rh/folders", map[string]any{"path": "/Contrats"}); code != http.StatusCreated {
		t.Fatalf("mkdir = %d %v", code, body)
	}
	if code, body := bob.upload("rh", "/Contrats/été.docx", "version une"); code != http.StatusCreated || body["version"] != 1.0 {
		t.Fatalf("upload = %d %v", code, body)
	}
	if code, body := bob.upload("rh", "/Contrats/été.docx", "version deux"); code != http.StatusOK || body["version"] != 2.0 {
		t.Fatalf("overwrite = %d %v", code, body)
	}
	code, body := carol.json("GET", "/api/libraries/rh/items?path=/Contrats", nil)
	if code != http.StatusOK || body["role"] != "reader" {
		t.Fatalf("listing = %d %v", code, body)
	}
	items := body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["name"] != "été.docx" {
		t.Errorf("items = %v", items)
	}
	resp, got := carol.download("rh", "/Contrats/été.docx", nil)
	if resp.StatusCode != http.StatusOK || got != "version deux" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; filename*=utf-8''%C3%A9t%C3%A9.docx") ||
		resp.Header.Get("ETag") == "" {
		t.Errorf("download = %d %q %v", resp.StatusCode, got, resp.Header)
	}
	resp, got = carol.download("rh", "/Contrats/été.docx", map[string]string{"Range": "bytes=8-"})
	if resp.StatusCode != http.StatusPartialContent || got != "deux" {
		t.Errorf("range = %d %q", resp.StatusCode, got)
	}
	resp, _ = carol.download("rh", "/Contrats/été.docx", map[string]string{"If-None-Match": resp.Header.Get("ETag")})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match = %d", resp.StatusCode)
	}
	// Versions: list, download the old one, restore it.
	code, body = carol.json("GET", "/api/libraries/rh/versions?path="+url.QueryEscape("/Contrats/été.docx"), nil)
	if vs := body["versions"].([]any); code != http.StatusOK || len(vs) != 2 {
		t.Fatalf("versions = %d %v", code, body)
	}
	resp = carol.raw("GET", "/api/libraries/rh/files?version=1&path="+url.QueryEscape("/Contrats/été.docx"), nil, nil)
	old, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(old) != "version une" || !strings.Contains(resp.Header.Get("Content-Disposition"), "%28v1%29") {
		t.Errorf("old version = %q %v", old, resp.Header.Get("Content-Disposition"))
	}
	if code, _ := carol.json("POST", "/api/libraries/rh/versions/restore", map[string]any{"path": "/Contrats/été.docx", "version": 1}); code != http.StatusForbidden {
		t.Errorf("reader restores = %d", code)
	}
	if code, body := bob.json("POST", "/api/libraries/rh/versions/restore", map[string]any{"path": "/Contrats/été.docx", "version": 1}); code != http.StatusOK || body["version"] != 3.0 {
		t.Errorf("restore = %d %v", code, body)
	}
	if _, got := carol.download("rh", "/Contrats/été.docx", nil); got != "version une" {
		t.Errorf("after restore = %q", got)
	}
	// Rename, delete to the bin, restore, empty.
	if code, body := bob.json("POST", "/api/libraries/rh/move", map[string]any{"from": "/Contrats", "to": "/Contrats 2026"}); code != http.StatusOK {
		t.Fatalf("move = %d %v", code, body)
	}
	if code, _ := bob.json("DELETE", "/api/libraries/rh/items?path="+url.QueryEscape("/Contrats 2026"), nil); code != http.StatusOK {
		t.Fatalf("delete = %d", code)
	}
	code, body = carol.json("GET", "/api/libraries/rh/trash", nil)
	entries := body["entries"].([]any)
	if code != http.StatusOK || len(entries) != 1 || body["purge_days"] != 93.0 {
		t.Fatalf("trash = %d %v", code, body)
	}
	id := int64(entries[0].(map[string]any)["id"].(float64))
	if code, body := bob.json("POST", fmt.Sprintf("/api/libraries/rh/trash/%d/restore", id), nil); code != http.StatusOK || body["path"] != "/Contrats 2026" {
		t.Fatalf("restore from bin = %d %v", code, body)
	}
	if _, got := carol.download("rh", "/Contrats 2026/été.docx", nil); got != "version une" {
		t.Errorf("restored content = %q", got)
	}
	bob.json("DELETE", "/api/libraries/rh/items?path="+url.QueryEscape("/Contrats 2026"), nil)
	if code, _ := bob.json("DELETE", "/api/libraries/rh/trash", nil); code != http.StatusForbidden {
		t.Errorf("editor empties the bin = %d", code)
	}
	if code, body := alice.json("DELETE", "/api/libraries/rh/trash", nil); code != http.StatusOK || body["removed"] != 1.0 {
		t.Errorf("owner empties the bin = %d %v", code, body)
	}
	// The owner's audit log, as JSON and CSV.
	code, body = alice.json("GET", "/api/libraries/rh/audit?limit=5", nil)
	if es := body["entries"].([]any); code != http.StatusOK || len(es) != 5 || es[0].(map[string]any)["action"] != "empty_trash" || es[0].(map[string]any)["ip"] != "127.0.0.1" {
		t.Errorf("audit = %d %v", code, body)
	}
	resp = alice.raw("GET", "/api/libraries/rh/audit.csv", nil, nil)
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(csv), "id,time,library,user") || !strings.Contains(string(csv), ",carol,127.0.0.1,read,") {
		t.Errorf("audit CSV = %d %q", resp.StatusCode, csv)
	}
	if code, _ := bob.json("GET", "/api/libraries/rh/audit", nil); code != http.StatusForbidden {
		t.Errorf("editor reads the audit = %d", code)
	}
	if resp := bob.raw("GET", "/api/libraries/rh/audit.csv", nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("editor exports the audit = %d", resp.StatusCode)
	}
}

func TestDocsAPIPermissionsAndErrors(t *testing.T) {
	_, cs := docsServer(t)
	bob, carol, dave, alice := cs["bob"], cs["carol"], cs["dave"], cs["alice"]
	if code, body := dave.json("GET", "/api/libraries", nil); code != http.StatusOK || len(body["libraries"].([]any)) != 0 {
		t.Errorf("stranger's libraries = %d %v", code, body)
	}
	if code, _ := dave.json("GET", "/api/libraries/rh/items", nil); code != http.StatusNotFound {
		t.Errorf("stranger lists = %d", code)
	}
	if code, _ := carol.upload("rh", "/x.txt", "x"); code != http.StatusForbidden {
		t.Errorf("reader uploads = %d", code)
	}
	if code, _ := alice.json("POST", "/api/admin/libraries", map[string]any{"name": "x"}); code != http.StatusForbidden {
		t.Errorf("non-admin creates a library = %d", code)
	}
	for _, p := range []string{"/../etc/passwd", "/CON", "/a:b", "/trailing."} {
		if code, body := bob.upload("rh", p, "x"); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error_en"]), "invalid name") {
			t.Errorf("upload %q = %d %v", p, code, body)
		}
	}
	if code, _ := bob.upload("rh", "/missing/a.txt", "x"); code != http.StatusConflict {
		t.Errorf("upload into a missing folder = %d", code)
	}
	big := strings.Repeat("q", 1<<20+1)
	if code, body := bob.upload("rh", "/big.bin", big); code != http.StatusInsufficientStorage {
		t.Errorf("over quota = %d %v", code, body)
	}
	if code, body := bob.json("POST", "/api/libraries/rh/folders", map[string]any{"path": "/a", "extra": 1}); code != http.StatusBadRequest {
		t.Errorf("unknown JSON field = %d %v", code, body)
	}
	// Desktop links.
	bob.upload("rh", "/Budget 2026.xlsx", "x")
	code, body := carol.json("GET", "/api/libraries/rh/open-links?path="+url.QueryEscape("/Budget 2026.xlsx"), nil)
	links, _ := body["links"].(map[string]any)
	if code != http.StatusOK || !strings.HasPrefix(fmt.Sprint(links["excel"]), "ms-excel:ofe|u|http://") ||
		!strings.HasSuffix(fmt.Sprint(links["excel"]), "/dav/rh/Budget%202026.xlsx") ||
		!strings.HasPrefix(fmt.Sprint(links["libreoffice"]), "vnd.libreoffice.command:ofe|u|http://") {
		t.Errorf("open links = %d %v", code, body)
	}
	// Grants by the owner; admin listing.
	if code, _ := alice.json("POST", "/api/libraries/rh/grants", map[string]any{"role": "reader", "subject": "user:dave"}); code != http.StatusOK {
		t.Errorf("owner grants = %d", code)
	}
	if code, _ := dave.json("GET", "/api/libraries/rh/items", nil); code != http.StatusOK {
		t.Errorf("dave after grant = %d", code)
	}
	if code, _ := bob.json("POST", "/api/libraries/rh/grants", map[string]any{"role": "owner", "subject": "user:bob"}); code != http.StatusForbidden {
		t.Errorf("editor grants himself = %d", code)
	}
	code, body = cs["admin"].json("GET", "/api/admin/libraries", nil)
	if code != http.StatusOK || len(body["libraries"].([]any)) != 1 {
		t.Errorf("admin list = %d %v", code, body)
	}
	if code, body := cs["admin"].json("PATCH", "/api/admin/libraries/rh", map[string]any{"quota": "10 Go"}); code != http.StatusOK || body["quota"] != float64(10<<30) {
		t.Errorf("admin sets quota = %d %v", code, body)
	}
}

// TestDocsAPIUploadCutMidwayKeepsOldContent sends an upload whose client
// disconnects after part of the announced body.
func TestDocsAPIUploadCutMidwayKeepsOldContent(t *testing.T) {
	srv, cs := docsServer(t)
	bob := cs["bob"]
	if code, _ := bob.upload("rh", "/note.txt", "ancien contenu"); code != http.StatusCreated {
		t.Fatal(code)
	}
	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT /api/libraries/rh/files?path=/note.txt HTTP/1.1\r\nHost: %s\r\nCookie: %s=%s\r\n%s: %s\r\nContent-Length: 100000\r\n\r\n",
		srv.Addr, auth.SessionCookie, bob.token, auth.CSRFHeader, bob.csrf)
	conn.Write(bytes.Repeat([]byte("n"), 5000))
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("cut upload answered %d", resp.StatusCode)
		}
	}
	conn.Close()
	if _, got := bob.download("rh", "/note.txt", nil); got != "ancien contenu" {
		t.Errorf("content after a cut upload = %q", got)
	}
	_, body := bob.json("GET", "/api/libraries/rh/versions?path=/note.txt", nil)
	if vs := body["versions"].([]any); len(vs) != 1 {
		t.Errorf("versions after a cut upload = %d", len(vs))
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "unlimited": -1, "0": -1, "2048": 2048, "500M": 500 << 20, "10G": 10 << 30, "10 Go": 10 << 30, "1.5T": 3 << 39, "1,5G": 3 << 29, "20GiB": 20 << 30} {
		got, err := server.ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"lots", "-5G", "G", "1e30T"} {
		if _, err := server.ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestOpenLinks(t *testing.T) {
	u := "https://kaz.example/dav/rh/a.docx"
	l := server.OpenLinks(u, "a.docx")
	if l["word"] != "ms-word:ofe|u|"+u || l["libreoffice"] != "vnd.libreoffice.command:ofe|u|"+u || len(l) != 2 {
		t.Errorf("docx links = %v", l)
	}
	if l := server.OpenLinks(u, "slides.PPTX"); l["powerpoint"] == "" {
		t.Errorf("pptx links = %v", l)
	}
	if l := server.OpenLinks(u, "photo.jpg"); len(l) != 0 {
		t.Errorf("jpg links = %v", l)
	}
}
