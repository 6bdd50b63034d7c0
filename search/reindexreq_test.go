package search

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/kazhq/kaz/internal/sqldb"
)

func TestReindexRequestsLifecycle(t *testing.T) {
	ctx := t.Context()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(t.TempDir(), "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := MigrateDB(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ClaimReindexRequest(ctx, db); err != nil || ok {
		t.Fatalf("claim with none pending: ok=%v err=%v", ok, err)
	}
	all, err := RequestReindex(ctx, db, "", "cli")
	if err != nil {
		t.Fatal(err)
	}
	rh, err := RequestReindex(ctx, db, "rh", "cli")
	if err != nil {
		t.Fatal(err)
	}
	r, err := GetReindexRequest(ctx, db, all)
	if err != nil || !r.Pending() || r.Running() || r.RequestedBy != "cli" || r.Library != "" || r.RequestedAt.IsZero() {
		t.Fatalf("new request = %+v, %v", r, err)
	}
	if _, err := GetReindexRequest(ctx, db, 999); !errors.Is(err, ErrNoReindexRequest) {
		t.Errorf("unknown id: %v", err)
	}

	// Oldest first, each claimed once.
	c, ok, err := ClaimReindexRequest(ctx, db)
	if err != nil || !ok || c.ID != all || !c.Running() {
		t.Fatalf("first claim = %+v ok=%v err=%v", c, ok, err)
	}
	if err := ReindexProgress(ctx, db, all, 40, 100); err != nil {
		t.Fatal(err)
	}
	r, _ = GetReindexRequest(ctx, db, all)
	if r.Done != 40 || r.Total != 100 || !r.Running() || r.Started.IsZero() {
		t.Errorf("after progress = %+v", r)
	}
	if err := FinishReindexRequest(ctx, db, all, ""); err != nil {
		t.Fatal(err)
	}
	// A finished request keeps its first outcome.
	if err := FinishReindexRequest(ctx, db, all, "late failure"); err != nil {
		t.Fatal(err)
	}
	r, _ = GetReindexRequest(ctx, db, all)
	if r.Running() || r.Pending() || r.Finished.IsZero() || r.Error != "" {
		t.Errorf("finished = %+v", r)
	}

	c, ok, err = ClaimReindexRequest(ctx, db)
	if err != nil || !ok || c.ID != rh || c.Library != "rh" {
		t.Fatalf("second claim = %+v ok=%v err=%v", c, ok, err)
	}
	if _, ok, _ := ClaimReindexRequest(ctx, db); ok {
		t.Error("a started request was claimed again")
	}
	// The server stopped during the rebuild; at its next start it closes
	// the request with the reason, and leaves pending ones alone.
	later, err := RequestReindex(ctx, db, "", "cli")
	if err != nil {
		t.Fatal(err)
	}
	if err := AbandonReindexRequests(ctx, db, "the server stopped"); err != nil {
		t.Fatal(err)
	}
	r, _ = GetReindexRequest(ctx, db, rh)
	if r.Finished.IsZero() || r.Error != "the server stopped" {
		t.Errorf("abandoned = %+v", r)
	}
	r, _ = GetReindexRequest(ctx, db, later)
	if !r.Pending() {
		t.Errorf("pending request touched by abandon: %+v", r)
	}
	r, _ = GetReindexRequest(ctx, db, all)
	if r.Error != "" {
		t.Errorf("finished request touched by abandon: %+v", r)
	}
}
