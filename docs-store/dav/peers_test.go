package dav

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/studio-b12/gowebdav"
)

// TestGowebdavClient drives the handler with studio-b12/gowebdav.
func TestGowebdavClient(t *testing.T) {
	e := newEnv(t, 0)
	c := gowebdav.NewClient(e.url+"/dav/lib/", "alice", testUsers["alice"])
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	if err := c.MkdirAll("Rapports/2026", 0o755); err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("données é "), 1000)
	if err := c.Write("Rapports/2026/bilan.txt", content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteStream("Rapports/stream.bin", bytes.NewReader(content), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := c.Read("Rapports/2026/bilan.txt")
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("Read: %v, equal %v", err, bytes.Equal(got, content))
	}
	fi, err := c.Stat("Rapports/2026/bilan.txt")
	if err != nil || fi.Size() != int64(len(content)) || fi.IsDir() {
		t.Fatalf("Stat: %v %+v", err, fi)
	}
	if err := c.Copy("Rapports/2026/bilan.txt", "Rapports/copie.txt", false); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("Rapports/copie.txt", "Rapports/renommé.txt", false); err != nil {
		t.Fatal(err)
	}
	infos, err := c.ReadDir("Rapports")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range infos {
		names = append(names, fi.Name())
	}
	if strings.Join(names, ",") != "2026,renommé.txt,stream.bin" {
		t.Errorf("ReadDir = %v", names)
	}
	if err := c.RemoveAll("Rapports/2026"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stat("Rapports/2026"); !gowebdav.IsErrNotFound(err) {
		t.Errorf("Stat after RemoveAll: %v, want not found", err)
	}
	// The deleted folder is in the recycle bin.
	trash, err := e.store.Trash(t.Context(), alice(), "lib")
	if err != nil || len(trash) != 1 || trash[0].Path != "/Rapports/2026" {
		t.Errorf("Trash = %+v, %v", trash, err)
	}
}

// writeTree creates a small tree of files with random content.
func writeTree(t *testing.T, root string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 12 {
		dir := filepath.Join(root, fmt.Sprintf("dossier %d", i%3), "sous-dossier")
		if i%2 == 0 {
			dir = filepath.Join(root, fmt.Sprintf("dossier %d", i%3))
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, rng.IntN(300<<10))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("fichier-%02d été.bin", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "vide.txt"), nil, 0o644)
}

// treeSums maps each file's relative path to its sha256.
func treeSums(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(root, p)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func run(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=" + dir}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestRcloneSyncRoundTrip syncs a tree up with rclone, back down into
// another folder, and compares checksums.
func TestRcloneSyncRoundTrip(t *testing.T) {
	bin := peer(t, "rclone")
	e := newEnv(t, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	work := t.TempDir()
	obscured := strings.TrimSpace(run(t, ctx, work, nil, bin, "obscure", testUsers["alice"]))
	conf := filepath.Join(work, "rclone.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[kaz]\ntype = webdav\nurl = %s/dav/lib/\nvendor = other\nuser = alice\npass = %s\n", e.url, obscured)), 0o600)
	src, back := filepath.Join(work, "src"), filepath.Join(work, "back")
	writeTree(t, src)
	flags := []string{"--config", conf, "--retries", "1", "--low-level-retries", "1", "--transfers", "4"}
	run(t, ctx, work, nil, bin, append([]string{"sync", src, "kaz:arbre"}, flags...)...)
	// A second sync changes nothing and must succeed.
	run(t, ctx, work, nil, bin, append([]string{"sync", src, "kaz:arbre"}, flags...)...)
	run(t, ctx, work, nil, bin, append([]string{"sync", "kaz:arbre", back}, flags...)...)
	want, got := treeSums(t, src), treeSums(t, back)
	if len(want) != 13 || len(got) != len(want) {
		t.Fatalf("files: %d up, %d back", len(want), len(got))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: checksum differs after the round trip", k)
		}
	}
	run(t, ctx, work, nil, bin, append([]string{"check", src, "kaz:arbre", "--download"}, flags...)...)
}

// TestCadaverScript drives cadaver, the neon-based command-line client.
func TestCadaverScript(t *testing.T) {
	bin := peer(t, "cadaver")
	e := newEnv(t, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, ".netrc"), []byte("machine 127.0.0.1 login alice password "+testUsers["alice"]+"\n"), 0o600)
	os.WriteFile(filepath.Join(work, "local.txt"), []byte("contenu de cadaver\n"), 0o644)
	script := strings.Join([]string{
		"mkcol dossier", "cd dossier", "put local.txt note.txt", "lock note.txt", "propset note.txt couleur bleu",
		"propget note.txt couleur", "unlock note.txt", "copy note.txt copie.txt", "move copie.txt renomme.txt",
		"ls", "get renomme.txt retour.txt", "delete note.txt", "ls", "quit",
	}, "\n") + "\n"
	cmd := exec.CommandContext(ctx, bin, e.url+"/dav/lib/")
	cmd.Dir = work
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + work}
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cadaver: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"succeeded", "bleu", "renomme.txt"} {
		if !strings.Contains(text, want) {
			t.Errorf("cadaver output lacks %q:\n%s", want, text)
		}
	}
	if testing.Verbose() {
		t.Log(text)
	}
	if strings.Contains(text, "failed") {
		t.Errorf("cadaver reports a failure:\n%s", text)
	}
	b, err := os.ReadFile(filepath.Join(work, "retour.txt"))
	if err != nil || string(b) != "contenu de cadaver\n" {
		t.Errorf("downloaded file: %q, %v", b, err)
	}
	if _, err := e.store.Stat(t.Context(), alice(), "lib", "/dossier/note.txt"); err == nil {
		t.Error("note.txt still exists after delete")
	}
}
