package auth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kazhq/kaz/internal/directory"
)

// newLocalKaz wires a relying party (no provider needed) with user alice.
func newLocalKaz(t *testing.T, mutate func(*Config)) *kazRP {
	t.Helper()
	k := newKaz(t)
	cfg := DefaultConfig()
	cfg.Issuer, cfg.ClientID = "http://127.0.0.1:1", "kaz"
	if mutate != nil {
		mutate(&cfg)
	}
	k.open(t, cfg)
	if err := k.Dir.Add(t.Context(), directory.User{Name: "alice", Groups: []string{"agents"}}); err != nil {
		t.Fatal(err)
	}
	if err := k.Dir.Add(t.Context(), directory.User{Name: "bob"}); err != nil {
		t.Fatal(err)
	}
	return k
}

// signedIn creates a session for user directly and puts its cookie in a
// new browser.
func signedIn(t *testing.T, k *kazRP, user string) (*http.Client, *Session) {
	t.Helper()
	sess := &Session{User: user, AMR: []string{"pwd", "hwk"}, Issuer: "test", Subject: user}
	tok, err := k.RP.store.CreateSession(t.Context(), sess, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	u, _ := url.Parse(k.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: SessionCookie, Value: tok, Path: "/"}})
	return c, sess
}

func do(t testing.TB, c *http.Client, method, u string, body any, hdr ...string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, r)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestStateChangingAPICallNeedsCSRFToken(t *testing.T) {
	k := newLocalKaz(t, nil)
	c, sess := signedIn(t, k, "alice")
	code, body := do(t, c, "GET", k.URL+"/api/me", nil)
	var m map[string]any
	json.Unmarshal([]byte(body), &m)
	if code != 200 || m["csrf_token"] != sess.CSRF || m["method"] != "session" {
		t.Fatalf("/api/me: %d %s", code, body)
	}
	label := map[string]string{"label": "laptop"}
	for _, tc := range []struct {
		name string
		hdr  []string
		want int
	}{
		{"no header", nil, http.StatusForbidden},
		{"wrong token", []string{CSRFHeader, "nope"}, http.StatusForbidden},
		{"right token, foreign origin", []string{CSRFHeader, sess.CSRF, "Origin", "https://evil.example"}, http.StatusForbidden},
		{"right token", []string{CSRFHeader, sess.CSRF, "Origin", k.URL}, http.StatusCreated},
	} {
		if code, body := do(t, c, "POST", k.URL+"/api/apppasswords", label, tc.hdr...); code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.want)
		}
	}
}

