package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/reqctx"
)

// Paths of the sign-in endpoints, relative to the public URL. A provider
// registers CallbackPath as redirect URI, PostLogoutPath as post-logout
// redirect URI and BackchannelPath as back-channel logout URI.
const (
	LoginPath       = "/auth/login"
	CallbackPath    = "/auth/callback"
	LogoutPath      = "/auth/logout"
	PostLogoutPath  = "/auth/signed-out"
	BackchannelPath = "/auth/backchannel-logout"
	OFBALoginPath   = "/auth/ofba/login"
	OFBADonePath    = "/auth/ofba/done"
)

// Cookie names.
const (
	SessionCookie = "kaz_session"
	stateCookie   = "kaz_auth_state"
)

// backchannelEvent is the events member of a logout token (OIDC
// Back-Channel Logout 1.0 §2.4).
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// Options wires a relying party.
type Options struct {
	Config Config
	// PublicURL is Kaz's public URL without trailing slash.
	PublicURL string
	// Builtin, when set, gives the built-in provider's issuer and Kaz's
	// client at it (ok false while it is not ready). It is used when
	// Config.Issuer is empty.
	Builtin func() (issuer, clientID, secret string, ok bool)
	// HTTPClient reaches the provider (nil: a client with Config.HTTPTimeout).
	HTTPClient *http.Client
	Dir        *directory.Directory
	Store      *Store
	// AdminGroup is the Kaz group of administrators.
	AdminGroup string
	Log        *slog.Logger
}

// RP is Kaz's OpenID Connect relying party with its sessions, app
// passwords and MS-OFBA support.
type RP struct {
	cfg        Config
	publicURL  string
	origin     string
	secure     bool
	builtin    func() (string, string, string, bool)
	client     *http.Client
	dir        *directory.Directory
	store      *Store
	adminGroup string
	log        *slog.Logger
	userThr    *Throttle
	addrThr    *Throttle

	mu       sync.Mutex
	retry    time.Duration // least time between two discovery attempts
	prov     *provider
	lastErr  error
	lastTry  time.Time
	refreshd sync.Map // session hash → time of the last refresh attempt
}

// provider is the discovered provider.
type provider struct {
	issuer     string
	clientID   string
	p          *oidc.Provider
	verifier   *oidc.IDTokenVerifier
	oauth      oauth2.Config
	endSession string
	issParam   bool
	builtin    bool
	// atVerifier checks JWT access tokens (RFC 9068) whose audience is
	// Kaz's public URL rather than its client id.
	atVerifier *oidc.IDTokenVerifier
}

// New returns a relying party. Provider discovery is lazy: it happens at
// the first sign-in and is retried until it succeeds, so that Kaz starts
// while its provider (possibly itself) is not reachable yet.
func New(o Options) (*RP, error) {
	cfg := o.Config.withDefaults()
	if o.Store == nil || o.Dir == nil {
		return nil, errors.New("auth: store and directory are required")
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("auth: public URL %q is not a URL", o.PublicURL)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: cfg.HTTPTimeout}
	}
	return &RP{
		cfg: cfg, publicURL: strings.TrimRight(o.PublicURL, "/"), origin: u.Scheme + "://" + u.Host,
		secure: u.Scheme == "https", builtin: o.Builtin, client: client, dir: o.Dir, store: o.Store,
		adminGroup: o.AdminGroup, log: log.With("component", "auth"), retry: 2 * time.Second,
		userThr: NewThrottle(cfg.ThrottleUserFailures, cfg.ThrottleWindow),
		addrThr: NewThrottle(cfg.ThrottleAddressFailures, cfg.ThrottleWindow),
	}, nil
}

// Store returns the session and app-password store.
func (rp *RP) Store() *Store { return rp.store }

func (rp *RP) clientCtx(ctx context.Context) context.Context {
	ctx = oidc.ClientContext(ctx, rp.client)
	return context.WithValue(ctx, oauth2.HTTPClient, rp.client)
}

// provider discovers the provider once, retrying on later calls after a
// failure (at most every rp.retry).
func (rp *RP) provider(ctx context.Context) (*provider, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.prov != nil {
		return rp.prov, nil
	}
	if rp.lastErr != nil && time.Since(rp.lastTry) < rp.retry {
		return nil, rp.lastErr
	}
	rp.lastTry = time.Now()
	p, err := rp.discover(ctx)
	if err != nil {
		rp.lastErr = err
		rp.log.Warn("provider discovery failed (will retry)", "err", err)
		return nil, err
	}
	rp.prov, rp.lastErr = p, nil
	rp.log.Info("provider discovered", "issuer", p.issuer, "builtin", p.builtin)
	return p, nil
}

