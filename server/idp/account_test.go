package idp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/kazhq/kaz/server/auth"
)

// accountCall runs one account API request as user (method "session",
// signed in just now, or "apppassword").
func accountCall(t *testing.T, e *testEnv, user, method, verb, path, body string) (int, map[string]any) {
	t.Helper()
	return accountCallAt(t, e, user, method, time.Now(), verb, path, body)
}

func accountCallAt(t *testing.T, e *testEnv, user, method string, signedIn time.Time, verb, path, body string) (int, map[string]any) {
	t.Helper()
	mux := http.NewServeMux()
	e.p.AccountRoutes(mux)
	req := httptest.NewRequestWithContext(t.Context(), verb, path, strings.NewReader(body))
	pr := &auth.Principal{User: user, Method: method}
	if method == "session" {
		pr.SignedIn = signedIn
	}
	req = req.WithContext(auth.WithPrincipal(req.Context(), pr))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	var out map[string]any
	json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func TestAccountAPIManagesTOTPAndRecoveryCodes(t *testing.T) {
	e := newTestEnv(t, nil)
	e.addUser("kim", alicePW)
	code, f := accountCall(t, e, "kim", "session", "GET", "/api/account/mfa", "")
	if code != 200 || f["totp"] != false || f["recovery_codes_left"] != float64(0) || f["require_mfa"] != true {
		t.Fatalf("initial factors: %d %v", code, f)
	}
	if code, _ := accountCall(t, e, "kim", "apppassword", "POST", "/api/account/mfa/totp", "{}"); code != http.StatusForbidden {
		t.Errorf("app password may enrol a factor: %d", code)
	}
	code, en := accountCall(t, e, "kim", "session", "POST", "/api/account/mfa/totp", "{}")
	if code != 200 || !strings.HasPrefix(en["qr"].(string), "data:image/png;base64,") {
		t.Fatalf("begin: %d %v", code, en)
	}
	key, err := otp.NewKeyFromURL(en["otpauth_url"].(string))
	if err != nil || key.Secret() != en["secret"] {
		t.Fatalf("otpauth url: %v", err)
	}
	if code, _ := accountCall(t, e, "kim", "session", "POST", "/api/account/mfa/totp/confirm", `{"code":"000000"}`); code != http.StatusBadRequest {
		t.Errorf("wrong code: %d", code)
	}
	code, res := accountCall(t, e, "kim", "session", "POST", "/api/account/mfa/totp/confirm", `{"code":"`+e.nextCode("kim", key.Secret())+`"}`)
	if code != 200 || len(res["recovery_codes"].([]any)) != 10 {
		t.Fatalf("confirm: %d %v", code, res)
	}
	if code, f = accountCall(t, e, "kim", "session", "GET", "/api/account/mfa", ""); f["totp"] != true || f["recovery_codes_left"] != float64(10) {
		t.Errorf("after enrolment: %v", f)
	}
	// The only factor cannot be removed while MFA is required.
	if code, _ := accountCall(t, e, "kim", "session", "DELETE", "/api/account/mfa/totp", ""); code != http.StatusConflict {
		t.Errorf("remove last factor: %d", code)
	}
	code, res = accountCall(t, e, "kim", "session", "POST", "/api/account/mfa/recovery-codes", "")
	if code != 200 || len(res["recovery_codes"].([]any)) != 10 {
		t.Errorf("regenerate: %d %v", code, res)
	}
	if code, _ := accountCall(t, e, "kim", "session", "DELETE", "/api/account/mfa/webauthn/nope", ""); code != http.StatusNotFound {
		t.Errorf("remove unknown key: %d", code)
	}
	// IP-addressed test server: keys are reported unavailable.
	if code, _ := accountCall(t, e, "kim", "session", "POST", "/api/account/mfa/webauthn/begin", `{"name":"k"}`); code != http.StatusConflict {
		t.Errorf("key begin without a host name: %d", code)
	}
}

func TestResetMFAMakesTheUserEnrolAgain(t *testing.T) {
	e := newTestEnv(t, nil)
	e.addUser("lea", alicePW)
	en, _ := newTOTP("lea")
	e.p.SetTOTP(t.Context(), "lea", en.Secret)
	e.p.NewRecoveryCodes(t.Context(), "lea")
	if err := e.p.ResetMFA(t.Context(), "lea"); err != nil {
		t.Fatal(err)
	}
	if f, _ := e.p.Factors(t.Context(), "lea"); f.Has() || f.RecoveryLeft != 0 {
		t.Errorf("factors after reset: %+v", f)
	}
	c, r := newBrowser(t), e.newRP()
	if pg := e.password(c, r.start(c), "lea", alicePW); !strings.Contains(pg.loc, "/idp/login/enrol") {
		t.Errorf("after reset: %d %q", pg.code, pg.loc)
	}
}

// TestAccountAPIWantsARecentSignIn: a session signed in long ago (a
// browser left open) reads its factors but may not change them; the
// client is told to sign in again (reason "reauth").
func TestAccountAPIWantsARecentSignIn(t *testing.T) {
	e := newTestEnv(t, nil)
	e.addUser("kim", alicePW)
	old := time.Now().Add(-RecentSignIn - time.Minute)
	if code, _ := accountCallAt(t, e, "kim", "session", old, "GET", "/api/account/mfa", ""); code != 200 {
		t.Errorf("reading factors with an old sign-in: %d", code)
	}
	for _, c := range []struct{ verb, path string }{
		{"POST", "/api/account/mfa/totp"},
		{"DELETE", "/api/account/mfa/totp"},
		{"POST", "/api/account/mfa/webauthn/begin"},
		{"DELETE", "/api/account/mfa/webauthn/abc"},
		{"POST", "/api/account/mfa/recovery-codes"},
	} {
		code, out := accountCallAt(t, e, "kim", "session", old, c.verb, c.path, "{}")
		if code != http.StatusForbidden || out["reason"] != "reauth" {
			t.Errorf("%s %s with an old sign-in = %d %v, want 403 reauth", c.verb, c.path, code, out)
		}
	}
	if code, _ := accountCallAt(t, e, "kim", "session", time.Now().Add(-time.Minute), "POST", "/api/account/mfa/totp", "{}"); code != 200 {
		t.Errorf("enrolling a minute after signing in: %d", code)
	}
}
