package idp

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

const alicePW = "correct horse battery"

type idClaims struct {
	AMR               []string `json:"amr"`
	ACR               string   `json:"acr"`
	SID               string   `json:"sid"`
	AZP               string   `json:"azp"`
	Groups            []string `json:"groups"`
	PreferredUsername string   `json:"preferred_username"`
	Nonce             string   `json:"nonce"`
}

func claimsOf(t *testing.T, idt *oidc.IDToken) idClaims {
	t.Helper()
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func hasAll(have []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// signInTOTP runs a whole sign-in of a user with TOTP and returns tokens.
func (e *testEnv) signInTOTP(c *http.Client, r *rp, user, pw, secret string) (*oauth2.Token, *oidc.IDToken) {
	e.t.Helper()
	pg := e.password(c, r.start(c), user, pw)
	if pg.code != http.StatusSeeOther || !strings.Contains(pg.loc, "/idp/login/factor") {
		e.t.Fatalf("password step: %d %q %s", pg.code, pg.loc, pg.body)
	}
	pg = e.submit(c, pg.loc, "/idp/login/totp", url.Values{"code": {e.nextCode(user, secret)}})
	if pg.code != http.StatusSeeOther || !strings.Contains(pg.loc, "/idp/authorize/callback") {
		e.t.Fatalf("totp step: %d %q %s", pg.code, pg.loc, pg.body)
	}
	return r.finish(c, pg.loc)
}

func TestDiscoveryShowsIssuerPathAndCapabilities(t *testing.T) {
	e := newTestEnv(t, nil)
	c := newBrowser(t)
	pg := e.do(c, "GET", "/idp/.well-known/openid-configuration", nil)
	if pg.code != http.StatusOK {
		t.Fatalf("discovery: %d", pg.code)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(pg.body), &d); err != nil {
		t.Fatal(err)
	}
	if d["issuer"] != e.url+"/idp" {
		t.Errorf("issuer = %v", d["issuer"])
	}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"} {
		if s, _ := d[k].(string); !strings.HasPrefix(s, e.url+"/idp/") {
			t.Errorf("%s = %v, want under %s/idp/", k, d[k], e.url)
		}
	}
	if d["backchannel_logout_supported"] != true || d["backchannel_logout_session_supported"] != true {
		t.Errorf("back-channel logout not advertised: %v", d)
	}
	if m, _ := d["code_challenge_methods_supported"].([]any); !slices.Contains(m, any("S256")) {
		t.Errorf("code_challenge_methods_supported = %v", d["code_challenge_methods_supported"])
	}
}

func TestCodeFlowWithPasswordAndTOTP(t *testing.T) {
	e := newTestEnv(t, nil)
	e.addUser("alice", alicePW, "staff", "admins")
	en, err := newTOTP("alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.p.SetTOTP(t.Context(), "alice", en.Secret); err != nil {
		t.Fatal(err)
	}
	c, r := newBrowser(t), e.newRP()
	tok, idt := e.signInTOTP(c, r, "alice", alicePW, en.Secret)
	cl := claimsOf(t, idt)
	if idt.Subject != "alice" || idt.Issuer != e.url+"/idp" {
		t.Errorf("sub %q iss %q", idt.Subject, idt.Issuer)
	}
	if !hasAll(cl.AMR, "pwd", "otp", "mfa") || cl.ACR != ACRMFA {
		t.Errorf("amr %v acr %q, want pwd+otp+mfa and %q", cl.AMR, cl.ACR, ACRMFA)
	}
	if cl.SID == "" || cl.AZP != "kaz" || cl.PreferredUsername != "alice" || !hasAll(cl.Groups, "staff", "admins") {
		t.Errorf("claims %+v", cl)
	}
	ctx := t.Context()
	ui, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if ui.Subject != idt.Subject {
		t.Errorf("userinfo sub %q, id_token sub %q", ui.Subject, idt.Subject)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token")
	}

	// Refresh: same iss and sub, amr kept, the old refresh token is spent.
	ref, err := r.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	raw, _ := ref.Extra("id_token").(string)
	idt2, err := r.provider.Verifier(&oidc.Config{ClientID: "kaz"}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("refreshed id_token: %v", err)
	}
	if idt2.Subject != idt.Subject || idt2.Issuer != idt.Issuer || !hasAll(claimsOf(t, idt2).AMR, "pwd", "otp", "mfa") || claimsOf(t, idt2).SID != cl.SID {
		t.Errorf("refreshed token differs: %+v %+v", idt2, claimsOf(t, idt2))
	}
	if _, err := r.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Error("a spent refresh token was accepted again")
	}

	// RP-initiated logout ends the session and sends a logout token.
	idRaw, _ := tok.Extra("id_token").(string)
	q := url.Values{"id_token_hint": {idRaw}, "post_logout_redirect_uri": {e.url + "/"}}
	pg := e.do(c, "GET", "/idp/end_session?"+q.Encode(), nil)
	if pg.code != http.StatusFound || pg.loc != e.url+"/" {
		t.Fatalf("end_session: %d %q %s", pg.code, pg.loc, pg.body)
	}
	toks := e.tokens()
	if len(toks) != 1 {
		t.Fatalf("%d logout tokens, want 1", len(toks))
	}
	checkLogoutToken(t, e, r, toks[0], "alice", cl.SID)
	if _, err := r.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: ref.RefreshToken}).Token(); err == nil {
		t.Error("refresh token still works after logout")
	}
}

