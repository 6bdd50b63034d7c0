package server

import "context"

// idpPart is wired here. (A placeholder until its work lands.)
type idpPart struct{}

func (s *Server) initIDP(ctx context.Context) error { s.idpp = &idpPart{}; return nil }

func (s *Server) routesIDP() {}
