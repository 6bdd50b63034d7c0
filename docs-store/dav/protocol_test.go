package dav

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPropfindInfinityIsRefused(t *testing.T) {
	e := newEnv(t, 0)
	r := e.do(t, call{method: "PROPFIND", path: "/dav/lib/", hdr: map[string]string{"Depth": "infinity"}, want: 403}, nil)
	if !strings.Contains(r.body, "<D:propfind-finite-depth/>") {
		t.Errorf("body lacks propfind-finite-depth:\n%s", r.body)
	}
}

func TestPropfindIsCompressedWhenAccepted(t *testing.T) {
	e := newEnv(t, 0)
	for i := range 50 {
		e.do(t, call{method: "PUT", path: fmt.Sprintf("/dav/lib/f%03d.txt", i), body: "x", want: 201}, nil)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "PROPFIND", e.url+"/dav/lib/", nil)
	req.SetBasicAuth("alice", testUsers["alice"])
	req.Header.Set("Depth", "1")
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 207 || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, Content-Encoding %q; want 207 gzip", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "<D:response>"); n != 51 {
		t.Errorf("responses = %d, want 51", n)
	}
}

func TestPropfindProperties(t *testing.T) {
	e := newEnv(t, 1<<20)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "hello", hdr: map[string]string{"Content-Type": "text/plain"}, want: 201}, nil)
	r := e.do(t, call{method: "PROPFIND", path: "/dav/lib/a.txt", hdr: map[string]string{"Depth": "0"}, want: 207}, nil)
	for _, want := range []string{"<D:getcontentlength>5</D:getcontentlength>", "<D:getcontenttype>text/plain</D:getcontenttype>",
		"<D:displayname>a.txt</D:displayname>", "<D:creationdate>", "<D:getlastmodified>", "<D:getetag>&#34;", "<D:supportedlock>", "<D:lockdiscovery/>", "<D:resourcetype/>"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("allprop lacks %s:\n%s", want, r.body)
		}
	}
	r = e.do(t, call{method: "PROPFIND", path: "/dav/lib/", hdr: map[string]string{"Depth": "0"}, want: 207,
		body: `<D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/><D:nope/></D:prop></D:propfind>`}, nil)
	for _, want := range []string{"<D:quota-available-bytes>1048571</D:quota-available-bytes>", "<D:quota-used-bytes>5</D:quota-used-bytes>", "<D:nope/></D:prop><D:status>HTTP/1.1 404 Not Found"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("quota PROPFIND lacks %s:\n%s", want, r.body)
		}
	}
}

func TestPutOverQuotaIs507AndChangesNothing(t *testing.T) {
	e := newEnv(t, 10)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "12345", want: 201}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "1234567890ab", want: 507}, nil)
	if got := e.get(t, "/dav/lib/a.txt"); got != "12345" {
		t.Errorf("content = %q after refused PUT", got)
	}
}

func TestMkcol(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "MKCOL", path: "/dav/lib/d", want: 201}, nil)
	e.do(t, call{method: "MKCOL", path: "/dav/lib/d", want: 405}, nil)
	e.do(t, call{method: "MKCOL", path: "/dav/lib/x/y", want: 409}, nil)
	e.do(t, call{method: "MKCOL", path: "/dav/lib/b", body: "<x/>", hdr: map[string]string{"Content-Type": "text/xml"}, want: 415}, nil)
	e.do(t, call{method: "MKCOL", path: "/dav/lib/d/e", user: "carol", want: 403}, nil)
	e.do(t, call{method: "MKCOL", path: "/dav/lib/", want: 405}, nil)
	e.do(t, call{method: "MKCOL", path: "/dav/autre/", want: 403}, nil)
	e.do(t, call{method: "PUT", path: "/dav/autre/x.txt", body: "x", want: 404}, nil)
}

