package idp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/kazhq/kaz/internal/sqldb"
)

// RFC 8176 authentication method references, and the acr values Kaz
// issues: "pwd" (password only), "mfa" (password and a one-time code),
// "phr" (password and a phishing-resistant security key).
const (
	amrPwd = "pwd"
	amrOTP = "otp"
	amrHwk = "hwk"
	amrMFA = "mfa"

	ACRPassword          = "pwd"
	ACRMFA               = "mfa"
	ACRPhishingResistant = "phr"
)

// authRequestLifetime bounds a sign-in from the authorize call to the code
// exchange.
const authRequestLifetime = 30 * time.Minute

// authRequest is one authorization request with the progress of its
// sign-in. It is stored as JSON.
type authRequest struct {
	ID            string    `json:"id"`
	Created       time.Time `json:"created"`
	ClientID      string    `json:"client_id"`
	RedirectURI   string    `json:"redirect_uri"`
	State         string    `json:"state"`
	Nonce         string    `json:"nonce"`
	Scopes        []string  `json:"scopes"`
	ResponseType  string    `json:"response_type"`
	ResponseMode  string    `json:"response_mode"`
	CodeChallenge string    `json:"code_challenge"`
	CodeMethod    string    `json:"code_method"`
	UILocales     []string  `json:"ui_locales,omitempty"`
	LoginHint     string    `json:"login_hint,omitempty"`

	// Sign-in progress.
	User     string    `json:"user,omitempty"`     // set once the password is right
	Browser  string    `json:"browser,omitempty"`  // hash of the browser-binding cookie
	Complete bool      `json:"complete,omitempty"` // every required factor passed
	AMR      []string  `json:"amr,omitempty"`
	ACR      string    `json:"acr,omitempty"`
	AuthTime time.Time `json:"auth_time"`
	SID      string    `json:"sid,omitempty"`
	// Enrolment in progress.
	PendingTOTP string                `json:"pending_totp,omitempty"`
	WebAuthn    *webauthn.SessionData `json:"webauthn,omitempty"`
	// RecoveryCodes are shown once after enrolment, then cleared.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

func (a *authRequest) GetID() string          { return a.ID }
func (a *authRequest) GetACR() string         { return a.ACR }
func (a *authRequest) GetAMR() []string       { return a.AMR }
func (a *authRequest) GetAudience() []string  { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.AuthTime }
func (a *authRequest) GetClientID() string    { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: oidc.CodeChallengeMethod(a.CodeMethod)}
}
func (a *authRequest) GetNonce() string                   { return a.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(a.ResponseType) }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.ResponseMode) }
func (a *authRequest) GetScopes() []string                { return a.Scopes }
func (a *authRequest) GetState() string                   { return a.State }
func (a *authRequest) GetSubject() string                 { return a.User }
func (a *authRequest) Done() bool                         { return a.Complete && a.User != "" }

// refreshRequest is a stored refresh token presented again.
type refreshRequest struct {
	ID       string
	ClientID string
	Subject  string
	SID      string
	Audience []string
	Scopes   []string
	AMR      []string
	ACR      string
	AuthTime time.Time
}

func (r *refreshRequest) GetAMR() []string            { return r.AMR }
func (r *refreshRequest) GetAudience() []string       { return r.Audience }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.Scopes }
func (r *refreshRequest) GetSubject() string          { return r.Subject }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.Scopes = s }

// Client is a registered relying party.
type Client struct {
	ID                      string
	Secret                  string
	RedirectURIs_           []string
	PostLogoutRedirectURIs_ []string
	BackchannelLogoutURI    string
	// Dev allows plain-HTTP redirect URIs (loopback deployments).
	Dev      bool
	loginURL string
	idLife   time.Duration
}

