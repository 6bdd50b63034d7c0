package main

import (
	"strings"
	"testing"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

func TestAdminAppPasswordLifecycle(t *testing.T) {
	data := t.TempDir()
	if _, _, err := adminRun(t, data, "un mot de passe solide\n", "user", "add", "alice", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	out, _, err := adminRun(t, data, "", "apppass", "add", "alice", "--label", "rclone laptop")
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	secret := strings.TrimSuffix(out, "\n")
	if strings.ContainsAny(secret, " \n\t") || len(secret) < 30 {
		t.Fatalf("stdout is not only the app password: %q", out)
	}
	// It authenticates against the same store the server uses.
	db, err := sqldb.OpenSQLite(t.Context(), data+"/kaz.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := directory.New(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	st, err := auth.OpenStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.VerifyAppPassword(t.Context(), "alice", secret); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if _, _, err := adminRun(t, data, "", "apppass", "add", "alice", "--label", "rclone laptop"); err == nil {
		t.Error("duplicate label accepted")
	}
	if _, _, err := adminRun(t, data, "", "apppass", "add", "nobody", "--label", "x"); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Errorf("unknown user: %v", err)
	}
	out, _, err = adminRun(t, data, "", "apppass", "list", "alice")
	if err != nil || !strings.Contains(out, "rclone laptop") || !strings.Contains(out, "LAST USED") || strings.Contains(out, secret) {
		t.Fatalf("list: %q %v", out, err)
	}
	if _, _, err := adminRun(t, data, "", "apppass", "revoke", "alice", "rclone laptop"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := st.VerifyAppPassword(t.Context(), "alice", secret); err == nil {
		t.Fatal("revoked app password still verifies")
	}
	if _, _, err := adminRun(t, data, "", "apppass", "revoke", "alice", "rclone laptop"); err == nil {
		t.Error("revoking twice succeeded")
	}
}