func checkLogoutToken(t *testing.T, e *testEnv, r *rp, raw, user, sid string) {
	t.Helper()
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if typ, _ := jws.Signatures[0].Protected.ExtraHeaders["typ"].(string); typ != "logout+jwt" {
		t.Errorf("typ = %q", typ)
	}
	payload, err := oidc.NewRemoteKeySet(t.Context(), e.url+"/idp/keys").VerifySignature(t.Context(), raw)
	if err != nil {
		t.Fatalf("logout token signature: %v", err)
	}
	var c map[string]any
	json.Unmarshal(payload, &c)
	ev, _ := c["events"].(map[string]any)
	if c["iss"] != e.url+"/idp" || c["aud"] != "kaz" && !slices.Contains(anyList(c["aud"]), "kaz") || c["sub"] != user || c["sid"] != sid || ev[backchannelEvent] == nil || c["jti"] == nil || c["iat"] == nil {
		t.Errorf("logout token claims %v", c)
	}
	if _, ok := c["nonce"]; ok {
		t.Error("logout token carries a nonce")
	}
}

func anyList(v any) []any { l, _ := v.([]any); return l }

func TestFirstSignInEnrolsTOTPAndShowsRecoveryCodesOnce(t *testing.T) {
	e := newTestEnv(t, nil)
	e.addUser("bob", alicePW)
	c, r := newBrowser(t), e.newRP()
	pg := e.password(c, r.start(c), "bob", alicePW)
	if pg.code != http.StatusSeeOther || !strings.Contains(pg.loc, "/idp/login/enrol") {
		t.Fatalf("password step: %d %q", pg.code, pg.loc)
	}
	enrol := e.do(c, "GET", pg.loc, nil)
	secret := field(t, reSec, enrol.body)
	if !strings.Contains(enrol.body, `src="data:image/png;base64,`) {
		t.Error("no QR code image")
	}
	bad := e.do(c, "POST", "/idp/login/enrol/totp", url.Values{"authRequestID": {field(t, reID, enrol.body)}, "csrf": {field(t, reCSRF, enrol.body)}, "code": {"000000"}})
	if bad.code != http.StatusUnauthorized || !strings.Contains(bad.body, "Code incorrect") {
		t.Errorf("wrong code: %d", bad.code)
	}
	pg = e.submit(c, pg.loc, "/idp/login/enrol/totp", url.Values{"code": {e.nextCode("bob", secret)}})
	if pg.code != http.StatusSeeOther || !strings.Contains(pg.loc, "/idp/login/codes") {
		t.Fatalf("enrol: %d %q %s", pg.code, pg.loc, pg.body)
	}
	codes := e.do(c, "GET", pg.loc, nil)
	if n := len(reCode.FindAllString(codes.body, -1)); n != 10 {
		t.Fatalf("%d recovery codes shown, want 10", n)
	}
	again := e.do(c, "GET", pg.loc, nil)
	if strings.Contains(again.body, "recovery-code-item") {
		t.Error("recovery codes shown twice")
	}
	_, idt := r.finish(c, again.loc)
	if cl := claimsOf(t, idt); !hasAll(cl.AMR, "pwd", "otp", "mfa") {
		t.Errorf("amr %v", cl.AMR)
	}
	f, err := e.p.Factors(t.Context(), "bob")
	if err != nil || !f.TOTP || f.RecoveryLeft != 10 {
		t.Errorf("factors %+v %v", f, err)
	}
}

