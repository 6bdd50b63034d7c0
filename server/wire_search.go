package server

import "context"

// searchPart is wired here. (A placeholder until its work lands.)
type searchPart struct{}

func (s *Server) initSearch(ctx context.Context) error { s.searchp = &searchPart{}; return nil }

func (s *Server) routesSearch() {}