func TestGetConditionalAndRange(t *testing.T) {
	e := newEnv(t, 0)
	r := e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "0123456789", want: 201}, nil)
	etag := r.hdr.Get("ETag")
	if etag == "" {
		t.Fatal("PUT returned no ETag")
	}
	r = e.do(t, call{method: "GET", path: "/dav/lib/a.txt", hdr: map[string]string{"Range": "bytes=2-4"}, want: 206}, nil)
	if r.body != "234" {
		t.Errorf("range body = %q", r.body)
	}
	e.do(t, call{method: "GET", path: "/dav/lib/a.txt", hdr: map[string]string{"If-None-Match": etag}, want: 304}, nil)
	e.do(t, call{method: "GET", path: "/dav/lib/a.txt", hdr: map[string]string{"If-Match": `"other"`}, want: 412}, nil)
	r = e.do(t, call{method: "HEAD", path: "/dav/lib/a.txt", want: 200}, nil)
	if r.hdr.Get("Content-Length") != "10" || r.hdr.Get("Last-Modified") == "" || r.hdr.Get("ETag") != etag {
		t.Errorf("HEAD headers: %v", r.hdr)
	}
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	e.do(t, call{method: "GET", path: "/dav/lib/a.txt", hdr: map[string]string{"If-Modified-Since": future}, want: 304}, nil)
}

func TestPutPreconditions(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "1", hdr: map[string]string{"If-Match": "*"}, want: 412}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "1", hdr: map[string]string{"If-None-Match": "*"}, want: 201}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "2", hdr: map[string]string{"If-None-Match": "*"}, want: 412}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "2", hdr: map[string]string{"If-Match": `"nope"`}, want: 412}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "2", hdr: map[string]string{"If-Match": "*"}, want: 204}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "3", user: "carol", want: 403}, nil)
	if got := e.get(t, "/dav/lib/a.txt"); got != "2" {
		t.Errorf("content = %q, want 2", got)
	}
}

// TestPutKeepsOldContentWhenClientDisconnects cuts an upload midway: the old
// content stays and no version is added.
func TestPutKeepsOldContentWhenClientDisconnects(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "old content", want: 201}, nil)
	before := e.served.Load()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT /dav/lib/a.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: 100000\r\n\r\n", basic("alice"))
	conn.Write([]byte(strings.Repeat("n", 5000)))
	conn.Close()
	// A second, chunked upload that stops before its last chunk.
	conn, err = net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT /dav/lib/a.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nnewco\r\n", basic("alice"))
	conn.Close()
	// The server notices the disconnects asynchronously: wait (bounded)
	// until it has finished both aborted requests, then check the state.
	deadline := time.Now().Add(20 * time.Second)
	for e.served.Load() < before+2 {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not finish the aborted uploads (%d of 2)", e.served.Load()-before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := e.get(t, "/dav/lib/a.txt"); got != "old content" {
		t.Fatalf("content = %q after aborted uploads", got)
	}
	vs, err := e.store.Versions(t.Context(), alice(), "lib", "/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Errorf("versions = %d, want 1", len(vs))
	}
	// A short body with an honest connection gets a clear 400.
	conn, err = net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /dav/lib/a.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: 10\r\n\r\n12345", basic("alice"))
	conn.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 400 {
		t.Errorf("short body: status %d, want 400", res.StatusCode)
	}
	if got := e.get(t, "/dav/lib/a.txt"); got != "old content" {
		t.Fatalf("content = %q after short upload", got)
	}
}