func TestPasswordOnlyWhenMFANotRequired(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.RequireMFA = false })
	e.addUser("carol", alicePW)
	c, r := newBrowser(t), e.newRP()
	pg := e.password(c, r.start(c), "carol", alicePW)
	if !strings.Contains(pg.loc, "/idp/authorize/callback") {
		t.Fatalf("password step: %d %q", pg.code, pg.loc)
	}
	_, idt := r.finish(c, pg.loc)
	if cl := claimsOf(t, idt); !slices.Equal(cl.AMR, []string{"pwd"}) || cl.ACR != ACRPassword {
		t.Errorf("amr %v acr %q", cl.AMR, cl.ACR)
	}
}

func TestLockoutAfterRepeatedFailures(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.MaxFailures = 3 })
	e.addUser("dave", alicePW)
	c, r := newBrowser(t), e.newRP()
	login := r.start(c)
	for i := 0; i < 2; i++ {
		pg := e.password(c, login, "dave", "wrong password!")
		if pg.code != http.StatusUnauthorized || !strings.Contains(pg.body, "Mot de passe ou identifiant incorrect") {
			t.Fatalf("attempt %d: %d", i, pg.code)
		}
	}
	// An unknown user gets the very same message.
	if pg := e.password(c, login, "nobody", "wrong password!"); !strings.Contains(pg.body, "Mot de passe ou identifiant incorrect") {
		t.Errorf("unknown user: %d", pg.code)
	}
	pg := e.password(c, login, "dave", "wrong password!")
	if pg.code != http.StatusTooManyRequests || !strings.Contains(pg.body, "Trop d&#39;essais : réessayez dans 5 minutes") {
		t.Fatalf("third failure: %d %s", pg.code, pg.body)
	}
	pg = e.password(c, login, "dave", alicePW)
	if pg.code != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d", pg.code)
	}
	// Another user from another address is not affected.
	e.addUser("erin", alicePW)
	if pg := e.password(c, login, "erin", alicePW); pg.code != http.StatusSeeOther {
		t.Errorf("other user: %d", pg.code)
	}
	// English.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", e.url+login, nil)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `<html lang="en">`) || !strings.Contains(string(b), "Sign in to Kaz") {
		t.Errorf("english login page: %d", resp.StatusCode)
	}
}

func TestRecoveryCodeWorksOnce(t *testing.T) {
	e := newTestEnv(t, nil)
	e.addUser("frank", alicePW)
	en, _ := newTOTP("frank")
	e.p.SetTOTP(t.Context(), "frank", en.Secret)
	codes, err := e.p.NewRecoveryCodes(t.Context(), "frank")
	if err != nil {
		t.Fatal(err)
	}
	typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " - "))
	for i, want := range []int{http.StatusSeeOther, http.StatusUnauthorized} {
		c, r := newBrowser(t), e.newRP()
		pg := e.password(c, r.start(c), "frank", alicePW)
		pg = e.submit(c, pg.loc, "/idp/login/recovery", url.Values{"code": {typed}})
		if pg.code != want {
			t.Fatalf("use %d: %d, want %d", i, pg.code, want)
		}
		if i == 0 {
			if _, idt := r.finish(c, pg.loc); !hasAll(claimsOf(t, idt).AMR, "pwd", "mfa") {
				t.Errorf("amr %v", claimsOf(t, idt).AMR)
			}
		} else if !strings.Contains(pg.body, "Code de secours incorrect") {
			t.Errorf("second use message: %s", pg.body)
		}
	}
	if f, _ := e.p.Factors(t.Context(), "frank"); f.RecoveryLeft != 9 {
		t.Errorf("recovery codes left %d, want 9", f.RecoveryLeft)
	}
}

func TestSignInIsBoundToTheBrowser(t *testing.T) {
	e := newTestEnv(t, nil)
	e.addUser("gina", alicePW)
	en, _ := newTOTP("gina")
	e.p.SetTOTP(t.Context(), "gina", en.Secret)
	a, r := newBrowser(t), e.newRP()
	pg := e.password(a, r.start(a), "gina", alicePW)
	other := newBrowser(t)
	if o := e.do(other, "GET", pg.loc, nil); o.code != http.StatusForbidden {
		t.Errorf("another browser sees the second-factor page: %d", o.code)
	}
	pg = e.submit(a, pg.loc, "/idp/login/totp", url.Values{"code": {e.nextCode("gina", en.Secret)}})
	if o := e.do(other, "GET", pg.loc, nil); o.code != http.StatusForbidden {
		t.Errorf("another browser collects the code: %d", o.code)
	}
	// A form without its CSRF token is refused.
	if o := e.do(a, "POST", "/idp/login/totp", url.Values{"authRequestID": {"x"}, "code": {"123456"}}); o.code < 400 {
		t.Errorf("post without csrf: %d", o.code)
	}
	r.finish(a, pg.loc)
}