func TestAppPasswordAuthenticatesDAVAndAPI(t *testing.T) {
	k := newLocalKaz(t, nil)
	c, sess := signedIn(t, k, "alice")
	code, body := do(t, c, "POST", k.URL+"/api/apppasswords", map[string]string{"label": "rclone"}, CSRFHeader, sess.CSRF)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var created struct {
		ID, Label, Password string
	}
	json.Unmarshal([]byte(body), &created)
	if len(created.Password) < 30 || created.Label != "rclone" {
		t.Fatalf("created %s", body)
	}
	basic := func(user, pass, path string) (int, string) {
		req, _ := http.NewRequest("GET", k.URL+path, nil)
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := basic("alice", created.Password, "/dav/x"); code != 200 || body != "dav alice apppassword" {
		t.Fatalf("/dav/ with app password: %d %s", code, body)
	}
	if code, body := basic("alice", created.Password, "/api/me"); code != 200 || !strings.Contains(body, `"method":"apppassword"`) || strings.Contains(body, "csrf_token") {
		t.Fatalf("/api/me with app password: %d %s", code, body)
	}
	// Another user's name with alice's app password: refused.
	if code, _ := basic("bob", created.Password, "/api/me"); code != http.StatusUnauthorized {
		t.Fatalf("bob with alice's app password: %d", code)
	}
	// Listed with label and last use, never with the secret.
	code, body = do(t, c, "GET", k.URL+"/api/apppasswords", nil)
	if code != 200 || !strings.Contains(body, `"label":"rclone"`) || !strings.Contains(body, "last_used") || strings.Contains(body, created.Password) {
		t.Fatalf("list: %d %s", code, body)
	}
	// bob sees none of alice's.
	cb, _ := signedIn(t, k, "bob")
	if code, body := do(t, cb, "GET", k.URL+"/api/apppasswords", nil); code != 200 || strings.Contains(body, "rclone") {
		t.Fatalf("bob's list: %d %s", code, body)
	}
	// An app password cannot mint app passwords.
	req, _ := http.NewRequest("POST", k.URL+"/api/apppasswords", strings.NewReader(`{"label":"x"}`))
	req.SetBasicAuth("alice", created.Password)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("create by app password: %v %v", resp.StatusCode, err)
	}
	// Revoked: refused at once.
	if code, body := do(t, c, "DELETE", k.URL+"/api/apppasswords/"+created.ID, nil, CSRFHeader, sess.CSRF); code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", code, body)
	}
	if code, _ := basic("alice", created.Password, "/dav/x"); code != http.StatusUnauthorized {
		t.Fatalf("revoked app password: %d", code)
	}
	// The account password never works; a wrong one is a 401 with a Basic
	// challenge on /dav/.
	req, _ = http.NewRequest("GET", k.URL+"/dav/x", nil)
	req.SetBasicAuth("alice", "wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("wrong password: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// A browser keeps Basic credentials typed into its prompt and sends them
// with another site's form post: such writes are refused like cookie ones,
// while real WebDAV clients (no Origin) and Kaz's own pages still write.
func TestAppPasswordWritesFromAnotherSiteAreRefused(t *testing.T) {
	k := newLocalKaz(t, nil)
	_, secret, err := k.RP.store.CreateAppPassword(t.Context(), "alice", "browser", "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path string
		hdr                []string
		want               int
	}{
		{"client without Origin", "PUT", "/dav/lib/a.txt", nil, http.StatusOK},
		{"Kaz's own page", "DELETE", "/dav/lib/a.txt", []string{"Origin", k.URL}, http.StatusOK},
		{"foreign origin on /dav/", "DELETE", "/dav/lib/a.txt", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"foreign origin on /api/", "POST", "/api/apppasswords", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"cross-site fetch metadata", "MOVE", "/dav/lib/a.txt", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"foreign origin, safe method", "GET", "/dav/lib/a.txt", []string{"Origin", "https://evil.example"}, http.StatusOK},
	} {
		req, _ := http.NewRequest(tc.method, k.URL+tc.path, nil)
		req.SetBasicAuth("alice", secret)
		for i := 0; i+1 < len(tc.hdr); i += 2 {
			req.Header.Set(tc.hdr[i], tc.hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %s %s = %d, want %d", tc.name, tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}

func TestRepeatedAppPasswordFailuresAreThrottled(t *testing.T) {
	k := newLocalKaz(t, func(c *Config) { c.ThrottleUserFailures = 5 })
	_, secret, err := k.RP.store.CreateAppPassword(t.Context(), "alice", "phone", "", "")
	if err != nil {
		t.Fatal(err)
	}
	try := func(pass string) int {
		req, _ := http.NewRequest("GET", k.URL+"/api/me", nil)
		req.SetBasicAuth("alice", pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 5; i++ {
		if code := try(fmt.Sprintf("guess-%d", i)); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, code)
		}
	}
	if code := try("guess-x"); code != http.StatusTooManyRequests {
		t.Fatalf("sixth failure: %d, want 429", code)
	}
	// The owner's right password still works while their user name is
	// throttled: a guesser cannot lock the agent's devices out.
	if code := try(secret); code != http.StatusOK {
		t.Fatalf("right password while the user name is throttled: %d, want 200", code)
	}
}

func TestThrottledAddressIsRefusedEvenWithTheRightPassword(t *testing.T) {
	k := newLocalKaz(t, func(c *Config) { c.ThrottleUserFailures = 100; c.ThrottleAddressFailures = 3 })
	_, secret, err := k.RP.store.CreateAppPassword(t.Context(), "alice", "phone", "", "")
	if err != nil {
		t.Fatal(err)
	}
	try := func(pass string) int {
		req, _ := http.NewRequest("GET", k.URL+"/api/me", nil)
		req.SetBasicAuth("alice", pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 3; i++ {
		if code := try(fmt.Sprintf("guess-%d", i)); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, code)
		}
	}
	if code := try(secret); code != http.StatusTooManyRequests {
		t.Fatalf("right password from a throttled address: %d, want 429", code)
	}
	k.RP.addrThr.now = func() time.Time { return time.Now().Add(time.Hour) }
	if code := try(secret); code != http.StatusOK {
		t.Fatalf("after the window: %d", code)
	}
}

func TestThrottlePerAddress(t *testing.T) {
	th := NewThrottle(3, time.Minute)
	for i := 0; i < 3; i++ {
		if th.Blocked("a:1.2.3.4") {
			t.Fatalf("blocked after %d failures", i)
		}
		th.Fail("a:1.2.3.4")
	}
	if !th.Blocked("a:1.2.3.4") || th.Blocked("a:5.6.7.8") {
		t.Fatal("throttle does not separate addresses")
	}
}

func TestSessionSurvivesRestart(t *testing.T) {
	k := newLocalKaz(t, nil)
	c, _ := signedIn(t, k, "alice")
	if code, _ := do(t, c, "GET", k.URL+"/api/me", nil); code != 200 {
		t.Fatal("not signed in")
	}
	// A new relying party on the same database file (a restart).
	k.DB.Close()
	k.open(t, k.cfg)
	if code, body := do(t, c, "GET", k.URL+"/api/me", nil); code != 200 {
		t.Fatalf("after restart: %d %s", code, body)
	}
}

func TestSessionTimeouts(t *testing.T) {
	k := newLocalKaz(t, func(c *Config) { c.SessionIdleTimeout = time.Hour; c.SessionMaxAge = 3 * time.Hour })
	_, sess := signedIn(t, k, "alice")
	_ = sess
	st := k.RP.store
	base := time.Now()
	tok, err := st.CreateSession(t.Context(), &Session{User: "alice"}, 3*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Used every 50 minutes: alive until the absolute end.
	for _, m := range []int{50, 100, 150} {
		st.now = func() time.Time { return base.Add(time.Duration(m) * time.Minute) }
		if _, err := st.Session(t.Context(), tok, time.Hour); err != nil {
			t.Fatalf("at %d min: %v", m, err)
		}
	}
	st.now = func() time.Time { return base.Add(181 * time.Minute) }
	if _, err := st.Session(t.Context(), tok, time.Hour); err == nil {
		t.Fatal("alive past its absolute end")
	}
	tok2, _ := st.CreateSession(t.Context(), &Session{User: "alice"}, 3*time.Hour)
	st.now = func() time.Time { return base.Add(181*time.Minute + 61*time.Minute) }
	if _, err := st.Session(t.Context(), tok2, time.Hour); err == nil {
		t.Fatal("alive after an hour idle")
	}
}

func TestDisabledUserIsRefusedEverywhere(t *testing.T) {
	k := newLocalKaz(t, nil)
	c, _ := signedIn(t, k, "alice")
	_, secret, _ := k.RP.store.CreateAppPassword(t.Context(), "alice", "phone", "", "")
	if err := k.Dir.SetDisabled(t.Context(), "alice", true); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(t, c, "GET", k.URL+"/api/me", nil); code == 200 {
		t.Fatal("disabled user's session still works")
	}
	if err := RevokeUser(t.Context(), k.DB, "alice"); err != nil {
		t.Fatal(err)
	}
	k.Dir.SetDisabled(t.Context(), "alice", false)
	if code, _ := do(t, c, "GET", k.URL+"/api/me", nil); code != http.StatusUnauthorized {
		t.Fatalf("session survived RevokeUser: %d", code)
	}
	req, _ := http.NewRequest("GET", k.URL+"/api/me", nil)
	req.SetBasicAuth("alice", secret)
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("app password survived RevokeUser: %d", resp.StatusCode)
	}
}

// Office's request sequence ([MS-OFBA] 3.1): an unauthenticated request
// that accepts forms gets a 403 with the login and return URLs; after the
// sign-in in the dialog, Office reuses the session cookie on /dav/.
func TestOFBAChallengeAndCookieReuse(t *testing.T) {
	k := newLocalKaz(t, nil)
	req, _ := http.NewRequest("PROPFIND", k.URL+"/dav/lib/doc.docx", nil)
	req.Header.Set("X-FORMS_BASED_AUTH_ACCEPTED", "t")
	req.Header.Set("User-Agent", "Microsoft Office Word 2014")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden ||
		resp.Header.Get("X-FORMS_BASED_AUTH_REQUIRED") != k.URL+OFBALoginPath ||
		resp.Header.Get("X-FORMS_BASED_AUTH_RETURN_URL") != k.URL+OFBADonePath ||
		resp.Header.Get("X-FORMS_BASED_AUTH_DIALOG_SIZE") == "" {
		t.Fatalf("OFBA challenge: %d %v", resp.StatusCode, resp.Header)
	}
	// A client that declines forms gets the Basic challenge.
	req.Header.Set("X-FORMS_BASED_AUTH_ACCEPTED", "f")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-FORMS_BASED_AUTH_REQUIRED") != "" {
		t.Fatalf("declined OFBA: %d", resp.StatusCode)
	}
	// After the dialog's sign-in: the cookie works on /dav/ (writes too, with
	// no CSRF token, but not from a foreign origin).
	tok, err := k.RP.store.CreateSession(t.Context(), &Session{User: "alice", Method: "ofba"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	u, _ := url.Parse(k.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: SessionCookie, Value: tok, Path: "/"}})
	if code, body := do(t, c, "PUT", k.URL+"/dav/lib/doc.docx", nil, "User-Agent", "Microsoft Office Word 2014"); code != 200 || body != "dav alice ofba" {
		t.Fatalf("PUT with OFBA cookie: %d %s", code, body)
	}
	if code, _ := do(t, c, "PUT", k.URL+"/dav/lib/doc.docx", nil, "Origin", "https://evil.example"); code != http.StatusForbidden {
		t.Fatalf("cross-origin PUT with cookie: %d", code)
	}
	if code, _, body := follow(t, c, k.URL+OFBADonePath); code != 200 || !strings.Contains(body, "ofba_done") {
		t.Fatalf("return page: %d", code)
	}
}

func TestAppPasswordStoreLabelsAndRevocation(t *testing.T) {
	k := newLocalKaz(t, nil)
	st := k.RP.store
	ctx := t.Context()
	if _, _, err := st.CreateAppPassword(ctx, "alice", "", "", ""); err != ErrBadLabel {
		t.Fatalf("empty label: %v", err)
	}
	_, s1, err := st.CreateAppPassword(ctx, "alice", "laptop", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateAppPassword(ctx, "alice", "laptop", "", ""); err != ErrLabelTaken {
		t.Fatalf("duplicate label: %v", err)
	}
	var n int
	k.DB.QueryRow(`SELECT COUNT(*) FROM auth_app_passwords WHERE hash = ? OR label = ?`, s1, s1).Scan(&n)
	if n != 0 {
		t.Fatal("app password stored in clear")
	}
	if err := st.RevokeAppPasswordLabel(ctx, "alice", "laptop"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.VerifyAppPassword(ctx, "alice", s1); err != ErrBadCredentials {
		t.Fatalf("revoked: %v", err)
	}
	if err := st.RevokeAppPasswordLabel(ctx, "alice", "laptop"); err != ErrNotFound {
		t.Fatalf("revoke twice: %v", err)
	}
	// The label is free again.
	if _, _, err := st.CreateAppPassword(ctx, "alice", "laptop", "", ""); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"defaults", func(*Config) {}, true},
		{"external https", func(c *Config) { c.Issuer, c.ClientID = "https://sso.example.org/realms/kaz", "kaz" }, true},
		{"external without client id", func(c *Config) { c.Issuer = "https://sso.example.org" }, false},
		{"plain http off loopback", func(c *Config) { c.Issuer, c.ClientID = "http://sso.example.org", "kaz" }, false},
		{"idle longer than max", func(c *Config) { c.SessionIdleTimeout, c.SessionMaxAge = 48*time.Hour, time.Hour }, false},
		{"mfa impossible", func(c *Config) { c.MFAAMR, c.MFAACR = []string{}, []string{} }, false},
	} {
		c := DefaultConfig()
		tc.edit(&c)
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v", tc.name, err)
		}
	}
}

func TestIdentityBindingKeepsAccountsApart(t *testing.T) {
	k := newLocalKaz(t, nil)
	st, ctx := k.RP.store, t.Context()
	if name, err := st.BindIdentity(ctx, "https://sso", "sub-1", "alice"); err != nil || name != "alice" {
		t.Fatalf("first bind: %q %v", name, err)
	}
	// alice's identity keeps her account when her user name claim changes.
	if name, err := st.BindIdentity(ctx, "https://sso", "sub-1", "alicia"); err != nil || name != "alice" {
		t.Fatalf("renamed claim: %q %v", name, err)
	}
	// Another identity claiming "alice" is refused.
	if _, err := st.BindIdentity(ctx, "https://sso", "sub-2", "alice"); err != ErrIdentityTaken {
		t.Fatalf("takeover: %v", err)
	}
	// Another provider is another namespace of subjects.
	if name, err := st.BindIdentity(ctx, "https://other", "sub-1", "bob"); err != nil || name != "bob" {
		t.Fatalf("other issuer: %q %v", name, err)
	}
}

func TestUnknownAuthorizationSchemeGetsBasicChallenge(t *testing.T) {
	k := newLocalKaz(t, nil)
	for _, m := range []string{"PROPFIND", "GET"} {
		code, _ := do(t, http.DefaultClient, m, k.URL+"/dav/x", nil, "Authorization", "Negotiate TlRMTVNTUAABAAAAB4IIog==")
		if code != http.StatusUnauthorized {
			t.Errorf("%s with Negotiate: %d, want 401", m, code)
		}
	}
	// Malformed Basic is a bad credential (counted), not ignored.
	if code, _ := do(t, http.DefaultClient, "GET", k.URL+"/api/me", nil, "Authorization", "Basic !!!"); code != http.StatusUnauthorized {
		t.Errorf("malformed Basic: %d", code)
	}
}

func TestCookiesAreSecureUnderTLS(t *testing.T) {
	k := newLocalKaz(t, nil)
	for _, tc := range []struct {
		public string
		secure bool
	}{{"https://kaz.example.org", true}, {k.URL, false}} {
		rp, err := New(Options{Config: k.cfg, PublicURL: tc.public, Dir: k.Dir, Store: k.RP.store})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		rp.setSessionCookie(rec, "s1.x")
		c := rec.Result().Cookies()[0]
		if c.Secure != tc.secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("%s: cookie %+v", tc.public, c)
		}
	}
}

// TestTricklingBodyIsCutOff: the unauthenticated form endpoints do not wait
// forever for a body that never arrives (the server has no overall read
// timeout, for big WebDAV uploads).
func TestTricklingBodyIsCutOff(t *testing.T) {
	k := newLocalKaz(t, nil)
	old := bodyReadTimeout
	bodyReadTimeout = 300 * time.Millisecond
	t.Cleanup(func() { bodyReadTimeout = old })
	tok, err := k.RP.store.CreateSession(t.Context(), &Session{User: "alice"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{BackchannelPath, LogoutPath} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(k.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nCookie: %s=%s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nlogout_token=", path, SessionCookie, tok)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: no answer while the body trickles: %v", path, err)
		}
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Errorf("%s: status %d for a body that never arrived", path, res.StatusCode)
		}
	}
}
