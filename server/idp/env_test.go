package idp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/sqldb"
)

// testEnv is a provider served on loopback with a fake relying party that
// records back-channel logout tokens.
type testEnv struct {
	t      *testing.T
	p      *Provider
	db     *sqldb.DB
	dir    *directory.Directory
	url    string
	secret string

	mu           sync.Mutex
	logoutTokens []string
}

func newTestEnv(t *testing.T, mutate func(*Config)) *testEnv {
	return newTestEnvHost(t, "127.0.0.1", mutate)
}

// newTestEnvHost serves the provider with host in its public URL
// ("localhost" for security keys, which refuse IP addresses).
func newTestEnvHost(t *testing.T, host string, mutate func(*Config)) *testEnv {
	t.Helper()
	ctx := t.Context()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(t.TempDir(), "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir, err := directory.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	e := &testEnv{t: t, db: db, dir: dir, url: "http://" + net.JoinHostPort(host, port)}
	cfg := DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	e.p, err = New(ctx, Options{DB: db, Dir: dir, Config: cfg, PublicURL: e.url})
	if err != nil {
		t.Fatal(err)
	}
	e.secret, err = e.p.ClientSecret(ctx, "kaz")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.p.RegisterClient(ctx, Client{
		ID: "kaz", Secret: e.secret, RedirectURIs_: []string{e.url + "/auth/callback"},
		PostLogoutRedirectURIs_: []string{e.url + "/"}, BackchannelLogoutURI: e.url + "/auth/backchannel-logout", Dev: true,
	}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/idp/", http.StripPrefix("/idp", e.p.Handler()))
	mux.HandleFunc("POST /auth/backchannel-logout", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.logoutTokens = append(e.logoutTokens, r.PostFormValue("logout_token"))
		e.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return e
}

func (e *testEnv) addUser(name, password string, groups ...string) {
	e.t.Helper()
	ctx := e.t.Context()
	if err := e.dir.Add(ctx, directory.User{Name: name, DisplayName: "Agent " + name, Email: name + "@example.org", Groups: groups}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.p.SetPassword(ctx, name, password); err != nil {
		e.t.Fatal(err)
	}
}

// browser is a cookie-keeping client that does not follow redirects.
func newBrowser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// page is a fetched response with its body.
type page struct {
	code int
	loc  string
	body string
}

func (e *testEnv) do(c *http.Client, method, u string, form url.Values) page {
	e.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = e.url + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, u, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{code: resp.StatusCode, loc: resp.Header.Get("Location"), body: string(b)}
}

var (
	reID   = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)
	reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	reSec  = regexp.MustCompile(`data-testid="totp-secret">([A-Z2-7]+)<`)
	reCode = regexp.MustCompile(`data-testid="recovery-code-item">([a-z2-9-]+)<`)
)

func field(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("page lacks %s:\n%s", re, body)
	}
	return m[1]
}

// rp is a plain Go relying party (go-oidc + x/oauth2) for Kaz's client.
type rp struct {
	e        *testEnv
	provider *oidc.Provider
	oauth    oauth2.Config
	verifier string
	nonce    string
	state    string
}

func (e *testEnv) newRP() *rp {
	e.t.Helper()
	ctx := e.t.Context()
	prov, err := oidc.NewProvider(ctx, e.url+"/idp")
	if err != nil {
		e.t.Fatal(err)
	}
	return &rp{e: e, provider: prov, oauth: oauth2.Config{
		ClientID: "kaz", ClientSecret: e.secret, Endpoint: prov.Endpoint(), RedirectURL: e.url + "/auth/callback",
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
	}}
}

// start begins a sign-in: it returns the login page URL.
func (r *rp) start(c *http.Client) string {
	r.e.t.Helper()
	r.verifier, r.nonce, r.state = oauth2.GenerateVerifier(), randomToken(16), randomToken(16)
	u := r.oauth.AuthCodeURL(r.state, oauth2.S256ChallengeOption(r.verifier), oidc.Nonce(r.nonce))
	p := r.e.do(c, "GET", u, nil)
	if p.code != http.StatusFound || !strings.Contains(p.loc, "/idp/login?authRequestID=") {
		r.e.t.Fatalf("authorize: %d %s %s", p.code, p.loc, p.body)
	}
	return p.loc
}

// finish follows the callback to the redirect URI and exchanges the code.
func (r *rp) finish(c *http.Client, callback string) (*oauth2.Token, *oidc.IDToken) {
	r.e.t.Helper()
	p := r.e.do(c, "GET", callback, nil)
	if p.code != http.StatusFound && p.code != http.StatusSeeOther {
		r.e.t.Fatalf("callback: %d %s", p.code, p.body)
	}
	loc, err := url.Parse(p.loc)
	if err != nil || !strings.HasPrefix(p.loc, r.e.url+"/auth/callback") {
		r.e.t.Fatalf("callback redirects to %q", p.loc)
	}
	if loc.Query().Get("state") != r.state {
		r.e.t.Fatalf("state = %q, want %q", loc.Query().Get("state"), r.state)
	}
	ctx := r.e.t.Context()
	tok, err := r.oauth.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(r.verifier))
	if err != nil {
		r.e.t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.provider.Verifier(&oidc.Config{ClientID: "kaz"}).Verify(ctx, raw)
	if err != nil {
		r.e.t.Fatalf("verify id_token: %v", err)
	}
	if idt.Nonce != r.nonce {
		r.e.t.Fatalf("nonce = %q, want %q", idt.Nonce, r.nonce)
	}
	return tok, idt
}

// password submits the login form and returns the response.
func (e *testEnv) password(c *http.Client, loginURL, user, pass string) page {
	e.t.Helper()
	lp := e.do(c, "GET", loginURL, nil)
	if lp.code != http.StatusOK {
		e.t.Fatalf("login page: %d %s", lp.code, lp.body)
	}
	return e.do(c, "POST", "/idp/login", url.Values{
		"authRequestID": {field(e.t, reID, lp.body)}, "csrf": {field(e.t, reCSRF, lp.body)},
		"username": {user}, "password": {pass},
	})
}

// submit posts a form found on the page at pageURL.
func (e *testEnv) submit(c *http.Client, pageURL, action string, vals url.Values) page {
	e.t.Helper()
	pg := e.do(c, "GET", pageURL, nil)
	if pg.code != http.StatusOK {
		e.t.Fatalf("%s: %d %s", pageURL, pg.code, pg.body)
	}
	vals.Set("authRequestID", field(e.t, reID, pg.body))
	vals.Set("csrf", field(e.t, reCSRF, pg.body))
	return e.do(c, "POST", action, vals)
}

// nextCode returns a TOTP code of secret for a time step not yet used by
// user (waiting for the next step when needed).
func (e *testEnv) nextCode(user, secret string) string {
	e.t.Helper()
	deadline := time.Now().Add(70 * time.Second)
	for time.Now().Before(deadline) {
		last, err := e.p.LastTOTPStep(e.t.Context(), user)
		if err != nil && !errors.Is(err, ErrNotFound) {
			e.t.Fatal(err)
		}
		now := time.Now()
		for _, step := range []int64{now.Unix() / 30, now.Unix()/30 + 1} {
			if step > last {
				code, err := totp.GenerateCode(secret, time.Unix(step*30, 0))
				if err != nil {
					e.t.Fatal(err)
				}
				return code
			}
		}
		time.Sleep(time.Second)
	}
	e.t.Fatal("no usable TOTP step")
	return ""
}

func (e *testEnv) tokens() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.logoutTokens...)
}

var _ = context.Background
