package docstore

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/text/unicode/norm"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

var (
	admin  = &auth.Principal{User: "root", Admin: true}
	editor = &auth.Principal{User: "bob", Groups: []string{"team"}}
	owner  = &auth.Principal{User: "alice"}
)

func newTestStore(t testing.TB, cfg Config, blobs func(dir string) BlobStore) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := sqldb.OpenSQLite(context.Background(), filepath.Join(dir, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var bs BlobStore
	if blobs != nil {
		bs = blobs(filepath.Join(dir, "blobs"))
	} else if bs, err = NewDiskBlobs(filepath.Join(dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	s, err := OpenWithBlobs(context.Background(), cfg, db, bs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateLibrary(context.Background(), admin, LibrarySpec{Name: "docs", Grants: []Grant{
		{Role: RoleEditor, Subject: "group:team"}, {Role: RoleOwner, Subject: "user:alice"},
	}}); err != nil {
		t.Fatal(err)
	}
	return s, filepath.Join(dir, "blobs")
}

func TestCleanPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "/"}, {"/", "/"}, {"//", "/"}, {"a", "/a"}, {"/a/", "/a"}, {"/a//b///", "/a/b"},
		{"/Été/Rapport final.odt", "/Été/Rapport final.odt"}, {"/.~lock.x.odt#", "/.~lock.x.odt#"},
		{"/._x", "/._x"}, {"/CONSOLE", "/CONSOLE"}, {"/com10", "/com10"},
	} {
		got, err := CleanPath(c.in)
		if err != nil || got != c.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{
		"/..", "/a/..", "/./a", "/CON", "/aux.txt", "/COM1.tar.gz", "/lpt9", "/a.", "/a ", "/a\\b", "/a:b",
		"/a\tb", "\x00", "/\xc3", "/" + strings.Repeat("x", 256), strings.Repeat("/x", MaxDepth+1),
		strings.Repeat("/abcdefghijklmnopqrstuvwxyz", 40),
	} {
		if _, err := CleanPath(in); !errors.Is(err, ErrInvalidName) {
			t.Errorf("CleanPath(%q) = %v, want ErrInvalidName", in, err)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"", "/", "/a/b", "/../x", "a//b/", "/CON.txt", "/é\u0301", "/a\x00", "/\xff", "/x/./y", "/ a /b. ",
		// Decomposed (macOS) and composed spellings, combining marks alone
		// or after a slash, Hangul jamo, and a name whose NFC form is longer.
		"/Re\u0301sume\u0301.docx", "/R\u00e9sum\u00e9.docx", "/Anne\u0301e/\u0301", "/\u0301", "/a/\u0301b",
		"/\u1100\u1161\u11a8", "/\u0344\u0344", "/e\u0301.", "/CON\u0301", "/\u212b", "/A\u030a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := CleanPath(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("error %v does not wrap ErrInvalidName", err)
			}
			return
		}
		if !strings.HasPrefix(out, "/") || (out != "/" && strings.HasSuffix(out, "/")) || strings.Contains(out, "//") {
			t.Fatalf("CleanPath(%q) = %q is not clean", in, out)
		}
		if !utf8.ValidString(out) || len(out) > MaxPathBytes {
			t.Fatalf("CleanPath(%q) = %q: invalid or too long", in, out)
		}
		for seg := range strings.SplitSeq(strings.TrimPrefix(out, "/"), "/") {
			if out == "/" {
				break
			}
			if seg == "." || seg == ".." || CheckName(seg) != nil {
				t.Fatalf("CleanPath(%q) = %q keeps segment %q", in, out, seg)
			}
		}
		if !norm.NFC.IsNormalString(out) {
			t.Fatalf("CleanPath(%q) = %q is not NFC", in, out)
		}
		// Every spelling of the same text cleans to the same path.
		if nfd := norm.NFD.String(in); len(nfd) > maxRawPath {
			// Refused on its raw length, before normalization.
		} else if d, err := CleanPath(nfd); err != nil || d != out {
			t.Fatalf("CleanPath(NFD(%q)) = %q, %v; want %q", in, d, err, out)
		}
		again, err := CleanPath(out)
		if err != nil || again != out {
			t.Fatalf("CleanPath not idempotent: %q -> %q -> %q, %v", in, out, again, err)
		}
		if out != "/" {
			if p := parentOf(out); !within(out, p) || joinPath(p, baseOf(out)) != out {
				t.Fatalf("parent/base of %q: %q %q", out, p, baseOf(out))
			}
		}
	})
}

// countContents counts the contents kept: blob files under dir and small
// contents in the database.
func countContents(t *testing.T, s *Store, dir string) int {
	n := 0
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM docs_small_blobs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && validHash(d.Name()) {
			n++
		}
		return nil
	})
	return n
}

