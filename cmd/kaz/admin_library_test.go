package main

import (
	"strings"
	"testing"
)

func TestAdminLibraryLifecycle(t *testing.T) {
	data := t.TempDir()
	out, _, err := adminRun(t, data, "", "library", "add", "compta", "--owners", "chefs", "--editors", "compta,user:zoe", "--readers", "tous", "--quota", "10G")
	if err != nil || !strings.Contains(out, "Library compta added") || !strings.Contains(out, "quota 10G") || !strings.Contains(out, "/dav/compta/") {
		t.Fatalf("add: %q %v", out, err)
	}
	if _, _, err := adminRun(t, data, "", "library", "add", "compta"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate: %v", err)
	}
	if _, _, err := adminRun(t, data, "", "library", "add", "../x"); err == nil || !strings.Contains(err.Error(), "invalid name") {
		t.Errorf("bad name: %v", err)
	}
	if _, _, err := adminRun(t, data, "", "library", "add", "x", "--quota", "lots"); err == nil {
		t.Error("bad quota accepted")
	}
	if _, _, err := adminRun(t, data, "", "library", "grant", "compta", "boss", "g"); err == nil {
		t.Error("bad role accepted")
	}
	out, _, err = adminRun(t, data, "", "library", "grant", "compta", "reader", "auditeurs")
	if err != nil || !strings.Contains(out, "group:auditeurs is now reader of compta") {
		t.Errorf("grant: %q %v", out, err)
	}
	out, _, err = adminRun(t, data, "", "library", "list")
	if err != nil || !strings.Contains(out, "compta") || !strings.Contains(out, "group:chefs") ||
		!strings.Contains(out, "group:compta,user:zoe") || !strings.Contains(out, "group:auditeurs,group:tous") || !strings.Contains(out, "10G") {
		t.Errorf("list: %q %v", out, err)
	}
	if out, _, err = adminRun(t, data, "", "library", "revoke", "compta", "auditeurs"); err != nil {
		t.Errorf("revoke: %q %v", out, err)
	}
	if _, _, err := adminRun(t, data, "", "library", "frobnicate"); err == nil {
		t.Error("unknown command accepted")
	}
}
