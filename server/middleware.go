package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/internal/reqctx"
	"github.com/kazhq/kaz/server/auth"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kaz_http_requests_total", Help: "HTTP requests by area, method and status class.",
		}, []string{"area", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kaz_http_request_duration_seconds", Help: "HTTP request duration by area.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 14),
		}, []string{"area"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func area(path string) string {
	for _, a := range []string{"dav", "api", "idp", "auth", "phone"} {
		if strings.HasPrefix(path, "/"+a+"/") || path == "/"+a {
			return a
		}
	}
	return "web"
}

func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		ctx := reqctx.WithID(r.Context(), id)
		ctx = reqctx.WithClientIP(ctx, s.clientIP(r))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientIP is the peer address, or the X-Forwarded-For address set by a
// trusted proxy.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	ip = ip.Unmap()
	if !inPrefixes(ip, s.proxies) {
		return ip
	}
	// Walk X-Forwarded-For from the right, skipping trusted proxies.
	xff := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(xff) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(xff[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !inPrefixes(a, s.proxies) {
			return a
		}
		ip = a
	}
	return ip
}

func inPrefixes(ip netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and Hijack (WebSocket).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var _ io.ReaderFrom = (*statusWriter)(nil)

// ReadFrom keeps sendfile(2) for downloads: http.ServeContent copies a
// file through the writer's ReadFrom, which a plain wrapper would hide.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, r)
	w.bytes += n
	return n, err
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		d := time.Since(start)
		a := area(r.URL.Path)
		s.httpm.requests.WithLabelValues(a, r.Method, strconv.Itoa(sw.code/100)+"xx").Inc()
		s.httpm.duration.WithLabelValues(a).Observe(d.Seconds())
		level := slog.LevelDebug
		if sw.code >= 500 {
			level = slog.LevelWarn
		} else if a != "web" {
			level = slog.LevelInfo
		}
		attrs := []slog.Attr{
			slog.String("req_id", reqctx.ID(r.Context())), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", sw.code),
			slog.Int64("bytes", sw.bytes), slog.Duration("duration", d),
			slog.String("remote", reqctx.ClientIP(r.Context()).String()),
		}
		if p, ok := auth.FromContext(r.Context()); ok {
			attrs = append(attrs, slog.String("user", p.User))
		}
		s.log.LogAttrs(r.Context(), level, "http", attrs...)
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "req_id", reqctx.ID(r.Context()), "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				httperr.Write(w, r, nil, httperr.New(http.StatusInternalServerError, "internal error", nil))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) allowList(next http.Handler) http.Handler {
	if len(s.allowed) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := reqctx.ClientIP(r.Context())
		if !ip.IsValid() || !inPrefixes(ip, s.allowed) {
			s.log.Warn("request from outside the allowed networks", "req_id", reqctx.ID(r.Context()), "remote", ip.String())
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte("Accès refusé : connectez-vous au VPN de votre organisation.\nAccess denied: connect to your organisation's VPN.\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAPI authenticates /api/ requests: 401 JSON when no valid
// credential is presented.
func (s *Server) requireAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			s.writeAuthError(w, r, err, false)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// requireDAV authenticates /dav/ requests: 401 with a Basic challenge,
// except OPTIONS, which answers without credentials (the Windows WebDAV
// redirector gives up otherwise).
func (s *Server) requireDAV(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			if r.Method == http.MethodOptions && errors.Is(err, auth.ErrNoCredentials) {
				next.ServeHTTP(w, r)
				return
			}
			s.writeAuthError(w, r, err, true)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

func (s *Server) writeAuthError(w http.ResponseWriter, r *http.Request, err error, basic bool) {
	code, msg := http.StatusUnauthorized, "authentication required"
	if errors.Is(err, auth.ErrThrottled) {
		code, msg = http.StatusTooManyRequests, "too many failed attempts, try again later"
		w.Header().Set("Retry-After", "60")
	} else if errors.Is(err, auth.ErrForbidden) {
		code, msg = http.StatusForbidden, "forbidden"
	}
	if basic && code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Kaz", charset="UTF-8"`)
	}
	if code == http.StatusUnauthorized {
		s.challengeExtra(w, r)
		// [MS-OFBA] 2.2.2: the forms-based challenge is a 403 with its headers.
		if w.Header().Get("X-Forms_Based_Auth_Required") != "" {
			code, msg = http.StatusForbidden, "sign-in required"
			w.Header().Del("WWW-Authenticate")
		}
	}
	httperr.Write(w, r, s.log, httperr.New(code, msg, nil))
}
