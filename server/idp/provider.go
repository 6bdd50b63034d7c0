package idp

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/sqldb"
)

// Options configure a Provider.
type Options struct {
	DB  *sqldb.DB
	Dir *directory.Directory
	// Config is the "idp:" section.
	Config Config
	// PublicURL is Kaz's public URL (scheme://host[:port]); the issuer is
	// PublicURL + "/idp".
	PublicURL string
	// Log receives the provider's logs; nil discards them.
	Log *slog.Logger
	// HTTPClient's transport posts back-channel logout tokens (nil: the
	// default transport).
	HTTPClient *http.Client
}

// Provider is the built-in OpenID provider: the op.Storage over the
// database and the login pages.
type Provider struct {
	*Store
	log     *slog.Logger
	issuer  string
	base    string // path prefix of the provider ("/idp")
	secure  bool   // served over https: Secure cookies
	op      *op.Provider
	wa      *webauthn.WebAuthn
	key     *signingKey
	csrfKey []byte
	pages   *pages
	handler http.Handler
}

var _ op.Storage = (*Provider)(nil)

// New creates the provider, its tables and its persisted keys.
func New(ctx context.Context, o Options) (*Provider, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	log := o.Log.With("component", "idp")
	pu, err := url.Parse(strings.TrimRight(o.PublicURL, "/"))
	if err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
		return nil, fmt.Errorf("idp: public URL %q is not an http(s) URL", o.PublicURL)
	}
	st, err := OpenStore(ctx, o.DB, o.Dir, o.Config)
	if err != nil {
		return nil, err
	}
	st.SetHTTPClient(o.HTTPClient)
	p := &Provider{Store: st, log: log, issuer: pu.String() + "/idp", base: pu.Path + "/idp", secure: pu.Scheme == "https"}
	if p.key, err = st.loadSigningKey(ctx); err != nil {
		return nil, err
	}
	cryptoKey, err := st.secret(ctx, "token-key", func() (string, error) { return randomToken(32), nil })
	if err != nil {
		return nil, err
	}
	csrf, err := st.secret(ctx, "csrf-key", func() (string, error) { return randomToken(32), nil })
	if err != nil {
		return nil, err
	}
	p.csrfKey = []byte(csrf)
	if ip, err := netip.ParseAddr(pu.Hostname()); err == nil {
		// WebAuthn relying party IDs are domain names: browsers refuse
		// security keys on an IP address.
		log.Warn("security keys are unavailable when Kaz is reached by IP address; set server.public_url to a host name (for example http://localhost:8080)", "host", ip.String())
	} else {
		p.wa, err = webauthn.New(&webauthn.Config{
			RPID:          pu.Hostname(),
			RPDisplayName: "Kaz",
			RPOrigins:     []string{pu.Scheme + "://" + pu.Host},
		})
		if err != nil {
			return nil, fmt.Errorf("idp: webauthn: %w", err)
		}
	}
	cfg := &op.Config{
		CryptoKey:                         sha256.Sum256([]byte(cryptoKey)),
		CryptoKeyId:                       "k1",
		DefaultLogoutRedirectURI:          p.base + "/logged-out",
		CodeMethodS256:                    true,
		AuthMethodPost:                    true,
		GrantTypeRefreshToken:             true,
		SupportedUILocales:                []language.Tag{language.French, language.English},
		SupportedClaims:                   []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "azp", "sid", "name", "preferred_username", "email", "groups"},
		SupportedScopes:                   []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess, "groups"},
		BackChannelLogoutSupported:        true,
		BackChannelLogoutSessionSupported: true,
	}
	var opts []op.Option
	if pu.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(cfg, p, op.StaticIssuer(p.issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("idp: provider: %w", err)
	}
	if p.pages, err = loadPages(); err != nil {
		return nil, err
	}
	p.handler = p.routes()
	return p, nil
}

// Issuer returns the issuer URL (public URL + "/idp").
func (p *Provider) Issuer() string { return p.issuer }

// Handler serves the provider; mount it at "/idp/" with the prefix
// stripped: mux.Handle("/idp/", http.StripPrefix("/idp", p.Handler())).
func (p *Provider) Handler() http.Handler { return p.handler }

// DisableUser disables user in the directory, ends their provider
// sessions and notifies the relying parties (back-channel logout).
func (p *Provider) DisableUser(ctx context.Context, user string) error {
	if err := p.dir.SetDisabled(ctx, user, true); err != nil {
		return err
	}
	_, err := p.LogoutUser(ctx, p.log, p.issuer, user)
	return err
}

// ---- op.Storage, the parts that need the provider

// SigningKey implements op.Storage.
func (p *Provider) SigningKey(context.Context) (op.SigningKey, error) { return p.key, nil }

// SignatureAlgorithms implements op.Storage.
func (p *Provider) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements op.Storage.
func (p *Provider) KeySet(context.Context) ([]op.Key, error) { return []op.Key{publicKey{p.key}}, nil }

// GetClientByClientID implements op.Storage.
func (p *Provider) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := p.client(ctx, id)
	if err != nil {
		return nil, err
	}
	c.loginURL = p.base + "/login"
	c.idLife = p.cfg.AccessTokenLifetime
	return c, nil
}

