package server

import "context"

// docsPart is wired here. (A placeholder until its work lands.)
type docsPart struct{}

func (s *Server) initDocs(ctx context.Context) error { s.docsp = &docsPart{}; return nil }

func (s *Server) routesDocs() {}
