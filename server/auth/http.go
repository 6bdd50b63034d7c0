package auth

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/internal/reqctx"
)

// CSRFHeader carries the session's CSRF token on state-changing API calls.
const CSRFHeader = "X-Kaz-CSRF"

// ErrCSRF refuses a state-changing call by cookie without the CSRF token or
// from another origin.
var ErrCSRF = fmt.Errorf("%w: missing or wrong CSRF token or origin", ErrForbidden)

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == "PROPFIND"
}

// Authenticate resolves the one principal of r: HTTP Basic with an app
// password, or the session cookie (web sign-in or MS-OFBA). It returns
// ErrNoCredentials when r presents none, ErrThrottled after repeated
// failures, ErrBadCredentials for a wrong one and ErrForbidden for a
// disabled user or a cross-site state-changing call.
func (rp *RP) Authenticate(r *http.Request) (*Principal, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" && knownScheme(h) {
		cr, ok := ParseAuthorization(h)
		if !ok {
			return nil, ErrBadCredentials
		}
		switch cr.Scheme {
		case "basic":
			// Browsers keep Basic credentials typed into their prompt (say,
			// for /dav/) and send them along with any page's form post:
			// like a cookie, they need the cross-site check.
			if !safeMethod(r.Method) && rp.crossSite(r) {
				return nil, ErrCSRF
			}
			return rp.appPassword(r, cr.User, cr.Password)
		default:
			return rp.bearer(r, cr.Token)
		}
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, ErrNoCredentials
	}
	if _, ok := parseSessionToken(c.Value); !ok {
		return nil, ErrNoCredentials
	}
	sess, err := rp.store.Session(ctx, c.Value, rp.cfg.SessionIdleTimeout)
	if errors.Is(err, ErrBadCredentials) {
		// An ended session is as good as none: the client signs in again.
		return nil, ErrNoCredentials
	}
	if err != nil {
		return nil, err
	}
	if !safeMethod(r.Method) {
		if err := rp.checkCSRF(r, sess); err != nil {
			return nil, err
		}
	}
	if err := rp.refresh(ctx, sess); err != nil {
		return nil, ErrNoCredentials
	}
	p, err := rp.principal(r, sess.User)
	if err != nil {
		return nil, err
	}
	p.Method, p.AMR, p.SessionID, p.SignedIn = sess.Method, sess.AMR, sess.IDHash, sess.Created
	return p, nil
}

// knownScheme reports whether h uses Basic or Bearer. Other schemes (the
// Windows WebDAV redirector's Negotiate/NTLM) are ignored, as if absent, so
// that the client gets the Basic challenge (and OPTIONS still answers).
func knownScheme(h string) bool {
	scheme, _, _ := strings.Cut(strings.TrimSpace(h), " ")
	return strings.EqualFold(scheme, "basic") || strings.EqualFold(scheme, "bearer")
}

// checkCSRF: a cookie is an ambient credential, so a state-changing call
// must prove it comes from Kaz's own pages: the Origin (when sent) is
// Kaz's, and API calls carry the session's CSRF token.
func (rp *RP) checkCSRF(r *http.Request, sess *Session) error {
	if rp.crossSite(r) {
		return ErrCSRF
	}
	if strings.HasPrefix(r.URL.Path, "/dav/") {
		// WebDAV writes by cookie come from Office (MS-OFBA), which sends no
		// token; SameSite=Lax keeps cross-site forms from carrying the cookie,
		// and no cross-site page may send PUT/DELETE/MOVE without CORS.
		if r.Method == http.MethodPost {
			return ErrCSRF
		}
		return nil
	}
	t := r.Header.Get(CSRFHeader)
	if t == "" || subtle.ConstantTimeCompare([]byte(t), []byte(sess.CSRF)) != 1 {
		return ErrCSRF
	}
	return nil
}

