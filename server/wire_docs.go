package server

import (
	"context"
	"fmt"
	"net/http"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/docs-store/dav"
)

// docsPart is the document store and its HTTP faces (REST API here,
// WebDAV in mountDAV).
type docsPart struct {
	store *docstore.Store
	// dav is the WebDAV handler, set by mountDAV.
	dav http.Handler
	// davRoute is dav behind authentication, as mounted at /dav/: Server.route
	// sends /dav/ requests to it before http.ServeMux can redirect them.
	davRoute http.Handler
}

// Store returns the document store (used by the search and dav wiring via
// s.docStore()).
func (d *docsPart) Store() *docstore.Store {
	if d == nil {
		return nil
	}
	return d.store
}

func (s *Server) initDocs(ctx context.Context) error {
	st, err := docstore.Open(ctx, s.cfg.Docs, s.db, s.dataPath("blobs"), s.log)
	if err != nil {
		return fmt.Errorf("docs: %w", err)
	}
	s.docsp = &docsPart{store: st}
	s.metrics.MustRegister(st.Collectors()...)
	s.closers = append(s.closers, st.Close)
	// Recycle bin purge (docs.trash_days), expired locks, unreferenced
	// contents.
	s.tasks = append(s.tasks, st.Maintain)
	return nil
}

func (s *Server) routesDocs() {
	s.routesDocsAPI()
	s.mountDAV()
}

// ---- WebDAV: owned by the WebDAV engineer (docs-store/dav) ----

// mountDAV mounts the WebDAV handler at /dav/ behind s.requireDAV.
func (s *Server) mountDAV() {
	h := dav.New(s.docsp.Store(), dav.Options{Prefix: "/dav/", PublicURL: s.cfg.Server.PublicURL, Log: s.log})
	s.docsp.dav = h
	s.docsp.davRoute = s.requireDAV(h)
	s.mux.Handle("/dav/", s.docsp.davRoute)
	// "/dav" itself: browsers are sent to "/dav/", WebDAV clients that
	// drop the slash are served as if they had sent it.
	s.mux.Handle("/dav", s.requireDAV(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/dav/", http.StatusMovedPermanently)
			return
		}
		h.ServeHTTP(w, r)
	})))
	// The Windows WebDAV redirector probes the host root: an anonymous
	// OPTIONS, then an authenticated PROPFIND.
	s.mux.Handle("OPTIONS /{$}", h)
	s.mux.Handle("PROPFIND /{$}", s.requireDAV(h))
}

// ---- end of the WebDAV part ----