func (c *Client) GetID() string                       { return c.ID }
func (c *Client) RedirectURIs() []string              { return c.RedirectURIs_ }
func (c *Client) PostLogoutRedirectURIs() []string    { return c.PostLogoutRedirectURIs_ }
func (c *Client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *Client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *Client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *Client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *Client) LoginURL(id string) string            { return c.loginURL + "?authRequestID=" + id }
func (c *Client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *Client) IDTokenLifetime() time.Duration       { return c.idLife }
func (c *Client) DevMode() bool                        { return c.Dev }
func (c *Client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *Client) ClockSkew() time.Duration             { return 0 }
func (c *Client) IsScopeAllowed(scope string) bool     { return scope == "groups" }
func (c *Client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *Client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// RegisterClient creates or updates a client.
func (s *Store) RegisterClient(ctx context.Context, c Client) error {
	ru, _ := json.Marshal(c.RedirectURIs_)
	pl, _ := json.Marshal(c.PostLogoutRedirectURIs_)
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_clients (id, secret, redirect_uris, post_logout_uris, backchannel_uri, dev_mode) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, redirect_uris = excluded.redirect_uris,
		post_logout_uris = excluded.post_logout_uris, backchannel_uri = excluded.backchannel_uri, dev_mode = excluded.dev_mode`),
		c.ID, c.Secret, string(ru), string(pl), c.BackchannelLogoutURI, c.Dev)
	if err != nil {
		return fmt.Errorf("idp: register client %s: %w", c.ID, err)
	}
	return nil
}

// ClientSecret returns the persisted secret of the named built-in client,
// creating a random one the first time.
func (s *Store) ClientSecret(ctx context.Context, clientID string) (string, error) {
	return s.secret(ctx, "client:"+clientID, func() (string, error) { return randomToken(32), nil })
}

func (s *Store) client(ctx context.Context, id string) (*Client, error) {
	c := &Client{ID: id}
	var ru, pl string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT secret, redirect_uris, post_logout_uris, backchannel_uri, dev_mode FROM idp_clients WHERE id = ?`), id).
		Scan(&c.Secret, &ru, &pl, &c.BackchannelLogoutURI, &c.Dev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errors.New("idp: unknown client")
	}
	if err != nil {
		return nil, fmt.Errorf("idp: read client: %w", err)
	}
	json.Unmarshal([]byte(ru), &c.RedirectURIs_)
	json.Unmarshal([]byte(pl), &c.PostLogoutRedirectURIs_)
	return c, nil
}

func (s *Store) clients(ctx context.Context) ([]*Client, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM idp_clients ORDER BY id`)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var cs []*Client
	for _, id := range ids {
		c, err := s.client(ctx, id)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// ---- auth requests

func (s *Store) saveAuthRequest(ctx context.Context, a *authRequest) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_auth_requests (id, data, created) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data`), a.ID, string(b), sqldb.FormatTime(a.Created))
	if err != nil {
		return fmt.Errorf("idp: save auth request: %w", err)
	}
	return nil
}

var errRequestNotFound = errors.New("idp: sign-in request not found or expired")

func (s *Store) loadAuthRequest(ctx context.Context, where string, arg string) (*authRequest, error) {
	var data string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT data FROM idp_auth_requests WHERE `+where+` = ?`), arg).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errRequestNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("idp: read auth request: %w", err)
	}
	a := new(authRequest)
	if err := json.Unmarshal([]byte(data), a); err != nil {
		return nil, fmt.Errorf("idp: decode auth request: %w", err)
	}
	if s.now().Sub(a.Created) > authRequestLifetime {
		return nil, errRequestNotFound
	}
	return a, nil
}

// CreateAuthRequest implements op.Storage. Kaz requires PKCE with S256.
func (s *Store) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if r.CodeChallenge == "" || r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method S256 is required")
	}
	for _, p := range r.Prompt {
		if p == oidc.PromptNone {
			// No single sign-on session at the provider: a sign-in needs the user.
			return nil, oidc.ErrLoginRequired()
		}
	}
	a := &authRequest{
		ID: randomToken(24), Created: s.now(), ClientID: r.ClientID, RedirectURI: r.RedirectURI,
		State: r.State, Nonce: r.Nonce, Scopes: r.Scopes, ResponseType: string(r.ResponseType),
		ResponseMode: string(r.ResponseMode), CodeChallenge: r.CodeChallenge, CodeMethod: string(r.CodeChallengeMethod),
		LoginHint: r.LoginHint,
	}
	for _, l := range r.UILocales {
		a.UILocales = append(a.UILocales, l.String())
	}
	// Housekeeping: forget abandoned sign-ins.
	s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_auth_requests WHERE created < ?`), sqldb.FormatTime(s.now().Add(-authRequestLifetime)))
	if err := s.saveAuthRequest(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// AuthRequestByID implements op.Storage.
func (s *Store) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.loadAuthRequest(ctx, "id", id)
}

