package dav

import (
	"strings"
	"testing"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/server/auth"
)

// TestLockTokenOfAnotherUserGivesNothing: bob knows alice's lock token
// (lockdiscovery shows it to everyone who can read): with it he can neither
// write, delete, move, refresh nor remove her lock.
func TestLockTokenOfAnotherUserGivesNothing(t *testing.T) {
	e := newEnv(t, 0)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "alice", want: 201}, nil)
	r := e.do(t, call{method: "LOCK", path: "/dav/lib/a.txt", want: 200,
		body: `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>alice</D:href></D:owner></D:lockinfo>`}, nil)
	vars := map[string]string{"token": strings.Trim(r.hdr.Get("Lock-Token"), "<>")}
	if vars["token"] == "" {
		t.Fatal("LOCK gave no token")
	}
	ifTok := map[string]string{"If": "(<{token}>)"}
	for _, c := range []call{
		{method: "PUT", path: "/dav/lib/a.txt", body: "bob", hdr: map[string]string{"If": "</dav/lib/a.txt> (<{token}>)"}, want: 423},
		{method: "DELETE", path: "/dav/lib/a.txt", hdr: ifTok, want: 423},
		{method: "MOVE", path: "/dav/lib/a.txt", hdr: map[string]string{"If": "(<{token}>)", "Destination": "/dav/lib/b.txt"}, want: 423},
		{method: "PROPPATCH", path: "/dav/lib/a.txt", hdr: ifTok, want: 423,
			body: `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:x">1</x></D:prop></D:set></D:propertyupdate>`},
		{method: "LOCK", path: "/dav/lib/a.txt", hdr: map[string]string{"If": "(<{token}>)", "Timeout": "Second-3600"}, want: 423},
		{method: "UNLOCK", path: "/dav/lib/a.txt", hdr: map[string]string{"Lock-Token": "<{token}>"}, want: 403},
	} {
		c.user = "bob"
		e.do(t, c, vars)
	}
	if got := e.get(t, "/dav/lib/a.txt"); got != "alice" {
		t.Errorf("content = %q, want alice's", got)
	}
	if locks, err := e.store.LocksAt(t.Context(), alice(), "lib", "/a.txt"); err != nil || len(locks) != 1 {
		t.Errorf("alice's lock: %v %v", locks, err)
	}
}

// TestNoCrossingIntoLibrariesWithoutAccess: a library alice cannot see
// answers like one that does not exist, as a source and as a destination,
// and encoded traversal never leaves the library.
func TestNoCrossingIntoLibrariesWithoutAccess(t *testing.T) {
	e := newEnv(t, 0)
	admin := &auth.Principal{User: "admin", Admin: true}
	if _, err := e.store.CreateLibrary(t.Context(), admin, docstore.LibrarySpec{Name: "secret", Quota: -1,
		Grants: []docstore.Grant{{Role: docstore.RoleEditor, Subject: "user:bob"}}}); err != nil {
		t.Fatal(err)
	}
	e.do(t, call{method: "PUT", path: "/dav/secret/s.txt", user: "bob", body: "bob", want: 201}, nil)
	e.do(t, call{method: "PUT", path: "/dav/lib/a.txt", body: "alice", want: 201}, nil)
	for _, c := range []call{
		{method: "PROPFIND", path: "/dav/secret/", hdr: map[string]string{"Depth": "0"}, want: 404},
		{method: "GET", path: "/dav/secret/s.txt", want: 404},
		{method: "LOCK", path: "/dav/secret/new.txt", want: 404,
			body: `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`},
		{method: "COPY", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": "/dav/secret/a.txt"}, want: 404},
		{method: "MOVE", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": "http://" + strings.TrimPrefix(e.url, "http://") + "/dav/secret/a.txt"}, want: 404},
		{method: "COPY", path: "/dav/secret/s.txt", hdr: map[string]string{"Destination": "/dav/lib/s.txt"}, want: 404},
		{method: "COPY", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": "/dav/lib/%2e%2e/secret/a.txt"}, want: 400},
		{method: "COPY", path: "/dav/lib/a.txt", hdr: map[string]string{"Destination": "/dav/lib/x%5c..%5c..%5csecret%5ca.txt"}, want: 400},
		{method: "GET", path: "/dav/lib/%2e%2e/secret/s.txt", want: 400},
		{method: "GET", path: "/dav/lib/..%5c..%5csecret%5cs.txt", want: 400},
		{method: "GET", path: "/dav/lib/%c0%ae%c0%ae/secret/s.txt", want: 400},
		{method: "PUT", path: "/dav/lib/a%00.txt", body: "x", want: 400},
		// carol only reads lib.
		{method: "COPY", path: "/dav/lib/a.txt", user: "carol", hdr: map[string]string{"Destination": "/dav/lib/z.txt"}, want: 403},
		{method: "LOCK", path: "/dav/lib/new.txt", user: "carol", want: 403,
			body: `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`},
	} {
		e.do(t, c, nil)
	}
	if r := e.do(t, call{method: "PROPFIND", path: "/dav/", hdr: map[string]string{"Depth": "1"}, want: 207}, nil); strings.Contains(r.body, "secret") {
		t.Errorf("the list of libraries shows one alice cannot read:\n%s", r.body)
	}
	if got := e.get(t, "/dav/lib/a.txt"); got != "alice" {
		t.Errorf("lib/a.txt = %q", got)
	}
	if _, err := e.store.Stat(t.Context(), &auth.Principal{User: "bob"}, "secret", "/a.txt"); err == nil {
		t.Error("a file reached the library alice cannot write")
	}
}
