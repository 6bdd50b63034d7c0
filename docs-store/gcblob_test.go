package docstore

import (
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCollectGarbageKeepsSmallBlobFilesOfOlderStores covers the blob files
// of at most smallBlobMax bytes, which items look up without an index
// (docs_items_blob holds the bigger ones only): one still used by an item
// written before small contents went into the database stays until that
// item is gone; a spare copy of a content the database holds goes, and so
// does an orphan.
func TestCollectGarbageKeepsSmallBlobFilesOfOlderStores(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BlobGrace = time.Nanosecond
	s, dir := newTestStore(t, cfg, nil)
	ctx := t.Context()
	blobFile := func(content string) string {
		t.Helper()
		h, _, err := s.blobs.Write(ctx, strings.NewReader(content), int64(len(content)))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	exists := func(h string) bool {
		found := false
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Name() == h {
				found = true
			}
			return nil
		})
		return found
	}
	read := func(path string) string {
		t.Helper()
		f, _, err := s.OpenFile(ctx, editor, "docs", path)
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// An older store: the small content of /ancien.txt is a blob file only.
	it, _, err := s.Put(ctx, editor, "docs", "/ancien.txt", strings.NewReader("contenu d'avant"), PutOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	legacy := blobFile("contenu d'avant")
	if legacy != it.Hash {
		t.Fatalf("hash %s, blob %s", it.Hash, legacy)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM docs_small_blobs WHERE hash = ?`, legacy); err != nil {
		t.Fatal(err)
	}
	// A spare copy of a content the database holds, and an orphan.
	if _, _, err := s.Put(ctx, editor, "docs", "/nouveau.txt", strings.NewReader("contenu de maintenant"), PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	spare := blobFile("contenu de maintenant")
	orphan := blobFile("orphelin")

	if n, err := s.CollectGarbage(ctx); err != nil || n != 2 {
		t.Fatalf("collect = %d, %v; want 2 (the spare copy and the orphan)", n, err)
	}
	if !exists(legacy) || exists(spare) || exists(orphan) {
		t.Errorf("blob files left: used by an old item %v (want true), spare %v, orphan %v (want false)", exists(legacy), exists(spare), exists(orphan))
	}
	if got := read("/ancien.txt"); got != "contenu d'avant" {
		t.Errorf("/ancien.txt = %q", got)
	}
	if got := read("/nouveau.txt"); got != "contenu de maintenant" {
		t.Errorf("/nouveau.txt = %q", got)
	}

	// Once its item is gone for good, the old file goes too.
	if err := s.Delete(ctx, editor, "docs", "/ancien.txt", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CollectGarbage(ctx); err != nil || n != 0 || !exists(legacy) {
		t.Fatalf("collect with the item in the recycle bin = %d, %v; file kept %v", n, err, exists(legacy))
	}
	if _, err := s.EmptyTrash(ctx, owner, "docs"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CollectGarbage(ctx); err != nil || n != 1 || exists(legacy) {
		t.Errorf("collect after emptying the bin = %d, %v; file kept %v (want 1, gone)", n, err, exists(legacy))
	}
}

// TestGarbageCollectionReadsTheBlobIndex: the reference count of a blob
// file searches the partial index docs_items_blob, which exists only if
// its condition is the query's (32768 = smallBlobMax).
func TestGarbageCollectionReadsTheBlobIndex(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	all := queryPlan(t, s, blobRefsQuery, "x", "x")
	for _, want := range []string{"INDEX docs_items_blob (hash=?)", "INDEX docs_versions_hash (hash=?)"} {
		if !strings.Contains(all, want) {
			t.Errorf("plan %q lacks %q", all, want)
		}
	}
	if strings.Contains(all, "SCAN docs_items") {
		t.Errorf("plan %q reads every item", all)
	}
}