func (rp *RP) discover(ctx context.Context) (*provider, error) {
	issuer, clientID, secret := rp.cfg.Issuer, rp.cfg.ClientID, rp.cfg.ClientSecret
	builtin := false
	if issuer == "" {
		if rp.builtin == nil {
			return nil, errors.New("auth: no issuer configured and no built-in provider")
		}
		var ok bool
		issuer, clientID, secret, ok = rp.builtin()
		if !ok {
			return nil, errors.New("auth: the built-in provider is not ready")
		}
		builtin = true
	}
	dctx, cancel := context.WithTimeout(rp.clientCtx(ctx), rp.cfg.HTTPTimeout)
	defer cancel()
	op, err := oidc.NewProvider(dctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: discover %s: %w", issuer, err)
	}
	var meta struct {
		EndSession string   `json:"end_session_endpoint"`
		IssParam   bool     `json:"authorization_response_iss_parameter_supported"`
		Algs       []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := op.Claims(&meta); err != nil {
		return nil, fmt.Errorf("auth: discovery document: %w", err)
	}
	algs := allowedAlgs(meta.Algs)
	// The key set fetches keys long after this request: give it a context
	// that carries the client but does not end with the request.
	vctx := rp.clientCtx(context.Background())
	p := &provider{
		issuer: issuer, clientID: clientID, p: op, builtin: builtin,
		verifier:   op.VerifierContext(vctx, &oidc.Config{ClientID: clientID, SupportedSigningAlgs: algs}),
		atVerifier: op.VerifierContext(vctx, &oidc.Config{ClientID: rp.publicURL, SupportedSigningAlgs: algs}),
		oauth: oauth2.Config{
			ClientID: clientID, ClientSecret: secret, Endpoint: op.Endpoint(),
			RedirectURL: rp.publicURL + CallbackPath,
			Scopes:      append([]string{oidc.ScopeOpenID}, rp.cfg.Scopes...),
		},
		endSession: meta.EndSession, issParam: meta.IssParam,
	}
	return p, nil
}

// allowedAlgs keeps the asymmetric algorithms the provider advertises:
// never "none", never HMAC (whose key would be the client secret, or worse
// a public key used as one).
func allowedAlgs(advertised []string) []string {
	known := map[string]bool{
		oidc.RS256: true, oidc.RS384: true, oidc.RS512: true, oidc.ES256: true, oidc.ES384: true,
		oidc.ES512: true, oidc.PS256: true, oidc.PS384: true, oidc.PS512: true, oidc.EdDSA: true,
	}
	var out []string
	for _, a := range advertised {
		if known[a] && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		out = []string{oidc.RS256} // OIDC Core §15.1: RS256 is mandatory
	}
	return out
}

func hashState(state string) string {
	h := sha256.Sum256([]byte(state))
	return hex.EncodeToString(h[:])
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// login starts the authorization code flow: PKCE S256, a nonce, and a
// single-use state bound to this browser by a short-lived cookie holding
// its hash.
func (rp *RP) login(w http.ResponseWriter, r *http.Request, kind, returnTo string) {
	p, err := rp.provider(r.Context())
	if err != nil {
		writeRefusal(w, refusedProvider, reqctx.ID(r.Context()))
		return
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	if err := rp.store.saveFlow(r.Context(), state, flow{Nonce: nonce, Verifier: verifier, ReturnTo: returnTo, Kind: kind}); err != nil {
		rp.log.Error("sign-in flow not saved", "req_id", reqctx.ID(r.Context()), "err", err)
		writeRefusal(w, refusedInternal, reqctx.ID(r.Context()))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie, Value: hashState(state), Path: "/auth/", MaxAge: int(flowLifetime / time.Second),
		HttpOnly: true, Secure: rp.secure, SameSite: http.SameSiteLaxMode,
	})
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if rp.cfg.ACRValues != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", rp.cfg.ACRValues))
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.oauth.AuthCodeURL(state, opts...), http.StatusFound)
}

// idClaims are the ID token and userinfo claims Kaz reads.
type idClaims struct {
	Nonce    string          `json:"nonce"`
	Azp      string          `json:"azp"`
	Acr      string          `json:"acr"`
	Amr      []string        `json:"amr"`
	Sid      string          `json:"sid"`
	IssuedAt json.RawMessage `json:"iat"`
}

// refuse logs why a sign-in was refused and writes its page. No session is
// created on any refusal.
func (rp *RP) refuse(w http.ResponseWriter, r *http.Request, rf Refusal, why string, err error) {
	rp.log.Warn("sign-in refused", "req_id", reqctx.ID(r.Context()), "code", rf.Code, "why", why, "err", err,
		"remote", reqctx.ClientIP(r.Context()).String())
	writeRefusal(w, rf, reqctx.ID(r.Context()))
}

// callback completes the authorization code flow.
func (rp *RP) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	// The state cookie is single-use whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: "/auth/", MaxAge: -1, HttpOnly: true, Secure: rp.secure, SameSite: http.SameSiteLaxMode})
	state := q.Get("state")
	c, cerr := r.Cookie(stateCookie)
	if state == "" || cerr != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(hashState(state))) != 1 {
		rp.refuse(w, r, refusedState, "state missing or not bound to this browser", nil)
		return
	}
	f, ok, err := rp.store.takeFlow(ctx, state)
	if err != nil {
		rp.refuse(w, r, refusedInternal, "flow lookup", err)
		return
	}
	if !ok {
		rp.refuse(w, r, refusedState, "state unknown, used or expired", nil)
		return
	}
	p, err := rp.provider(ctx)
	if err != nil {
		rp.refuse(w, r, refusedProvider, "discovery", err)
		return
	}
	// RFC 9207: the iss parameter, when sent (or promised), names our issuer.
	if iss, has := q["iss"]; has || p.issParam {
		if !has || len(iss) != 1 || iss[0] != p.issuer {
			rp.refuse(w, r, refusedIssuer, "iss parameter mismatch", fmt.Errorf("got %q", q.Get("iss")))
			return
		}
	}
	if e := q.Get("error"); e != "" {
		rp.refuse(w, r, refusedDenied, "provider error", fmt.Errorf("%.100q: %.200q", e, q.Get("error_description")))
		return
	}
	code := q.Get("code")
	if code == "" {
		rp.refuse(w, r, refusedToken, "no code", nil)
		return
	}
	tctx, cancel := context.WithTimeout(rp.clientCtx(ctx), rp.cfg.HTTPTimeout)
	defer cancel()
	tok, err := p.oauth.Exchange(tctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			rp.refuse(w, r, refusedToken, "code exchange refused", err)
		} else {
			rp.refuse(w, r, refusedProvider, "code exchange", err)
		}
		return
	}
	sess, rf, why, err := rp.verifyTokens(tctx, p, tok, f.Nonce, nil)
	if rf != nil {
		rp.refuse(w, r, *rf, why, err)
		return
	}
	sess.Method = "session"
	if f.Kind == "ofba" {
		sess.Method = "ofba"
	}
	// Rotate: a sign-in never reuses the session the browser had.
	if old, err := r.Cookie(SessionCookie); err == nil {
		if _, ok := parseSessionToken(old.Value); ok {
			_ = rp.store.DeleteSession(ctx, rp.store.hash("session", old.Value))
		}
	}
	token, err := rp.store.CreateSession(ctx, sess, rp.cfg.SessionMaxAge)
	if err != nil {
		rp.refuse(w, r, refusedInternal, "create session", err)
		return
	}
	rp.setSessionCookie(w, token)
	rp.log.Info("signed in", "req_id", reqctx.ID(ctx), "user", sess.User, "amr", strings.Join(sess.AMR, " "), "method", sess.Method)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, f.ReturnTo, http.StatusSeeOther)
}

