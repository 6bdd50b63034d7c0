package server_test

import (
	"net/http"
	"net/netip"
	"regexp"
	"testing"

	"github.com/kazhq/kaz/internal/testenv"
)

var temporaryPasswordRE = regexp.MustCompile(`^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$`)

func TestAdminAPICreatesEditsAndResetsAccounts(t *testing.T) {
	ts := testenv.NewServer(t, nil)
	ts.AddUser(t, "chef", "chef-password-1234", "admins")
	ts.AddUser(t, "agent", "agent-password-1234", "rh")
	admin, agent := docsSession(t, ts, "chef"), docsSession(t, ts, "agent")
	idp := ts.Kaz().IDP()
	signs := func(user, pw string) bool {
		return idp.Authenticate(t.Context(), user, pw, netip.MustParseAddr("127.0.0.9")) == nil
	}

	newUser := map[string]any{"name": "nmartin", "display_name": " Nadia Martin ", "email": "nadia.martin@example.org", "groups": []string{"rh", " compta ", ""}}
	if code, _ := agent.json("POST", "/api/admin/users", newUser); code != http.StatusForbidden {
		t.Fatalf("an agent creating an account = %d, want 403", code)
	}
	code, body := admin.json("POST", "/api/admin/users", newUser)
	if code != http.StatusCreated {
		t.Fatalf("create = %d %v", code, body)
	}
	pw, _ := body["password"].(string)
	u, _ := body["user"].(map[string]any)
	if !temporaryPasswordRE.MatchString(pw) || u["display_name"] != "Nadia Martin" || u["email"] != "nadia.martin@example.org" {
		t.Fatalf("created account = %v", body)
	}
	if g, _ := u["groups"].([]any); len(g) != 2 || g[0] != "compta" || g[1] != "rh" {
		t.Errorf("groups = %v, want [compta rh]", u["groups"])
	}
	if !signs("nmartin", pw) {
		t.Fatal("the temporary password does not sign in")
	}

	for _, bad := range []struct {
		body map[string]any
		code int
	}{
		{map[string]any{"name": "nmartin"}, http.StatusConflict},
		{map[string]any{"name": "n martin"}, http.StatusBadRequest},
		{map[string]any{"name": "x", "email": "not an address"}, http.StatusBadRequest},
		{map[string]any{"name": "x", "groups": []string{"rh chefs"}}, http.StatusBadRequest},
		{map[string]any{"name": "x", "display_name": "two\nlines"}, http.StatusBadRequest},
		{map[string]any{"name": "x", "admin": true}, http.StatusBadRequest},
	} {
		if code, body := admin.json("POST", "/api/admin/users", bad.body); code != bad.code || body["error"] == "" {
			t.Errorf("create %v = %d %v, want %d with a message", bad.body, code, body, bad.code)
		}
	}

	// Edit: groups replaced, e-mail cleared, display name kept.
	code, body = admin.json("PATCH", "/api/admin/users/nmartin", map[string]any{"groups": []string{"compta"}, "email": ""})
	u, _ = body["user"].(map[string]any)
	email, _ := u["email"].(string)
	if g, _ := u["groups"].([]any); code != http.StatusOK || len(g) != 1 || g[0] != "compta" || email != "" || u["display_name"] != "Nadia Martin" {
		t.Fatalf("edit = %d %v", code, body)
	}
	if code, _ := admin.json("PATCH", "/api/admin/users/nobody", map[string]any{"email": ""}); code != http.StatusNotFound {
		t.Errorf("edit of an unknown user = %d, want 404", code)
	}

	// A forgotten password: a new temporary one, the old one and the
	// user's open sessions end.
	sess := docsSession(t, ts, "nmartin")
	if code, _ := sess.json("GET", "/api/me", nil); code != http.StatusOK {
		t.Fatalf("session before = %d", code)
	}
	if code, _ := agent.json("POST", "/api/admin/users/nmartin/password", nil); code != http.StatusForbidden {
		t.Fatalf("an agent resetting a password = %d, want 403", code)
	}
	code, body = admin.json("POST", "/api/admin/users/nmartin/password", nil)
	pw2, _ := body["password"].(string)
	if code != http.StatusOK || !temporaryPasswordRE.MatchString(pw2) || pw2 == pw {
		t.Fatalf("new password = %d %v", code, body)
	}
	if signs("nmartin", pw) || !signs("nmartin", pw2) {
		t.Error("after a reset the old password must fail and the new one work")
	}
	if code, _ := sess.json("GET", "/api/me", nil); code != http.StatusUnauthorized {
		t.Errorf("session after a password reset = %d, want 401", code)
	}
}

func TestAgentChangesOwnPassword(t *testing.T) {
	ts := testenv.NewServer(t, nil)
	ts.AddUser(t, "agent", "agent-password-1234", "rh")
	sess := docsSession(t, ts, "agent")
	appPass := ts.AppPassword(t, "agent", "drive")
	idp := ts.Kaz().IDP()
	signs := func(pw string) bool {
		return idp.Authenticate(t.Context(), "agent", pw, netip.MustParseAddr("127.0.0.9")) == nil
	}

	for _, c := range []struct {
		current, new string
		code         int
	}{
		{"wrong-password-1234", "brand-new-secret-42", http.StatusBadRequest},
		{"agent-password-1234", "short", http.StatusBadRequest},
		{"agent-password-1234", "agent-password-1234", http.StatusBadRequest},
	} {
		code, body := sess.json("POST", "/api/account/password", map[string]string{"current": c.current, "new": c.new})
		if code != c.code || body["error"] == "" {
			t.Errorf("change (%q → %q) = %d %v, want %d with a message", c.current, c.new, code, body, c.code)
		}
	}
	if !signs("agent-password-1234") {
		t.Fatal("a refused change altered the password")
	}
	// An app password (a mounted drive) may not change the account's password.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.URL+"/api/account/password", nil)
	req.SetBasicAuth("agent", appPass)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("change with an app password = %v %v, want 403", resp.StatusCode, err)
	}

	code, body := sess.json("POST", "/api/account/password", map[string]string{"current": "agent-password-1234", "new": "brand-new-secret-42"})
	if code != http.StatusOK {
		t.Fatalf("change = %d %v", code, body)
	}
	if signs("agent-password-1234") || !signs("brand-new-secret-42") {
		t.Error("after the change the old password must fail and the new one work")
	}

	// Guessing the current password through this form locks like the sign-in page.
	locked := false
	for range 12 {
		code, _ := sess.json("POST", "/api/account/password", map[string]string{"current": "guess-password-000", "new": "another-secret-4242"})
		if code == http.StatusTooManyRequests {
			locked = true
			break
		}
	}
	if !locked {
		t.Error("12 wrong current passwords in a row were never refused with 429")
	}
}
