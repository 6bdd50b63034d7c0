package dav

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func FuzzParseIf(f *testing.F) {
	for _, s := range []string{
		`(<urn:uuid:1>)`, `(<urn:uuid:1> ["e1"]) (Not <DAV:no-lock>)`,
		`<http://h/dav/a> (<urn:uuid:1>) <http://h/dav/b> (Not["x"])`, `(`, `<`, `(Not`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseIf(s)
		if err != nil {
			return
		}
		if len(h.lists) == 0 {
			t.Fatal("parsed header with no list")
		}
		for _, l := range h.lists {
			if len(l.conditions) == 0 {
				t.Fatal("parsed list with no condition")
			}
			for _, c := range l.conditions {
				if (c.token == "") == (c.etag == "") {
					t.Fatalf("condition %+v must be exactly one of token or etag", c)
				}
			}
		}
		evalIf(h, func(string) (resourceState, bool) {
			return resourceState{exists: true, etag: `"e1"`, tokens: []string{"urn:uuid:1"}}, true
		})
	})
}

func FuzzPropfindBody(f *testing.F) {
	for _, s := range []string{
		``, `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><x:y xmlns:x="urn:x"/></D:prop></D:propfind>`,
		`<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pf, err := parsePropfind(b)
		if err != nil {
			if _, ok := asXMLError(err); !ok {
				t.Fatalf("error %v is not a client error", err)
			}
			return
		}
		if len(pf.props) > maxProps {
			t.Fatal("too many props accepted")
		}
	})
}

func FuzzProppatchBody(f *testing.F) {
	for _, s := range []string{
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">v<x:b c="d"/></x:a></D:prop></D:set></D:propertyupdate>`,
		`<D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><x:a xmlns:x="urn:x"/></D:prop></D:remove></D:propertyupdate>`,
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Z:Win32FileAttributes xmlns:Z="urn:schemas-microsoft-com:">00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pp, err := parseProppatch(b)
		if err != nil {
			if _, ok := asXMLError(err); !ok {
				t.Fatalf("error %v is not a client error", err)
			}
			return
		}
		// Every stored value must itself be well-formed XML content.
		for _, p := range pp {
			doc := "<w>" + p.value + "</w>"
			d := newSafeDecoder([]byte(doc))
			if _, err := d.root(); err != nil {
				t.Fatalf("value %q does not parse: %v", p.value, err)
			}
			if err := d.skip(); err != nil {
				t.Fatalf("value %q does not parse: %v", p.value, err)
			}
		}
	})
}

func FuzzLockBody(f *testing.F) {
	for _, s := range []string{
		``, `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>me</D:owner></D:lockinfo>`,
		`<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>http://x/</D:href></D:owner></D:lockinfo>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, err := parseLockinfo(b)
		if err != nil {
			if _, ok := asXMLError(err); !ok {
				t.Fatalf("error %v is not a client error", err)
			}
		}
	})
}

func FuzzDestination(f *testing.F) {
	for _, s := range []string{
		"http://example.com/dav/lib/a", "/dav/lib/a%20b", "http://evil/dav/x", "//example.com/dav/x",
		"http://example.com/dav/lib/%2e%2e/x", "http://example.com:80/dav/", "ftp://example.com/dav/a",
	} {
		f.Add(s)
	}
	public, _ := url.Parse("https://kaz.example.org/")
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest("COPY", "http://example.com/dav/lib/src", nil)
		r.Header["Destination"] = []string{s}
		p, err := destination(r, "/dav/", public)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") || strings.Contains(p, "\x00") {
			t.Fatalf("destination(%q) = %q: not a clean path", s, p)
		}
		if c, err := cleanPath(p); err != nil || c != p {
			t.Fatalf("destination(%q) = %q: not canonical", s, p)
		}
	})
}

func FuzzTimeout(f *testing.F) {
	for _, s := range []string{"", "Infinite", "Second-600", "Infinite, Second-4100000000", "Second-", "Second-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseTimeout(s, 10*time.Minute, time.Hour)
		if err == nil && (d <= 0 || d > time.Hour) {
			t.Fatalf("parseTimeout(%q) = %v, outside (0, 1h]", s, d)
		}
	})
}
