package main

import (
	"bytes"
	"strings"
	"testing"
)

func adminRun(t *testing.T, data, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"admin", "--data", data}, args...)
	err := run(t.Context(), full, func(string) string { return "" }, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestAdminUserLifecycle(t *testing.T) {
	data := t.TempDir()
	out, _, err := adminRun(t, data, "un mot de passe solide\n", "user", "add", "alice", "--group", "staff", "--group", "admins", "--email", "alice@example.org", "--password-stdin")
	if err != nil || !strings.Contains(out, "User alice added") {
		t.Fatalf("add: %q %v", out, err)
	}
	if _, _, err := adminRun(t, data, "un mot de passe solide\n", "user", "add", "alice", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate add: %v", err)
	}
	if _, _, err := adminRun(t, data, "court\n", "user", "add", "bob", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Errorf("short password: %v", err)
	}
	if _, _, err := adminRun(t, data, "", "user", "add", "bob"); err == nil || !strings.Contains(err.Error(), "--password-stdin") {
		t.Errorf("no password flag: %v", err)
	}
	out, _, err = adminRun(t, data, "", "user", "list")
	if err != nil || !strings.Contains(out, "alice") || !strings.Contains(out, "admins,staff") || !strings.Contains(out, "none yet") {
		t.Errorf("list: %q %v", out, err)
	}
	out, _, err = adminRun(t, data, "", "group", "list")
	if err != nil || !strings.Contains(out, "staff") || !strings.Contains(out, "admins") {
		t.Errorf("group list: %q %v", out, err)
	}
	out, _, err = adminRun(t, data, "", "user", "disable", "alice")
	if err != nil || !strings.Contains(out, "disabled") {
		t.Errorf("disable: %q %v", out, err)
	}
	out, _, _ = adminRun(t, data, "", "user", "list")
	if !strings.Contains(out, "disabled") {
		t.Errorf("list after disable: %q", out)
	}
	if out, _, err = adminRun(t, data, "", "user", "enable", "alice"); err != nil || !strings.Contains(out, "enabled") {
		t.Errorf("enable: %q %v", out, err)
	}
	if out, _, err = adminRun(t, data, "", "user", "reset-mfa", "alice"); err != nil || !strings.Contains(out, "removed") {
		t.Errorf("reset-mfa: %q %v", out, err)
	}
	if out, _, err = adminRun(t, data, "encore un mot de passe\n", "user", "passwd", "alice", "--password-stdin"); err != nil || !strings.Contains(out, "changed") {
		t.Errorf("passwd: %q %v", out, err)
	}
	if _, _, err := adminRun(t, data, "", "user", "disable", "nobody"); err == nil || !strings.Contains(err.Error(), `no user "nobody"`) {
		t.Errorf("disable unknown: %v", err)
	}
}