// codeLifetime bounds an authorization code (RFC 6749 §4.1.2 recommends
// at most 10 minutes).
const codeLifetime = 10 * time.Minute

// AuthRequestByCode implements op.Storage.
func (s *Store) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	a, err := s.loadAuthRequest(ctx, "code", sha256Hex(code))
	if err != nil {
		return nil, err
	}
	if !a.Done() || s.now().Sub(a.AuthTime) > codeLifetime {
		return nil, errRequestNotFound
	}
	return a, nil
}

// SaveAuthCode implements op.Storage; only a hash of the code is kept.
func (s *Store) SaveAuthCode(ctx context.Context, id, code string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE idp_auth_requests SET code = ? WHERE id = ?`), sha256Hex(code), id)
	return err
}

// DeleteAuthRequest implements op.Storage (the code is then spent).
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_auth_requests WHERE id = ?`), id)
	return err
}

// ---- tokens

func tokenInfo(req op.TokenRequest) (clientID, sid string, amr []string, acr string, authTime time.Time) {
	switch r := req.(type) {
	case *authRequest:
		return r.ClientID, r.SID, r.AMR, r.ACR, r.AuthTime
	case *refreshRequest:
		return r.ClientID, r.SID, r.AMR, r.ACR, r.AuthTime
	}
	return "", "", nil, "", time.Time{}
}

func joinList(l []string) string { b, _ := json.Marshal(l); return string(b) }
func splitList(s string) []string {
	var l []string
	json.Unmarshal([]byte(s), &l)
	return l
}

func (s *Store) insertAccessToken(ctx context.Context, tx *sql.Tx, req op.TokenRequest, refreshID string) (string, time.Time, error) {
	clientID, sid, _, _, _ := tokenInfo(req)
	id := randomToken(24)
	exp := s.now().Add(s.cfg.AccessTokenLifetime)
	_, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_tokens (id, client_id, subject, sid, refresh_id, audience, scopes, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		id, clientID, req.GetSubject(), sid, refreshID, joinList(req.GetAudience()), joinList(req.GetScopes()), sqldb.FormatTime(exp))
	return id, exp, err
}

// CreateAccessToken implements op.Storage.
func (s *Store) CreateAccessToken(ctx context.Context, req op.TokenRequest) (id string, exp time.Time, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		s.pruneTokens(ctx, tx)
		id, exp, err = s.insertAccessToken(ctx, tx, req, "")
		return err
	})
	return id, exp, err
}

func (s *Store) pruneTokens(ctx context.Context, tx *sql.Tx) {
	now := sqldb.FormatTime(s.now())
	tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_tokens WHERE expires < ?`), now)
	tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_refresh_tokens WHERE expires < ?`), now)
}

// CreateAccessAndRefreshTokens implements op.Storage, rotating the refresh
// token at each use (RFC 6819 §5.2.2.3).
func (s *Store) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (accessID, refresh string, exp time.Time, err error) {
	clientID, sid, amr, acr, authTime := tokenInfo(req)
	if clientID == "" {
		return "", "", time.Time{}, errors.New("idp: unsupported token request")
	}
	refresh = randomToken(32)
	rid := sha256Hex(refresh)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		s.pruneTokens(ctx, tx)
		if current != "" {
			res, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_refresh_tokens WHERE id = ?`), sha256Hex(current))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return op.ErrInvalidRefreshToken
			}
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_tokens WHERE refresh_id = ?`), sha256Hex(current)); err != nil {
				return err
			}
		}
		var err error
		accessID, exp, err = s.insertAccessToken(ctx, tx, req, rid)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_refresh_tokens (id, client_id, subject, sid, audience, scopes, amr, acr, auth_time, access_id, expires)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), rid, clientID, req.GetSubject(), sid, joinList(req.GetAudience()), joinList(req.GetScopes()),
			joinList(amr), acr, sqldb.FormatTime(authTime), accessID, sqldb.FormatTime(s.now().Add(s.cfg.RefreshTokenLifetime)))
		return err
	})
	if err != nil {
		return "", "", time.Time{}, err
	}
	return accessID, refresh, exp, nil
}

