package server

import "context"

// phonePart is wired here. (A placeholder until its work lands.)
type phonePart struct{}

func (s *Server) initPhone(ctx context.Context) error { s.phonep = &phonePart{}; return nil }

func (s *Server) routesPhone() {}
