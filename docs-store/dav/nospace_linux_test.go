package dav

import (
	"strings"
	"testing"

	"github.com/kazhq/kaz/docs-store/docstoretest"
)

// TestPutOnAFullDiskIs507AndChangesNothing fills the real (1 MiB tmpfs)
// file system of the blobs with a PUT: 507 with a plain message, and the
// old content stays.
func TestPutOnAFullDiskIs507AndChangesNothing(t *testing.T) {
	e := newEnvBlobs(t, 0, docstoretest.SmallDisk(t, 1<<20))
	old := strings.Repeat("ancien contenu\n", 4<<10)
	e.do(t, call{method: "PUT", path: "/dav/lib/rapport.odt", body: old, want: 201}, nil)
	r := e.do(t, call{method: "PUT", path: "/dav/lib/rapport.odt", body: strings.Repeat("x", 2<<20), want: 507}, nil)
	if r.body != "the server's disk is full; nothing was changed\n" || !strings.HasPrefix(r.hdr.Get("Content-Type"), "text/plain") {
		t.Errorf("507 body %q (%s)", r.body, r.hdr.Get("Content-Type"))
	}
	if got := e.get(t, "/dav/lib/rapport.odt"); got != old {
		t.Errorf("content after the refused PUT: %d bytes, want the old %d", len(got), len(old))
	}
	if vs, err := e.store.Versions(t.Context(), alice(), "lib", "/rapport.odt"); err != nil || len(vs) != 1 {
		t.Errorf("versions = %+v, %v; want the current one only", vs, err)
	}
}
