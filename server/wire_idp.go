package server

import (
	"context"
	"net/http"
	"net/url"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/server/auth"
	"github.com/kazhq/kaz/server/idp"
)

// idpPart is the built-in OpenID provider, used when auth.issuer is empty.
type idpPart struct {
	p      *idp.Provider
	issuer string
	secret string
}

// builtinClientID is Kaz's own relying party at the built-in provider.
const builtinClientID = "kaz"

func (s *Server) initIDP(ctx context.Context) error {
	s.idpp = &idpPart{}
	if s.cfg.Auth.Issuer != "" {
		return nil // an external provider signs agents in
	}
	p, err := idp.New(ctx, idp.Options{
		DB: s.db, Dir: s.dir, Config: s.cfg.IDP, PublicURL: s.cfg.Server.PublicURL,
		Log: s.log, HTTPClient: s.authHTTPClient(),
	})
	if err != nil {
		return err
	}
	secret, err := p.ClientSecret(ctx, builtinClientID)
	if err != nil {
		return err
	}
	pub := s.cfg.Server.PublicURL
	err = p.RegisterClient(ctx, idp.Client{
		ID: builtinClientID, Secret: secret,
		RedirectURIs_:           []string{pub + auth.CallbackPath},
		PostLogoutRedirectURIs_: []string{pub + "/", pub + auth.PostLogoutPath},
		BackchannelLogoutURI:    pub + auth.BackchannelPath,
		Dev:                     publicURLIsPlainHTTP(pub),
	})
	if err != nil {
		return err
	}
	s.idpp = &idpPart{p: p, issuer: p.Issuer(), secret: secret}
	return nil
}

// publicURLIsPlainHTTP allows plain-HTTP redirect URIs only when Kaz is
// itself served over plain HTTP (Config.Validate allows that on loopback or
// behind a TLS-terminating proxy).
func publicURLIsPlainHTTP(pub string) bool {
	u, err := url.Parse(pub)
	return err == nil && u.Scheme == "http"
}

// builtinClient returns the built-in provider's issuer and Kaz's client at
// it; ok is false when an external provider is configured.
func (s *Server) builtinClient() (issuer, clientID, secret string, ok bool) {
	if s.idpp == nil || s.idpp.p == nil {
		return "", "", "", false
	}
	return s.idpp.issuer, builtinClientID, s.idpp.secret, true
}

// IDP returns the built-in provider, or nil with an external one (tests
// and admin use).
func (s *Server) IDP() *idp.Provider {
	if s.idpp == nil {
		return nil
	}
	return s.idpp.p
}

func (s *Server) routesIDP() {
	s.routesDirectoryAdmin()
	if s.idpp == nil || s.idpp.p == nil {
		idp.ExternalAccountRoutes(s.api)
		return
	}
	s.mux.Handle("/idp/", http.StripPrefix("/idp", s.idpp.p.Handler()))
	s.idpp.p.AccountRoutes(s.api)
}

// routesDirectoryAdmin serves the read-only user and group lists of the
// administration page (frontend/static/js/admin/users.js).
func (s *Server) routesDirectoryAdmin() {
	admin := func(fn httperr.Func) http.Handler {
		return httperr.Handler(s.log, func(w http.ResponseWriter, r *http.Request) error {
			p, ok := auth.FromContext(r.Context())
			if !ok {
				return httperr.New(http.StatusUnauthorized, "authentication required", nil)
			}
			if !p.Admin {
				return httperr.New(http.StatusForbidden, "administrators only", nil)
			}
			return fn(w, r)
		})
	}
	s.api.Handle("GET /api/admin/users", admin(func(w http.ResponseWriter, r *http.Request) error {
		users, err := s.dir.List(r.Context())
		if err != nil {
			return err
		}
		if users == nil {
			users = []directory.User{}
		}
		httperr.WriteJSON(w, http.StatusOK, map[string]any{"users": users})
		return nil
	}))
	s.api.Handle("GET /api/admin/groups", admin(func(w http.ResponseWriter, r *http.Request) error {
		groups, err := s.dir.Groups(r.Context())
		if err != nil {
			return err
		}
		if groups == nil {
			groups = []directory.Group{}
		}
		httperr.WriteJSON(w, http.StatusOK, map[string]any{"groups": groups})
		return nil
	}))
}