func (rp *RP) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", MaxAge: int(rp.cfg.SessionMaxAge / time.Second),
		HttpOnly: true, Secure: rp.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (rp *RP) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: rp.secure, SameSite: http.SameSiteLaxMode})
}

// verifyTokens checks a token response and maps it to a session for a
// Kaz user. prev, for a refresh, is the session whose iss and sub must not
// change. On refusal it returns the refusal, a log reason and the cause.
func (rp *RP) verifyTokens(ctx context.Context, p *provider, tok *oauth2.Token, nonce string, prev *Session) (*Session, *Refusal, string, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		if prev != nil {
			// OIDC Core §12.2: a refresh response may omit the ID token.
			return prev, nil, "", nil
		}
		return nil, &refusedToken, "no id_token in token response", nil
	}
	// Signature (advertised asymmetric algorithms only), iss, aud, exp.
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		if strings.Contains(err.Error(), "issued by a different provider") {
			return nil, &refusedIssuer, "id token issuer", err
		}
		return nil, &refusedToken, "id token verification", err
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		return nil, &refusedToken, "id token claims", err
	}
	if prev == nil {
		if nonce == "" || subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(nonce)) != 1 {
			return nil, &refusedToken, "nonce mismatch", nil
		}
	} else if idt.Issuer != prev.Issuer || idt.Subject != prev.Subject {
		return nil, &refusedToken, "refresh changed iss or sub", fmt.Errorf("iss %q sub %q", idt.Issuer, idt.Subject)
	}
	// OIDC Core §3.1.3.7 (4, 5): with several audiences, or an azp, the azp
	// must be Kaz.
	if (len(idt.Audience) > 1 || c.Azp != "") && c.Azp != p.clientID {
		return nil, &refusedToken, "azp is not this client", fmt.Errorf("azp %q aud %q", c.Azp, idt.Audience)
	}
	if len(c.IssuedAt) == 0 || idt.IssuedAt.After(time.Now().Add(5*time.Minute)) {
		return nil, &refusedToken, "iat missing or in the future", nil
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, &refusedToken, "at_hash", err
		}
	}
	if prev != nil {
		out := *prev
		out.IDToken = raw
		return &out, nil, "", nil
	}
	// All claims: userinfo first, the ID token's on top.
	claims := map[string]any{}
	if p.p.UserInfoEndpoint() != "" && tok.AccessToken != "" {
		ui, err := p.p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, &refusedProvider, "userinfo", err
		}
		// OIDC Core §5.3.2: the userinfo sub must be the ID token's.
		if ui.Subject != idt.Subject {
			return nil, &refusedToken, "userinfo sub differs from id token sub", nil
		}
		_ = ui.Claims(&claims)
	}
	var idc map[string]any
	if err := idt.Claims(&idc); err != nil {
		return nil, &refusedToken, "id token claims", err
	}
	for k, v := range idc {
		claims[k] = v
	}
	if rp.cfg.RequireMFA && !rp.secondFactor(c.Acr, c.Amr) {
		return nil, &refusedMFA, "no second factor in acr/amr", fmt.Errorf("acr %q amr %q", c.Acr, c.Amr)
	}
	name, _ := claims[rp.cfg.UsernameClaim].(string)
	if name == "" {
		name = idt.Subject
	}
	if !directory.ValidName(name) {
		return nil, &refusedUser, "user name not acceptable", fmt.Errorf("%.80q", name)
	}
	var u directory.User
	name, err = rp.store.BindIdentity(ctx, idt.Issuer, idt.Subject, name)
	if errors.Is(err, ErrIdentityTaken) {
		return nil, &refusedUser, "user name already bound to another subject", fmt.Errorf("%.80q", name)
	}
	if err != nil {
		return nil, &refusedInternal, "bind identity", err
	}
	if p.builtin {
		u, err = rp.dir.Get(ctx, name)
	} else {
		display, _ := claims["name"].(string)
		email, _ := claims["email"].(string)
		u, err = rp.dir.EnsureExternal(ctx, directory.User{Name: name, DisplayName: display, Email: email, Groups: stringList(claims[rp.cfg.GroupsClaim])})
	}
	if errors.Is(err, directory.ErrNotFound) {
		return nil, &refusedUser, "unknown user", nil
	}
	if err != nil {
		return nil, &refusedInternal, "directory", err
	}
	if u.Disabled {
		return nil, &refusedUser, "disabled user", nil
	}
	return &Session{
		User: u.Name, AMR: c.Amr, Issuer: idt.Issuer, Subject: idt.Subject, SID: c.Sid,
		IDToken: raw, RefreshToken: tok.RefreshToken, TokenExpiry: tok.Expiry,
	}, nil, "", nil
}