// crossSite reports whether a browser says r comes from another site's
// page: an Origin other than Kaz's, or Sec-Fetch-Site: cross-site. Non-browser
// clients (rclone, Office, davfs2) send neither.
func (rp *RP) crossSite(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != rp.origin {
		return true
	}
	return strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site")
}

func (rp *RP) principal(r *http.Request, user string) (*Principal, error) {
	u, err := rp.dir.Get(r.Context(), user)
	if errors.Is(err, directory.ErrNotFound) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, ErrForbidden
	}
	return &Principal{
		User: u.Name, DisplayName: u.DisplayName, Email: u.Email, Groups: u.Groups,
		Admin: rp.adminGroup != "" && containsString(u.Groups, rp.adminGroup),
	}, nil
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// appPassword checks HTTP Basic user + app password, throttling repeated
// failures per user name and per client address. The account password
// never authenticates here: only app passwords are looked up.
func (rp *RP) appPassword(r *http.Request, user, pass string) (*Principal, error) {
	ukey, akey := "u:"+strings.ToLower(user), "a:"+reqctx.ClientIP(r.Context()).String()
	if rp.addrThr.Blocked(akey) {
		return nil, ErrThrottled
	}
	// A user name under attack from elsewhere on the VPN is throttled for
	// wrong guesses only: the owner's correct app password still works, so
	// nobody can lock another agent's rclone or Office out. (App passwords
	// carry ~150 random bits: the per-address limit is what slows guessing.)
	userBlocked := rp.userThr.Blocked(ukey)
	ap, err := rp.store.VerifyAppPassword(r.Context(), user, pass)
	if errors.Is(err, ErrBadCredentials) {
		rp.userThr.Fail(ukey)
		rp.addrThr.Fail(akey)
		rp.log.Info("app password refused", "req_id", reqctx.ID(r.Context()), "user", user, "remote", reqctx.ClientIP(r.Context()).String())
		if userBlocked {
			return nil, ErrThrottled
		}
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	rp.userThr.Reset(ukey)
	p, err := rp.principal(r, ap.User)
	if err != nil {
		return nil, err
	}
	p.Method = "apppassword"
	return p, nil
}

// bearer checks a JWT access token of the provider (RFC 9068): explicitly
// typed "at+jwt" (so that an ID token is never taken for one), signed with
// an advertised asymmetric algorithm, from the issuer, for Kaz (its client
// id or public URL as audience), unexpired, showing a second factor when
// required, for an identity that has signed in to Kaz before. Opaque
// access tokens are not accepted.
func (rp *RP) bearer(r *http.Request, token string) (*Principal, error) {
	akey := "a:" + reqctx.ClientIP(r.Context()).String()
	if rp.addrThr.Blocked(akey) {
		return nil, ErrThrottled
	}
	fail := func(why string, err error) (*Principal, error) {
		rp.addrThr.Fail(akey)
		rp.log.Info("bearer token refused", "req_id", reqctx.ID(r.Context()), "why", why, "err", err)
		return nil, ErrBadCredentials
	}
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return fail("not a JWT", nil)
	}
	hb, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return fail("header", err)
	}
	var hdr struct {
		Typ string `json:"typ"`
	}
	if json.Unmarshal(hb, &hdr) != nil || !(strings.EqualFold(hdr.Typ, "at+jwt") || strings.EqualFold(hdr.Typ, "application/at+jwt")) {
		return fail("not an access token (typ)", nil)
	}
	p, err := rp.provider(r.Context())
	if err != nil {
		return nil, ErrBadCredentials
	}
	at, err := p.verifier.Verify(r.Context(), token)
	if err != nil {
		if at, err = p.atVerifier.Verify(r.Context(), token); err != nil {
			return fail("verification", err)
		}
	}
	var c idClaims
	if err := at.Claims(&c); err != nil {
		return fail("claims", err)
	}
	if rp.cfg.RequireMFA && !rp.secondFactor(c.Acr, c.Amr) {
		return fail("no second factor", nil)
	}
	user, err := rp.store.IdentityUser(r.Context(), at.Issuer, at.Subject)
	if err != nil {
		return fail("unknown identity", err)
	}
	pr, err := rp.principal(r, user)
	if err != nil {
		return nil, err
	}
	pr.Method, pr.AMR = "bearer", c.Amr
	return pr, nil
}