func basic(user string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, testUsers[user])
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func TestBadXMLIs400WithClearBody(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "x", want: 201}, nil)
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><D:propfind xmlns:D="DAV:"><D:prop><x>&lol2;</x></D:prop></D:propfind>`
	tests := []struct{ name, method, body, want string }{
		{"entity expansion", "PROPFIND", bomb, "DTD"},
		{"deep nesting", "PROPPATCH", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` + strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200) + `</D:prop></D:set></D:propertyupdate>`, "nested too deeply"},
		{"oversized", "PROPPATCH", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><a>` + strings.Repeat("x", maxXMLBody) + `</a></D:prop></D:set></D:propertyupdate>`, "too large"},
		{"not XML", "LOCK", `<D:lockinfo xmlns:D="DAV:"><D:lockscope>`, "not well-formed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, call{method: tt.method, path: "/dav/lib/a.txt", body: tt.body, hdr: map[string]string{"Depth": "0"}, want: 400}, nil)
			if !strings.Contains(r.body, tt.want) {
				t.Errorf("body %q lacks %q", r.body, tt.want)
			}
		})
	}
}

func TestCopyMoveDestinationChecks(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "a", want: 201}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/b.txt", body: "b", want: 201}, nil)
	e.do(t, call{method: "COPY", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": "http://elsewhere.example/dav/lib/c.txt"}, want: 502}, nil)
	e.do(t, call{method: "COPY", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": "https" + strings.TrimPrefix(e.url, "http") + "/dav/lib/c.txt"}, want: 502}, nil)
	e.do(t, call{method: "MOVE", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": e.url + "/dav/lib/b.txt", "Overwrite": "F"}, want: 412}, nil)
	e.do(t, call{method: "MOVE", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": e.url + "/dav/lib/../../etc/passwd"}, want: 400}, nil)
	e.do(t, call{method: "MOVE", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": e.url + "/dav/lib/a.txt"}, want: 403}, nil)
	e.do(t, call{method: "COPY", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": "/dav/lib/c.txt"}, want: 201}, nil)
	e.do(t, call{method: "MOVE", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": e.url + "/dav/lib/b.txt"}, want: 204}, nil)
	if got := e.get(t, "/dav/lib/b.txt"); got != "a" {
		t.Errorf("b.txt = %q after MOVE over it", got)
	}
}

// TestMoveOrCopyOntoAnAncestorIs403AndChangesNothing: MOVE or COPY of
// /a/b to /a would replace /a, and the source with it; refused with 403,
// as Apache mod_dav does, whatever Overwrite says.
func TestMoveOrCopyOntoAnAncestorIs403AndChangesNothing(t *testing.T) {
	e := newEnv(t, 0)
	e.replay(t, nil, []call{
		{method: "MKCOL", path: "/dav/lib/a", want: 201},
		{method: "MKCOL", path: "/dav/lib/a/b", want: 201},
		{method: "PUT", path: "/dav/lib/a/b/c.txt", body: "c", want: 201},
		{method: "PUT", path: "/dav/lib/a/x.txt", body: "x", want: 201},
	})
	listing := func() string {
		var out []string
		for _, p := range []string{"/dav/lib/", "/dav/lib/a/", "/dav/lib/a/b/"} {
			r := e.do(t, call{method: "PROPFIND", path: p, hdr: map[string]string{"Depth": "1"}, want: 207,
				body: `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`}, nil)
			out = append(out, r.body)
		}
		return strings.Join(out, "\n")
	}
	before := listing()
	for _, m := range []string{"MOVE", "COPY"} {
		for _, tc := range []struct{ src, dst, overwrite string }{
			{"/dav/lib/a/b", "/dav/lib/a", "T"},
			{"/dav/lib/a/b", "/dav/lib/a/", ""},
			{"/dav/lib/a/b/c.txt", "/dav/lib/a", "T"},
			{"/dav/lib/a/b", "/dav/lib/a", "F"},
		} {
			hdr := map[string]string{"Destination": e.url + tc.dst}
			if tc.overwrite != "" {
				hdr["Overwrite"] = tc.overwrite
			}
			r := e.do(t, call{method: m, path: tc.src, hdr: hdr}, nil)
			if r.code != 403 || !strings.Contains(r.body, "contains it") {
				t.Errorf("%s %s to %s (Overwrite %q): %d %q, want 403", m, tc.src, tc.dst, tc.overwrite, r.code, r.body)
			}
		}
	}
	if after := listing(); after != before {
		t.Errorf("tree changed:\n--- before\n%s\n--- after\n%s", before, after)
	}
	for p, want := range map[string]string{"/dav/lib/a/b/c.txt": "c", "/dav/lib/a/x.txt": "x"} {
		if got := e.get(t, p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if tr, err := e.store.Trash(t.Context(), alice(), "lib"); err != nil || len(tr) != 0 {
		t.Errorf("recycle bin = %+v, %v; want empty", tr, err)
	}
}

func TestInvalidNamesAre400(t *testing.T) {
	e := newEnv(t, 0)
	for _, p := range []string{"/dav/lib/a%3Fb", "/dav/lib/CON.txt", "/dav/lib/trail.", "/dav/lib/%FF", "/dav/lib/" + strings.Repeat("n", 300)} {
		r := e.do(t, call{method: "PUT", path: p, body: "x"}, nil)
		if r.code != 400 {
			t.Errorf("PUT %s: %d, want 400", p, r.code)
		}
		if strings.Contains(r.body, "docstore") {
			t.Errorf("PUT %s: internal text in body %q", p, r.body)
		}
	}
}

func TestLocksSurviveAcrossHandlersAndHoldForEveryone(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "a", want: 201}, nil)
	vars := e.replay(t, nil, []call{{method: "LOCK", path: "/dav/lib/a.txt", body: strings.ReplaceAll(lockBody, "{owner}", "alice"), want: 200}})
	// A second handler on the same store (a restart) sees the lock.
	h2 := New(e.store, Options{})
	srv := &http.Server{Handler: basicAuth(h2)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	e2 := &davEnv{store: e.store, url: "http://" + ln.Addr().String()}
	r := e2.do(t, call{method: "PROPFIND", path: "/dav/lib/a.txt", hdr: map[string]string{"Depth": "0"}, want: 207}, nil)
	if !strings.Contains(r.body, vars["token"]) || !strings.Contains(r.body, "<D:owner><href xmlns=\"DAV:\">alice</href></D:owner>") {
		t.Errorf("lockdiscovery lacks the lock or its owner:\n%s", r.body)
	}
	e2.do(t, call{method: "PUT", path: "/dav/lib/a.txt", user: "bob", body: "b", want: 423}, nil)
	// bob cannot use alice's token.
	e2.do(t, call{method: "PUT", path: "/dav/lib/a.txt", user: "bob", body: "b", hdr: map[string]string{"If": "(<" + vars["token"] + ">)"}, want: 423}, nil)
	e2.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "c", hdr: map[string]string{"If": "(<" + vars["token"] + ">)"}, want: 204}, nil)
}

func TestTimeoutIsCapped(t *testing.T) {
	e := newEnv(t, 0)
	r := e.do(t, call{method: "LOCK", path: "/dav/lib/new.txt", hdr: map[string]string{"Timeout": "Infinite, Second-4100000000"}, body: strings.ReplaceAll(lockBody, "{owner}", "x"), want: 201}, nil)
	if !strings.Contains(r.body, "<D:timeout>Second-3600</D:timeout>") && !strings.Contains(r.body, "<D:timeout>Second-3599</D:timeout>") {
		t.Errorf("timeout not capped at one hour:\n%s", r.body)
	}
	// The locked empty resource exists and is listed.
	e.do(t, call{method: "GET", path: "/dav/lib/new.txt", want: 200}, nil)
}

func TestOptionsWithoutCredentials(t *testing.T) {
	e := newEnv(t, 0)
	r := e.do(t, call{method: "OPTIONS", path: "/dav/", user: "-", want: 200}, nil)
	if r.hdr.Get("DAV") != "1, 2" || r.hdr.Get("MS-Author-Via") != "DAV" || !strings.Contains(r.hdr.Get("Allow"), "PROPFIND") {
		t.Errorf("headers: %v", r.hdr)
	}
	e.do(t, call{method: "PROPFIND", path: "/dav/", user: "-", want: 401}, nil)
}

// TestDeleteFolderWithLockedMember answers 207 naming the locked member and
// deletes nothing.
func TestDeleteFolderWithLockedMember(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "MKCOL", path: "/dav/lib/d", want: 201}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/d/a.txt", body: "a", want: 201}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/d/b.txt", body: "b", want: 201}, nil)
	e.do(t, call{method: "LOCK", path: "/dav/lib/d/b.txt", user: "bob", body: strings.ReplaceAll(lockBody, "{owner}", "bob"), want: 200}, nil)
	r := e.do(t, call{method: "DELETE", path: "/dav/lib/d", want: 207}, nil)
	if !strings.Contains(r.body, "<D:href>/dav/lib/d/b.txt</D:href><D:status>HTTP/1.1 423 Locked</D:status>") {
		t.Errorf("207 body does not name the locked member:\n%s", r.body)
	}
	if got := e.get(t, "/dav/lib/d/a.txt"); got != "a" {
		t.Errorf("a.txt = %q after refused DELETE", got)
	}
}

// TestPutIntoLockedFolderWithUntaggedToken creates a member of a depth-0
// locked folder with the folder's token in an untagged If list.
func TestPutIntoLockedFolderWithUntaggedToken(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "MKCOL", path: "/dav/lib/d", want: 201}, nil)
	vars := e.replay(t, nil, []call{{method: "LOCK", path: "/dav/lib/d", hdr: map[string]string{"Depth": "0"}, body: strings.ReplaceAll(lockBody, "{owner}", "alice"), want: 200}})
	e.do(t, call{method: "PUT", path: "/dav/lib/d/new.txt", body: "x", want: 423}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/d/new.txt", body: "x", hdr: map[string]string{"If": "(<urn:uuid:00000000-0000-4000-8000-000000000000>)"}, want: 412}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/d/new.txt", body: "x", hdr: map[string]string{"If": "(<{token}>)"}, want: 201}, vars)
	e.do(t, call{method: "MKCOL", path: "/dav/lib/d/sub", hdr: map[string]string{"If": "<" + e.url + "/dav/lib/d> (<{token}>)"}, want: 201}, vars)
}

func TestIfHeaderEvaluation(t *testing.T) {
	e := newEnv(t, 0)
	r := e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "a", want: 201}, nil)
	etag := r.hdr.Get("ETag")
	tests := []struct {
		ifh  string
		want int
	}{
		{"(<DAV:no-lock>)", 412},
		{"(Not <DAV:no-lock>)", 204},
		{"([" + etag + "])", 204},
		{`(["nope"])`, 412},
		{`(["nope"]) (Not <DAV:no-lock>)`, 204},
		{"<http://elsewhere.example/dav/lib/a.txt> (Not <DAV:no-lock>)", 412},
		{"<" + e.url + "/dav/lib/a.txt> (Not <DAV:no-lock>)", 204},
		{"(<garbage", 400},
	}
	for _, tt := range tests {
		r := e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "a", hdr: map[string]string{"If": tt.ifh}}, nil)
		if r.code != tt.want {
			t.Errorf("If: %s → %d, want %d", tt.ifh, r.code, tt.want)
		}
	}
}

func TestNamesDifferingOnlyByCaseOrAccentFormAreOneFile(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/Rapport.txt", body: "v1", want: 201}, nil)
	r := e.do(t, call{method: "PUT", path: "/dav/lib/rapport.txt", body: "v2", want: 409}, nil)
	if !strings.Contains(r.body, "upper and lower case") {
		t.Errorf("case clash body = %q, want a plain explanation", r.body)
	}
	// macOS sends decomposed accents (NFD), Windows composed ones (NFC):
	// both name the same file.
	e.do(t, call{method: "PUT", path: "/dav/lib/R%C3%A9sum%C3%A9.txt", body: "nfc", want: 201}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/Re%CC%81sume%CC%81.txt", body: "nfd", want: 204}, nil)
	if got := e.get(t, "/dav/lib/R%C3%A9sum%C3%A9.txt"); got != "nfd" {
		t.Errorf("content under the composed name = %q, want the decomposed PUT's", got)
	}
}