// AuthorizeClientIDSecret implements op.Storage (constant-time compare).
func (p *Provider) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := p.client(ctx, id)
	if err != nil {
		return err
	}
	if secret == "" || !constantEqual(c.Secret, secret) {
		return errors.New("idp: invalid client secret")
	}
	return nil
}

// SetUserinfoFromScopes implements op.Storage (deprecated; see
// SetUserinfoFromRequest).
func (p *Provider) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest implements op.CanSetUserinfoFromRequest: the ID
// token's user claims and its sid.
func (p *Provider) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := p.setUserinfo(ctx, ui, req.GetSubject(), scopes); err != nil {
		return err
	}
	switch r := req.(type) {
	case *authRequest:
		ui.AppendClaims("sid", r.SID)
	case *refreshRequest:
		ui.AppendClaims("sid", r.SID)
	}
	return nil
}

func (p *Provider) setUserinfo(ctx context.Context, ui *oidc.UserInfo, subject string, scopes []string) error {
	u, err := p.activeUser(ctx, subject)
	if err != nil {
		return fmt.Errorf("idp: user %q: %w", subject, err)
	}
	ui.Subject = u.Name
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeProfile:
			ui.PreferredUsername = u.Name
			ui.Name = u.DisplayName
		case oidc.ScopeEmail:
			if u.Email != "" {
				ui.Email = u.Email
				ui.EmailVerified = oidc.Bool(true)
			}
		}
	}
	// Groups always travel: Kaz's permissions hang on them.
	groups := u.Groups
	if groups == nil {
		groups = []string{}
	}
	ui.AppendClaims("groups", groups)
	return nil
}

type tokenRow struct {
	clientID, subject, sid string
	scopes, audience       []string
	expires                time.Time
}

func (p *Provider) token(ctx context.Context, id string) (*tokenRow, error) {
	t := &tokenRow{}
	var scopes, aud, exp string
	err := p.db.QueryRowContext(ctx, p.db.Rebind(`SELECT client_id, subject, sid, scopes, audience, expires FROM idp_tokens WHERE id = ?`), id).
		Scan(&t.clientID, &t.subject, &t.sid, &scopes, &aud, &exp)
	if err != nil {
		return nil, errors.New("idp: token invalid or expired")
	}
	t.scopes, t.audience, t.expires = splitList(scopes), splitList(aud), sqldb.ParseTime(exp)
	if p.now().After(t.expires) {
		return nil, errors.New("idp: token expired")
	}
	return t, nil
}

// SetUserinfoFromToken implements op.Storage (the userinfo endpoint).
func (p *Provider) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, origin string) error {
	t, err := p.token(ctx, tokenID)
	if err != nil {
		return err
	}
	if t.subject != subject {
		return errors.New("idp: token subject mismatch")
	}
	return p.setUserinfo(ctx, ui, t.subject, t.scopes)
}

// SetIntrospectionFromToken implements op.Storage.
func (p *Provider) SetIntrospectionFromToken(ctx context.Context, ir *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := p.token(ctx, tokenID)
	if err != nil {
		return err
	}
	ok := false
	for _, a := range t.audience {
		ok = ok || a == clientID
	}
	if !ok {
		return errors.New("idp: token not for this client")
	}
	ui := new(oidc.UserInfo)
	if err := p.setUserinfo(ctx, ui, t.subject, t.scopes); err != nil {
		return err
	}
	ir.SetUserInfo(ui)
	ir.Scope = t.scopes
	ir.ClientID = t.clientID
	ir.Expiration = oidc.FromTime(t.expires)
	return nil
}

// GetPrivateClaimsFromScopes implements op.Storage.
func (p *Provider) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID implements op.Storage; JWT profile grants are not
// supported.
func (p *Provider) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("idp: JWT profile not supported")
}

// ValidateJWTProfileScopes implements op.Storage.
func (p *Provider) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("idp: JWT profile not supported")
}

// Health implements op.Storage.
func (p *Provider) Health(ctx context.Context) error { return p.db.PingContext(ctx) }

// TerminateSessionFromRequest implements op.CanTerminateSessionFromRequest:
// RP-initiated logout ends the provider session named by the ID token
// hint's sid (or every session of the user with that client) and sends
// back-channel logout tokens.
func (p *Provider) TerminateSessionFromRequest(ctx context.Context, r *op.EndSessionRequest) (string, error) {
	if r.UserID != "" {
		var ended []endedSession
		var err error
		sid := ""
		if r.IDTokenHintClaims != nil {
			sid, _ = r.IDTokenHintClaims.Claims["sid"].(string)
		}
		if sid != "" {
			ended, err = p.endSessions(ctx, `sid = ? AND user_name = ?`, sid, r.UserID)
		} else {
			ended, err = p.endSessions(ctx, `user_name = ? AND client_id = ?`, r.UserID, r.ClientID)
		}
		if err != nil {
			return "", err
		}
		p.backchannel(context.WithoutCancel(ctx), p.log, p.issuer, ended)
	}
	return r.RedirectURI, nil
}
