package auth

import (
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var testAccount = map[string]any{
	"sub": "a1b2c3", "preferred_username": "alice", "name": "Alice Martin",
	"email": "alice@example.org", "groups": []string{"agents", "admins"},
}

// setupOP starts a relying party against npm oidc-provider.
func setupOP(t *testing.T, mutate func(*Config)) (*kazRP, *testOP) {
	t.Helper()
	k := newKaz(t)
	op := startOP(t, k.URL, testAccount)
	cfg := DefaultConfig()
	cfg.Issuer, cfg.ClientID, cfg.ClientSecret = op.Issuer, "kaz", "kaz-test-secret"
	if mutate != nil {
		mutate(&cfg)
	}
	k.open(t, cfg)
	return k, op
}

// signIn runs the whole code flow in c and returns the last response's
// status, final URL and body.
func signIn(t *testing.T, c *http.Client, k *kazRP) (int, *url.URL, string) {
	t.Helper()
	resp, err := c.Get(k.URL + "/auth/login?return=/libraries%3Fx%3D1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL, string(b)
}

func me(t *testing.T, c *http.Client, k *kazRP) (int, map[string]any) {
	t.Helper()
	code, body := getStatus(t, c, k.URL+"/api/me")
	m := map[string]any{}
	json.Unmarshal([]byte(body), &m)
	return code, m
}

func TestCodeFlowWithOIDCProviderOpensSession(t *testing.T) {
	k, _ := setupOP(t, nil)
	c := browser(t)
	code, final, body := signIn(t, c, k)
	if code != http.StatusOK || final.Path != "/libraries" || final.RawQuery != "x=1" || body != "home" {
		t.Fatalf("sign-in ended at %d %s: %.300s", code, final, body)
	}
	code, m := me(t, c, k)
	if code != http.StatusOK {
		t.Fatalf("/api/me = %d", code)
	}
	if m["user"] != "alice" || m["method"] != "session" || m["admin"] != true || m["csrf_token"] == "" || m["email"] != "alice@example.org" {
		t.Fatalf("/api/me = %v", m)
	}
	if amr, _ := m["amr"].([]any); len(amr) != 2 || amr[1] != "otp" {
		t.Fatalf("amr = %v", m["amr"])
	}
	u, err := k.Dir.Get(t.Context(), "alice")
	if err != nil || !u.External || strings.Join(u.Groups, ",") != "admins,agents" {
		t.Fatalf("directory user = %+v, %v", u, err)
	}
	// The session is stored hashed: the cookie value is nowhere in the DB.
	tok := sessionCookie(c, k.URL)
	var n int
	k.DB.QueryRow(`SELECT COUNT(*) FROM auth_sessions WHERE id_hash = ?`, tok).Scan(&n)
	if tok == "" || n != 0 {
		t.Fatalf("session cookie %q stored in clear (%d)", tok, n)
	}

	t.Run("expired access token is refreshed on use", func(t *testing.T) {
		k.DB.Exec(`UPDATE auth_sessions SET token_expiry = ?`, "2000-01-01T00:00:00.000000000Z")
		if code, _ := me(t, c, k); code != http.StatusOK {
			t.Fatalf("/api/me after expiry: %d", code)
		}
		var exp string
		k.DB.QueryRow(`SELECT token_expiry FROM auth_sessions`).Scan(&exp)
		if !strings.HasPrefix(exp, "20") || exp < time.Now().UTC().Format("2006") || strings.HasPrefix(exp, "2000") {
			t.Fatalf("token expiry after refresh: %q", exp)
		}
	})
	t.Run("refresh keeps iss and sub", func(t *testing.T) {
		sess, err := k.RP.store.Session(t.Context(), tok, time.Hour)
		if err != nil || sess.RefreshToken == "" {
			t.Fatalf("session %+v, %v", sess, err)
		}
		next, err := k.RP.Refresh(t.Context(), sess)
		if err != nil {
			t.Fatal(err)
		}
		if next.Subject != sess.Subject || next.RefreshToken == "" {
			t.Fatalf("refreshed %+v", next)
		}
	})
}

func TestRefreshRefusesChangedSubject(t *testing.T) {
	k, op := setupOP(t, nil)
	c := browser(t)
	if code, final, _ := signIn(t, c, k); code != 200 || final.Path != "/libraries" {
		t.Fatalf("sign-in: %d %s", code, final)
	}
	sess, err := k.RP.store.Session(t.Context(), sessionCookie(c, k.URL), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	op.SetTamper(func(m map[string]any) *rsa.PrivateKey { m["sub"] = "someone-else"; return nil })
	if _, err := k.RP.Refresh(t.Context(), sess); err == nil {
		t.Fatal("a refresh changing sub was accepted")
	}
}

var dataCode = regexp.MustCompile(`data-code="([a-z_]+)"`)

func TestSignInRefusals(t *testing.T) {
	k, op := setupOP(t, nil)
	_, otherKey := testKeys(t)
	cases := []struct {
		name   string
		tamper func(map[string]any) *rsa.PrivateKey
		amr    []string
		want   string
	}{
		{"wrong audience", func(m map[string]any) *rsa.PrivateKey { m["aud"] = "another-client"; return nil }, nil, "token"},
		{"second audience without azp", func(m map[string]any) *rsa.PrivateKey {
			m["aud"] = []string{"kaz", "other"}
			delete(m, "azp")
			return nil
		}, nil, "token"},
		{"expired token", func(m map[string]any) *rsa.PrivateKey {
			m["exp"] = time.Now().Add(-time.Hour).Unix()
			m["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			return nil
		}, nil, "token"},
		{"bad signature", func(m map[string]any) *rsa.PrivateKey { return otherKey }, nil, "token"},
		{"nonce mismatch", func(m map[string]any) *rsa.PrivateKey { m["nonce"] = "not-the-nonce"; return nil }, nil, "token"},
		{"other issuer", func(m map[string]any) *rsa.PrivateKey { m["iss"] = "https://evil.example"; return nil }, nil, "issuer"},
		{"missing second factor", nil, []string{"pwd"}, "mfa_required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op.SetTamper(tc.tamper)
			defer op.SetTamper(nil)
			amr := tc.amr
			if amr == nil {
				amr = []string{"pwd", "otp"}
			}
			op.SetNextLogin(t, amr, "urn:test")
			defer op.SetNextLogin(t, []string{"pwd", "otp"}, "urn:test")
			c := browser(t) // a fresh browser: a new login at the provider
			code, final, body := signIn(t, c, k)
			assertRefused(t, c, k, code, final, body, tc.want)
		})
	}

	t.Run("state mismatch", func(t *testing.T) {
		c := browser(t)
		cb := stopAtCallback(t, c, k)
		q := cb.Query()
		q.Set("state", "forged-state")
		cb.RawQuery = q.Encode()
		code, final, body := follow(t, c, cb.String())
		assertRefused(t, c, k, code, final, body, "state")
	})
	t.Run("state from another browser", func(t *testing.T) {
		c := browser(t)
		cb := stopAtCallback(t, c, k)
		other := browser(t)
		code, final, body := follow(t, other, cb.String())
		assertRefused(t, other, k, code, final, body, "state")
	})
	t.Run("state used twice", func(t *testing.T) {
		c := browser(t)
		cb := stopAtCallback(t, c, k)
		state := cb.Query().Get("state")
		if code, _, _ := follow(t, c, cb.String()); code != http.StatusOK {
			t.Fatalf("first callback: %d", code)
		}
		// Replay with the same state cookie re-planted.
		u, _ := url.Parse(k.URL + "/auth/")
		c.Jar.SetCookies(u, []*http.Cookie{{Name: stateCookie, Value: hashState(state), Path: "/auth/"}})
		code, _, body := follow(t, c, cb.String())
		if code != http.StatusBadRequest || !strings.Contains(body, `data-code="state"`) {
			t.Fatalf("replayed callback: %d %.200s", code, body)
		}
		k.DB.Exec(`DELETE FROM auth_sessions`)
	})
	t.Run("user name taken by another identity", func(t *testing.T) {
		k.DB.Exec(`DELETE FROM auth_identities`)
		if _, err := k.RP.store.BindIdentity(t.Context(), op.Issuer, "someone-else", "alice"); err != nil {
			t.Fatal(err)
		}
		defer k.DB.Exec(`DELETE FROM auth_identities`)
		c := browser(t)
		code, final, body := signIn(t, c, k)
		assertRefused(t, c, k, code, final, body, "account")
	})
	t.Run("iss parameter of another issuer", func(t *testing.T) {
		c := browser(t)
		cb := stopAtCallback(t, c, k)
		q := cb.Query()
		q.Set("iss", "https://evil.example")
		cb.RawQuery = q.Encode()
		code, final, body := follow(t, c, cb.String())
		assertRefused(t, c, k, code, final, body, "issuer")
	})
}

func assertRefused(t *testing.T, c *http.Client, k *kazRP, code int, final *url.URL, body, want string) {
	t.Helper()
	if code < 400 || code >= 500 {
		t.Errorf("status %d at %s, want a 4xx refusal page", code, final)
	}
	m := dataCode.FindStringSubmatch(body)
	if m == nil || m[1] != want {
		t.Errorf("refusal code %v, want %q; body %.400s", m, want, body)
	}
	if !strings.Contains(body, "Connexion refusée") || !strings.Contains(body, "Sign-in refused") {
		t.Errorf("refusal page is not bilingual: %.300s", body)
	}
	if tok := sessionCookie(c, k.URL); tok != "" {
		t.Errorf("a session cookie was set: %q", tok)
	}
	if code, _ := me(t, c, k); code != http.StatusUnauthorized {
		t.Errorf("/api/me after refusal = %d, want 401", code)
	}
	var n int
	k.DB.QueryRow(`SELECT COUNT(*) FROM auth_sessions`).Scan(&n)
	if n != 0 {
		t.Errorf("%d sessions exist after a refusal", n)
	}
}

// stopAtCallback runs the flow up to the redirect to Kaz's callback and
// returns that URL without requesting it.
func stopAtCallback(t *testing.T, c *http.Client, k *kazRP) *url.URL {
	t.Helper()
	var cb *url.URL
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), k.URL+CallbackPath) {
			cb = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer func() { c.CheckRedirect = nil }()
	resp, err := c.Get(k.URL + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cb == nil {
		t.Fatalf("the flow did not reach the callback (status %d at %s)", resp.StatusCode, resp.Request.URL)
	}
	return cb
}

func follow(t *testing.T, c *http.Client, u string) (int, *url.URL, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL, string(b)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

func TestBackchannelLogoutFromProviderEndsSession(t *testing.T) {
	k, op := setupOP(t, func(c *Config) { c.RevokeAppPasswordsOnLogout = true })
	c := browser(t)
	if code, final, _ := signIn(t, c, k); code != 200 || final.Path != "/libraries" {
		t.Fatalf("sign-in: %d %s", code, final)
	}
	code, m := me(t, c, k)
	if code != 200 {
		t.Fatal("not signed in")
	}
	sess, _ := k.RP.store.Session(t.Context(), sessionCookie(c, k.URL), time.Hour)
	if sess.SID == "" {
		t.Fatal("the ID token carried no sid")
	}
	_, secret, err := k.RP.store.CreateAppPassword(t.Context(), "alice", "laptop", sess.IDHash, sess.SID)
	if err != nil {
		t.Fatal(err)
	}
	_ = m
	// Sign out at the provider (as from another application): it confirms,
	// then calls Kaz's back-channel logout endpoint.
	code, _, body := follow(t, c, op.Issuer+"/session/end")
	if code != 200 {
		t.Fatalf("end session page: %d %.300s", code, body)
	}
	form := url.Values{"logout": {"yes"}}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], m[2])
	}
	resp, err := c.PostForm(op.Issuer+"/session/end/confirm", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := me(t, c, k)
		if code == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session still alive 10 s after the provider's logout (/api/me %d)", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	req, _ := http.NewRequest("GET", k.URL+"/api/me", nil)
	req.SetBasicAuth("alice", secret)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("app password derived from the ended session: %d, want 401", resp.StatusCode)
	}
}

func TestBackchannelLogoutTokenChecks(t *testing.T) {
	k, op := setupOP(t, nil)
	c := browser(t)
	if code, _, _ := signIn(t, c, k); code != 200 {
		t.Fatal("sign-in failed")
	}
	sess, err := k.RP.store.Session(t.Context(), sessionCookie(c, k.URL), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey := testKeys(t)
	now := time.Now()
	base := func() map[string]any {
		return map[string]any{
			"iss": op.Issuer, "aud": "kaz", "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
			"jti": randomToken(), "sid": sess.SID, "sub": sess.Subject,
			"events": map[string]any{backchannelEvent: map[string]any{}},
		}
	}
	post := func(tok string) int {
		resp, err := http.PostForm(k.URL+BackchannelPath, url.Values{"logout_token": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	bad := []struct {
		name string
		edit func(map[string]any)
		key  *rsa.PrivateKey
	}{
		{"nonce present", func(m map[string]any) { m["nonce"] = "n" }, nil},
		{"wrong audience", func(m map[string]any) { m["aud"] = "other" }, nil},
		{"wrong issuer", func(m map[string]any) { m["iss"] = "https://evil.example" }, nil},
		{"no events", func(m map[string]any) { delete(m, "events") }, nil},
		{"events not an object", func(m map[string]any) { m["events"] = map[string]any{backchannelEvent: "x"} }, nil},
		{"no sid nor sub", func(m map[string]any) { delete(m, "sid"); delete(m, "sub") }, nil},
		{"no iat", func(m map[string]any) { delete(m, "iat") }, nil},
		{"expired", func(m map[string]any) { m["exp"] = now.Add(-time.Minute).Unix() }, nil},
		{"bad signature", func(m map[string]any) {}, otherKey},
	}
	for _, tc := range bad {
		m := base()
		tc.edit(m)
		key := tc.key
		if key == nil {
			key = op.Key
		}
		if code := post(signJWT(t, key, op.Kid, "logout+jwt", m)); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tc.name, code)
		}
	}
	if code, _ := me(t, c, k); code != 200 {
		t.Fatal("an invalid logout token ended the session")
	}
	good := signJWT(t, op.Key, op.Kid, "logout+jwt", base())
	if code := post(good); code != http.StatusOK {
		t.Fatalf("valid logout token: %d", code)
	}
	if code, _ := me(t, c, k); code != http.StatusUnauthorized {
		t.Fatal("session alive after a valid logout token")
	}
	if code := post(good); code != http.StatusBadRequest {
		t.Fatalf("replayed jti: %d, want 400", code)
	}
}

func TestRPInitiatedLogout(t *testing.T) {
	k, op := setupOP(t, nil)
	c := browser(t)
	if code, _, _ := signIn(t, c, k); code != 200 {
		t.Fatal("sign-in failed")
	}
	// GET shows a confirmation form; it does not sign out.
	code, _, body := follow(t, c, k.URL+LogoutPath)
	if code != 200 || !strings.Contains(body, `data-code="confirm_logout"`) {
		t.Fatalf("logout page: %d %.300s", code, body)
	}
	if code, _ := me(t, c, k); code != 200 {
		t.Fatal("GET /auth/logout signed out")
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// Without the CSRF token: refused.
	resp, err := c.PostForm(k.URL+LogoutPath, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without CSRF token: %d", resp.StatusCode)
	}
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], m[2])
	}
	resp, err = c.PostForm(k.URL+LogoutPath, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), op.Issuer) ||
		loc.Query().Get("id_token_hint") == "" || loc.Query().Get("post_logout_redirect_uri") != k.URL+PostLogoutPath {
		t.Fatalf("logout redirect: %d %s", resp.StatusCode, loc)
	}
	c.CheckRedirect = nil
	if code, _ := me(t, c, k); code != http.StatusUnauthorized {
		t.Fatal("still signed in after logout")
	}
	// The provider accepts the hint and the post-logout URI.
	code, _, body = follow(t, c, loc.String())
	if code != 200 || !strings.Contains(body, "logout") {
		t.Fatalf("provider's end_session answered %d: %.300s", code, body)
	}
}

