package docstore_test

import (
	"path/filepath"
	"testing"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/docs-store/docstoretest"
	"github.com/kazhq/kaz/internal/sqldb"
)

func openSQLite(t *testing.T, dir string, cfg docstore.Config) *docstore.Store {
	t.Helper()
	db, err := sqldb.OpenSQLite(t.Context(), filepath.Join(dir, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := docstore.Open(t.Context(), cfg, db, filepath.Join(dir, "blobs"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openSQLiteB(b *testing.B) *docstore.Store {
	b.Helper()
	dir := b.TempDir()
	db, err := sqldb.OpenSQLite(b.Context(), filepath.Join(dir, "kaz.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s, err := docstore.Open(b.Context(), docstore.DefaultConfig(), db, filepath.Join(dir, "blobs"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteDiskConformance(t *testing.T) {
	docstoretest.Run(t, func(t *testing.T, dir string) *docstore.Store {
		return openSQLite(t, dir, docstore.DefaultConfig())
	})
}
