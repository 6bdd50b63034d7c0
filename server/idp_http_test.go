package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kazhq/kaz/internal/testenv"
)

var (
	reAuthReq = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)
	reCSRFTok = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

type httpBrowser struct {
	t *testing.T
	c *http.Client
}

func newHTTPBrowser(t *testing.T) *httpBrowser {
	jar, _ := cookiejar.New(nil)
	return &httpBrowser{t: t, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

func (b *httpBrowser) do(method, u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func formOf(t *testing.T, body string) url.Values {
	t.Helper()
	id, csrf := reAuthReq.FindStringSubmatch(body), reCSRFTok.FindStringSubmatch(body)
	if id == nil || csrf == nil {
		t.Fatalf("no sign-in form in:\n%s", body)
	}
	return url.Values{"authRequestID": {id[1]}, "csrf": {csrf[1]}}
}

// TestBuiltinProviderSignInThroughRelyingParty walks /auth/login → /idp
// (password, TOTP) → /auth/callback → a session, over plain HTTP.
func TestBuiltinProviderSignInThroughRelyingParty(t *testing.T) {
	srv := testenv.NewServer(t, nil)
	srv.AddUser(t, "alice", "un mot de passe solide", "staff")
	secret := srv.EnrolTOTP(t, "alice")
	b := newHTTPBrowser(t)

	resp, body := b.do("GET", srv.URL+"/auth/login", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.Path, "/idp/login") {
		t.Fatalf("login page: %d %s", resp.StatusCode, resp.Request.URL)
	}
	f := formOf(t, body)
	f.Set("username", "alice")
	f.Set("password", "un mot de passe solide")
	resp, body = b.do("POST", srv.URL+"/idp/login", f)
	if !strings.Contains(resp.Request.URL.Path, "/idp/login/factor") {
		t.Fatalf("after password: %d %s", resp.StatusCode, resp.Request.URL)
	}
	f = formOf(t, body)
	f.Set("code", srv.TOTPCode(t, "alice", secret))
	resp, body = b.do("POST", srv.URL+"/idp/login/totp", f)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after TOTP: %d %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	resp, body = b.do("GET", srv.URL+"/api/me", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/api/me: %d %s", resp.StatusCode, body)
	}
	var me struct {
		User   string   `json:"user"`
		AMR    []string `json:"amr"`
		Groups []string `json:"groups"`
	}
	json.Unmarshal([]byte(body), &me)
	if me.User != "alice" || !slices.Contains(me.AMR, "mfa") || !slices.Contains(me.Groups, "staff") {
		t.Errorf("me = %+v", me)
	}
	resp, body = b.do("GET", srv.URL+"/api/account/mfa", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"totp":true`) {
		t.Errorf("/api/account/mfa: %d %s", resp.StatusCode, body)
	}
}

// signInHTTP signs user in through the relying party with TOTP and returns
// the browser.
func signInHTTP(t *testing.T, srv *testenv.Server, user, secret string) *httpBrowser {
	t.Helper()
	b := newHTTPBrowser(t)
	_, body := b.do("GET", srv.URL+"/auth/login", nil)
	f := formOf(t, body)
	f.Set("username", user)
	f.Set("password", "un mot de passe solide")
	_, body = b.do("POST", srv.URL+"/idp/login", f)
	f = formOf(t, body)
	f.Set("code", srv.TOTPCode(t, user, secret))
	if resp, body := b.do("POST", srv.URL+"/idp/login/totp", f); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in of %s: %d %s", user, resp.StatusCode, body)
	}
	return b
}

func TestAdminUserListIsForAdministrators(t *testing.T) {
	srv := testenv.NewServer(t, nil)
	srv.AddUser(t, "root", "un mot de passe solide", "admins")
	srv.AddUser(t, "agent", "un mot de passe solide", "staff")
	admin := signInHTTP(t, srv, "root", srv.EnrolTOTP(t, "root"))
	agent := signInHTTP(t, srv, "agent", srv.EnrolTOTP(t, "agent"))
	resp, body := admin.do("GET", srv.URL+"/api/admin/users", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"name":"agent"`) {
		t.Errorf("admin: %d %s", resp.StatusCode, body)
	}
	resp, body = admin.do("GET", srv.URL+"/api/admin/groups", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"name":"staff"`) {
		t.Errorf("groups: %d %s", resp.StatusCode, body)
	}
	if resp, _ := agent.do("GET", srv.URL+"/api/admin/users", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("agent: %d", resp.StatusCode)
	}
}