func TestDiscoveryIsLazyAndRetried(t *testing.T) {
	k := newKaz(t)
	op := startOP(t, k.URL, testAccount)
	op.SetDown(true)
	cfg := DefaultConfig()
	cfg.Issuer, cfg.ClientID, cfg.ClientSecret = op.Issuer, "kaz", "kaz-test-secret"
	k.open(t, cfg) // the provider is down: the relying party starts anyway
	k.RP.retry = 0
	c := browser(t)
	code, _, body := follow(t, c, k.URL+LoginPath)
	if code != http.StatusBadGateway || !strings.Contains(body, `data-code="provider"`) {
		t.Fatalf("login with the provider down: %d %.200s", code, body)
	}
	op.SetDown(false)
	if code, final, body := signIn(t, c, k); code != http.StatusOK || final.Path != "/libraries" {
		t.Fatalf("login once the provider is back: %d %s %.200s", code, final, body)
	}
}

func TestBearerAccessTokens(t *testing.T) {
	k, op := setupOP(t, nil)
	c := browser(t)
	if code, _, _ := signIn(t, c, k); code != 200 {
		t.Fatal("sign-in failed")
	}
	_, otherKey := testKeys(t)
	now := time.Now()
	claims := func(edit func(map[string]any)) map[string]any {
		m := map[string]any{
			"iss": op.Issuer, "aud": "kaz", "sub": testAccount["sub"], "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
			"client_id": "kaz", "jti": randomToken(), "amr": []string{"pwd", "otp"},
		}
		if edit != nil {
			edit(m)
		}
		return m
	}
	call := func(tok string) (int, string) {
		return getStatus(t, http.DefaultClient, k.URL+"/api/me", "Authorization", "Bearer "+tok)
	}
	if code, body := call(signJWT(t, op.Key, op.Kid, "at+jwt", claims(nil))); code != 200 || !strings.Contains(body, `"method":"bearer"`) || !strings.Contains(body, `"user":"alice"`) {
		t.Fatalf("valid access token: %d %s", code, body)
	}
	if code, _ := call(signJWT(t, op.Key, op.Kid, "at+jwt", claims(func(m map[string]any) { m["aud"] = k.URL }))); code != 200 {
		t.Fatalf("access token for Kaz's URL: %d", code)
	}
	for _, tc := range []struct {
		name string
		typ  string
		key  *rsa.PrivateKey
		edit func(map[string]any)
	}{
		{"an ID token", "JWT", nil, nil},
		{"another audience", "at+jwt", nil, func(m map[string]any) { m["aud"] = "other-api" }},
		{"expired", "at+jwt", nil, func(m map[string]any) { m["exp"] = now.Add(-time.Minute).Unix() }},
		{"no second factor", "at+jwt", nil, func(m map[string]any) { m["amr"] = []string{"pwd"} }},
		{"bad signature", "at+jwt", otherKey, nil},
		{"unknown identity", "at+jwt", nil, func(m map[string]any) { m["sub"] = "never-signed-in" }},
	} {
		key := tc.key
		if key == nil {
			key = op.Key
		}
		if code, _ := call(signJWT(t, key, op.Kid, tc.typ, claims(tc.edit))); code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", tc.name, code)
		}
	}
	if code, _ := call("opaque-token"); code != http.StatusUnauthorized {
		t.Errorf("opaque token: %d", code)
	}
}

