package auth

import (
	"encoding/base64"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Credentials is what an Authorization header carries.
type Credentials struct {
	Scheme   string // "basic" or "bearer"
	User     string // Basic
	Password string // Basic
	Token    string // Bearer
}

// ParseAuthorization parses an Authorization header value (RFC 7617 Basic,
// RFC 6750 Bearer). ok is false for anything else or malformed input.
func ParseAuthorization(h string) (Credentials, bool) {
	if len(h) > 8192 {
		return Credentials{}, false
	}
	scheme, rest, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found {
		return Credentials{}, false
	}
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "basic":
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return Credentials{}, false
		}
		user, pass, ok := strings.Cut(string(b), ":")
		if !ok || user == "" || !utf8.ValidString(user) || strings.ContainsAny(user, "\x00\r\n") {
			return Credentials{}, false
		}
		return Credentials{Scheme: "basic", User: user, Password: pass}, true
	case "bearer":
		// RFC 6750 §2.1 b64token.
		if rest == "" {
			return Credentials{}, false
		}
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/=", c) >= 0) {
				return Credentials{}, false
			}
		}
		return Credentials{Scheme: "bearer", Token: rest}, true
	}
	return Credentials{}, false
}

// SafeReturnPath returns p when it is a local path on this site (so that a
// sign-in cannot be turned into an open redirect), and "/" otherwise.
func SafeReturnPath(p string) string {
	if p == "" || len(p) > 2048 || p[0] != '/' || !utf8.ValidString(p) {
		return "/"
	}
	// "//host" and "/\host" are network paths to browsers.
	if len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return "/"
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	// Never return to the sign-in machinery itself.
	if strings.HasPrefix(u.Path, "/auth/") {
		return "/"
	}
	return p
}
