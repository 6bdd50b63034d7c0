package idp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pquerna/otp"

	"github.com/kazhq/kaz/server/auth"
)

// accountCall runs one account API request as user (method "session" or
// "apppassword").
func accountCall(t *testing.T, e *testEnv, user, method, verb, path, body string) (int, map[string]any) {
	t.Helper()
	mux := http.NewServeMux()
	e.p.AccountRoutes(mux)
	req := httptest.NewRequestWithContext(t.Context(), verb, path, strings.NewReader(body))
	req = req.WithContext(auth.WithPrincipal(req.Context(), &auth.Principal{User: user, Method: method}))
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
