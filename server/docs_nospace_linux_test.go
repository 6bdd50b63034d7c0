package server_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kazhq/kaz/docs-store/docstoretest"
	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/server"
)

// TestDocsAPIUploadOnAFullDiskIs507 uploads through the web API onto a
// real file system that fills up (a 1 MiB tmpfs holding the blobs): 507
// with a plain message, and the old content and history stay.
func TestDocsAPIUploadOnAFullDiskIs507(t *testing.T) {
	small := docstoretest.SmallDisk(t, 1<<20)
	srv := testenv.NewServer(t, func(cfg *server.Config) {
		if err := os.Symlink(small, filepath.Join(cfg.Server.Data, "blobs")); err != nil {
			t.Fatal(err)
		}
	})
	docsUsers(t, srv)
	admin, bob := docsSession(t, srv, "admin"), docsSession(t, srv, "bob")
	if code, body := admin.json("POST", "/api/admin/libraries", map[string]any{
		"name": "archives", "quota": "unlimited", "editors": []string{"rh"},
	}); code != http.StatusCreated {
		t.Fatalf("create library = %d %v", code, body)
	}
	old := strings.Repeat("ancien contenu\n", 4<<10)
	if code, body := bob.upload("archives", "/rapport.odt", old); code != http.StatusCreated {
		t.Fatalf("upload = %d %v", code, body)
	}
	code, body := bob.upload("archives", "/rapport.odt", strings.Repeat("x", 2<<20))
	if code != http.StatusInsufficientStorage || body["error_en"] != "the server's disk is full: nothing was saved; tell your administrator" {
		t.Errorf("upload on a full disk = %d %v", code, body)
	}
	if _, got := bob.download("archives", "/rapport.odt", nil); got != old {
		t.Errorf("content after the refused upload: %d bytes, want the old %d", len(got), len(old))
	}
	code, body = bob.json("GET", "/api/libraries/archives/versions?path="+url.QueryEscape("/rapport.odt"), nil)
	if vs, _ := body["versions"].([]any); code != http.StatusOK || len(vs) != 1 {
		t.Errorf("versions = %d %v; want the current one only", code, body)
	}
}
