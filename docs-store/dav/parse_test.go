package dav

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseIf(t *testing.T) {
	tests := []struct {
		in   string
		want []ifList
		bad  bool
	}{
		{in: `(<urn:uuid:1>)`, want: []ifList{{conditions: []ifCondition{{token: "urn:uuid:1"}}}}},
		{in: `(<urn:uuid:1> ["e1"]) (Not <DAV:no-lock>)`, want: []ifList{
			{conditions: []ifCondition{{token: "urn:uuid:1"}, {etag: `"e1"`}}},
			{conditions: []ifCondition{{not: true, token: "DAV:no-lock"}}},
		}},
		{in: `<http://h/dav/a> (<urn:uuid:1>) <http://h/dav/b> (Not["x"])`, want: []ifList{
			{tag: "http://h/dav/a", conditions: []ifCondition{{token: "urn:uuid:1"}}},
			{tag: "http://h/dav/b", conditions: []ifCondition{{not: true, etag: `"x"`}}},
		}},
		{in: `<http://h/a> (<t1>) (<t2>)`, want: []ifList{
			{tag: "http://h/a", conditions: []ifCondition{{token: "t1"}}},
			{tag: "http://h/a", conditions: []ifCondition{{token: "t2"}}},
		}},
		{in: ``, bad: true},
		{in: `()`, bad: true},
		{in: `(<a>`, bad: true},
		{in: `<http://h/a>`, bad: true},
		{in: `(<a>) <http://h/b> (<c>)`, bad: true}, // mixing untagged and tagged
		{in: `(foo)`, bad: true},
		{in: `(Not)`, bad: true},
		{in: `(["e"] x)`, bad: true},
	}
	for _, tt := range tests {
		h, err := parseIf(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("parseIf(%q) = %+v, want an error", tt.in, h)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseIf(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, h.lists, cmp.AllowUnexported(ifList{}, ifCondition{})); diff != "" {
			t.Errorf("parseIf(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestEvalIf(t *testing.T) {
	locked := resourceState{exists: true, etag: `"e1"`, tokens: []string{"urn:uuid:1"}}
	free := resourceState{exists: true, etag: `"e2"`}
	tests := []struct {
		in   string
		st   resourceState
		want bool
	}{
		{`(<urn:uuid:1>)`, locked, true},
		{`(<urn:uuid:2>)`, locked, false},
		{`(<urn:uuid:1> ["e1"])`, locked, true},
		{`(<urn:uuid:1> ["e9"])`, locked, false},
		{`(Not <DAV:no-lock>)`, free, true},
		{`(<DAV:no-lock>)`, free, false},
		{`(<urn:uuid:9>) (["e2"])`, free, true},
		{`(Not ["e2"])`, free, false},
		{`(W/"e2")`, free, false},
		{`([W/"e2"])`, free, true},
		{`(["e2"])`, resourceState{}, false},
	}
	for _, tt := range tests {
		h, err := parseIf(tt.in)
		if err != nil {
			if tt.want {
				t.Errorf("parseIf(%q): %v", tt.in, err)
			}
			continue
		}
		got := evalIf(h, func(string) (resourceState, bool) { return tt.st, true })
		if got != tt.want {
			t.Errorf("evalIf(%q, %+v) = %v, want %v", tt.in, tt.st, got, tt.want)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	const def, max = 10 * time.Minute, time.Hour
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"", def, false},
		{"Second-600", 600 * time.Second, false},
		{"Infinite", max, false},
		{"Infinite, Second-4100000000", max, false},
		{"Second-4100000000", max, false},
		{"second-30", 30 * time.Second, false},
		{"Second-x, Second-5", 5 * time.Second, false},
		{"Second-99999999999999999999999", 0, true},
		{"Minute-5", 0, true},
		{"Second--5", 0, true},
	}
	for _, tt := range tests {
		got, err := parseTimeout(tt.in, def, max)
		if (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
			t.Errorf("parseTimeout(%q) = %v, %v; want %v, bad %v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestDestination(t *testing.T) {
	public, _ := url.Parse("https://kaz.example.org/")
	tests := []struct {
		dest string
		want string
		err  error
	}{
		{"http://example.com/dav/lib/a%20b.txt", "/lib/a b.txt", nil},
		{"http://example.com:80/dav/lib/x/", "/lib/x", nil},
		{"/dav/lib/x", "/lib/x", nil},
		{"https://kaz.example.org/dav/lib/x", "/lib/x", nil},
		{"http://evil.example.net/dav/lib/x", "", errForeignDestination},
		{"https://example.com/dav/lib/x", "", errForeignDestination},
		{"http://example.com/other/x", "", errForeignDestination},
		{"http://example.com/dav/lib/../../etc", "", errBadPath},
		{"lib/x", "", errBadDestination},
		{"", "", errBadDestination},
		{"http://example.com/dav/lib/%00", "", errBadPath},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("MOVE", "http://example.com/dav/lib/src", nil)
		if tt.dest != "" {
			r.Header.Set("Destination", tt.dest)
		}
		got, err := destination(r, "/dav/", public)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("destination(%q) = %q, %v; want %q, %v", tt.dest, got, err, tt.want, tt.err)
		}
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{"/": "/", "": "/", "/a/b/": "/a/b", "/a//b": "/a/b"} {
		if got, err := cleanPath(in); err != nil || got != want {
			t.Errorf("cleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"/a/../b", "/a/./b", "/a\x00", "/a\\b", "/\xff", "/" + strings.Repeat("a", maxPath)} {
		if got, err := cleanPath(in); err == nil {
			t.Errorf("cleanPath(%q) = %q, want an error", in, got)
		}
	}
}

func TestParsePropfind(t *testing.T) {
	pf, err := parsePropfind([]byte(`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><x:foo xmlns:x="urn:x"/></D:prop></D:propfind>`))
	if err != nil {
		t.Fatal(err)
	}
	if pf.kind != findProp || len(pf.props) != 2 || pf.props[1].Space != "urn:x" || pf.props[1].Local != "foo" {
		t.Errorf("got %+v", pf)
	}
	if pf, err := parsePropfind(nil); err != nil || pf.kind != findAllprop {
		t.Errorf("empty body: %+v, %v", pf, err)
	}
	bad := []string{
		`<propfind/>`,
		`<D:propfind xmlns:D="DAV:"><D:prop>`,
		`<!DOCTYPE x [<!ENTITY a "aaaa">]><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:prop><x>&a;</x></D:prop></D:propfind>`,
		`<D:propfind xmlns:D="DAV:">` + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + `</D:propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind><junk/>`,
		`<D:propfind xmlns:D="DAV:"></D:propfind>`,
	}
	for _, b := range bad {
		if _, err := parsePropfind([]byte(b)); err == nil {
			t.Errorf("parsePropfind(%.60q) succeeded, want an error", b)
		} else if _, ok := asXMLError(err); !ok {
			t.Errorf("parsePropfind(%.60q): %v is not a client error", b, err)
		}
	}
}

func TestReadBodyRefusesOversized(t *testing.T) {
	_, err := readBody(strings.NewReader(strings.Repeat("x", maxXMLBody+1)))
	if err != errXMLTooLarge {
		t.Fatalf("err = %v, want errXMLTooLarge", err)
	}
}

func TestParseProppatchKeepsNamespacesInValues(t *testing.T) {
	body := `<?xml version="1.0"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:" xmlns:n="urn:n">
<D:set><D:prop><Z:Win32LastModifiedTime>Wed, 20 Jan 2021 10:00:00 GMT</Z:Win32LastModifiedTime>
<n:deep><n:a attr="1" n:b="2">x &amp; y</n:a></n:deep></D:prop></D:set>
<D:remove><D:prop><n:gone/></D:prop></D:remove></D:propertyupdate>`
	got, err := parseProppatch([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []propPatch{
		{name: xmlName{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime"}, value: "Wed, 20 Jan 2021 10:00:00 GMT"},
		{name: xmlName{Space: "urn:n", Local: "deep"}, value: `<a xmlns="urn:n" attr="1" xmlns:a1="urn:n" a1:b="2">x &amp; y</a>`},
		{remove: true, name: xmlName{Space: "urn:n", Local: "gone"}},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(propPatch{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseLockinfo(t *testing.T) {
	li, ok, err := parseLockinfo([]byte(`<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>mailto:a@b</D:href></D:owner></D:lockinfo>`))
	if err != nil || !ok || !li.shared || li.owner != `<href xmlns="DAV:">mailto:a@b</href>` {
		t.Errorf("got %+v, %v, %v", li, ok, err)
	}
	if _, ok, err := parseLockinfo(nil); ok || err != nil {
		t.Errorf("empty body: ok %v err %v, want a refresh", ok, err)
	}
	if _, _, err := parseLockinfo([]byte(`<D:lockinfo xmlns:D="DAV:"><D:locktype><D:write/></D:locktype></D:lockinfo>`)); err == nil {
		t.Error("missing lockscope accepted")
	}
	// The owner is stored with the lock and shown to everyone: bounded.
	big := `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>` +
		strings.Repeat("x", maxOwner+1) + `</D:owner></D:lockinfo>`
	if _, _, err := parseLockinfo([]byte(big)); err != errXMLOwner {
		t.Errorf("owner of %d bytes: err %v, want %v", maxOwner+1, err, errXMLOwner)
	}
}

// TestIfTagsBehindAPrefixProxy: behind a reverse proxy that publishes Kaz
// under a path (public URL https://kaz.example.org/kaz/), clients name
// resources in If tags by their public URL, as in Destination.
func TestIfTagsBehindAPrefixProxy(t *testing.T) {
	e := newEnv(t, 0)
	h := newHandler(e.store, Options{PublicURL: "https://kaz.example.org/kaz/"})
	rq := &request{r: httptest.NewRequest("PUT", "http://10.0.0.5:8080/dav/lib/a.txt", nil)}
	for tag, want := range map[string]string{
		"https://kaz.example.org/kaz/dav/lib/a.txt": "/lib/a.txt",
		"http://10.0.0.5:8080/dav/lib/a.txt":        "/lib/a.txt",
		"/dav/lib/b%20c.txt":                        "/lib/b c.txt",
		"https://kaz.example.org/dav/lib/a.txt":     "",
		"https://evil.example/kaz/dav/lib/a.txt":    "",
		"https://kaz.example.org/kaz/dav/%2e%2e/x":  "",
	} {
		got, ok := h.resolveURL(rq, tag)
		if ok != (want != "") || got != want {
			t.Errorf("resolveURL(%q) = %q, %v; want %q", tag, got, ok, want)
		}
	}
}
