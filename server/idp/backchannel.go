package idp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// backchannelEvent is the event of an OpenID Connect Back-Channel Logout
// 1.0 logout token (§2.4).
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

type logoutClaims struct {
	jwt.Claims
	SID    string         `json:"sid,omitempty"`
	Events map[string]any `json:"events"`
}

// logoutToken signs a logout token for one session (Back-Channel Logout
// §2.4: iss, aud, iat, exp, jti, sub, sid, events; never a nonce).
func (s *Store) logoutToken(ctx context.Context, issuer string, e endedSession) (string, error) {
	k, err := s.loadSigningKey(ctx)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.key},
		(&jose.SignerOptions{}).WithType("logout+jwt").WithHeader("kid", k.id))
	if err != nil {
		return "", err
	}
	now := s.now()
	c := logoutClaims{
		Claims: jwt.Claims{
			Issuer: issuer, Subject: e.User, Audience: jwt.Audience{e.ClientID},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)),
			ID: randomToken(16),
		},
		SID:    e.SID,
		Events: map[string]any{backchannelEvent: map[string]any{}},
	}
	return jwt.Signed(signer).Claims(c).Serialize()
}

// backchannel posts a logout token for each ended session to its client's
// backchannel_logout_uri. Failures are logged, not returned: the sessions
// are already ended at the provider.
func (s *Store) backchannel(ctx context.Context, log *slog.Logger, issuer string, ended []endedSession) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if s.hc != nil {
		hc.Transport = s.hc.Transport
	}
	for _, e := range ended {
		c, err := s.client(ctx, e.ClientID)
		if err != nil || c.BackchannelLogoutURI == "" {
			continue
		}
		tok, err := s.logoutToken(ctx, issuer, e)
		if err != nil {
			log.Error("back-channel logout: sign token", "user", e.User, "err", err)
			continue
		}
		if err := postLogout(ctx, hc, c.BackchannelLogoutURI, tok); err != nil {
			log.Warn("back-channel logout failed", "user", e.User, "client", e.ClientID, "err", err)
			continue
		}
		log.Info("back-channel logout sent", "user", e.User, "client", e.ClientID)
	}
}

func postLogout(ctx context.Context, hc *http.Client, uri, tok string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// SetHTTPClient sets the client whose transport posts back-channel logout
// tokens (to trust a self-signed certificate, for instance).
func (s *Store) SetHTTPClient(c *http.Client) { s.hc = c }

// LogoutUser ends every provider session of user and notifies the relying
// parties over the back channel (used when a user is disabled or their
// second factors are reset). issuer is the provider's issuer URL.
func (s *Store) LogoutUser(ctx context.Context, log *slog.Logger, issuer, user string) (int, error) {
	if user == "" {
		return 0, errors.New("idp: no user")
	}
	ended, err := s.endSessions(ctx, `user_name = ?`, user)
	if err != nil {
		return 0, err
	}
	s.backchannel(ctx, log, issuer, ended)
	return len(ended), nil
}
