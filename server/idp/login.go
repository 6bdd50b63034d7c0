package idp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/pquerna/otp"

	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/internal/reqctx"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type pages struct{ byName map[string]*template.Template }

func loadPages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range []string{"login", "factor", "enrol", "codes", "message"} {
		t, err := template.ParseFS(templateFS, "templates/base.html", "templates/"+n+".html")
		if err != nil {
			return nil, fmt.Errorf("idp: template %s: %w", n, err)
		}
		p.byName[n] = t
	}
	return p, nil
}

// pageData is what every login page template receives.
type pageData struct {
	Lang, Title, Base, Error, OtherLangURL string
	M                                      map[string]string
	ID, CSRF, Username                     string
	HasTOTP, HasKeys, RecoveryOpen         bool
	KeysAvailable                          bool
	QR                                     template.URL // a data: URL we generated
	Secret                                 string
	Codes                                  []string
	Text, Next, NextLabel                  string
}

const (
	bindCookie  = "kaz_idp"
	maxFormSize = 16 << 10
	maxJSONSize = 64 << 10
)

func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	mux.HandleFunc("GET /login", p.getLogin)
	mux.HandleFunc("POST /login", p.postLogin)
	mux.HandleFunc("GET /login/factor", p.getFactor)
	mux.HandleFunc("POST /login/totp", p.postTOTP)
	mux.HandleFunc("POST /login/recovery", p.postRecovery)
	mux.HandleFunc("POST /login/webauthn/begin", p.webauthnLoginBegin)
	mux.HandleFunc("POST /login/webauthn/finish", p.webauthnLoginFinish)
	mux.HandleFunc("GET /login/enrol", p.getEnrol)
	mux.HandleFunc("POST /login/enrol/totp", p.postEnrolTOTP)
	mux.HandleFunc("POST /login/enrol/webauthn/begin", p.webauthnEnrolBegin)
	mux.HandleFunc("POST /login/enrol/webauthn/finish", p.webauthnEnrolFinish)
	mux.HandleFunc("GET /login/codes", p.getCodes)
	mux.HandleFunc("GET /logged-out", p.getLoggedOut)
	mux.HandleFunc("/authorize/callback", p.callback)
	mux.Handle("/", p.op)
	return mux
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// ---- browser binding and CSRF

// browser returns the browser-binding cookie, setting a new one if absent.
// A sign-in, once the password is right, is bound to this browser.
func (p *Provider) browser(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(bindCookie); err == nil && validToken(c.Value) {
		return c.Value
	}
	v := randomToken(32)
	http.SetCookie(w, &http.Cookie{Name: bindCookie, Value: v, Path: p.base + "/", HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode})
	return v
}