// Routes registers the sign-in endpoints on mux (unauthenticated: each
// checks what it needs).
func (rp *RP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+LoginPath, func(w http.ResponseWriter, r *http.Request) {
		rp.login(w, r, "web", SafeReturnPath(r.URL.Query().Get("return")))
	})
	mux.HandleFunc("GET "+CallbackPath, rp.callback)
	mux.HandleFunc("GET "+LogoutPath, rp.logoutPage)
	mux.HandleFunc("POST "+LogoutPath, rp.logout)
	mux.HandleFunc("GET "+PostLogoutPath, func(w http.ResponseWriter, r *http.Request) {
		writePage(w, http.StatusOK, page{
			Code: "signed_out", Role: "status", TitleFR: "Vous êtes déconnecté", TitleEN: "You are signed out",
			FR: "Votre session Kaz est fermée.", EN: "Your Kaz session is closed.",
			Link: "/", ButtonFR: "Se reconnecter", ButtonEN: "Sign in again",
		})
	})
	mux.HandleFunc("POST "+BackchannelPath, rp.backchannelLogout)
	// [MS-OFBA] 2.2.2: Office opens the login URL in a dialog and closes it
	// when it reaches the return URL, then reuses the cookies.
	mux.HandleFunc("GET "+OFBALoginPath, func(w http.ResponseWriter, r *http.Request) {
		rp.login(w, r, "ofba", OFBADonePath)
	})
	mux.HandleFunc("GET "+OFBADonePath, func(w http.ResponseWriter, r *http.Request) {
		writePage(w, http.StatusOK, page{
			Code: "ofba_done", Role: "status", TitleFR: "Connexion réussie", TitleEN: "Signed in",
			FR: "Vous pouvez fermer cette fenêtre et revenir à votre document.", EN: "You may close this window and go back to your document.",
		})
	})
}

func (rp *RP) sessionOf(r *http.Request) *Session {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	sess, err := rp.store.Session(r.Context(), c.Value, rp.cfg.SessionIdleTimeout)
	if err != nil {
		return nil
	}
	return sess
}

// logoutPage asks for confirmation: a GET never signs out (a link or an
// image on another site must not end the session).
func (rp *RP) logoutPage(w http.ResponseWriter, r *http.Request) {
	sess := rp.sessionOf(r)
	if sess == nil {
		writePage(w, http.StatusOK, page{
			Code: "no_session", Role: "status", TitleFR: "Vous n'êtes pas connecté", TitleEN: "You are not signed in",
			FR: "Aucune session Kaz n'est ouverte dans ce navigateur.", EN: "No Kaz session is open in this browser.",
			Link: "/", ButtonFR: "Accueil", ButtonEN: "Home",
		})
		return
	}
	writePage(w, http.StatusOK, page{
		Code: "confirm_logout", Role: "status", TitleFR: "Se déconnecter ?", TitleEN: "Sign out?",
		FR: "Confirmez pour fermer votre session Kaz.", EN: "Confirm to close your Kaz session.",
		Form: LogoutPath, CSRF: sess.CSRF, ButtonFR: "Se déconnecter", ButtonEN: "Sign out",
	})
}

