package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/server/auth"
)

func authReq(t *testing.T, method, u string, hdr ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestAuthWiringUnauthenticatedAnswers(t *testing.T) {
	s := testenv.NewServer(t, nil)
	if r := authReq(t, "GET", s.URL+"/api/me"); r.StatusCode != 401 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Errorf("/api/me: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r := authReq(t, "PROPFIND", s.URL+"/dav/"); r.StatusCode != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("/dav/: %d %q", r.StatusCode, r.Header.Get("WWW-Authenticate"))
	}
	if r := authReq(t, "OPTIONS", s.URL+"/dav/"); r.StatusCode == 401 {
		t.Errorf("OPTIONS /dav/ asked for credentials")
	}
	// [MS-OFBA]: Office gets a 403 with the forms-based headers.
	// Office also probes the host root and the mount point without its
	// slash: the same challenge there, or it would prompt for Basic.
	for _, path := range []string{"/dav/", "/dav/lib/doc.docx", "/dav", "/"} {
		r := authReq(t, "PROPFIND", s.URL+path, "X-FORMS_BASED_AUTH_ACCEPTED", "t", "User-Agent", "Microsoft Office Word 2014")
		if r.StatusCode != 403 || r.Header.Get("X-FORMS_BASED_AUTH_REQUIRED") != s.URL+auth.OFBALoginPath ||
			r.Header.Get("X-FORMS_BASED_AUTH_RETURN_URL") != s.URL+auth.OFBADonePath || r.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("OFBA challenge on %s: %d %v", path, r.StatusCode, r.Header)
		}
	}
	// The API never answers with the forms-based challenge.
	if r := authReq(t, "GET", s.URL+"/api/me", "X-FORMS_BASED_AUTH_ACCEPTED", "t"); r.StatusCode != 401 || r.Header.Get("X-FORMS_BASED_AUTH_REQUIRED") != "" {
		t.Errorf("/api/me with OFBA accepted: %d %v", r.StatusCode, r.Header)
	}
	// The built-in provider is discovered lazily, over HTTP, at first sign-in.
	r := authReq(t, "GET", s.URL+"/auth/login?return=/x")
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != 302 || !strings.HasPrefix(loc.String(), s.URL+"/idp/") || loc.Query().Get("code_challenge_method") != "S256" ||
		loc.Query().Get("nonce") == "" || loc.Query().Get("state") == "" {
		t.Errorf("login: %d %s", r.StatusCode, loc)
	}
	var stateCookie *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "kaz_auth_state" {
			stateCookie = c
		}
	}
	if stateCookie == nil || !stateCookie.HttpOnly || stateCookie.SameSite != http.SameSiteLaxMode {
		t.Errorf("state cookie: %+v", stateCookie)
	}
}

func TestAppPasswordOnWholeServer(t *testing.T) {
	s := testenv.NewServer(t, nil)
	ctx := t.Context()
	if err := s.Kaz().Dir().Add(ctx, directory.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	st, err := auth.OpenStore(ctx, s.Kaz().DB())
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := st.CreateAppPassword(ctx, "alice", "rclone", "", "")
	if err != nil {
		t.Fatal(err)
	}
	basic := func(path, pass string) int {
		req, _ := http.NewRequest("PROPFIND", s.URL+path, nil)
		if path == "/api/me" {
			req.Method = "GET"
		}
		req.Header.Set("Depth", "0")
		req.SetBasicAuth("alice", pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := basic("/api/me", secret); code != 200 {
		t.Errorf("/api/me with app password: %d", code)
	}
	if code := basic("/dav/", secret); code == 401 || code == 403 || code >= 500 {
		t.Errorf("/dav/ with app password: %d", code)
	}
	if code := basic("/api/me", "wrong-password"); code != 401 {
		t.Errorf("wrong app password: %d", code)
	}
	if err := st.RevokeAppPasswordLabel(ctx, "alice", "rclone"); err != nil {
		t.Fatal(err)
	}
	if code := basic("/dav/", secret); code != 401 {
		t.Errorf("revoked app password on /dav/: %d", code)
	}
	// A session survives a restart of the whole server.
	tok, err := st.CreateSession(ctx, &auth.Session{User: "alice"}, 3600e9)
	if err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	if r := authReq(t, "GET", s.URL+"/api/me", "Cookie", auth.SessionCookie+"="+tok); r.StatusCode != 200 {
		t.Errorf("session after restart: %d", r.StatusCode)
	}
}
