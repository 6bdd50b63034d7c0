package idp

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/pquerna/otp"

	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/internal/reqctx"
	"github.com/kazhq/kaz/server/auth"
)

// AccountRoutes registers the second-factor management API of the signed-in
// user on api (the authenticated /api/ mux):
//
//	GET    /api/account/mfa                      factors, keys, recovery codes left
//	POST   /api/account/mfa/totp                 start enrolling an authenticator app
//	POST   /api/account/mfa/totp/confirm         {code}: finish it
//	DELETE /api/account/mfa/totp                 remove the authenticator app
//	POST   /api/account/mfa/webauthn/begin       {name}: start registering a key
//	POST   /api/account/mfa/webauthn/finish      the browser's credential
//	DELETE /api/account/mfa/webauthn/{id}        remove a key
//	POST   /api/account/mfa/recovery-codes       new recovery codes (shown once)
//
// Only a browser session may change factors (not an app password).
func (p *Provider) AccountRoutes(api *http.ServeMux) {
	h := func(fn httperr.Func) http.Handler { return httperr.Handler(p.log, fn) }
	api.Handle("GET /api/account/mfa", h(p.apiFactors))
	api.Handle("POST /api/account/mfa/totp", h(p.apiTOTPBegin))
	api.Handle("POST /api/account/mfa/totp/confirm", h(p.apiTOTPConfirm))
	api.Handle("DELETE /api/account/mfa/totp", h(p.apiTOTPDelete))
	api.Handle("POST /api/account/mfa/webauthn/begin", h(p.apiKeyBegin))
	api.Handle("POST /api/account/mfa/webauthn/finish", h(p.apiKeyFinish))
	api.Handle("DELETE /api/account/mfa/webauthn/{id}", h(p.apiKeyDelete))
	api.Handle("POST /api/account/mfa/recovery-codes", h(p.apiRecoveryCodes))
	api.Handle("POST /api/account/password", h(p.apiChangePassword))
}

// ExternalAccountRoutes registers GET /api/account/mfa for deployments
// with an external provider: second factors are managed there.
func ExternalAccountRoutes(api *http.ServeMux) {
	api.Handle("GET /api/account/mfa", httperr.Handler(nil, func(w http.ResponseWriter, r *http.Request) error {
		httperr.WriteJSON(w, http.StatusOK, Factors{External: true, Keys: []KeyInfo{}})
		return nil
	}))
}

var (
	errNeedSession = httperr.New(http.StatusForbidden, "second factors can only be changed from a browser session", nil)
	errNoKeys      = httperr.New(http.StatusConflict, "security keys need Kaz to be reached by a host name, not an IP address: ask your administrator", nil)
	errNoPending   = httperr.New(http.StatusConflict, "no enrolment in progress, or it expired: start again", nil)
)

// RecentSignIn is how old a sign-in may be for its session to change second
// factors: someone who finds a browser left open may not swap the agent's
// authenticator for theirs, nor take new recovery codes.
const RecentSignIn = 15 * time.Minute

// errReauth asks the web client to sign in again (reason "reauth").
var errReauth = &httperr.Error{Code: http.StatusForbidden, Reason: "reauth",
	Msg: "for your security, sign in again before changing your second factors"}

// accountUser is the signed-in user; needSession: from a browser session
// signed in less than RecentSignIn ago (the factor changes).
func (p *Provider) accountUser(r *http.Request, needSession bool) (string, error) {
	pr, ok := auth.FromContext(r.Context())
	if !ok {
		return "", httperr.New(http.StatusUnauthorized, "authentication required", nil)
	}
	if needSession && pr.Method != "session" {
		return "", errNeedSession
	}
	if needSession && (pr.SignedIn.IsZero() || p.now().Sub(pr.SignedIn) > RecentSignIn) {
		return "", errReauth
	}
	if _, err := p.activeUser(r.Context(), pr.User); err != nil {
		return "", httperr.New(http.StatusForbidden, "this account is not managed by Kaz's provider", err)
	}
	return pr.User, nil
}

func (p *Provider) apiFactors(w http.ResponseWriter, r *http.Request) error {
	user, err := p.accountUser(r, false)
	if err != nil {
		return err
	}
	f, err := p.Factors(r.Context(), user)
	if err != nil {
		return err
	}
	f.KeysAvailable = p.wa != nil
	httperr.WriteJSON(w, http.StatusOK, f)
	return nil
}

func (p *Provider) apiTOTPBegin(w http.ResponseWriter, r *http.Request) error {
	user, err := p.accountUser(r, true)
	if err != nil {
		return err
	}
	e, err := newTOTP(user)
	if err != nil {
		return err
	}
	if err := p.setPending(r.Context(), user, "totp", e.URL); err != nil {
		return err
	}
	httperr.WriteJSON(w, http.StatusOK, e)
	return nil
}

// confirmResult is returned when a factor is added; RecoveryCodes is set
// when it was the first one (shown once).
type confirmResult struct {
	OK            bool     `json:"ok"`
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

func (p *Provider) apiTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	user, err := p.accountUser(r, true)
	if err != nil {
		return err
	}
	var body struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid request body", err)
	}
	ctx := r.Context()
	var u string
	if err := p.peekPending(ctx, user, "totp", &u); err != nil {
		return errNoPending
	}
	key, err := otp.NewKeyFromURL(u)
	if err != nil {
		return errNoPending
	}
	before, err := p.Factors(ctx, user)
	if err != nil {
		return err
	}
	err = p.guard(ctx, user, clientIP(r), func() error { return p.confirmTOTP(ctx, user, key.Secret(), body.Code) })
	if err != nil {
		return p.apiCredentialError(err, "wrong code: check your phone's clock and try again")
	}
	var discard string
	p.takePending(ctx, user, "totp", &discard)
	p.log.Info("authenticator app enrolled from account page", "user", user)
	return p.factorAdded(ctx, w, user, before)
}

