package server

import (
	"context"
	"net/http"

	"github.com/kazhq/kaz/server/auth"
)

// authPart is sign-in: the relying party, sessions and app passwords.
// (Owned by the auth work; a placeholder until it lands.)
type authPart struct{}

func (s *Server) initAuth(ctx context.Context) error { s.authp = &authPart{}; return nil }

func (s *Server) routesAuth() {}

// authenticate resolves the principal of r, or returns an auth error
// (auth.ErrNoCredentials when r presents none).
func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	return nil, auth.ErrNoCredentials
}

// challengeExtra adds headers to a 401 (MS-OFBA's X-Forms_Based_Auth_*).
func (s *Server) challengeExtra(w http.ResponseWriter, r *http.Request) {}
