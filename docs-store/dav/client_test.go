package dav

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// call is one request of a replayed client sequence.
type call struct {
	method, path string
	hdr          map[string]string
	body         string
	user         string // default alice
	want         int
}

type result struct {
	code int
	hdr  http.Header
	body string
}

// do sends one request to e; {token} in headers and bodies is replaced by
// vars["token"] and so on.
func (e *davEnv) do(t *testing.T, c call, vars map[string]string) result {
	t.Helper()
	expand := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
		return s
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(expand(c.body))
	}
	req, err := http.NewRequestWithContext(t.Context(), c.method, e.url+expand(c.path), body)
	if err != nil {
		t.Fatal(err)
	}
	user := c.user
	if user == "" {
		user = "alice"
	}
	if user != "-" {
		req.SetBasicAuth(user, testUsers[user])
	}
	for k, v := range c.hdr {
		req.Header.Set(k, expand(v))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if c.want != 0 && res.StatusCode != c.want {
		t.Fatalf("%s %s: status %d, want %d; body:\n%s", c.method, c.path, res.StatusCode, c.want, b)
	}
	return result{code: res.StatusCode, hdr: res.Header, body: string(b)}
}

// replay runs calls in order, capturing the lock token of each LOCK into
// vars["token"] (and vars["token2"] for the second).
func (e *davEnv) replay(t *testing.T, vars map[string]string, calls []call) map[string]string {
	t.Helper()
	if vars == nil {
		vars = map[string]string{}
	}
	n := len(vars)
	for _, c := range calls {
		r := e.do(t, c, vars)
		if lt := r.hdr.Get("Lock-Token"); lt != "" && c.method == "LOCK" {
			n++
			key := "token"
			if n > 1 {
				key = "token" + string(rune('0'+n))
			}
			vars[key] = strings.Trim(lt, "<>")
		}
	}
	return vars
}

