package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/kazhq/kaz/frontend"
	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/internal/sqldb"
)

// Server is one Kaz server: every part wired together behind one handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	db      *sqldb.DB
	dir     *directory.Directory
	metrics *prometheus.Registry
	httpm   *httpMetrics

	allowed []netip.Prefix
	proxies []netip.Prefix

	mux *http.ServeMux // the whole tree
	api *http.ServeMux // routes under /api/, authenticated

	// background tasks run by Run, each until its context ends.
	tasks   []func(ctx context.Context) error
	closers []func() error
	ready   atomic.Bool

	// the parts, each wired in its own wire_*.go file.
	authp   *authPart
	idpp    *idpPart
	docsp   *docsPart
	searchp *searchPart
	phonep  *phonePart
}

// New wires every part from cfg. cfg must have been normalized and
// validated. log nil discards logs.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, mux: http.NewServeMux(), api: http.NewServeMux()}
	for _, n := range cfg.Server.AllowedNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return nil, fmt.Errorf("server: allowed network %q: %w", n, err)
		}
		s.allowed = append(s.allowed, p.Masked())
	}
	for _, n := range cfg.Server.TrustedProxies {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return nil, fmt.Errorf("server: trusted proxy %q: %w", n, err)
		}
		s.proxies = append(s.proxies, p.Masked())
	}
	if err := os.MkdirAll(cfg.Server.Data, 0o700); err != nil {
		return nil, fmt.Errorf("server: data folder: %w", err)
	}
	s.metrics = prometheus.NewRegistry()
	s.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.httpm = newHTTPMetrics(s.metrics)

	db, err := sqldb.Open(ctx, cfg.Database.Driver, cfg.Database.DSN)
	if err != nil {
		return nil, err
	}
	s.db = db
	s.closers = append(s.closers, db.Close)
	if s.dir, err = directory.New(ctx, db); err != nil {
		s.Close()
		return nil, err
	}
	// Order matters: the provider and sign-in first, then the parts that
	// use the principal.
	for _, step := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"idp", s.initIDP}, {"auth", s.initAuth}, {"docs", s.initDocs},
		{"search", s.initSearch}, {"phone", s.initPhone},
	} {
		if err := step.fn(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("server: start %s: %w", step.name, err)
		}
	}
	s.routes()
	return s, nil
}

// Dir returns the user directory (for tests and admin commands).
func (s *Server) Dir() *directory.Directory { return s.dir }

// DB returns the metadata database.
func (s *Server) DB() *sqldb.DB { return s.db }

// Config returns the configuration the server runs with.
func (s *Server) Config() Config { return s.cfg }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{}))
	s.routesIDP()
	s.routesAuth()
	s.routesDocs()
	s.routesSearch()
	s.routesPhone()
	s.routesAdmin()
	s.mux.Handle("/api/", s.requireAPI(s.api))
	s.mux.Handle("/", frontend.Handler())
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if !s.ready.Load() {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.log.Error("readiness: database unreachable", "err", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ready\n"))
}

// Handler returns the whole HTTP handler with its middleware chain:
// request id → logging → recovery → network allow-list → routes (which
// authenticate as they need).
func (s *Server) Handler() http.Handler {
	var h http.Handler = http.HandlerFunc(s.route)
	h = s.allowList(h)
	h = s.recoverer(h)
	h = s.logRequests(h)
	h = s.requestID(h)
	return h
}

// route sends a request to its handler. http.ServeMux answers a path that
// is not clean ("." or ".." segments, "//") with a redirect to the cleaned
// path that keeps the method and body (307): a WebDAV PUT, DELETE or MOVE
// of /dav/lib/a/../b would be replayed on /dav/lib/b. So /dav/ goes straight
// to the WebDAV handler, which refuses dot segments itself (400) and reads
// "//" as "/"; another unclean path is refused (400) when it cleans into
// /dav or when its method is not GET or HEAD. Only a browser's GET or HEAD
// outside /dav keeps the mux's redirect.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if s.docsp != nil && s.docsp.davRoute != nil && strings.HasPrefix(p, "/dav/") {
		s.docsp.davRoute.ServeHTTP(w, r)
		return
	}
	if c := cleanURLPath(p); c != p && (c == "/dav" || strings.HasPrefix(c, "/dav/") ||
		r.Method != http.MethodGet && r.Method != http.MethodHead) {
		httperr.Write(w, r, s.log, httperr.New(http.StatusBadRequest, "the request could not be read", nil))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// cleanURLPath is the path http.ServeMux routes p by: rooted, without "."
// or ".." segments or empty ones, with its trailing slash kept.
func cleanURLPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if p[len(p)-1] == '/' && c != "/" {
		c += "/"
	}
	return c
}

// Run serves on ln until ctx ends, with the background tasks, then stops
// gracefully.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 20 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, task := range s.tasks {
		g.Go(func() error { return task(gctx) })
	}
	g.Go(func() error {
		err := hs.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Server.ShutdownTimeout)
		defer cancel()
		return hs.Shutdown(sctx)
	})
	s.ready.Store(true)
	s.log.Info("kaz is serving", "url", s.cfg.Server.PublicURL, "listen", ln.Addr().String(), "data", s.cfg.Server.Data)
	err := g.Wait()
	s.ready.Store(false)
	return err
}

// Close releases what New opened, in reverse order.
func (s *Server) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// dataPath returns a path inside the data folder.
func (s *Server) dataPath(elem ...string) string {
	return filepath.Join(append([]string{s.cfg.Server.Data}, elem...)...)
}
