package dav

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// parseTimeout parses an RFC 4918 §10.7 Timeout header ("Infinite,
// Second-600") and returns the first usable value, capped at max. An empty
// header gives def. Infinite is granted as max.
func parseTimeout(s string, def, max time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return min(def, max), nil
	}
	if len(s) > 1024 {
		return 0, errBadTimeout
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case strings.EqualFold(part, "Infinite"):
			return max, nil
		case len(part) > 7 && strings.EqualFold(part[:7], "Second-"):
			n, err := strconv.ParseUint(part[7:], 10, 64)
			if err != nil || part[7] == '+' {
				continue
			}
			if n == 0 {
				n = 1
			}
			if n > uint64(max/time.Second) {
				return max, nil
			}
			return time.Duration(n) * time.Second, nil
		}
	}
	return 0, errBadTimeout
}

var errBadTimeout = errors.New("dav: malformed Timeout header")

// parseDepth parses a Depth header: "0", "1" or "infinity"; empty gives def.
// It returns -1 for infinity.
func parseDepth(s string, def int) (int, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return def, true
	case "0":
		return 0, true
	case "1":
		return 1, true
	case "infinity":
		return -1, true
	}
	return 0, false
}

// errBadDestination means the Destination header is malformed (400);
// errForeignDestination that it names another server (502).
var (
	errBadDestination     = errors.New("dav: malformed Destination header")
	errForeignDestination = errors.New("dav: Destination names another server")
)

// destination resolves the Destination header of r to a path under prefix
// (decoded, cleaned, with the prefix removed). RFC 4918 §10.3: it is an
// absolute URI or an absolute path; an absolute URI must name this server:
// the request's own scheme and host, or the public URL.
func destination(r *http.Request, prefix string, public *url.URL) (string, error) {
	raw := r.Header.Get("Destination")
	if raw == "" || len(raw) > 8192 {
		return "", errBadDestination
	}
	return localPath(r, raw, prefix, public)
}

// localPath maps a URL naming a resource of this server, as Destination
// and If tags do, to a clean path under prefix: an absolute path, or an
// absolute URI with the request's own scheme and host, or the public URL
// (whose path, behind a proxy that publishes Kaz under a path, is removed).
func localPath(r *http.Request, raw, prefix string, public *url.URL) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errBadDestination
	}
	if u.IsAbs() || u.Host != "" {
		if !sameOrigin(u, requestScheme(r), r.Host) && (public == nil || !sameOrigin(u, public.Scheme, public.Host)) {
			return "", errForeignDestination
		}
		if public != nil && sameOrigin(u, public.Scheme, public.Host) && !sameOrigin(u, requestScheme(r), r.Host) {
			// Behind a proxy that maps a path prefix, strip it.
			base := strings.TrimSuffix(public.Path, "/")
			if base != "" {
				if !strings.HasPrefix(u.Path, base+"/") {
					return "", errForeignDestination
				}
				u.Path = strings.TrimPrefix(u.Path, base)
			}
		}
	} else if !strings.HasPrefix(u.Path, "/") {
		return "", errBadDestination
	}
	p := u.Path
	if !strings.HasPrefix(p, prefix) && p+"/" != prefix {
		return "", errForeignDestination
	}
	return cleanPath(strings.TrimPrefix(p, strings.TrimSuffix(prefix, "/")))
}

func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

func sameOrigin(u *url.URL, scheme, host string) bool {
	return strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(canonHost(u.Host, u.Scheme), canonHost(host, scheme))
}

// canonHost drops a default port.
func canonHost(h, scheme string) string {
	switch {
	case strings.EqualFold(scheme, "http") && strings.HasSuffix(h, ":80"):
		return strings.TrimSuffix(h, ":80")
	case strings.EqualFold(scheme, "https") && strings.HasSuffix(h, ":443"):
		return strings.TrimSuffix(h, ":443")
	}
	return h
}

var errBadPath = errors.New("dav: invalid path")

// maxPath bounds a request path; docstore validates each name further.
const maxPath = 4096

// cleanPath validates a decoded path ("/lib/a/b/") and returns it in
// canonical form: a leading slash, no trailing slash, no empty, "." or ".."
// segment. "/" is the root.
func cleanPath(p string) (string, error) {
	if len(p) > maxPath || !utf8.ValidString(p) || strings.ContainsAny(p, "\x00\\") {
		return "", errBadPath
	}
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return "", errBadPath
		}
	}
	c := path.Clean(p)
	if c == "." {
		c = "/"
	}
	return c, nil
}

// splitLibrary splits a clean path into its library and the path inside it
// ("/" for the library's root). The server root gives "", "".
func splitLibrary(p string) (lib, rest string) {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return "", ""
	}
	lib, rest, _ = strings.Cut(p, "/")
	return lib, "/" + rest
}
