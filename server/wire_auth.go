package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"strings"
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
// at its public URL: Kaz's own certificate (the configured one, or the
// self-signed one that serve generates after New, hence read at each
// connection) is trusted besides the system roots.
func (s *Server) authHTTPClient() *http.Client {
	timeout := s.cfg.Auth.HTTPTimeout
	if timeout <= 0 {
		timeout = auth.DefaultConfig().HTTPTimeout
	}
	c := &http.Client{Timeout: timeout}
	if s.cfg.Auth.Issuer != "" || s.cfg.PlainHTTP() {
		return c
	}
	// Kaz's own certificate: the configured one (perhaps from an internal
	// CA), or the generated self-signed one.
	certFile := s.cfg.Server.TLSCertFile
	if certFile == "" {
		certFile = s.dataPath("tls", "selfsigned.crt")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain is verified by VerifyConnection, against the system
		// roots plus the self-signed certificate.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyWithSelfSigned(cs, certFile)
		},
	}
	c.Transport = tr
	return c
}

func verifyWithSelfSigned(cs tls.ConnectionState, certFile string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("auth: provider sent no certificate")
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if pem, err := os.ReadFile(certFile); err == nil {
		roots.AppendCertsFromPEM(pem)
	}
	opts := x509.VerifyOptions{Roots: roots, DNSName: cs.ServerName, Intermediates: x509.NewCertPool()}
	for _, ic := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(ic)
	}
	_, err = cs.PeerCertificates[0].Verify(opts)
	return err
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

// challengeExtra adds headers to a 401: for an Office client on WebDAV, the
// [MS-OFBA] forms-based challenge (writeAuthError then answers 403).
func (s *Server) challengeExtra(w http.ResponseWriter, r *http.Request) {
	if s.authp == nil || s.authp.rp == nil || !isDAV(r) {
		return
	}
	s.authp.rp.OFBAChallenge(w, r)
}

// isDAV reports whether r is for a WebDAV route: /dav/…, the mount point
// without its slash, or the host root that Office and the Windows
// redirector probe (reached here only through requireDAV).
func isDAV(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/dav/") || p == "/dav" || p == "/"
}