func (p *Provider) factorAdded(ctx context.Context, w http.ResponseWriter, user string, before Factors) error {
	res := confirmResult{OK: true}
	if !before.Has() || before.RecoveryLeft == 0 {
		codes, err := p.NewRecoveryCodes(ctx, user)
		if err != nil {
			return err
		}
		res.RecoveryCodes = codes
	}
	httperr.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (p *Provider) apiCredentialError(err error, bad string) error {
	var le *LockedError
	switch {
	case errors.As(err, &le):
		return httperr.New(http.StatusTooManyRequests, "too many attempts: try again in a few minutes", err)
	case errors.Is(err, ErrBadCredentials):
		return httperr.New(http.StatusBadRequest, bad, nil)
	}
	return err
}

func (p *Provider) apiTOTPDelete(w http.ResponseWriter, r *http.Request) error {
	user, err := p.accountUser(r, true)
	if err != nil {
		return err
	}
	return p.removed(w, user, p.RemoveTOTP(r.Context(), user))
}

func (p *Provider) removed(w http.ResponseWriter, user string, err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return httperr.New(http.StatusNotFound, "no such second factor", nil)
	case errors.Is(err, ErrLastFactor):
		return httperr.New(http.StatusConflict, "this is your only second factor: add another one before removing it", nil)
	case err != nil:
		return err
	}
	p.log.Info("second factor removed", "user", user)
	httperr.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

type pendingKey struct {
	Name    string               `json:"name"`
	Session webauthn.SessionData `json:"session"`
}

func (p *Provider) apiKeyBegin(w http.ResponseWriter, r *http.Request) error {
	user, err := p.accountUser(r, true)
	if err != nil {
		return err
	}
	if p.wa == nil {
		return errNoKeys
	}
	var body struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid request body", err)
	}
	u, err := p.webauthnUser(r.Context(), user)
	if err != nil {
		return err
	}
	creation, session, err := p.wa.BeginRegistration(u, registrationOptions(u)...)
	if err != nil {
		return err
	}
	if err := p.setPending(r.Context(), user, "webauthn", pendingKey{Name: body.Name, Session: *session}); err != nil {
		return err
	}
	httperr.WriteJSON(w, http.StatusOK, creation)
	return nil
}

func (p *Provider) apiKeyFinish(w http.ResponseWriter, r *http.Request) error {
	user, err := p.accountUser(r, true)
	if err != nil {
		return err
	}
	if p.wa == nil {
		return errNoKeys
	}
	ctx := r.Context()
	var pk pendingKey
	if err := p.takePending(ctx, user, "webauthn", &pk); err != nil {
		return errNoPending
	}
	u, err := p.webauthnUser(ctx, user)
	if err != nil {
		return err
	}
	before, err := p.Factors(ctx, user)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONSize)
	cred, err := p.wa.FinishRegistration(u, pk.Session, r)
	if err != nil {
		return httperr.New(http.StatusBadRequest, "the security key was not accepted: try again", err)
	}
	if err := p.addKey(ctx, user, pk.Name, cred); err != nil {
		return err
	}
	p.log.Info("security key added from account page", "user", user)
	return p.factorAdded(ctx, w, user, before)
}

func (p *Provider) apiKeyDelete(w http.ResponseWriter, r *http.Request) error {
	user, err := p.accountUser(r, true)
	if err != nil {
		return err
	}
	return p.removed(w, user, p.RemoveKey(r.Context(), user, r.PathValue("id")))
}

func (p *Provider) apiRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	user, err := p.accountUser(r, true)
	if err != nil {
		return err
	}
	f, err := p.Factors(r.Context(), user)
	if err != nil {
		return err
	}
	if !f.Has() {
		return httperr.New(http.StatusConflict, "add a second factor first", nil)
	}
	codes, err := p.NewRecoveryCodes(r.Context(), user)
	if err != nil {
		return err
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
	return nil
}

// apiChangePassword lets an agent replace their password (POST
// /api/account/password {"current","new"}). The current password is
// checked under the same lock-out rules as the sign-in page, so the form
// cannot be used to guess it; only a browser session may do it.
func (p *Provider) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	user, err := p.accountUser(r, false)
	if err != nil {
		return err
	}
	if pr, _ := auth.FromContext(r.Context()); pr.Method != "session" {
		return errPasswordSession
	}
	var body struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid request body", err)
	}
	if err := checkPasswordPolicy(body.New); err != nil {
		return errPasswordPolicy
	}
	if body.New == body.Current {
		return errPasswordSame
	}
	ctx := r.Context()
	if err := p.Authenticate(ctx, user, body.Current, reqctx.ClientIP(ctx)); err != nil {
		return p.apiCredentialError(err, "the current password is not correct")
	}
	if err := p.SetPassword(ctx, user, body.New); err != nil {
		return err
	}
	p.log.Info("password changed by its owner", "user", user, "req_id", reqctx.ID(ctx))
	httperr.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

var (
	errPasswordSession = httperr.New(http.StatusForbidden, "your password can only be changed from a browser session", nil)
	errPasswordPolicy  = httperr.New(http.StatusBadRequest, "the new password must have at least 10 characters (and at most 256)", nil)
	errPasswordSame    = httperr.New(http.StatusBadRequest, "the new password must differ from the current one", nil)
)