// logout ends the session (CSRF-checked) and continues with RP-initiated
// logout at the provider when it offers it. A fetch asking for JSON gets
// {"redirect": url} instead of a redirect.
func (rp *RP) logout(w http.ResponseWriter, r *http.Request) {
	if err := readBody(w, r, 16<<10); err != nil {
		httperr.Write(w, r, rp.log, httperr.New(http.StatusBadRequest, "the request could not be read", err))
		return
	}
	next := rp.publicURL + PostLogoutPath
	sess := rp.sessionOf(r)
	if sess != nil {
		tok := r.Header.Get(CSRFHeader)
		if tok == "" {
			tok = r.PostFormValue("csrf")
		}
		if rp.crossSite(r) || tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRF)) != 1 {
			rp.log.Warn("sign-out refused: CSRF", "req_id", reqctx.ID(r.Context()))
			httperr.Write(w, r, nil, httperr.New(http.StatusForbidden, "sign-out refused: reload the page and try again", nil))
			return
		}
		if err := rp.store.DeleteSession(r.Context(), sess.IDHash); err != nil {
			httperr.Write(w, r, rp.log, err)
			return
		}
		rp.log.Info("signed out", "req_id", reqctx.ID(r.Context()), "user", sess.User)
		if p, err := rp.provider(r.Context()); err == nil && p.endSession != "" {
			// OIDC RP-Initiated Logout 1.0 §2.
			v := url.Values{"post_logout_redirect_uri": {next}, "client_id": {p.clientID}}
			if sess.IDToken != "" {
				v.Set("id_token_hint", sess.IDToken)
			}
			sep := "?"
			if strings.Contains(p.endSession, "?") {
				sep = "&"
			}
			next = p.endSession + sep + v.Encode()
		}
	}
	rp.clearSessionCookie(w)
	w.Header().Set("Cache-Control", "no-store")
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		httperr.WriteJSON(w, http.StatusOK, map[string]string{"redirect": next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// bodyReadTimeout bounds the time a client may take to send a small form
// or JSON body (the server has no overall read timeout, so that big WebDAV
// uploads over a slow VPN still arrive): a client trickling bytes cannot
// hold a connection.
var bodyReadTimeout = 30 * time.Second

// readBody reads r's body, at most n bytes, within bodyReadTimeout, and
// puts it back as r.Body for the form and JSON parsers. The deadline is
// lifted once the body is in, so that it never cuts the handler's own work
// short; on error (too big, too slow, gone) it stays, so that the server
// gives up on the rest at once, and the handler refuses the request.
func readBody(w http.ResponseWriter, r *http.Request, n int64) error {
	rc := http.NewResponseController(w)
	// Not every ResponseWriter supports deadlines (test recorders): the
	// size limit still holds.
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, n))
	if err != nil {
		return err
	}
	_ = rc.SetReadDeadline(time.Time{})
	r.Body = io.NopCloser(bytes.NewReader(b))
	return nil
}

// APIRoutes registers the authenticated API of sign-in on api (paths start
// with /api/).
func (rp *RP) APIRoutes(api *http.ServeMux) {
	api.Handle("GET /api/me", httperr.Handler(rp.log, rp.me))
	api.Handle("GET /api/apppasswords", httperr.Handler(rp.log, rp.listAppPasswords))
	api.Handle("POST /api/apppasswords", httperr.Handler(rp.log, rp.createAppPassword))
	api.Handle("DELETE /api/apppasswords/{id}", httperr.Handler(rp.log, rp.revokeAppPassword))
}

func principalOf(r *http.Request) (*Principal, error) {
	p, ok := FromContext(r.Context())
	if !ok {
		return nil, httperr.New(http.StatusUnauthorized, "authentication required", nil)
	}
	return p, nil
}

func (rp *RP) me(w http.ResponseWriter, r *http.Request) error {
	p, err := principalOf(r)
	if err != nil {
		return err
	}
	out := struct {
		User        string   `json:"user"`
		DisplayName string   `json:"display_name"`
		Email       string   `json:"email"`
		Groups      []string `json:"groups"`
		Admin       bool     `json:"admin"`
		Method      string   `json:"method"`
		AMR         []string `json:"amr"`
		CSRFToken   string   `json:"csrf_token,omitempty"`
	}{p.User, p.DisplayName, p.Email, nonNil(p.Groups), p.Admin, p.Method, nonNil(p.AMR), ""}
	if p.SessionID != "" {
		if sess := rp.sessionOf(r); sess != nil && sess.IDHash == p.SessionID {
			out.CSRFToken = sess.CSRF
		}
	}
	httperr.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (rp *RP) listAppPasswords(w http.ResponseWriter, r *http.Request) error {
	p, err := principalOf(r)
	if err != nil {
		return err
	}
	aps, err := rp.store.AppPasswords(r.Context(), p.User)
	if err != nil {
		return err
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"app_passwords": aps})
	return nil
}