// secondFactor reports whether acr or amr shows a second factor.
func (rp *RP) secondFactor(acr string, amr []string) bool {
	if acr != "" && slices.Contains(rp.cfg.MFAACR, acr) {
		return true
	}
	for _, a := range amr {
		if slices.Contains(rp.cfg.MFAAMR, a) {
			return true
		}
	}
	return false
}

// stringList reads a groups claim: a JSON array of strings, or one string.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// refresh renews the provider tokens of sess when its access token has
// expired, at most once a minute per session. A refresh the provider
// refuses ends the session (the provider ended it); a provider that cannot
// be reached leaves it alone.
func (rp *RP) refresh(ctx context.Context, sess *Session) error {
	if sess.RefreshToken == "" || sess.TokenExpiry.IsZero() || time.Now().Before(sess.TokenExpiry) {
		return nil
	}
	// One attempt at a time per session: refresh tokens may rotate, and a
	// second concurrent use of the old one would be refused.
	now := time.Now()
	if v, loaded := rp.refreshd.LoadOrStore(sess.IDHash, now); loaded {
		if time.Since(v.(time.Time)) < time.Minute || !rp.refreshd.CompareAndSwap(sess.IDHash, v, now) {
			return nil
		}
	}
	// The entry stays: a request that read the session before this refresh
	// stored its new tokens must not refresh again with the old ones.
	_, err := rp.Refresh(ctx, sess)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) || errors.Is(err, ErrBadCredentials) {
		rp.log.Info("session ended: the provider refused to refresh it", "user", sess.User, "err", err)
		_ = rp.store.DeleteSession(ctx, sess.IDHash)
		return ErrBadCredentials
	}
	if err != nil {
		rp.log.Warn("token refresh failed (session kept)", "user", sess.User, "err", err)
	}
	return nil
}

