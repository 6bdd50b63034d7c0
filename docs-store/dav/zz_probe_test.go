package dav

import (
	"strings"
	"testing"
)

func TestZZProbe(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "alice", want: 201}, nil)
	lockBody := `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>alice</D:href></D:owner></D:lockinfo>`
	r := e.do(t, call{method: "LOCK", path: "/dav/lib/a.txt", body: lockBody, want: 200}, nil)
	tok := strings.Trim(r.hdr.Get("Lock-Token"), "<>")
	v := map[string]string{"token": tok}
	for _, c := range []call{
		{method: "PUT", path: "/dav/lib/a.txt", body: "bob", user: "bob", hdr: map[string]string{"If": "(<{token}>)"}},
		{method: "PUT", path: "/dav/lib/a.txt", body: "bob", user: "bob", hdr: map[string]string{"If": "</dav/lib/a.txt> (<{token}>)"}},
		{method: "DELETE", path: "/dav/lib/a.txt", user: "bob", hdr: map[string]string{"If": "(<{token}>)"}},
		{method: "MOVE", path: "/dav/lib/a.txt", user: "bob", hdr: map[string]string{"If": "(<{token}>)", "Destination": "/dav/lib/b.txt"}},
		{method: "PROPPATCH", path: "/dav/lib/a.txt", user: "bob", body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:x">1</x></D:prop></D:set></D:propertyupdate>`, hdr: map[string]string{"If": "(<{token}>)"}},
		{method: "UNLOCK", path: "/dav/lib/a.txt", user: "bob", hdr: map[string]string{"Lock-Token": "<{token}>"}},
		{method: "LOCK", path: "/dav/lib/a.txt", user: "bob", hdr: map[string]string{"If": "(<{token}>)", "Timeout": "Second-3600"}},
		{method: "UNLOCK", path: "/dav/lib/a.txt", user: "carol", hdr: map[string]string{"Lock-Token": "<{token}>"}},
		{method: "PUT", path: "/dav/lib/c.txt", user: "carol", body: "x"},
		{method: "COPY", path: "/dav/lib/a.txt", user: "carol", hdr: map[string]string{"Destination": "/dav/lib/z.txt"}},
		{method: "GET", path: "/dav/lib/%2e%2e/lib/a.txt"},
		{method: "GET", path: "/dav/lib/..%5ca.txt"},
		{method: "GET", path: "/dav/lib/a%00.txt"},
		{method: "GET", path: "/dav/lib/%c0%ae%c0%ae/a.txt"},
		{method: "PUT", path: "/dav/lib/x%5cy.txt", body: "x"},
		{method: "COPY", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": "/dav/lib/%2e%2e/other/z.txt"}},
		{method: "COPY", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": "/dav/other/z.txt"}},
		{method: "COPY", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": "/dav/lib/sub%5c..%5cz.txt"}},
		{method: "PROPFIND", path: "/dav/lib/", hdr: map[string]string{"Depth": "1, noroot"}},
		{method: "PROPFIND", path: "/dav", hdr: map[string]string{"Depth": "1"}},
		{method: "PROPFIND", path: "/", hdr: map[string]string{"Depth": "0"}},
		{method: "GET", path: "/dav/lib/a.txt", user: "carol"},
	} {
		c.want = 0
		r := e.do(t, c, v)
		t.Logf("%s %s as %s If=%q -> %d %.200q", c.method, c.path, c.user, c.hdr["If"], r.code, r.body)
	}
	r = e.do(t, call{method: "GET", path: "/dav/lib/a.txt"}, nil)
	t.Logf("final content %q", r.body)
}