// TestCollectGarbageRemovesOnlyUnreferencedBlobs runs for small contents
// (kept in the database) and bigger ones (blob files) alike.
func TestCollectGarbageRemovesOnlyUnreferencedBlobs(t *testing.T) {
	for _, tc := range []struct {
		name string
		pad  int
	}{{"small contents in the database", 0}, {"contents in the blob store", smallBlobMax}} {
		t.Run(tc.name, func(t *testing.T) { testCollectGarbage(t, tc.pad) })
	}
}

func testCollectGarbage(t *testing.T, pad int) {
	content := func(s string) string { return strings.Repeat("-", pad) + s }
	cfg := DefaultConfig()
	cfg.BlobGrace = time.Nanosecond
	s, dir := newTestStore(t, cfg, nil)
	ctx := t.Context()
	put := func(path, body string) {
		if _, _, err := s.Put(ctx, editor, "docs", path, strings.NewReader(content(body)), PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	put("/a", "one")
	put("/a", "two")   // "one" stays as a version
	put("/b", "two")   // identical content stored once
	put("/c", "three") // deleted then purged
	if err := s.Delete(ctx, editor, "docs", "/c", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := countContents(t, s, dir); got != 3 {
		t.Fatalf("blobs before = %d, want 3", got)
	}
	if n, err := s.CollectGarbage(ctx); err != nil || n != 0 {
		t.Fatalf("collect with everything referenced = %d, %v", n, err)
	}
	if _, err := s.EmptyTrash(ctx, owner, "docs"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CollectGarbage(ctx); err != nil || n != 1 {
		t.Fatalf("collect after emptying the bin = %d, %v; want 1", n, err)
	}
	if got := countContents(t, s, dir); got != 2 {
		t.Errorf("blobs after = %d, want 2", got)
	}
	// What remains is readable.
	for _, p := range []string{"/a", "/b"} {
		f, _, err := s.OpenFile(ctx, editor, "docs", p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != content("two") {
			t.Errorf("%s = %q", p, b)
		}
	}
	f, _, err := s.OpenVersion(ctx, editor, "docs", "/a", 1)
	if err != nil {
		t.Fatalf("old version lost: %v", err)
	}
	f.Close()
}

func TestCollectGarbageSparesFreshBlobs(t *testing.T) {
	s, dir := newTestStore(t, DefaultConfig(), nil)
	// An orphan written just now (an upload about to commit) stays.
	if _, _, err := s.blobs.Write(t.Context(), strings.NewReader("in flight"), -1); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CollectGarbage(t.Context()); err != nil || n != 0 {
		t.Errorf("collect = %d, %v", n, err)
	}
	if countContents(t, s, dir) != 1 {
		t.Error("fresh blob removed")
	}
}

func TestMaintainPurgesOldTrashAndExpiredLocks(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BlobGrace = time.Nanosecond
	s, dir := newTestStore(t, cfg, nil)
	ctx := t.Context()
	if _, _, err := s.Put(ctx, editor, "docs", "/old", strings.NewReader("old"), PutOptions{Size: 3}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, editor, "docs", "/locked", strings.NewReader("l"), PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Lock(ctx, editor, "docs", "/locked", LockRequest{Exclusive: true, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, editor, "docs", "/old", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.MaintainOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if tr, _ := s.Trash(ctx, editor, "docs"); len(tr) != 1 {
		t.Fatalf("fresh entry purged: %+v", tr)
	}
	s.now = func() time.Time { return time.Now().Add(94 * 24 * time.Hour) }
	if err := s.MaintainOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if tr, _ := s.Trash(ctx, editor, "docs"); len(tr) != 0 {
		t.Errorf("entry older than 93 days kept: %+v", tr)
	}
	var n int
	s.db.QueryRow(`SELECT COUNT(*) FROM docs_locks`).Scan(&n)
	if n != 0 {
		t.Errorf("expired locks left: %d", n)
	}
	if got := countContents(t, s, dir); got != 1 { // "l"; the unused empty content went
		t.Errorf("blobs = %d, want 1", got)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Maintain(ctx2); err != nil {
		t.Errorf("Maintain on a cancelled context: %v", err)
	}
}

// failingBlobs fails every write, like a full disk.
type failingBlobs struct{ BlobStore }

func (failingBlobs) Write(ctx context.Context, r io.Reader, size int64) (string, int64, error) {
	io.CopyN(io.Discard, r, 10)
	return "", 0, &fs.PathError{Op: "write", Path: "blob", Err: errors.New("no space left on device")}
}

func TestPutOnFullDiskChangesNothing(t *testing.T) {
	var disk *DiskBlobs
	s, _ := newTestStore(t, DefaultConfig(), func(dir string) BlobStore {
		d, err := NewDiskBlobs(dir)
		if err != nil {
			t.Fatal(err)
		}
		disk = d
		return d
	})
	ctx := t.Context()
	if _, _, err := s.Put(ctx, editor, "docs", "/a", strings.NewReader("keep"), PutOptions{Size: 4}); err != nil {
		t.Fatal(err)
	}
	var before int64
	s.db.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM docs_changes`).Scan(&before)
	s.blobs = failingBlobs{disk}
	lost := strings.Repeat("lost", smallBlobMax) // bigger than a small content
	_, _, err := s.Put(ctx, editor, "docs", "/a", strings.NewReader(lost), PutOptions{Size: int64(len(lost))})
	if err == nil || errors.Is(err, ErrIncomplete) {
		t.Fatalf("Put on a full disk = %v, want a storage error", err)
	}
	s.blobs = disk
	f, it, err := s.OpenFile(ctx, editor, "docs", "/a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "keep" || it.Version != 1 {
		t.Errorf("after a failed write: %q version %d", b, it.Version)
	}
	var after int64
	s.db.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM docs_changes`).Scan(&after)
	if after != before {
		t.Error("a change event was written for a failed upload")
	}
}

func TestDiskBlobsLeaveNoTempFiles(t *testing.T) {
	d, err := NewDiskBlobs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Write(t.Context(), strings.NewReader("abc"), 10); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("short = %v", err)
	}
	if _, _, err := d.Write(t.Context(), strings.NewReader("abcdef"), 3); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("long = %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(d.dir, "tmp"))
	if len(ents) != 0 {
		t.Errorf("temporary files left: %d", len(ents))
	}
	h, n, err := d.Write(t.Context(), strings.NewReader("abc"), 3)
	if err != nil || n != 3 || h != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Write = %s %d %v", h, n, err)
	}
	if _, err := d.Open(t.Context(), "../../etc/passwd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open with a bad hash = %v", err)
	}
}

func TestListLargeFolder(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	fillFolder(t, s, 2000)
	n := 0
	prev := ""
	err := s.List(t.Context(), editor, "docs", "/big", ListOptions{WithProps: true}, func(it Item) error {
		if it.Name <= prev {
			return fmt.Errorf("not sorted: %q after %q", it.Name, prev)
		}
		prev = it.Name
		n++
		return nil
	})
	if err != nil || n != 2000 {
		t.Errorf("listed %d, %v", n, err)
	}
}

// fillFolder inserts n files under /big directly (fast setup for listing
// tests and benchmarks).
func fillFolder(t testing.TB, s *Store, n int) {
	ctx := context.Background()
	if _, err := s.Mkdir(ctx, editor, "docs", "/big", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	hash, _, err := s.blobs.Write(ctx, strings.NewReader("x"), 1)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.loadLib(ctx, s.db, "docs")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	now := s.nowText()
	for i := range n {
		name := fmt.Sprintf("file-%05d.txt", i)
		if _, err := tx.Exec(`INSERT INTO docs_items (library_id, trash, parent, name, path, is_dir, size, content_type, hash, version, created, modified, created_by, modified_by, hidden, locked_empty)
			VALUES (?, 0, '/big', ?, ?, 0, 1, 'text/plain', ?, 1, ?, ?, 'bob', 'bob', 0, 0)`, l.id, name, "/big/"+name, hash, now, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkList10000(b *testing.B) {
	s, _ := newTestStore(b, DefaultConfig(), nil)
	fillFolder(b, s, 10000)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := s.List(context.Background(), editor, "docs", "/big", ListOptions{}, func(Item) error { n++; return nil }); err != nil || n != 10000 {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkPut4KiB(b *testing.B) {
	s, _ := newTestStore(b, DefaultConfig(), nil)
	body := strings.Repeat("k", 4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, _, err := s.Put(context.Background(), editor, "docs", fmt.Sprintf("/f%d", i), strings.NewReader(body), PutOptions{Size: 4096}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPut4KiBParallel8(b *testing.B) {
	s, _ := newTestStore(b, DefaultConfig(), nil)
	body := strings.Repeat("k", 4096)
	var n atomic.Int64
	b.SetParallelism(4)
	b.ReportAllocs()
	st := &s.commits.stats
	b0, j0, y0, c0, s0 := st.batches.Load(), st.jobs.Load(), st.syncs.Load(), st.commitNs.Load(), st.syncNs.Load()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, _, err := s.Put(context.Background(), editor, "docs", fmt.Sprintf("/f%d", i), strings.NewReader(body), PutOptions{Size: 4096}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	batches, syncs := float64(st.batches.Load()-b0), float64(st.syncs.Load()-y0)
	if batches > 0 && syncs > 0 {
		b.ReportMetric(float64(st.jobs.Load()-j0)/batches, "puts/batch")
		b.ReportMetric(batches/syncs, "batches/fsync")
		b.ReportMetric(float64(st.commitNs.Load()-c0)/batches/1e3, "µs/commit")
		b.ReportMetric(float64(st.syncNs.Load()-s0)/syncs/1e3, "µs/fsync")
	}
}
