package docstore

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/kazhq/kaz/server/auth"
)

// TestPutStoresSmallContentsInTheDatabase checks where each content goes
// by size, that each reads back whole, and that bodies of the wrong length
// store nothing.
func TestPutStoresSmallContentsInTheDatabase(t *testing.T) {
	s, dir := newTestStore(t, DefaultConfig(), nil)
	ctx := t.Context()
	for _, c := range []struct {
		name     string
		body     string
		size     int64 // -1: unknown length (chunked)
		wantErr  error
		inDB     bool
		wantDisk bool
	}{
		{"small, announced", "bonjour", 7, nil, true, false},
		{"small, chunked", "salut", -1, nil, true, false},
		{"exactly the limit", strings.Repeat("a", smallBlobMax), smallBlobMax, nil, true, false},
		{"exactly the limit, chunked", strings.Repeat("b", smallBlobMax), -1, nil, true, false},
		{"one byte over, announced", strings.Repeat("c", smallBlobMax+1), smallBlobMax + 1, nil, false, true},
		{"one byte over, chunked", strings.Repeat("d", smallBlobMax+1), -1, nil, false, true},
		{"big, chunked", strings.Repeat("e", 3*smallBlobMax+17), -1, nil, false, true},
		{"shorter than announced", "court", 9, ErrIncomplete, false, false},
		{"longer than announced", "bien trop long", 4, ErrTooLarge, false, false},
		{"empty", "", 0, nil, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			beforeDB, beforeAll := smallRows(t, s), countContents(t, s, dir)
			path := "/" + strings.ReplaceAll(c.name, ",", "")
			_, _, err := s.Put(ctx, editor, "docs", path, strings.NewReader(c.body), PutOptions{Size: c.size})
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("Put = %v, want %v", err, c.wantErr)
				}
				if _, err := s.Stat(ctx, editor, "docs", path); !errors.Is(err, ErrNotFound) {
					t.Errorf("a refused body left an item: %v", err)
				}
				if got := countContents(t, s, dir); got != beforeAll {
					t.Errorf("a refused body left a content: %d → %d", beforeAll, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := smallRows(t, s) - beforeDB; got != b2i(c.inDB) {
				t.Errorf("small contents added = %d, want %d", got, b2i(c.inDB))
			}
			if got := countContents(t, s, dir) - beforeAll; got != b2i(c.inDB || c.wantDisk) {
				t.Errorf("contents added = %d", got)
			}
			if got := readFile(t, s, path); got != c.body {
				t.Errorf("read back %d bytes, want %d", len(got), len(c.body))
			}
		})
	}
}

