package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kazhq/kaz/internal/testenv"
)

func basicDo(t *testing.T, method, url, user, pass string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

func TestAdminAPIIsForAdministratorsOnly(t *testing.T) {
	ts := testenv.NewServer(t, nil)
	ts.AddUser(t, "chef", "chef-password-1234", "admins")
	ts.AddUser(t, "agent", "agent-password-1234", "rh")
	adminPass := ts.AppPassword(t, "chef", "test")
	agentPass := ts.AppPassword(t, "agent", "test")

	code, _ := basicDo(t, "GET", ts.URL+"/api/admin/users", "agent", agentPass)
	if code != http.StatusForbidden {
		t.Fatalf("agent GET /api/admin/users = %d, want 403", code)
	}
	code, _ = basicDo(t, "POST", ts.URL+"/api/admin/users/chef/disable", "agent", agentPass)
	if code != http.StatusForbidden {
		t.Fatalf("agent disabling the admin = %d, want 403", code)
	}

	code, body := basicDo(t, "GET", ts.URL+"/api/admin/users", "chef", adminPass)
	if code != http.StatusOK {
		t.Fatalf("admin GET /api/admin/users = %d %v", code, body)
	}
	b, _ := json.Marshal(body)
	for _, want := range []string{`"name":"agent"`, `"name":"chef"`, `"rh"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("user list lacks %s: %s", want, b)
		}
	}
	code, body = basicDo(t, "GET", ts.URL+"/api/admin/groups", "chef", adminPass)
	if b, _ := json.Marshal(body); code != http.StatusOK || !strings.Contains(string(b), `"admins"`) {
		t.Fatalf("admin GET /api/admin/groups = %d %s", code, b)
	}

	// Disabling ends the agent's app passwords at once.
	if code, body := basicDo(t, "POST", ts.URL+"/api/admin/users/agent/disable", "chef", adminPass); code != http.StatusOK {
		t.Fatalf("disable agent = %d %v", code, body)
	}
	if code, _ := basicDo(t, "GET", ts.URL+"/api/me", "agent", agentPass); code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Fatalf("disabled agent's app password still works: %d", code)
	}
	if code, _ := basicDo(t, "POST", ts.URL+"/api/admin/users/chef/disable", "chef", adminPass); code != http.StatusConflict {
		t.Fatalf("an admin disabling themself = %d, want 409", code)
	}
	if code, _ := basicDo(t, "POST", ts.URL+"/api/admin/users/nobody/reset-mfa", "chef", adminPass); code != http.StatusNotFound {
		t.Fatalf("reset-mfa of an unknown user = %d, want 404", code)
	}
}
