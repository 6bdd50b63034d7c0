// Package frontend holds Kaz's web application — plain ES modules, no build
// step (docs/frontend.md says why) — and serves it from the binary.
//
// Layout of the URL space it answers:
//
//	/                          index.html (no-cache), with asset URLs rewritten
//	/assets/<version>/<file>   any static file; <version> is a hash of every
//	                           embedded file, so these are cached for a year
//	                           (immutable) and change with each build
//	/assets/<version>/modules.json
//	                           the list of embedded files, so the shell can
//	                           load optional modules without a failing request
//	/<file>                    the same files unversioned, revalidated each time
//
// Security notes: every response carries a Content-Security-Policy that
// allows only same-origin scripts, styles, connections and frames-of-nobody,
// and no inline script; X-Content-Type-Options nosniff; a same-origin
// Referrer-Policy. Files are served from the embedded tree only; paths are
// cleaned and never reach the disk.
package frontend

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of the web application: same origin
// only, no inline script or style, no framing. Images may also be data: or
// blob: URLs (QR codes, previews); media may be blob: (recordings, tones).
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// versionPlaceholder is replaced in index.html by the asset version.
const versionPlaceholder = "@KAZ_ASSETS@"

// mimeTypes are fixed here rather than read from the host's mime.types, so
// that a module is always served as JavaScript (browsers refuse a module
// with another type).
var mimeTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json; charset=utf-8",
	".webmanifest": "application/manifest+json; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".wav":         "audio/wav",
	".ogg":         "audio/ogg",
	".mp3":         "audio/mpeg",
	".txt":         "text/plain; charset=utf-8",
	".woff2":       "font/woff2",
}

type asset struct {
	body  []byte
	gz    []byte // nil when not worth compressing
	ctype string
	etag  string
}

type site struct {
	version string
	files   map[string]*asset // by path without leading slash
	index   *asset
}

var (
	once    sync.Once
	theSite *site
	siteErr error
)

// Version returns the asset version (a hash of every embedded file).
func Version() string {
	s, err := load()
	if err != nil {
		return ""
	}
	return s.version
}

func load() (*site, error) {
	once.Do(func() { theSite, siteErr = build(static) })
	return theSite, siteErr
}

func build(fsys fs.FS) (*site, error) {
	sub, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, err
	}
	s := &site{files: map[string]*asset{}}
	var names []string
	h := sha256.New()
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		names = append(names, p)
		h.Write([]byte(p))
		h.Write([]byte{0})
		h.Write(b)
		s.files[p] = newAsset(p, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	s.version = hex.EncodeToString(h.Sum(nil))[:12]

	manifest, _ := json.Marshal(map[string]any{"version": s.version, "files": names})
	s.files["modules.json"] = newAsset("modules.json", manifest)

	if idx, ok := s.files["index.html"]; ok {
		b := bytes.ReplaceAll(idx.body, []byte(versionPlaceholder), []byte("/assets/"+s.version))
		s.index = newAsset("index.html", b)
	}
	return s, nil
}

func newAsset(name string, b []byte) *asset {
	sum := sha256.Sum256(b)
	a := &asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	a.ctype = mimeTypes[strings.ToLower(path.Ext(name))]
	if a.ctype == "" {
		a.ctype = "application/octet-stream"
	}
	if len(b) > 1024 && compressible(a.ctype) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		if buf.Len() < len(b)*9/10 {
			a.gz = buf.Bytes()
		}
	}
	return a
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

// SetSecurityHeaders sets the headers every page of the application carries.
func SetSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// Handler serves the web application.
func Handler() http.Handler {
	s, err := load()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetSecurityHeaders(w.Header())
		if err != nil || s == nil {
			http.Error(w, "web application unavailable", http.StatusInternalServerError)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s.serve(w, r)
	})
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	p := path.Clean("/" + r.URL.Path)
	switch {
	case p == "/" || p == "/index.html":
		if s.index == nil {
			notFound(w)
			return
		}
		// The page is small and names versioned assets: always revalidate
		// it, so a new build is picked up at once.
		w.Header().Set("Cache-Control", "no-cache")
		s.write(w, r, s.index)
		return
	case strings.HasPrefix(p, "/assets/"):
		rest := strings.TrimPrefix(p, "/assets/")
		v, name, ok := strings.Cut(rest, "/")
		a := s.files[name]
		if !ok || a == nil || name == "index.html" {
			notFound(w)
			return
		}
		if v == s.version {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			// A page from an older build: serve today's file, but do not
			// let a cache keep it under the old version's name.
			w.Header().Set("Cache-Control", "no-cache")
		}
		s.write(w, r, a)
		return
	}
	name := strings.TrimPrefix(p, "/")
	a := s.files[name]
	if a == nil || name == "index.html" {
		notFound(w)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	s.write(w, r, a)
}

func (s *site) write(w http.ResponseWriter, r *http.Request, a *asset) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Add("Vary", "Accept-Encoding")
	body, etag := a.body, a.etag
	if a.gz != nil && acceptsGzip(r) {
		body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		h.Del("Content-Type")
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

func etagMatches(header, etag string) bool {
	for _, c := range strings.Split(header, ",") {
		c = strings.TrimSpace(c)
		c = strings.TrimPrefix(c, "W/")
		if c == "*" || c == etag {
			return true
		}
	}
	return false
}

func notFound(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(notFoundPage))
}

const notFoundPage = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Page introuvable — Kaz</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Page introuvable / Page not found</h1>
<p>Cette adresse n'existe pas dans Kaz. / This address does not exist in Kaz.</p>
<p><a href="/">Retour à l'accueil / Back to the home page</a></p></main></body></html>
`
