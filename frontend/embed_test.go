package frontend

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEveryResponseCarriesSecurityHeaders(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/", "/index.html", "/js/app.js", "/assets/" + Version() + "/css/kaz.css", "/nope", "/assets/x/nope.js"} {
		resp := get(t, h, "GET", p, nil)
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline or eval: %q", p, csp)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", p, got)
		}
		if got := resp.Header.Get("Referrer-Policy"); got == "" {
			t.Errorf("%s: no Referrer-Policy", p)
		}
	}
}

func TestIndexIsRevalidatedAndNamesVersionedAssets(t *testing.T) {
	h := Handler()
	resp := get(t, h, "GET", "/", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index Cache-Control = %q, want no-cache", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("index Content-Type = %q", got)
	}
	b := body(t, resp)
	if strings.Contains(b, versionPlaceholder) {
		t.Error("index still holds the version placeholder")
	}
	if v := Version(); len(v) != 12 || !strings.Contains(b, "/assets/"+v+"/js/app.js") {
		t.Errorf("index does not load /assets/%s/js/app.js:\n%s", v, b)
	}
}

func TestNoInlineScriptOrStyleInIndex(t *testing.T) {
	b, err := fs.ReadFile(static, "static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?is)<script\b[^>]*>`).FindAllString(string(b), -1) {
		if !strings.Contains(m, "src=") {
			t.Errorf("inline script in index.html: %s", m)
		}
	}
	if regexp.MustCompile(`(?i)<style\b|\sstyle=|\son[a-z]+=`).Match(b) {
		t.Error("index.html has inline style or event handler attributes (the CSP forbids them)")
	}
}

func TestCaching(t *testing.T) {
	h := Handler()
	tests := []struct {
		path, cache string
		code        int
	}{
		{"/assets/" + Version() + "/js/app.js", "public, max-age=31536000, immutable", 200},
		{"/assets/000000000000/js/app.js", "no-cache", 200}, // page of an older build
		{"/js/app.js", "no-cache", 200},
		{"/assets/" + Version() + "/index.html", "no-cache", 404},
		{"/assets/" + Version(), "no-cache", 404},
	}
	for _, tt := range tests {
		resp := get(t, h, "GET", tt.path, nil)
		if resp.StatusCode != tt.code {
			t.Errorf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.code)
		}
		if got := resp.Header.Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s Cache-Control = %q, want %q", tt.path, got, tt.cache)
		}
	}
}

func TestContentTypes(t *testing.T) {
	h := Handler()
	for path, want := range map[string]string{
		"/js/app.js":           "text/javascript; charset=utf-8",
		"/css/kaz.css":         "text/css; charset=utf-8",
		"/img/kaz.svg":         "image/svg+xml",
		"/modules.json":        "application/json; charset=utf-8",
		"/js/i18n.js":          "text/javascript; charset=utf-8",
		"/js/sections/home.js": "text/javascript; charset=utf-8",
	} {
		resp := get(t, h, "GET", path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
}

func TestConditionalAndCompressed(t *testing.T) {
	h := Handler()
	resp := get(t, h, "GET", "/js/app.js", nil)
	plain := body(t, resp)
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("plain GET: ETag %q, Content-Encoding %q", etag, resp.Header.Get("Content-Encoding"))
	}
	if resp := get(t, h, "GET", "/js/app.js", map[string]string{"If-None-Match": etag}); resp.StatusCode != 304 {
		t.Errorf("If-None-Match with the ETag = %d, want 304", resp.StatusCode)
	}
	if resp := get(t, h, "GET", "/js/app.js", map[string]string{"If-None-Match": `"other"`}); resp.StatusCode != 200 {
		t.Errorf("If-None-Match with another ETag = %d, want 200", resp.StatusCode)
	}
	resp = get(t, h, "GET", "/js/app.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") == etag {
		t.Fatalf("gzip GET: Content-Encoding %q, ETag %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, []byte(plain)) {
		t.Error("gzip body differs from the plain body")
	}
	if resp := get(t, h, "GET", "/js/app.js", map[string]string{"Accept-Encoding": "gzip;q=0"}); resp.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}
	resp = get(t, h, "HEAD", "/js/app.js", nil)
	if resp.StatusCode != 200 || body(t, resp) != "" || resp.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, Content-Length %q", resp.StatusCode, resp.Header.Get("Content-Length"))
	}
}

func TestRefusesOtherMethodsAndUnknownPaths(t *testing.T) {
	h := Handler()
	if resp := get(t, h, "POST", "/", nil); resp.StatusCode != 405 || resp.Header.Get("Allow") == "" {
		t.Errorf("POST / = %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	for _, p := range []string{"/nope", "/js/nope.js", "/../../etc/passwd", "/static/index.html", "/embed.go", "/assets//js/app.js"} {
		if resp := get(t, h, "GET", p, nil); resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
}

var importRE = regexp.MustCompile(`(?m)(?:^\s*import\s+(?:[\w*{}\s,]+\s+from\s+)?|^\s*export\s+[\w*{}\s,]+\s+from\s+)['"]([^'"]+)['"]`)

// TestStaticImportsResolve checks that every static import of every module
// is relative and names an embedded file: an absolute or bare specifier
// would load a second copy of a module (two CSRF caches, two languages) or
// fail in the browser.
func TestStaticImportsResolve(t *testing.T) {
	s, err := load()
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range s.files {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range importRE.FindAllStringSubmatch(string(a.body), -1) {
			spec := m[1]
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				t.Errorf("%s imports %q: use a relative path", name, spec)
				continue
			}
			target := pathJoin(name, spec)
			if _, ok := s.files[target]; !ok {
				t.Errorf("%s imports %q: %s is not embedded", name, spec, target)
			}
		}
	}
}

func pathJoin(from, spec string) string {
	dir := from[:strings.LastIndex(from, "/")+1]
	parts := strings.Split(dir+spec, "/")
	var out []string
	for _, p := range parts {
		switch p {
		case ".", "":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

func TestManifestListsModules(t *testing.T) {
	resp := get(t, Handler(), "GET", "/modules.json", nil)
	b := body(t, resp)
	for _, want := range []string{`"js/app.js"`, `"js/api.js"`, `"js/i18n.js"`, `"js/sections/home.js"`, `"version":"` + Version() + `"`} {
		if !strings.Contains(b, want) {
			t.Errorf("modules.json lacks %s", want)
		}
	}
}

// FuzzHandlerPath: any request path is answered without a panic, and only
// embedded files (or the index) come back with 200.
func FuzzHandlerPath(f *testing.F) {
	for _, s := range []string{"/", "/js/app.js", "/assets/x/js/app.js", "/%2e%2e/embed.go", "//", "/assets/", "/index.html/..", "/a\x00b"} {
		f.Add(s)
	}
	h := Handler()
	s, _ := load()
	f.Fuzz(func(t *testing.T, p string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path = p
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 && w.Code != 404 {
			t.Fatalf("GET %q = %d", p, w.Code)
		}
		if w.Code == 200 {
			got := w.Body.Bytes()
			ok := bytes.Equal(got, s.index.body)
			for _, a := range s.files {
				if bytes.Equal(got, a.body) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("GET %q returned a body that is not an embedded file", p)
			}
		}
	})
}