const lockBody = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>{owner}</D:href></D:owner></D:lockinfo>`

func (e *davEnv) get(t *testing.T, path string) string {
	t.Helper()
	return e.do(t, call{method: "GET", path: path, want: 200}, nil).body
}

// TestOfficeSave replays Microsoft Word's save of an open document: lock
// the original, write a temporary file, move it over the locked original
// with the lock token in an untagged If header, unlock.
func TestOfficeSave(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/Rapport.docx", body: "version 1", want: 201}, nil)
	vars := e.replay(t, nil, []call{
		{method: "OPTIONS", path: "/dav/lib/", user: "-", want: 200},
		{method: "HEAD", path: "/dav/lib/Rapport.docx", want: 200},
		{method: "LOCK", path: "/dav/lib/Rapport.docx", hdr: map[string]string{"Timeout": "Second-3600", "Content-Type": "text/xml; charset=\"utf-8\""},
			body: strings.ReplaceAll(lockBody, "{owner}", `AD\alice`), want: 200},
		{method: "GET", path: "/dav/lib/Rapport.docx", want: 200},
		{method: "PROPFIND", path: "/dav/lib/Rapport.docx", hdr: map[string]string{"Depth": "0"}, want: 207},
	})
	if vars["token"] == "" {
		t.Fatal("LOCK returned no Lock-Token")
	}
	// Someone else cannot write while Word holds the lock.
	e.do(t, call{method: "PUT", path: "/dav/lib/Rapport.docx", user: "bob", body: "bob's", want: 423}, vars)
	e.replay(t, vars, []call{
		{method: "PUT", path: "/dav/lib/~WRL0001.tmp", body: "version 2", want: 201},
		{method: "PROPPATCH", path: "/dav/lib/~WRL0001.tmp", want: 207, body: `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`},
		{method: "MOVE", path: "/dav/lib/~WRL0001.tmp", hdr: map[string]string{
			"Destination": e.url + "/dav/lib/Rapport.docx", "Overwrite": "T", "If": "(<{token}>)"}, want: 204},
		{method: "LOCK", path: "/dav/lib/Rapport.docx", hdr: map[string]string{"Timeout": "Second-3600", "If": "(<{token}>)"}, want: 200},
		{method: "UNLOCK", path: "/dav/lib/Rapport.docx", hdr: map[string]string{"Lock-Token": "<{token}>"}, want: 204},
	})
	if got := e.get(t, "/dav/lib/Rapport.docx"); got != "version 2" {
		t.Errorf("content after save = %q, want version 2", got)
	}
	vs, err := e.store.Versions(t.Context(), alice(), "lib", "/Rapport.docx")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Errorf("versions = %d, want 2 (the old content kept as a version)", len(vs))
	}
	e.do(t, call{method: "GET", path: "/dav/lib/~WRL0001.tmp", want: 404}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/Rapport.docx", user: "bob", body: "bob's", want: 204}, nil)
}

// TestOfficeMoveWithoutTokenIsLocked checks the other side of the save: a
// MOVE over a locked file without its token is refused and changes nothing.
func TestOfficeMoveWithoutTokenIsLocked(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.docx", body: "v1", want: 201}, nil)
	e.replay(t, nil, []call{
		{method: "LOCK", path: "/dav/lib/a.docx", body: strings.ReplaceAll(lockBody, "{owner}", "alice"), want: 200},
		{method: "PUT", path: "/dav/lib/tmp.docx", body: "v2", want: 201},
	})
	r := e.do(t, call{method: "MOVE", path: "/dav/lib/tmp.docx", hdr: map[string]string{"Destination": e.url + "/dav/lib/a.docx"}, want: 423}, nil)
	if !strings.Contains(r.body, "lock-token-submitted") {
		t.Errorf("423 body lacks lock-token-submitted:\n%s", r.body)
	}
	if got := e.get(t, "/dav/lib/a.docx"); got != "v1" {
		t.Errorf("content = %q, want v1", got)
	}
}

// TestLibreOfficeSave replays LibreOffice: lock, the .~lock.<name># file,
// a refresh with the token in the If header, PUT with the token, unlock and
// removal of the lock file.
func TestLibreOfficeSave(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/Budget.ods", body: "v1", want: 201}, nil)
	vars := e.replay(t, nil, []call{
		{method: "PROPFIND", path: "/dav/lib/Budget.ods", hdr: map[string]string{"Depth": "0"}, want: 207,
			body: `<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><resourcetype/><IsReadOnly xmlns="http://ucb.openoffice.org/dav/props/"/><getcontenttype/><supportedlock/><lockdiscovery/></prop></propfind>`},
		{method: "LOCK", path: "/dav/lib/Budget.ods", hdr: map[string]string{"Timeout": "Second-180", "Depth": "0"},
			body: strings.ReplaceAll(lockBody, "{owner}", "LibreOffice - alice"), want: 200},
		{method: "PUT", path: "/dav/lib/.~lock.Budget.ods%23", body: "alice,host,alice,27.11.2026 16:00,file:///home/alice/.config/libreoffice/4;", want: 201},
	})
	r := e.do(t, call{method: "LOCK", path: "/dav/lib/Budget.ods", hdr: map[string]string{"Timeout": "Second-180", "If": "<" + e.url + "/dav/lib/Budget.ods> (<{token}>)"}, want: 200}, vars)
	if !strings.Contains(r.body, vars["token"]) || !strings.Contains(r.body, "LibreOffice - alice") {
		t.Errorf("refresh body lacks token or owner:\n%s", r.body)
	}
	if !regexp.MustCompile(`<D:timeout>Second-1[78]\d</D:timeout>`).MatchString(r.body) {
		t.Errorf("refresh timeout not about 180 s:\n%s", r.body)
	}
	e.replay(t, vars, []call{
		{method: "PUT", path: "/dav/lib/Budget.ods", body: "v2", hdr: map[string]string{"If": "(<" + vars["token"] + ">)"}, want: 204},
		{method: "UNLOCK", path: "/dav/lib/Budget.ods", hdr: map[string]string{"Lock-Token": "<" + vars["token"] + ">"}, want: 204},
		{method: "DELETE", path: "/dav/lib/.~lock.Budget.ods%23", want: 204},
	})
	if got := e.get(t, "/dav/lib/Budget.ods"); got != "v2" {
		t.Errorf("content = %q, want v2", got)
	}
}

// TestWindowsRedirector replays the Windows WebDAV redirector (mini-redir):
// anonymous OPTIONS, PROPFIND on the roots, creating a file with a lock
// and the Win32 properties, then reading them back.
func TestWindowsRedirector(t *testing.T) {
	e := newEnv(t, 0)
	ua := map[string]string{"User-Agent": "Microsoft-WebDAV-MiniRedir/10.0.19045", "Translate": "f"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range ua {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	r := e.do(t, call{method: "OPTIONS", path: "/", user: "-", hdr: ua, want: 200}, nil)
	if r.hdr.Get("DAV") != "1, 2" || r.hdr.Get("MS-Author-Via") != "DAV" {
		t.Errorf("OPTIONS headers: DAV %q, MS-Author-Via %q", r.hdr.Get("DAV"), r.hdr.Get("MS-Author-Via"))
	}
	e.do(t, call{method: "OPTIONS", path: "/dav/", user: "-", hdr: ua, want: 200}, nil)
	e.do(t, call{method: "PROPFIND", path: "/", user: "-", hdr: with(map[string]string{"Depth": "0"}), want: 401}, nil)
	r = e.do(t, call{method: "PROPFIND", path: "/", hdr: with(map[string]string{"Depth": "0"}), want: 207}, nil)
	if !strings.Contains(r.body, "<D:collection/>") {
		t.Errorf("PROPFIND / is not a collection:\n%s", r.body)
	}
	r = e.do(t, call{method: "PROPFIND", path: "/dav/", hdr: with(map[string]string{"Depth": "1"}), want: 207}, nil)
	if !strings.Contains(r.body, "<D:href>/dav/lib/</D:href>") {
		t.Errorf("PROPFIND /dav/ does not list the library:\n%s", r.body)
	}
	vars := e.replay(t, nil, []call{
		{method: "PUT", path: "/dav/lib/Nouveau%20document.txt", hdr: with(map[string]string{"Content-Length": "0"}), want: 201},
		{method: "LOCK", path: "/dav/lib/Nouveau%20document.txt", hdr: with(map[string]string{"Timeout": "Second-3600"}),
			body: strings.ReplaceAll(lockBody, "{owner}", "WIN\\alice"), want: 200},
	})
	e.replay(t, vars, []call{
		{method: "PROPPATCH", path: "/dav/lib/Nouveau%20document.txt", hdr: with(map[string]string{"If": "(<" + vars["token"] + ">)"}), want: 207,
			body: `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32CreationTime>Fri, 27 Nov 2026 16:00:00 GMT</Z:Win32CreationTime><Z:Win32LastAccessTime>Fri, 27 Nov 2026 16:00:01 GMT</Z:Win32LastAccessTime><Z:Win32LastModifiedTime>Fri, 27 Nov 2026 16:00:02 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`},
		{method: "PUT", path: "/dav/lib/Nouveau%20document.txt", body: "Bonjour", hdr: with(map[string]string{"If": "(<" + vars["token"] + ">)"}), want: 204},
		{method: "UNLOCK", path: "/dav/lib/Nouveau%20document.txt", hdr: with(map[string]string{"Lock-Token": "<" + vars["token"] + ">"}), want: 204},
	})
	r = e.do(t, call{method: "PROPFIND", path: "/dav/lib/", hdr: with(map[string]string{"Depth": "1"}), want: 207,
		body: `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:prop xmlns:Z="urn:schemas-microsoft-com:"><D:getcontentlength/><Z:Win32FileAttributes/><Z:Win32LastModifiedTime/></D:prop></D:propfind>`}, nil)
	for _, want := range []string{
		`<D:href>/dav/lib/Nouveau%20document.txt</D:href>`,
		`<Win32FileAttributes xmlns="urn:schemas-microsoft-com:">00000020</Win32FileAttributes>`,
		`<Win32LastModifiedTime xmlns="urn:schemas-microsoft-com:">Fri, 27 Nov 2026 16:00:02 GMT</Win32LastModifiedTime>`,
		`<D:getcontentlength>7</D:getcontentlength>`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("listing lacks %s:\n%s", want, r.body)
		}
	}
}

// TestWindowsCopyKeepsModifiedTime replays the Windows redirector's copy
// of a file into a folder: an empty PUT, LOCK, PUT of the content, then a
// PROPPATCH of the Win32 times, whose Win32LastModifiedTime becomes the
// file's modification time (getlastmodified, Last-Modified), as Windows
// shows the original's.
func TestWindowsCopyKeepsModifiedTime(t *testing.T) {
	e := newEnv(t, 0)
	const (
		path = "/dav/lib/Budget%202026.xlsx"
		mod  = "Thu, 12 Mar 2026 09:30:00 GMT"
	)
	ua := func(extra ...string) map[string]string {
		m := map[string]string{"User-Agent": "Microsoft-WebDAV-MiniRedir/10.0.19045", "Translate": "f"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	vars := e.replay(t, nil, []call{
		{method: "PROPFIND", path: path, hdr: ua("Depth", "0"), want: 404},
		{method: "PUT", path: path, hdr: ua("Content-Length", "0"), want: 201},
		{method: "LOCK", path: path, hdr: ua("Timeout", "Second-3600"), body: strings.ReplaceAll(lockBody, "{owner}", "WIN\\alice"), want: 200},
	})
	e.replay(t, vars, []call{
		{method: "PUT", path: path, body: "feuille de calcul", hdr: ua("If", "(<{token}>)"), want: 204},
	})
	r := e.do(t, call{method: "PROPPATCH", path: path, hdr: ua("If", "(<{token}>)", "Content-Type", "text/xml; charset=\"utf-8\""), want: 207,
		body: `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>` +
			`<Z:Win32CreationTime>Wed, 11 Mar 2026 08:00:00 GMT</Z:Win32CreationTime><Z:Win32LastAccessTime>Fri, 27 Nov 2026 16:00:01 GMT</Z:Win32LastAccessTime>` +
			`<Z:Win32LastModifiedTime>` + mod + `</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`}, vars)
	if strings.Count(r.body, "<D:status>") != 1 || !strings.Contains(r.body, "HTTP/1.1 200 OK") {
		t.Errorf("PROPPATCH response:\n%s", r.body)
	}
	e.replay(t, vars, []call{
		{method: "UNLOCK", path: path, hdr: ua("Lock-Token", "<{token}>"), want: 204},
	})
	r = e.do(t, call{method: "PROPFIND", path: path, hdr: ua("Depth", "0"), want: 207,
		body: `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:prop><D:getlastmodified/></D:prop></D:propfind>`}, nil)
	if !strings.Contains(r.body, "<D:getlastmodified>"+mod+"</D:getlastmodified>") {
		t.Errorf("getlastmodified is not the Win32LastModifiedTime %s:\n%s", mod, r.body)
	}
	r = e.do(t, call{method: "GET", path: path, want: 200}, nil)
	if got := r.hdr.Get("Last-Modified"); got != mod || r.body != "feuille de calcul" {
		t.Errorf("GET: Last-Modified %q, body %q; want %q", got, r.body, mod)
	}
}

// TestFinderChunkedPutAndHiddenFiles replays macOS Finder: chunked PUT
// without Content-Length (with X-Expected-Entity-Length), "._" and
// .DS_Store files accepted but kept out of listings.
func TestFinderChunkedPutAndHiddenFiles(t *testing.T) {
	e := newEnv(t, 0)
	put := func(path, content string) {
		t.Helper()
		pr, pw := io.Pipe()
		go func() {
			for _, part := range []string{content[:len(content)/2], content[len(content)/2:]} {
				pw.Write([]byte(part))
			}
			pw.Close()
		}()
		req, _ := http.NewRequestWithContext(t.Context(), "PUT", e.url+path, pr)
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
		req.SetBasicAuth("alice", testUsers["alice"])
		req.Header.Set("User-Agent", "WebDAVFS/3.0.0 (03008000) Darwin/23.0.0")
		req.Header.Set("X-Expected-Entity-Length", strconv.Itoa(len(content)))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 201 && res.StatusCode != 204 {
			t.Fatalf("PUT %s: %d", path, res.StatusCode)
		}
	}
	put("/dav/lib/photo.jpg", "JPEG data here")
	put("/dav/lib/._photo.jpg", "AppleDouble")
	put("/dav/lib/.DS_Store", "Bud1")
	if got := e.get(t, "/dav/lib/photo.jpg"); got != "JPEG data here" {
		t.Errorf("content = %q", got)
	}
	if got := e.get(t, "/dav/lib/._photo.jpg"); got != "AppleDouble" {
		t.Errorf("._ file content = %q", got)
	}
	r := e.do(t, call{method: "PROPFIND", path: "/dav/lib/", hdr: map[string]string{"Depth": "1"}, want: 207}, nil)
	if !strings.Contains(r.body, "/dav/lib/photo.jpg") {
		t.Errorf("listing lacks photo.jpg:\n%s", r.body)
	}
	if strings.Contains(r.body, "._photo.jpg") || strings.Contains(r.body, ".DS_Store") {
		t.Errorf("listing shows macOS metadata files:\n%s", r.body)
	}
	e.do(t, call{method: "PROPFIND", path: "/dav/lib/.DS_Store", hdr: map[string]string{"Depth": "0"}, want: 207}, nil)
}