// onlyBySession: app passwords are managed from a signed-in browser, not
// with an app password (a leaked one must not mint others).
func onlyBySession(p *Principal) error {
	if p.SessionID == "" {
		return httperr.New(http.StatusForbidden, "app passwords are managed from the web interface", nil)
	}
	return nil
}

func (rp *RP) createAppPassword(w http.ResponseWriter, r *http.Request) error {
	p, err := principalOf(r)
	if err != nil {
		return err
	}
	if err := onlyBySession(p); err != nil {
		return err
	}
	var in struct {
		Label string `json:"label"`
	}
	if err := readBody(w, r, 4<<10); err != nil {
		return httperr.New(http.StatusBadRequest, "the request could not be read", err)
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid JSON body", err)
	}
	in.Label = strings.TrimSpace(in.Label)
	sid := ""
	if sess := rp.sessionOf(r); sess != nil && sess.IDHash == p.SessionID {
		sid = sess.SID
	}
	ap, secret, err := rp.store.CreateAppPassword(r.Context(), p.User, in.Label, p.SessionID, sid)
	switch {
	case errors.Is(err, ErrBadLabel):
		return httperr.New(http.StatusBadRequest, "the label must have 1 to 64 characters", nil)
	case errors.Is(err, ErrLabelTaken):
		return httperr.New(http.StatusConflict, "an app password with this label already exists", nil)
	case err != nil:
		return err
	}
	rp.log.Info("app password created", "req_id", reqctx.ID(r.Context()), "user", p.User, "label", ap.Label)
	httperr.WriteJSON(w, http.StatusCreated, struct {
		AppPassword
		Password string `json:"password"`
	}{ap, secret})
	return nil
}

func (rp *RP) revokeAppPassword(w http.ResponseWriter, r *http.Request) error {
	p, err := principalOf(r)
	if err != nil {
		return err
	}
	if err := onlyBySession(p); err != nil {
		return err
	}
	err = rp.store.RevokeAppPassword(r.Context(), p.User, r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		return httperr.New(http.StatusNotFound, "no such app password", nil)
	}
	if err != nil {
		return err
	}
	rp.log.Info("app password revoked", "req_id", reqctx.ID(r.Context()), "user", p.User)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// OFBAChallenge adds the [MS-OFBA] 2.2.2 headers to the answer to an
// unauthenticated request from an Office client that accepts forms-based
// authentication, and reports whether it did (the answer is then a 403).
func (rp *RP) OFBAChallenge(w http.ResponseWriter, r *http.Request) bool {
	if !OFBAAccepted(r.Header) {
		return false
	}
	h := w.Header()
	h.Set("X-FORMS_BASED_AUTH_REQUIRED", rp.publicURL+OFBALoginPath)
	h.Set("X-FORMS_BASED_AUTH_RETURN_URL", rp.publicURL+OFBADonePath)
	h.Set("X-FORMS_BASED_AUTH_DIALOG_SIZE", "800x600")
	return true
}

// OFBAAccepted reports whether the client takes forms-based
// authentication: [MS-OFBA] 2.2.1 "X-FORMS_BASED_AUTH_ACCEPTED: t", or,
// without that header, an Office user agent. "f" always declines.
func OFBAAccepted(h http.Header) bool {
	v := strings.TrimSpace(h.Get("X-FORMS_BASED_AUTH_ACCEPTED"))
	if v != "" {
		return strings.EqualFold(v, "t")
	}
	ua := h.Get("User-Agent")
	return strings.Contains(ua, "Microsoft Office") || strings.Contains(ua, "MSOffice")
}
