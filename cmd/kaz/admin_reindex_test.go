package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/search/bleve"
	"github.com/kazhq/kaz/search/extract/extracttest"
	"github.com/kazhq/kaz/server"
	"github.com/kazhq/kaz/server/auth"
)

func TestAdminReindexRebuildsWithProgress(t *testing.T) {
	data := t.TempDir()
	ctx := t.Context()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(data, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.Server.Data = data
	st, err := docstore.Open(ctx, docstore.DefaultConfig(), db, docsBlobDir(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	admin := &auth.Principal{User: "root", Admin: true, Groups: []string{"admins"}}
	if _, err := st.CreateLibrary(ctx, admin, docstore.LibrarySpec{Name: "rh", Grants: []docstore.Grant{{Role: docstore.RoleOwner, Subject: "group:admins"}}}); err != nil {
		t.Fatal(err)
	}
	body := extracttest.DOCX("Charte", "Élodie", "La charte du télétravail.")
	if _, _, err := st.Put(ctx, admin, "rh", "/Charte_Télétravail.docx", bytes.NewReader(body), docstore.PutOptions{Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out, errOut, err := adminRun(t, data, "", "reindex")
	if err != nil {
		t.Fatalf("reindex: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "1 documents") || !strings.Contains(errOut, "100%") || !strings.Contains(errOut, "ETA") {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}
	if _, _, err := adminRun(t, data, "", "reindex", "--library", "nope"); err == nil || !strings.Contains(err.Error(), "no library") {
		t.Errorf("unknown library: %v", err)
	}
	eng, err := bleve.Open(ctx, filepath.Join(data, "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	res, err := eng.Search(ctx, search.Query{Text: "teletravail", Libraries: []string{"rh"}})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("after reindex: %+v, %v", res, err)
	}
}

func TestProgressBarShowsRateAndETA(t *testing.T) {
	var b bytes.Buffer
	now := time.Unix(0, 0)
	p := newProgressBar(&b, func() time.Time { return now })
	now = now.Add(2 * time.Second)
	p.update(50, 100)
	if !strings.Contains(b.String(), " 50%") || !strings.Contains(b.String(), "25 docs/s") || !strings.Contains(b.String(), "ETA 2s") {
		t.Errorf("bar = %q", b.String())
	}
}