// TokenRequestByRefreshToken implements op.Storage. A refresh token dies
// with its provider session and with its user's account.
func (s *Store) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	r := &refreshRequest{ID: sha256Hex(token)}
	var aud, scopes, amr, authTime, expires string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT client_id, subject, sid, audience, scopes, amr, acr, auth_time, expires FROM idp_refresh_tokens WHERE id = ?`), r.ID).
		Scan(&r.ClientID, &r.Subject, &r.SID, &aud, &scopes, &amr, &r.ACR, &authTime, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, op.ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, err
	}
	if s.now().After(sqldb.ParseTime(expires)) {
		return nil, op.ErrInvalidRefreshToken
	}
	if !s.sessionActive(ctx, r.SID) {
		return nil, op.ErrInvalidRefreshToken
	}
	if _, err := s.activeUser(ctx, r.Subject); err != nil {
		return nil, op.ErrInvalidRefreshToken
	}
	r.Audience, r.Scopes, r.AMR, r.AuthTime = splitList(aud), splitList(scopes), splitList(amr), sqldb.ParseTime(authTime)
	return r, nil
}

// TerminateSession implements op.Storage.
func (s *Store) TerminateSession(ctx context.Context, userID, clientID string) error {
	_, err := s.endSessions(ctx, `user_name = ? AND client_id = ?`, userID, clientID)
	return err
}

// GetRefreshTokenInfo implements op.Storage.
func (s *Store) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	var sub string
	id := sha256Hex(token)
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT subject FROM idp_refresh_tokens WHERE id = ? AND client_id = ?`), id, clientID).Scan(&sub)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return sub, id, nil
}

// RevokeToken implements op.Storage (RFC 7009).
func (s *Store) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_tokens WHERE id = ? AND client_id = ?`), tokenOrID, clientID); err != nil {
			return err
		}
		// A refresh token arrives as its ID (from GetRefreshTokenInfo) or raw.
		for _, id := range []string{tokenOrID, sha256Hex(tokenOrID)} {
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_tokens WHERE refresh_id = ? AND client_id = ?`), id, clientID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_refresh_tokens WHERE id = ? AND client_id = ?`), id, clientID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// ---- keys

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct{ *signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

// loadSigningKey returns the persisted RS256 key, generating it once.
func (s *Store) loadSigningKey(ctx context.Context) (*signingKey, error) {
	v, err := s.secret(ctx, "signing-key", func() (string, error) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return "", err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return "", err
		}
		return randomToken(12) + "\n" + string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
	})
	if err != nil {
		return nil, err
	}
	kid, p, _ := strings.Cut(v, "\n")
	blk, _ := pem.Decode([]byte(p))
	if blk == nil {
		return nil, errors.New("idp: stored signing key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("idp: stored signing key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("idp: stored signing key is not RSA")
	}
	return &signingKey{id: kid, key: rk}, nil
}

// ---- provider sessions (one per completed sign-in; the sid claim)

func (s *Store) createSession(ctx context.Context, user, clientID string, amr []string) (string, error) {
	sid := randomToken(18)
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_sessions (sid, user_name, client_id, amr, created) VALUES (?, ?, ?, ?, ?)`),
		sid, user, clientID, joinList(amr), sqldb.Now())
	if err != nil {
		return "", fmt.Errorf("idp: create session: %w", err)
	}
	return sid, nil
}

func (s *Store) sessionActive(ctx context.Context, sid string) bool {
	var ended string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT ended FROM idp_sessions WHERE sid = ?`), sid).Scan(&ended)
	return err == nil && ended == ""
}

type endedSession struct{ SID, User, ClientID string }

// endSessions ends the matching active sessions, revokes their refresh
// tokens, and returns them (for back-channel logout).
func (s *Store) endSessions(ctx context.Context, where string, args ...any) ([]endedSession, error) {
	var out []endedSession
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.db.Rebind(`SELECT sid, user_name, client_id FROM idp_sessions WHERE ended = '' AND `+where), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e endedSession
			if err := rows.Scan(&e.SID, &e.User, &e.ClientID); err != nil {
				rows.Close()
				return err
			}
			out = append(out, e)
		}
		rows.Close()
		for _, e := range out {
			for _, q := range []string{
				`UPDATE idp_sessions SET ended = ? WHERE sid = ?`,
			} {
				if _, err := tx.ExecContext(ctx, s.db.Rebind(q), sqldb.Now(), e.SID); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_refresh_tokens WHERE sid = ?`), e.SID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_tokens WHERE sid = ?`), e.SID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("idp: end sessions: %w", err)
	}
	return out, nil
}
