package docstore_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/docs-store/docstoretest"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

// freeBytes is the free space of the file system holding dir.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bfree) * st.Bsize
}

// bob edits the library "docs" of the stores storeOn opens.
var bob = &auth.Principal{User: "bob"}

// storeOn opens a store with its database in dbDir and its blobs in
// blobDir, and the library "docs" (no quota) where bob is an editor.
func storeOn(t *testing.T, dbDir, blobDir string) (*docstore.Store, *sqldb.DB) {
	t.Helper()
	db, err := sqldb.OpenSQLite(t.Context(), filepath.Join(dbDir, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := docstore.Open(t.Context(), docstore.DefaultConfig(), db, blobDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.CreateLibrary(t.Context(), &auth.Principal{User: "root", Admin: true}, docstore.LibrarySpec{
		Name: "docs", Quota: -1, Grants: []docstore.Grant{{Role: docstore.RoleEditor, Subject: "user:bob"}},
	}); err != nil {
		t.Fatal(err)
	}
	return s, db
}

// TestPutOnAFullDiskIsErrNoSpaceAndChangesNothing fills a real 1 MiB file
// system (tmpfs) holding the blobs through Put's own staging: the upload
// fails with ErrNoSpace, whether its size is announced or not, and leaves
// the file, its versions and the blob folder as they were.
func TestPutOnAFullDiskIsErrNoSpaceAndChangesNothing(t *testing.T) {
	blobs := docstoretest.SmallDisk(t, 1<<20)
	// The database stays on the ordinary disk.
	s, _ := storeOn(t, t.TempDir(), blobs)
	ctx := t.Context()
	// Larger than the contents kept in the database: a blob file.
	old := strings.Repeat("ancien contenu\n", 4<<10)
	before, _, err := s.Put(ctx, bob, "docs", "/rapport.odt", strings.NewReader(old), docstore.PutOptions{Size: int64(len(old))})
	if err != nil {
		t.Fatal(err)
	}
	free := freeBytes(t, blobs)
	big := bytes.Repeat([]byte("x"), 2<<20)
	for _, size := range []int64{int64(len(big)), -1} {
		_, _, err := s.Put(ctx, bob, "docs", "/rapport.odt", bytes.NewReader(big), docstore.PutOptions{Size: size})
		if !errors.Is(err, docstore.ErrNoSpace) {
			t.Fatalf("Put of %d bytes (size %d) on a full disk: err = %v, want ErrNoSpace", len(big), size, err)
		}
		// The partial temporary file is gone, its space back.
		if got := freeBytes(t, blobs); got != free {
			t.Errorf("free space after the failed Put = %d, want %d", got, free)
		}
		if ents, err := os.ReadDir(filepath.Join(blobs, "tmp")); err != nil || len(ents) != 0 {
			t.Errorf("temporary files left: %v, %v", ents, err)
		}
	}
	it, err := s.Stat(ctx, bob, "docs", "/rapport.odt")
	if err != nil || it.ETag != before.ETag || it.Version != before.Version || it.Size != int64(len(old)) {
		t.Errorf("item after the failed Puts = %+v, %v; want %+v", it, err, before)
	}
	f, _, err := s.OpenFile(ctx, bob, "docs", "/rapport.odt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || string(got) != old {
		t.Errorf("content after the failed Puts: %d bytes, %v; want the old %d bytes", len(got), err, len(old))
	}
	if vs, err := s.Versions(ctx, bob, "docs", "/rapport.odt"); err != nil || len(vs) != 1 || !vs[0].Current {
		t.Errorf("versions = %+v, %v; want the current one only", vs, err)
	}
	var files []string
	filepath.WalkDir(blobs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 1 || filepath.Base(files[0]) != before.Hash {
		t.Errorf("blob files = %q, want the old content's only", files)
	}
	// Nothing is left full: a Put that fits is stored.
	fits := bytes.Repeat([]byte("y"), 100<<10)
	if _, _, err := s.Put(ctx, bob, "docs", "/rapport.odt", bytes.NewReader(fits), docstore.PutOptions{Size: int64(len(fits))}); err != nil {
		t.Errorf("Put that fits after the failures: %v", err)
	}
}

// TestDatabaseOnAFullDiskRollsBack fills the file system of the database:
// the writes fail with ErrNoSpace (SQLite's "database or disk is full"),
// change nothing, and the database is whole and writable once space is
// freed.
func TestDatabaseOnAFullDiskRollsBack(t *testing.T) {
	small := docstoretest.SmallDisk(t, 1<<20)
	s, db := storeOn(t, small, filepath.Join(t.TempDir(), "blobs"))
	ctx := t.Context()
	if _, _, err := s.Put(ctx, bob, "docs", "/keep.txt", strings.NewReader("keep"), docstore.PutOptions{Size: 4}); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(small, "filler")
	if err := os.WriteFile(filler, make([]byte, freeBytes(t, small)-8<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Mkdir(ctx, bob, "docs", "/"+strings.Repeat("d", 200), docstore.WriteOptions{}); !errors.Is(err, docstore.ErrNoSpace) {
		t.Fatalf("Mkdir on a full database disk: err = %v, want ErrNoSpace", err)
	}
	small20k := strings.Repeat("z", 20<<10) // stored in the database
	if _, _, err := s.Put(ctx, bob, "docs", "/small.txt", strings.NewReader(small20k), docstore.PutOptions{Size: int64(len(small20k))}); !errors.Is(err, docstore.ErrNoSpace) {
		t.Fatalf("Put on a full database disk: err = %v, want ErrNoSpace", err)
	}
	for _, p := range []string{"/" + strings.Repeat("d", 200), "/small.txt"} {
		if _, err := s.Stat(ctx, bob, "docs", p); !errors.Is(err, docstore.ErrNotFound) {
			t.Errorf("Stat(%.20s…) after the failed write: %v, want ErrNotFound", p, err)
		}
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	if _, _, err := s.Put(ctx, bob, "docs", "/small.txt", strings.NewReader(small20k), docstore.PutOptions{Size: int64(len(small20k))}); err != nil {
		t.Errorf("Put once space is freed: %v", err)
	}
	f, _, err := s.OpenFile(ctx, bob, "docs", "/keep.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || string(b) != "keep" {
		t.Errorf("keep.txt = %q, %v", b, err)
	}
}