func TestSmallContentsAreVersionedSharedAndCollected(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BlobGrace = time.Nanosecond
	s, dir := newTestStore(t, cfg, nil)
	ctx := t.Context()
	put := func(path, body string) {
		t.Helper()
		if _, _, err := s.Put(ctx, editor, "docs", path, strings.NewReader(body), PutOptions{Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
	}
	put("/a.txt", "v1")
	put("/a.txt", "v2")
	put("/b.txt", "v2") // same content: stored once
	if got := smallRows(t, s); got != 2 {
		t.Fatalf("small contents = %d, want 2", got)
	}
	f, _, err := s.OpenVersion(ctx, editor, "docs", "/a.txt", 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "v1" {
		t.Errorf("version 1 = %q", b)
	}
	// A Put refused inside the transaction (a lock held by someone else)
	// rolls its content back with it.
	if _, _, err := s.Lock(ctx, owner, "docs", "/b.txt", LockRequest{Exclusive: true, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, editor, "docs", "/b.txt", strings.NewReader("refusé"), PutOptions{Size: int64(len("refusé"))}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Put on a locked file = %v, want ErrLocked", err)
	}
	if got := smallRows(t, s); got != 2 {
		t.Errorf("small contents after a refused Put = %d, want 2", got)
	}
	if n, err := s.CollectGarbage(ctx); err != nil || n != 0 {
		t.Fatalf("collect with everything referenced = %d, %v", n, err)
	}
	// Deleting /b.txt keeps "v2" (still /a.txt's); emptying the bin and
	// dropping /a.txt's history leaves "v1" and "v2" unreferenced.
	if err := s.Delete(ctx, editor, "docs", "/a.txt", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EmptyTrash(ctx, owner, "docs"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CollectGarbage(ctx); err != nil || n != 1 {
		t.Fatalf("collect = %d, %v; want 1 (v1)", n, err)
	}
	if got := readFile(t, s, "/b.txt"); got != "v2" {
		t.Errorf("/b.txt = %q after collection", got)
	}
	if countContents(t, s, dir) != 1 {
		t.Errorf("contents left = %d, want 1", countContents(t, s, dir))
	}
}

// TestSmallPutCutMidwayChangesNothing: a body whose reader fails (a
// client gone, a cut chunked body) stores nothing and keeps the old content.
func TestSmallPutCutMidwayChangesNothing(t *testing.T) {
	s, dir := newTestStore(t, DefaultConfig(), nil)
	ctx := t.Context()
	if _, _, err := s.Put(ctx, editor, "docs", "/a", strings.NewReader("ancien"), PutOptions{Size: 6}); err != nil {
		t.Fatal(err)
	}
	before := countContents(t, s, dir)
	for _, size := range []int64{-1, 100} {
		cut := io.MultiReader(strings.NewReader("nouv"), iotest.ErrReader(io.ErrUnexpectedEOF))
		if _, _, err := s.Put(ctx, editor, "docs", "/a", cut, PutOptions{Size: size}); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("size %d: cut body = %v, want ErrIncomplete", size, err)
		}
	}
	if got := readFile(t, s, "/a"); got != "ancien" {
		t.Errorf("content = %q after cut uploads", got)
	}
	if got := countContents(t, s, dir); got != before {
		t.Errorf("contents %d → %d after cut uploads", before, got)
	}
}

func smallRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM docs_small_blobs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func readFile(t *testing.T, s *Store, path string) string {
	t.Helper()
	return readFileAs(t, s, editor, path)
}

func readFileAs(t *testing.T, s *Store, who *auth.Principal, path string) string {
	t.Helper()
	f, _, err := s.OpenFile(t.Context(), who, "docs", path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestPutReturnsTheItemAsStored: Put builds its result inside the
// transaction instead of reading it back; it must equal what Stat reads.
func TestPutReturnsTheItemAsStored(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	ctx := t.Context()
	mtime := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for i, opts := range []PutOptions{{Size: 3}, {Size: 3, Modified: mtime}, {Size: -1, ContentType: "text/csv"}} {
		got, _, err := s.Put(ctx, editor, "docs", "/r.txt", strings.NewReader([]string{"one", "two", "333"}[i]), opts)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.Stat(ctx, editor, "docs", "/r.txt")
		if err != nil {
			t.Fatal(err)
		}
		want.Locks, want.Props = nil, nil
		if !got.Modified.Equal(want.Modified) || !got.Created.Equal(want.Created) {
			t.Errorf("put %d: times %v/%v, stored %v/%v", i, got.Created, got.Modified, want.Created, want.Modified)
		}
		got.Modified, got.Created, want.Modified, want.Created = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("put %d returned\n%+v\nstored\n%+v", i, got, want)
		}
	}
}

// TestPutWaitsForTheDatabaseLogSync: a Put returns only once the WAL
// syncer has fsynced its batch, and fails when that fsync fails (its data
// would not survive a power cut).
func TestPutWaitsForTheDatabaseLogSync(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	ctx := t.Context()
	good := s.db.Path
	if good == "" {
		t.Fatal("the test store has no database path")
	}
	s.db.Path = filepath.Join(t.TempDir(), "gone", "kaz.db") // nothing there to sync
	s.commits.close()
	s.commits = newCommitter(s)
	_, _, err := s.Put(ctx, editor, "docs", "/a.txt", strings.NewReader("x"), PutOptions{Size: 1})
	if err == nil || !strings.Contains(err.Error(), "sync database log") {
		t.Fatalf("Put with a failing log sync = %v, want a sync error", err)
	}
	s.db.Path = good
	s.commits.close()
	s.commits = newCommitter(s)
	if _, _, err := s.Put(ctx, editor, "docs", "/a.txt", strings.NewReader("y"), PutOptions{Size: 1}); err != nil {
		t.Fatalf("Put once the log syncs again: %v", err)
	}
}
