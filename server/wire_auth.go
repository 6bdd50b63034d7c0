package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"time"

	"github.com/kazhq/kaz/server/auth"
)

// authPart is sign-in: the relying party, sessions and app passwords.
type authPart struct {
	rp *auth.RP
}

func (s *Server) initAuth(ctx context.Context) error {
	store, err := auth.OpenStore(ctx, s.db)
	if err != nil {
		return err
	}
	opts := auth.Options{
		Config: s.cfg.Auth, PublicURL: s.cfg.Server.PublicURL, Dir: s.dir, Store: store,
		AdminGroup: s.cfg.Server.AdminGroup, Log: s.log, HTTPClient: s.authHTTPClient(),
	}
	if s.cfg.Auth.Issuer == "" {
		opts.Builtin = s.builtinClient // server/wire_idp.go
	}
	rp, err := auth.New(opts)
	if err != nil {
		return err
	}
	s.authp = &authPart{rp: rp}
	idle := s.cfg.Auth.SessionIdleTimeout
	if idle <= 0 {
		idle = auth.DefaultConfig().SessionIdleTimeout
	}
	s.tasks = append(s.tasks, func(ctx context.Context) error {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if err := store.Cleanup(ctx, idle); err != nil && ctx.Err() == nil {
				s.log.Warn("auth cleanup failed", "component", "auth", "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
	return nil
}

// authHTTPClient reaches the provider. The built-in provider is Kaz itself
// at its public URL: under a generated self-signed certificate, that
// certificate is trusted for it.
func (s *Server) authHTTPClient() *http.Client {
	timeout := s.cfg.Auth.HTTPTimeout
	if timeout <= 0 {
		timeout = auth.DefaultConfig().HTTPTimeout
	}
	c := &http.Client{Timeout: timeout}
	if s.cfg.Auth.Issuer != "" || s.cfg.PlainHTTP() || s.cfg.Server.TLSCertFile != "" {
		return c
	}
	pem, err := os.ReadFile(s.dataPath("tls", "selfsigned.crt"))
	if err != nil {
		return c // not generated yet: the system roots, until a restart
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pool.AppendCertsFromPEM(pem)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.Transport = tr
	return c
}

func (s *Server) routesAuth() {
	s.authp.rp.Routes(s.mux)
	s.authp.rp.APIRoutes(s.api)
}

// authenticate resolves the principal of r, or returns an auth error
// (auth.ErrNoCredentials when r presents none).
func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	if s.authp == nil || s.authp.rp == nil {
		return nil, auth.ErrNoCredentials
	}
	return s.authp.rp.Authenticate(r)
}

// challengeExtra adds headers to a 401: for an Office client on /dav/, the
// [MS-OFBA] forms-based challenge (writeAuthError then answers 403).
func (s *Server) challengeExtra(w http.ResponseWriter, r *http.Request) {
	if s.authp == nil || s.authp.rp == nil || !isDAV(r) {
		return
	}
	s.authp.rp.OFBAChallenge(w, r)
}

func isDAV(r *http.Request) bool {
	return len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/dav/"
}