// validToken accepts what randomToken(32) produces.
func validToken(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// csrfToken binds a form to the browser cookie and the sign-in request.
func (p *Provider) csrfToken(browser, id string) string {
	m := hmac.New(sha256.New, p.csrfKey)
	m.Write([]byte(browser + "|" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (p *Provider) checkCSRF(r *http.Request, browser, id string) bool {
	tok := r.Header.Get("X-Kaz-CSRF")
	if tok == "" {
		tok = r.PostFormValue("csrf")
	}
	return tok != "" && hmac.Equal([]byte(tok), []byte(p.csrfToken(browser, id)))
}

func clientIP(r *http.Request) netip.Addr {
	if ip := reqctx.ClientIP(r.Context()); ip.IsValid() {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	ip, _ := netip.ParseAddr(host)
	return ip.Unmap()
}

// ---- page rendering

func (p *Provider) render(w http.ResponseWriter, r *http.Request, code int, name, lang, title string, d pageData) {
	d.Lang, d.Base, d.M = lang, p.base, messages[lang]
	d.KeysAvailable = p.wa != nil
	d.Title = d.M[title]
	if d.Title == "" {
		d.Title = title
	}
	q := r.URL.Query()
	q.Set("lang", d.M["other_lang_code"])
	u := *r.URL
	u.Path = p.base + r.URL.Path
	if r.Method != http.MethodGet {
		// After a POST, switch language on the page the form came from.
		u.Path = p.base + "/login"
		if d.ID != "" && (name == "factor") {
			u.Path = p.base + "/login/factor"
		} else if name == "enrol" {
			u.Path = p.base + "/login/enrol"
		}
		q = url.Values{"lang": {d.M["other_lang_code"]}}
		if d.ID != "" {
			q.Set("authRequestID", d.ID)
		}
	}
	u.RawQuery = q.Encode()
	d.OtherLangURL = u.RequestURI()
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(code)
	if err := p.pages.byName[name].ExecuteTemplate(w, "base", d); err != nil {
		p.log.Error("render login page", "page", name, "err", err)
	}
}

func (p *Provider) message(w http.ResponseWriter, r *http.Request, code int, lang, title, text string) {
	m := messages[lang]
	p.render(w, r, code, "message", lang, title, pageData{Text: m[text], Next: "/", NextLabel: m["home"]})
}

// setLangCookie remembers an explicit ?lang= choice.
func setLangCookie(w http.ResponseWriter, r *http.Request) {
	if l := r.URL.Query().Get("lang"); l == "fr" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: "kaz_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	}
}

// step loads the sign-in request of r for a step after the password: it
// must exist, be bound to this browser, and (for POSTs) carry a valid CSRF
// token. It writes the error page itself and returns nil on failure.
func (p *Provider) step(w http.ResponseWriter, r *http.Request, post, json bool) (*authRequest, string, string) {
	id := r.URL.Query().Get("authRequestID")
	if post && !json {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
		if err := r.ParseForm(); err != nil {
			p.message(w, r, http.StatusBadRequest, pickLang(r, nil), "expired_title", "csrf")
			return nil, "", ""
		}
		if v := r.PostFormValue("authRequestID"); v != "" {
			id = v
		}
	}
	a, err := p.loadAuthRequest(r.Context(), "id", id)
	lang := pickLang(r, nil)
	if a != nil {
		lang = pickLang(r, a.UILocales)
	}
	fail := func(code int, key string) {
		if json {
			httperr.WriteJSON(w, code, map[string]any{"error": messages[lang][key], "status": code})
			return
		}
		p.message(w, r, code, lang, "expired_title", key)
	}
	if err != nil {
		if !errors.Is(err, errRequestNotFound) {
			p.log.Error("load sign-in request", "err", err)
			fail(http.StatusInternalServerError, "internal")
			return nil, "", ""
		}
		fail(http.StatusNotFound, "expired")
		return nil, "", ""
	}
	b := p.browser(w, r)
	if a.User == "" || !constantEqual(a.Browser, sha256Hex(b)) {
		fail(http.StatusForbidden, "expired")
		return nil, "", ""
	}
	if post && !p.checkCSRF(r, b, a.ID) {
		fail(http.StatusForbidden, "csrf")
		return nil, "", ""
	}
	return a, b, lang
}

func (p *Provider) stepURL(page, id string) string {
	return p.base + page + "?authRequestID=" + url.QueryEscape(id)
}

// ---- password

func (p *Provider) getLogin(w http.ResponseWriter, r *http.Request) {
	setLangCookie(w, r)
	id := r.URL.Query().Get("authRequestID")
	a, err := p.loadAuthRequest(r.Context(), "id", id)
	lang := pickLang(r, nil)
	if err != nil {
		if !errors.Is(err, errRequestNotFound) {
			p.log.Error("load sign-in request", "err", err)
		}
		p.message(w, r, http.StatusNotFound, lang, "expired_title", "expired")
		return
	}
	lang = pickLang(r, a.UILocales)
	b := p.browser(w, r)
	p.render(w, r, http.StatusOK, "login", lang, "title", pageData{ID: a.ID, CSRF: p.csrfToken(b, a.ID), Username: a.LoginHint})
}

// loginForm is the parsed password form.
type loginForm struct{ ID, CSRF, Username, Password string }

// parseLoginForm reads the password form, bounding every field.
func parseLoginForm(v url.Values) (loginForm, bool) {
	f := loginForm{ID: v.Get("authRequestID"), CSRF: v.Get("csrf"), Username: strings.TrimSpace(v.Get("username")), Password: v.Get("password")}
	if f.ID == "" || len(f.ID) > 64 || len(f.CSRF) > 64 || f.Username == "" || len(f.Username) > 64 || len(f.Password) > 256 {
		return f, false
	}
	return f, true
}

func (p *Provider) postLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	lang := pickLang(r, nil)
	if err := r.ParseForm(); err != nil {
		p.message(w, r, http.StatusBadRequest, lang, "expired_title", "csrf")
		return
	}
	f, ok := parseLoginForm(r.PostForm)
	a, err := p.loadAuthRequest(r.Context(), "id", f.ID)
	if err != nil {
		p.message(w, r, http.StatusNotFound, lang, "expired_title", "expired")
		return
	}
	lang = pickLang(r, a.UILocales)
	b := p.browser(w, r)
	d := pageData{ID: a.ID, CSRF: p.csrfToken(b, a.ID), Username: f.Username}
	if !p.checkCSRF(r, b, a.ID) {
		d.Error = messages[lang]["csrf"]
		p.render(w, r, http.StatusForbidden, "login", lang, "title", d)
		return
	}
	if !ok {
		d.Error = messages[lang]["bad_credentials"]
		p.render(w, r, http.StatusUnauthorized, "login", lang, "title", d)
		return
	}
	ctx := r.Context()
	err = p.Authenticate(ctx, f.Username, f.Password, clientIP(r))
	if err != nil {
		code, msg := p.credentialError(r, lang, err, "bad_credentials")
		d.Error = msg
		p.log.Info("sign-in refused", "user", f.Username, "remote", clientIP(r).String(), "err", err)
		p.render(w, r, code, "login", lang, "title", d)
		return
	}
	a.User, a.Browser, a.AMR, a.Complete = f.Username, sha256Hex(b), []string{amrPwd}, false
	factors, err := p.Factors(ctx, a.User)
	if err != nil {
		p.internal(w, r, lang, err)
		return
	}
	switch {
	case factors.Has():
		err = p.saveAuthRequest(ctx, a)
		p.redirect(w, r, err, lang, p.stepURL("/login/factor", a.ID))
	case p.cfg.RequireMFA:
		err = p.saveAuthRequest(ctx, a)
		p.redirect(w, r, err, lang, p.stepURL("/login/enrol", a.ID))
	default:
		next, err := p.complete(ctx, a, []string{amrPwd}, ACRPassword)
		p.redirect(w, r, err, lang, next)
	}
}

func (p *Provider) redirect(w http.ResponseWriter, r *http.Request, err error, lang, to string) {
	if err != nil {
		p.internal(w, r, lang, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (p *Provider) internal(w http.ResponseWriter, r *http.Request, lang string, err error) {
	p.log.Error("sign-in failed", "req_id", reqctx.ID(r.Context()), "err", err)
	p.message(w, r, http.StatusInternalServerError, lang, "expired_title", "internal")
}

// credentialError maps a credential check error to a status and a
// plain-language message.
func (p *Provider) credentialError(r *http.Request, lang string, err error, badKey string) (int, string) {
	m := messages[lang]
	var le *LockedError
	switch {
	case errors.As(err, &le):
		n := lockedMinutes(le.Wait)
		if n == 1 {
			return http.StatusTooManyRequests, m["locked_one"]
		}
		return http.StatusTooManyRequests, fmt.Sprintf(m["locked"], n)
	case errors.Is(err, ErrBadCredentials):
		return http.StatusUnauthorized, m[badKey]
	case errors.Is(err, ErrDisabled):
		return http.StatusForbidden, m["disabled"]
	default:
		p.log.Error("credential check failed", "req_id", reqctx.ID(r.Context()), "err", err)
		return http.StatusInternalServerError, m["internal"]
	}
}

// complete finishes a sign-in: a provider session (the sid claim) is
// created and the browser goes back to the authorization endpoint.
func (p *Provider) complete(ctx context.Context, a *authRequest, amr []string, acr string) (string, error) {
	sid, err := p.createSession(ctx, a.User, a.ClientID, amr)
	if err != nil {
		return "", err
	}
	a.Complete, a.AMR, a.ACR, a.AuthTime, a.SID = true, amr, acr, p.now(), sid
	a.PendingTOTP, a.WebAuthn = "", nil
	if err := p.saveAuthRequest(ctx, a); err != nil {
		return "", err
	}
	if err := p.clearFailures(ctx, a.User); err != nil {
		return "", err
	}
	p.log.Info("sign-in complete", "user", a.User, "client", a.ClientID, "amr", strings.Join(amr, " "))
	return p.callbackURL(a.ID), nil
}

func (p *Provider) callbackURL(id string) string {
	return p.issuer + "/authorize/callback?id=" + url.QueryEscape(id)
}

// callback guards the provider's authorization callback: only the browser
// that completed the sign-in may collect its code.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) {
	a, err := p.loadAuthRequest(r.Context(), "id", r.URL.Query().Get("id"))
	lang := pickLang(r, nil)
	if err != nil {
		p.message(w, r, http.StatusNotFound, lang, "expired_title", "expired")
		return
	}
	c, cerr := r.Cookie(bindCookie)
	if cerr != nil || !a.Done() || !constantEqual(a.Browser, sha256Hex(c.Value)) {
		p.message(w, r, http.StatusForbidden, pickLang(r, a.UILocales), "expired_title", "expired")
		return
	}
	p.op.ServeHTTP(w, r)
}

// ---- second factor

func (p *Provider) getFactor(w http.ResponseWriter, r *http.Request) {
	setLangCookie(w, r)
	a, b, lang := p.step(w, r, false, false)
	if a == nil {
		return
	}
	p.renderFactor(w, r, http.StatusOK, a, b, lang, "", false)
}

func (p *Provider) renderFactor(w http.ResponseWriter, r *http.Request, code int, a *authRequest, b, lang, errMsg string, recovery bool) {
	f, err := p.Factors(r.Context(), a.User)
	if err != nil {
		p.internal(w, r, lang, err)
		return
	}
	p.render(w, r, code, "factor", lang, "factor_title", pageData{
		ID: a.ID, CSRF: p.csrfToken(b, a.ID), Error: errMsg, HasTOTP: f.TOTP, HasKeys: len(f.Keys) > 0,
		RecoveryOpen: recovery || !f.Has() || (!f.TOTP && p.wa == nil),
	})
}

func (p *Provider) postTOTP(w http.ResponseWriter, r *http.Request) {
	a, b, lang := p.step(w, r, true, false)
	if a == nil {
		return
	}
	if err := p.VerifyTOTP(r.Context(), a.User, r.PostFormValue("code"), clientIP(r)); err != nil {
		code, msg := p.credentialError(r, lang, err, "bad_code")
		p.renderFactor(w, r, code, a, b, lang, msg, false)
		return
	}
	next, err := p.complete(r.Context(), a, []string{amrPwd, amrOTP, amrMFA}, ACRMFA)
	p.redirect(w, r, err, lang, next)
}

func (p *Provider) postRecovery(w http.ResponseWriter, r *http.Request) {
	a, b, lang := p.step(w, r, true, false)
	if a == nil {
		return
	}
	if err := p.UseRecoveryCode(r.Context(), a.User, r.PostFormValue("code"), clientIP(r)); err != nil {
		code, msg := p.credentialError(r, lang, err, "bad_recovery")
		p.renderFactor(w, r, code, a, b, lang, msg, true)
		return
	}
	p.log.Warn("recovery code used", "user", a.User)
	// A recovery code is a one-time password (RFC 8176 "otp").
	next, err := p.complete(r.Context(), a, []string{amrPwd, amrOTP, amrMFA}, ACRMFA)
	p.redirect(w, r, err, lang, next)
}

func (p *Provider) jsonError(w http.ResponseWriter, code int, lang, key string) {
	httperr.WriteJSON(w, code, map[string]any{"error": messages[lang][key], "status": code})
}

func (p *Provider) webauthnLoginBegin(w http.ResponseWriter, r *http.Request) {
	a, _, lang := p.step(w, r, true, true)
	if a == nil {
		return
	}
	if p.wa == nil {
		p.jsonError(w, http.StatusConflict, lang, "key_unsupported")
		return
	}
	ctx := r.Context()
	if wait, err := p.Locked(ctx, a.User, clientIP(r)); err != nil || wait > 0 {
		code, msg := p.credentialError(r, lang, lockErr(wait, err), "key_failed")
		httperr.WriteJSON(w, code, map[string]any{"error": msg, "status": code})
		return
	}
	u, err := p.webauthnUser(ctx, a.User)
	if err != nil || len(u.creds) == 0 {
		p.jsonError(w, http.StatusBadRequest, lang, "key_failed")
		return
	}
	assertion, session, err := p.wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		p.log.Error("webauthn begin login", "user", a.User, "err", err)
		p.jsonError(w, http.StatusInternalServerError, lang, "internal")
		return
	}
	a.WebAuthn = session
	if err := p.saveAuthRequest(ctx, a); err != nil {
		p.jsonError(w, http.StatusInternalServerError, lang, "internal")
		return
	}
	httperr.WriteJSON(w, http.StatusOK, assertion)
}

func lockErr(wait time.Duration, err error) error {
	if err != nil {
		return err
	}
	return &LockedError{Wait: wait}
}

func (p *Provider) webauthnLoginFinish(w http.ResponseWriter, r *http.Request) {
	a, _, lang := p.step(w, r, true, true)
	if a == nil {
		return
	}
	ctx := r.Context()
	if a.WebAuthn == nil || p.wa == nil {
		p.jsonError(w, http.StatusBadRequest, lang, "key_failed")
		return
	}
	session := *a.WebAuthn
	a.WebAuthn = nil // one attempt per challenge
	if err := p.saveAuthRequest(ctx, a); err != nil {
		p.jsonError(w, http.StatusInternalServerError, lang, "internal")
		return
	}
	err := p.guard(ctx, a.User, clientIP(r), func() error {
		u, err := p.webauthnUser(ctx, a.User)
		if err != nil {
			return err
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxJSONSize)
		cred, err := p.wa.FinishLogin(u, session, r)
		if err != nil {
			p.log.Info("security key refused", "user", a.User, "err", err)
			return ErrBadCredentials
		}
		return p.keyUsed(ctx, a.User, cred)
	})
	if err != nil {
		code, msg := p.credentialError(r, lang, err, "key_failed")
		httperr.WriteJSON(w, code, map[string]any{"error": msg, "status": code})
		return
	}
	next, err := p.complete(ctx, a, []string{amrPwd, amrHwk, amrMFA}, ACRPhishingResistant)
	if err != nil {
		p.log.Error("complete sign-in", "err", err)
		p.jsonError(w, http.StatusInternalServerError, lang, "internal")
		return
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]string{"redirect": next})
}

// ---- enrolment at first sign-in

// enrolling loads a request whose user has no second factor yet.
func (p *Provider) enrolling(w http.ResponseWriter, r *http.Request, post, json bool) (*authRequest, string, string) {
	a, b, lang := p.step(w, r, post, json)
	if a == nil {
		return nil, "", ""
	}
	if a.Complete {
		if json {
			p.jsonError(w, http.StatusConflict, lang, "expired")
		} else {
			p.message(w, r, http.StatusConflict, lang, "expired_title", "expired")
		}
		return nil, "", ""
	}
	f, err := p.Factors(r.Context(), a.User)
	if err != nil {
		p.internal(w, r, lang, err)
		return nil, "", ""
	}
	if f.Has() {
		// Enrolment at sign-in is only for a first factor; more are added
		// from the account page once signed in.
		http.Redirect(w, r, p.stepURL("/login/factor", a.ID), http.StatusSeeOther)
		return nil, "", ""
	}
	return a, b, lang
}

func (p *Provider) getEnrol(w http.ResponseWriter, r *http.Request) {
	setLangCookie(w, r)
	a, b, lang := p.enrolling(w, r, false, false)
	if a == nil {
		return
	}
	p.renderEnrol(w, r, http.StatusOK, a, b, lang, "")
}

func (p *Provider) renderEnrol(w http.ResponseWriter, r *http.Request, code int, a *authRequest, b, lang, errMsg string) {
	if a.PendingTOTP == "" {
		e, err := newTOTP(a.User)
		if err != nil {
			p.internal(w, r, lang, err)
			return
		}
		a.PendingTOTP = e.URL
		if err := p.saveAuthRequest(r.Context(), a); err != nil {
			p.internal(w, r, lang, err)
			return
		}
	}
	key, err := otp.NewKeyFromURL(a.PendingTOTP)
	if err != nil {
		p.internal(w, r, lang, err)
		return
	}
	e, err := enrolmentFor(key.Secret(), key.URL())
	if err != nil {
		p.internal(w, r, lang, err)
		return
	}
	p.render(w, r, code, "enrol", lang, "enrol_title", pageData{ID: a.ID, CSRF: p.csrfToken(b, a.ID), Error: errMsg, QR: template.URL(e.QR), Secret: e.Secret})
}

func (p *Provider) postEnrolTOTP(w http.ResponseWriter, r *http.Request) {
	a, b, lang := p.enrolling(w, r, true, false)
	if a == nil {
		return
	}
	ctx := r.Context()
	key, err := otp.NewKeyFromURL(a.PendingTOTP)
	if a.PendingTOTP == "" || err != nil {
		http.Redirect(w, r, p.stepURL("/login/enrol", a.ID), http.StatusSeeOther)
		return
	}
	err = p.guard(ctx, a.User, clientIP(r), func() error {
		return p.confirmTOTP(ctx, a.User, key.Secret(), r.PostFormValue("code"))
	})
	if err != nil {
		code, msg := p.credentialError(r, lang, err, "bad_code")
		p.renderEnrol(w, r, code, a, b, lang, msg)
		return
	}
	p.log.Info("authenticator app enrolled", "user", a.User)
	next, err := p.enrolled(ctx, a, []string{amrPwd, amrOTP, amrMFA}, ACRMFA)
	p.redirect(w, r, err, lang, next)
}

// enrolled completes a sign-in after a first enrolment and shows the new
// recovery codes once.
func (p *Provider) enrolled(ctx context.Context, a *authRequest, amr []string, acr string) (string, error) {
	codes, err := p.NewRecoveryCodes(ctx, a.User)
	if err != nil {
		return "", err
	}
	a.RecoveryCodes = codes
	if _, err := p.complete(ctx, a, amr, acr); err != nil {
		return "", err
	}
	return p.stepURL("/login/codes", a.ID), nil
}

func (p *Provider) webauthnEnrolBegin(w http.ResponseWriter, r *http.Request) {
	a, _, lang := p.enrolling(w, r, true, true)
	if a == nil {
		return
	}
	if p.wa == nil {
		p.jsonError(w, http.StatusConflict, lang, "key_unsupported")
		return
	}
	ctx := r.Context()
	u, err := p.webauthnUser(ctx, a.User)
	if err != nil {
		p.jsonError(w, http.StatusInternalServerError, lang, "internal")
		return
	}
	creation, session, err := p.wa.BeginRegistration(u, registrationOptions(u)...)
	if err != nil {
		p.log.Error("webauthn begin registration", "user", a.User, "err", err)
		p.jsonError(w, http.StatusInternalServerError, lang, "internal")
		return
	}
	a.WebAuthn = session
	if err := p.saveAuthRequest(ctx, a); err != nil {
		p.jsonError(w, http.StatusInternalServerError, lang, "internal")
		return
	}
	httperr.WriteJSON(w, http.StatusOK, creation)
}

func registrationOptions(u *waUser) []webauthn.RegistrationOption {
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	return []webauthn.RegistrationOption{
		webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementDiscouraged, UserVerification: protocol.VerificationPreferred,
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	}
}

func (p *Provider) webauthnEnrolFinish(w http.ResponseWriter, r *http.Request) {
	a, _, lang := p.enrolling(w, r, true, true)
	if a == nil {
		return
	}
	ctx := r.Context()
	if a.WebAuthn == nil || p.wa == nil {
		p.jsonError(w, http.StatusBadRequest, lang, "key_failed")
		return
	}
	session := *a.WebAuthn
	a.WebAuthn = nil
	u, err := p.webauthnUser(ctx, a.User)
	if err != nil {
		p.jsonError(w, http.StatusInternalServerError, lang, "internal")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONSize)
	cred, err := p.wa.FinishRegistration(u, session, r)
	if err != nil {
		p.log.Info("security key registration refused", "user", a.User, "err", err)
		p.saveAuthRequest(ctx, a)
		p.jsonError(w, http.StatusBadRequest, lang, "key_failed")
		return
	}
	if err := p.addKey(ctx, a.User, r.URL.Query().Get("name"), cred); err != nil {
		p.log.Error("store security key", "user", a.User, "err", err)
		p.jsonError(w, http.StatusInternalServerError, lang, "internal")
		return
	}
	p.log.Info("security key enrolled", "user", a.User)
	next, err := p.enrolled(ctx, a, []string{amrPwd, amrHwk, amrMFA}, ACRPhishingResistant)
	if err != nil {
		p.log.Error("complete sign-in", "err", err)
		p.jsonError(w, http.StatusInternalServerError, lang, "internal")
		return
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]string{"redirect": next})
}

func (p *Provider) getCodes(w http.ResponseWriter, r *http.Request) {
	a, _, lang := p.step(w, r, false, false)
	if a == nil {
		return
	}
	if !a.Done() || len(a.RecoveryCodes) == 0 {
		http.Redirect(w, r, p.callbackURL(a.ID), http.StatusSeeOther)
		return
	}
	codes := a.RecoveryCodes
	a.RecoveryCodes = nil // shown once
	if err := p.saveAuthRequest(r.Context(), a); err != nil {
		p.internal(w, r, lang, err)
		return
	}
	p.render(w, r, http.StatusOK, "codes", lang, "codes_title", pageData{ID: a.ID, Codes: codes, Next: p.callbackURL(a.ID)})
}

func (p *Provider) getLoggedOut(w http.ResponseWriter, r *http.Request) {
	setLangCookie(w, r)
	lang := pickLang(r, nil)
	m := messages[lang]
	p.render(w, r, http.StatusOK, "message", lang, "logged_out_title", pageData{Text: m["logged_out"], Next: "/", NextLabel: m["sign_in_again"]})
}

// decodeJSON reads a small JSON body.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONSize)
	return json.NewDecoder(r.Body).Decode(v)
}
