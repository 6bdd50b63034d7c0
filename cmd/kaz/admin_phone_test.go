package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdminPhoneAccountLifecycle(t *testing.T) {
	data := t.TempDir()
	const secret = "sip-Secret-4242"
	if _, _, err := adminRun(t, data, "", "phone", "set", "alice", "--extension", "1001"); err == nil || !strings.Contains(err.Error(), "--password-stdin") {
		t.Errorf("new account without password: %v", err)
	}
	if _, _, err := adminRun(t, data, secret+"\n", "phone", "set", "alice", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "--extension") {
		t.Errorf("no extension: %v", err)
	}
	if _, _, err := adminRun(t, data, "\n", "phone", "set", "alice", "--extension", "1001", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty password: %v", err)
	}
	out, errOut, err := adminRun(t, data, secret+"\n", "phone", "set", "alice", "--extension", "1001", "--password-stdin")
	if err != nil || !strings.Contains(out, "extension 1001") {
		t.Fatalf("set: %q %v", out, err)
	}
	if !strings.Contains(errOut, "not (yet) a Kaz user") {
		t.Errorf("set for an unknown user should warn, stderr %q", errOut)
	}
	// A second set without a password keeps the stored one.
	if out, _, err = adminRun(t, data, "", "phone", "set", "alice", "--extension", "1011", "--auth-user", "u1011"); err != nil {
		t.Fatalf("update: %q %v", out, err)
	}
	out, _, err = adminRun(t, data, "", "phone", "list")
	if err != nil || !strings.Contains(out, "alice") || !strings.Contains(out, "1011") || !strings.Contains(out, "u1011") || !strings.Contains(out, "set") {
		t.Errorf("list: %q %v", out, err)
	}
	if strings.Contains(out, secret) {
		t.Errorf("list shows the password: %q", out)
	}
	// The password is encrypted at rest with a private key file.
	fi, err := os.Stat(filepath.Join(data, "phone.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("phone.key: %v %v", fi, err)
	}
	db, err := os.ReadFile(filepath.Join(data, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(filepath.Join(data, "kaz.db-wal"))
	if bytes.Contains(db, []byte(secret)) || bytes.Contains(wal, []byte(secret)) {
		t.Error("the SIP password is stored in clear in the database")
	}
	if out, _, err = adminRun(t, data, "", "phone", "remove", "alice"); err != nil || !strings.Contains(out, "removed") {
		t.Errorf("remove: %q %v", out, err)
	}
	if _, _, err = adminRun(t, data, "", "phone", "remove", "alice"); err == nil || !strings.Contains(err.Error(), "no phone account") {
		t.Errorf("remove again: %v", err)
	}
	if out, _, err = adminRun(t, data, "", "phone", "list"); err != nil || !strings.Contains(out, "no phone accounts") {
		t.Errorf("empty list: %q %v", out, err)
	}
	if _, _, err = adminRun(t, data, "", "phone", "frobnicate"); err == nil {
		t.Error("unknown command accepted")
	}
}