// Refresh uses the refresh token of sess now, checks that a new ID token
// keeps the same iss and sub, and stores the new tokens.
func (rp *RP) Refresh(ctx context.Context, sess *Session) (*Session, error) {
	if sess.RefreshToken == "" {
		return nil, errors.New("auth: session has no refresh token")
	}
	p, err := rp.provider(ctx)
	if err != nil {
		return nil, err
	}
	tctx, cancel := context.WithTimeout(rp.clientCtx(ctx), rp.cfg.HTTPTimeout)
	defer cancel()
	old := &oauth2.Token{RefreshToken: sess.RefreshToken, Expiry: time.Unix(1, 0)}
	tok, err := p.oauth.TokenSource(tctx, old).Token()
	if err != nil {
		return nil, fmt.Errorf("auth: refresh: %w", err)
	}
	next, rf, why, err := rp.verifyTokens(tctx, p, tok, "", sess)
	if rf != nil {
		return nil, fmt.Errorf("auth: refresh refused (%s): %w: %v", why, ErrBadCredentials, err)
	}
	out := *next
	out.TokenExpiry = tok.Expiry
	if tok.RefreshToken != "" {
		out.RefreshToken = tok.RefreshToken
	}
	if err := rp.store.UpdateTokens(ctx, sess.IDHash, out.IDToken, out.RefreshToken, out.TokenExpiry); err != nil {
		return nil, err
	}
	return &out, nil
}

// backchannelLogout receives a logout token from the provider (OIDC
// Back-Channel Logout 1.0 §2.5, §2.6) and ends the matching sessions.
func (rp *RP) backchannelLogout(w http.ResponseWriter, r *http.Request) {
	bad := func(why string, err error) {
		rp.log.Warn("back-channel logout refused", "req_id", reqctx.ID(r.Context()), "why", why, "err", err)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_request"}` + "\n"))
	}
	if err := readBody(w, r, 64<<10); err != nil {
		bad("body not read", err)
		return
	}
	raw := r.PostFormValue("logout_token")
	if raw == "" {
		bad("no logout_token", nil)
		return
	}
	p, err := rp.provider(r.Context())
	if err != nil {
		bad("provider unavailable", err)
		return
	}
	// Signature, iss, aud, exp, events present, sub or sid present, no nonce.
	lt, err := p.verifier.VerifyLogout(r.Context(), raw)
	if err != nil {
		bad("logout token verification", err)
		return
	}
	var extra struct {
		Events map[string]json.RawMessage `json:"events"`
		Iat    *json.Number               `json:"iat"`
	}
	if err := lt.Claims(&extra); err != nil {
		bad("logout token claims", err)
		return
	}
	if ev := strings.TrimSpace(string(extra.Events[backchannelEvent])); !strings.HasPrefix(ev, "{") {
		bad("events member is not a JSON object", nil)
		return
	}
	now := time.Now()
	if extra.Iat == nil || lt.IssuedAt.After(now.Add(5*time.Minute)) || lt.IssuedAt.Before(now.Add(-time.Hour)) {
		bad("iat missing or not recent", nil)
		return
	}
	var azp struct {
		Azp string `json:"azp"`
	}
	_ = lt.Claims(&azp)
	if azp.Azp != "" && azp.Azp != p.clientID {
		bad("azp is not this client", nil)
		return
	}
	exp := lt.Expiry
	if exp.Before(now.Add(10 * time.Minute)) {
		exp = now.Add(10 * time.Minute)
	}
	replay, err := rp.store.SeenLogoutToken(r.Context(), lt.Issuer, lt.TokenID, exp)
	if err != nil {
		rp.log.Error("back-channel logout", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if replay {
		bad("jti replayed", nil)
		return
	}
	n, err := rp.store.EndProviderSessions(r.Context(), lt.Issuer, lt.Subject, lt.SessionID, rp.cfg.RevokeAppPasswordsOnLogout)
	if err != nil {
		rp.log.Error("back-channel logout", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	rp.log.Info("back-channel logout", "req_id", reqctx.ID(r.Context()), "sessions", n)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