func TestPKCES256IsRequired(t *testing.T) {
	e := newTestEnv(t, nil)
	c, r := newBrowser(t), e.newRP()
	for _, opts := range [][]oauth2.AuthCodeOption{nil, {oauth2.SetAuthURLParam("code_challenge", "abc"), oauth2.SetAuthURLParam("code_challenge_method", "plain")}} {
		pg := e.do(c, "GET", r.oauth.AuthCodeURL("st", opts...), nil)
		if !strings.Contains(pg.loc, "error=invalid_request") {
			t.Errorf("without S256: %d %q", pg.code, pg.loc)
		}
	}
}

func TestDisablingAUserEndsSessionsAndRefresh(t *testing.T) {
	e := newTestEnv(t, nil)
	e.addUser("hank", alicePW)
	en, _ := newTOTP("hank")
	e.p.SetTOTP(t.Context(), "hank", en.Secret)
	c, r := newBrowser(t), e.newRP()
	tok, idt := e.signInTOTP(c, r, "hank", alicePW, en.Secret)
	if err := e.p.DisableUser(t.Context(), "hank"); err != nil {
		t.Fatal(err)
	}
	toks := e.tokens()
	if len(toks) != 1 {
		t.Fatalf("%d logout tokens", len(toks))
	}
	checkLogoutToken(t, e, r, toks[0], "hank", claimsOf(t, idt).SID)
	if _, err := r.oauth.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Error("refresh works for a disabled user")
	}
	c2, r2 := newBrowser(t), e.newRP()
	if pg := e.password(c2, r2.start(c2), "hank", alicePW); pg.code != http.StatusForbidden || !strings.Contains(pg.body, "désactivé") {
		t.Errorf("disabled sign-in: %d", pg.code)
	}
}

func TestSigningKeyAndClientSecretSurviveRestart(t *testing.T) {
	e := newTestEnv(t, nil)
	p2, err := New(t.Context(), Options{DB: e.db, Dir: e.dir, PublicURL: e.url})
	if err != nil {
		t.Fatal(err)
	}
	if p2.key.id != e.p.key.id || !p2.key.key.Equal(e.p.key.key) {
		t.Error("signing key changed across restart")
	}
	if s, _ := p2.ClientSecret(t.Context(), "kaz"); s != e.secret {
		t.Error("client secret changed across restart")
	}
}

func TestAuthorizationCodeExpiresAndIsSingleUse(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.RequireMFA = false })
	e.addUser("nina", alicePW)
	for _, late := range []bool{false, true} {
		c, r := newBrowser(t), e.newRP()
		pg := e.password(c, r.start(c), "nina", alicePW)
		cb := e.do(c, "GET", pg.loc, nil)
		loc, _ := url.Parse(cb.loc)
		code := loc.Query().Get("code")
		if late {
			if _, err := e.p.AuthRequestByCode(t.Context(), code); err != nil {
				t.Fatalf("fresh code: %v", err)
			}
			// (Called directly, not over HTTP, so that changing the clock
			// races with no handler.)
			e.p.now = func() time.Time { return time.Now().Add(11 * time.Minute) }
			if _, err := e.p.AuthRequestByCode(t.Context(), code); err == nil {
				t.Error("an 11-minute-old code was accepted")
			}
			e.p.now = time.Now
			continue
		}
		if _, err := r.oauth.Exchange(t.Context(), code, oauth2.VerifierOption("wrong-verifier-wrong-verifier-wrong-verifier")); err == nil {
			t.Error("a wrong PKCE verifier was accepted")
		}
		if _, err := r.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(r.verifier)); err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if _, err := r.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(r.verifier)); err == nil {
			t.Error("a code was exchanged twice")
		}
	}
}

func TestEndSessionWithoutHintShowsSignedOutPage(t *testing.T) {
	e := newTestEnv(t, nil)
	c := newBrowser(t)
	pg := e.do(c, "GET", "/idp/end_session", nil)
	if pg.code != http.StatusFound || !strings.HasSuffix(pg.loc, "/idp/logged-out") {
		t.Fatalf("end_session: %d %q", pg.code, pg.loc)
	}
	out := e.do(c, "GET", "/idp/logged-out?lang=en", nil)
	if out.code != http.StatusOK || !strings.Contains(out.body, "You are signed out") {
		t.Errorf("logged-out page: %d", out.code)
	}
	// ?lang=en was remembered in a cookie.
	if pg := e.do(c, "GET", "/idp/login?authRequestID=unknown", nil); pg.code != http.StatusNotFound || !strings.Contains(pg.body, "Sign-in request expired") {
		t.Errorf("unknown request: %d", pg.code)
	}
}
