package dav

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestDavfs2Replay replays the requests davfs2 1.6 sends when a file is
// opened for writing: a PROPFIND of the folder with its property list, a
// LOCK with the owner href, PUT and PROPFIND carrying a tagged If header,
// then UNLOCK.
func TestDavfs2Replay(t *testing.T) {
	e := newEnv(t, 0)
	ua := "davfs2/1.6.1 neon/0.32.5"
	const davfsProps = `<?xml version="1.0" encoding="utf-8"?>
<propfind xmlns="DAV:"><prop><getlastmodified/><getcontentlength/><resourcetype/><getetag/><displayname/><executable xmlns="http://apache.org/dav/props/"/></prop></propfind>`
	vars := e.replay(t, nil, []call{
		{method: "OPTIONS", path: "/dav/lib/", hdr: map[string]string{"User-Agent": ua}, want: 200},
		{method: "PROPFIND", path: "/dav/lib/", body: davfsProps, hdr: map[string]string{"User-Agent": ua, "Depth": "1", "Content-Type": "application/xml"}, want: 207},
		{method: "LOCK", path: "/dav/lib/notes.txt", hdr: map[string]string{"User-Agent": ua, "Depth": "0", "Timeout": "Second-1800"},
			body: `<?xml version="1.0" encoding="utf-8"?><lockinfo xmlns='DAV:'><lockscope><exclusive/></lockscope><locktype><write/></locktype><owner>root</owner></lockinfo>`, want: 201},
	})
	tagged := "<" + e.url + "/dav/lib/notes.txt> (<" + vars["token"] + ">)"
	r := e.do(t, call{method: "PROPFIND", path: "/dav/lib/notes.txt", body: davfsProps, hdr: map[string]string{"Depth": "0", "If": tagged}, want: 207}, nil)
	if !strings.Contains(r.body, "<D:getcontentlength>0</D:getcontentlength>") || !strings.Contains(r.body, `<executable xmlns="http://apache.org/dav/props/"/>`) {
		t.Errorf("PROPFIND of the locked empty file:\n%s", r.body)
	}
	// The first write to the locked empty file: 201 or 204 both fit.
	if r := e.do(t, call{method: "PUT", path: "/dav/lib/notes.txt", body: "du texte\n", hdr: map[string]string{"User-Agent": ua, "If": tagged}}, nil); r.code != 201 && r.code != 204 {
		t.Fatalf("PUT to the locked empty file: %d", r.code)
	}
	e.replay(t, vars, []call{
		{method: "PUT", path: "/dav/lib/notes.txt", body: "écrasé\n", user: "bob", hdr: map[string]string{"If": tagged}, want: 423},
		{method: "UNLOCK", path: "/dav/lib/notes.txt", hdr: map[string]string{"User-Agent": ua, "Lock-Token": "<" + vars["token"] + ">"}, want: 204},
	})
	if got := e.get(t, "/dav/lib/notes.txt"); got != "du texte\n" {
		t.Errorf("content = %q", got)
	}
}

// TestRcloneReplay replays rclone's webdav backend (vendor = other): a
// PROPFIND with its property list, MKCOL of each parent, PUT with a
// length, a server-side MOVE with Overwrite, and a Depth 1 listing.
func TestRcloneReplay(t *testing.T) {
	e := newEnv(t, 0)
	ua := "rclone/v1.60.1-DEV"
	const rcloneProps = `<?xml version="1.0"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">
 <d:prop>
  <d:displayname />
  <d:getlastmodified />
  <d:getcontentlength />
  <d:resourcetype />
  <d:getcontenttype />
  <oc:checksums />
  <oc:permissions />
 </d:prop>
</d:propfind>`
	h := func(extra ...string) map[string]string {
		m := map[string]string{"User-Agent": ua}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	e.replay(t, nil, []call{
		{method: "PROPFIND", path: "/dav/lib/arbre/", body: rcloneProps, hdr: h("Depth", "1"), want: 404},
		{method: "MKCOL", path: "/dav/lib/arbre", hdr: h(), want: 201},
		{method: "MKCOL", path: "/dav/lib/arbre/d1", hdr: h(), want: 201},
		{method: "PUT", path: "/dav/lib/arbre/d1/a.bin", body: "aaaa", hdr: h("Content-Type", "application/octet-stream"), want: 201},
		{method: "PROPFIND", path: "/dav/lib/arbre/d1/a.bin", body: rcloneProps, hdr: h("Depth", "1"), want: 207},
		{method: "MOVE", path: "/dav/lib/arbre/d1/a.bin", hdr: h("Destination", e.url+"/dav/lib/arbre/b.bin", "Overwrite", "T"), want: 201},
	})
	r := e.do(t, call{method: "PROPFIND", path: "/dav/lib/arbre/", body: rcloneProps, hdr: h("Depth", "1"), want: 207}, nil)
	body := normalize(r.body)
	golden(t, "rclone-propfind.xml", body)
}

// TestLockResponseBody checks the LOCK response body against a golden file.
func TestLockResponseBody(t *testing.T) {
	e := newEnv(t, 0)
	r := e.do(t, call{method: "LOCK", path: "/dav/lib/f.txt", hdr: map[string]string{"Timeout": "Second-600", "Depth": "0"},
		body: strings.ReplaceAll(lockBody, "{owner}", "mailto:alice@example.org"), want: 201}, nil)
	golden(t, "lock-response.xml", normalize(r.body))
}

var (
	reToken = regexp.MustCompile(`urn:uuid:[0-9a-f-]{36}`)
	reDate  = regexp.MustCompile(`<D:(creationdate|getlastmodified)>[^<]*</D:`)
	reETag  = regexp.MustCompile(`<D:getetag>[^<]*</D:getetag>`)
	reTO    = regexp.MustCompile(`Second-\d+`)
)

// normalize replaces what changes between runs (tokens, dates, etags,
// remaining timeouts).
func normalize(s string) string {
	s = reToken.ReplaceAllString(s, "urn:uuid:TOKEN")
	s = reDate.ReplaceAllString(s, "<D:$1>DATE</D:")
	s = reETag.ReplaceAllString(s, "<D:getetag>ETAG</D:getetag>")
	s = reTO.ReplaceAllString(s, "Second-N")
	return strings.ReplaceAll(s, "><", ">\n<")
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}