// Office's sequence ([MS-OFBA] 3.1.5): the document request answers 403
// with the login and return URLs; Office shows the login URL in a dialog
// until it reaches the return URL, then repeats the request with the
// dialog's cookies.
func TestOFBASequenceWithRealSignIn(t *testing.T) {
	k, _ := setupOP(t, nil)
	office := browser(t)
	ua := "Microsoft Office Word 2014 (16.0.17928) Windows NT 10.0"
	req, _ := http.NewRequest("PROPFIND", k.URL+"/dav/lib/rapport.docx", nil)
	req.Header.Set("X-FORMS_BASED_AUTH_ACCEPTED", "t")
	req.Header.Set("User-Agent", ua)
	resp, err := office.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	login, done := resp.Header.Get("X-FORMS_BASED_AUTH_REQUIRED"), resp.Header.Get("X-FORMS_BASED_AUTH_RETURN_URL")
	if resp.StatusCode != http.StatusForbidden || login == "" || done == "" {
		t.Fatalf("challenge: %d %v", resp.StatusCode, resp.Header)
	}
	code, final, _ := follow(t, office, login)
	if code != http.StatusOK || final.String() != done {
		t.Fatalf("dialog ended at %d %s, want the return URL %s", code, final, done)
	}
	code, body := do(t, office, "PROPFIND", k.URL+"/dav/lib/rapport.docx", nil, "User-Agent", ua)
	if code != http.StatusOK || body != "dav alice ofba" {
		t.Fatalf("document request after sign-in: %d %s", code, body)
	}
}
