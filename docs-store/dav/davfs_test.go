package dav

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDavfs2Mount mounts the library with davfs2 (FUSE) and writes and
// reads files through the kernel. It needs root and /dev/fuse.
func TestDavfs2Mount(t *testing.T) {
	bin := peer(t, "mount.davfs")
	if os.Geteuid() != 0 {
		missingPrereq(t, "the davfs2 mount needs root")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		missingPrereq(t, "the davfs2 mount needs /dev/fuse")
	}
	e := newEnv(t, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	work, err := os.MkdirTemp("", "kaz-davfs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	mnt := filepath.Join(work, "mnt")
	cache := filepath.Join(work, "cache")
	// mount.davfs drops to the davfs2 user, which must reach the cache.
	os.Chmod(work, 0o755)
	os.MkdirAll(mnt, 0o755)
	os.MkdirAll(cache, 0o777)
	os.Chmod(cache, 0o777)
	os.MkdirAll("/var/run/mount.davfs", 0o755)
	url := e.url + "/dav/lib/"
	secrets := filepath.Join(work, "secrets")
	os.WriteFile(secrets, []byte(fmt.Sprintf("%s alice %s\n", url, testUsers["alice"])), 0o600)
	conf := filepath.Join(work, "davfs2.conf")
	os.WriteFile(conf, []byte(strings.Join([]string{
		"secrets " + secrets, "cache_dir " + cache, "use_locks 1", "ask_auth 0",
		"dir_refresh 1", "file_refresh 1", "delay_upload 0", "gui_optimize 0", "",
	}, "\n")), 0o644)
	out, err := exec.CommandContext(ctx, bin, url, mnt, "-o", "conf="+conf+",uid=0,gid=0").CombinedOutput()
	if err != nil {
		missingPrereq(t, fmt.Sprintf("mount.davfs failed: %v: %s", err, out))
	}
	unmounted := false
	umount := func() {
		if unmounted {
			return
		}
		unmounted = true
		uctx, ucancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ucancel()
		if out, err := exec.CommandContext(uctx, "umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
			exec.Command("umount", "-l", mnt).Run()
		}
	}
	t.Cleanup(umount)

	// Write through the kernel.
	content := strings.Repeat("écrit par davfs2\n", 500)
	if err := os.MkdirAll(filepath.Join(mnt, "Dossier"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mnt, "Dossier", "note.txt"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(mnt, "Dossier", "note.txt"))
	if err != nil || string(b) != content {
		t.Fatalf("read back through the mount: %v, equal %v", err, string(b) == content)
	}
	// davfs2 uploads on close; wait (bounded) until the store has it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		f, _, err := e.store.OpenFile(ctx, alice(), "lib", "/Dossier/note.txt")
		if err == nil {
			got, _ := io.ReadAll(f)
			f.Close()
			if string(got) == content {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file written through the mount never reached the store (last error %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Read through the kernel a file written over HTTP.
	e.do(t, call{method: "PUT", path: "/dav/lib/Dossier/depuis-http.txt", body: "bonjour du serveur", want: 201}, nil)
	deadline = time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(mnt, "Dossier", "depuis-http.txt"))
		if err == nil && string(b) == "bonjour du serveur" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file written over HTTP is not readable through the mount: %v %q", err, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := os.Rename(filepath.Join(mnt, "Dossier", "depuis-http.txt"), filepath.Join(mnt, "renommé.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(mnt, "Dossier", "note.txt")); err != nil {
		t.Fatal(err)
	}
	umount()
	if _, err := e.store.Stat(ctx, alice(), "lib", "/renommé.txt"); err != nil {
		t.Errorf("renamed file: %v", err)
	}
	if _, err := e.store.Stat(ctx, alice(), "lib", "/Dossier/note.txt"); err == nil {
		t.Error("deleted file still present")
	}
}

// missingPrereq fails under KAZ_E2E=1 and skips otherwise.
func missingPrereq(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("KAZ_E2E") == "1" {
		t.Fatalf("KAZ_E2E=1 but %s", what)
	}
	t.Skipf("skipped: %s (set KAZ_E2E=1 to make this a failure)", what)
}
