package auth

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestParseAuthorization(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		in   string
		ok   bool
		want Credentials
	}{
		{"Basic " + enc("alice:pa:ss"), true, Credentials{Scheme: "basic", User: "alice", Password: "pa:ss"}},
		{"basic  " + enc("élodie:x"), true, Credentials{Scheme: "basic", User: "élodie", Password: "x"}},
		{"Basic " + enc(":x"), false, Credentials{}},
		{"Basic " + enc("nocolon"), false, Credentials{}},
		{"Basic !!!", false, Credentials{}},
		{"Bearer abc.def-ghi_", true, Credentials{Scheme: "bearer", Token: "abc.def-ghi_"}},
		{"Bearer a b", false, Credentials{}},
		{"Digest x", false, Credentials{}},
		{"Basic", false, Credentials{}},
	} {
		got, ok := ParseAuthorization(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseAuthorization(%q) = %+v, %v", tc.in, got, ok)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"Basic YWxpY2U6c2VjcmV0", "Bearer x.y.z", "basic Og==", "Basic " + strings.Repeat("A", 100), ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, ok := ParseAuthorization(h)
		if !ok {
			return
		}
		switch c.Scheme {
		case "basic":
			if c.User == "" || strings.ContainsAny(c.User, ":\x00\r\n") {
				t.Fatalf("bad user %q from %q", c.User, h)
			}
			// Agrees with net/http where both accept.
			r := &http.Request{Header: http.Header{"Authorization": {h}}}
			if u, p, ok2 := r.BasicAuth(); ok2 && (u != c.User || p != c.Password) {
				t.Fatalf("net/http reads %q:%q, we read %q:%q", u, p, c.User, c.Password)
			}
		case "bearer":
			if c.Token == "" || strings.ContainsAny(c.Token, " \t\r\n") {
				t.Fatalf("bad token %q", c.Token)
			}
		default:
			t.Fatalf("scheme %q", c.Scheme)
		}
	})
}

func TestSafeReturnPath(t *testing.T) {
	for in, want := range map[string]string{
		"/libraries?x=1":        "/libraries?x=1",
		"/#/search?q=a":         "/#/search?q=a",
		"":                      "/",
		"//evil.example/":       "/",
		"/\\evil.example":       "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"/auth/login":           "/",
		"/a\nb":                 "/",
		"/%2F%2Fevil.example":   "/%2F%2Fevil.example",
		"relative":              "/",
		"/ok/../still-local":    "/ok/../still-local",
	} {
		if got := SafeReturnPath(in); got != want {
			t.Errorf("SafeReturnPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeReturnPath(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "http://x", "/a?b#c", "/auth/callback", "/\t/x"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://kaz.example.org/current/page")
	f.Fuzz(func(t *testing.T, p string) {
		got := SafeReturnPath(p)
		if got != "/" && got != p {
			t.Fatalf("rewrote %q to %q", p, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("returned unparsable %q", got)
		}
		// Resolved against our own URL, it stays on our host.
		if r := base.ResolveReference(u); r.Host != base.Host || r.Scheme != base.Scheme {
			t.Fatalf("%q leaves the site: %s", got, r)
		}
		// Browsers strip tabs and newlines and treat \ as /.
		cleaned := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(got)
		if strings.HasPrefix(cleaned, "//") {
			t.Fatalf("%q is a network path to a browser", got)
		}
	})
}

func FuzzParseSessionToken(f *testing.F) {
	f.Add(sessionTokenPrefix + base64.RawURLEncoding.EncodeToString(make([]byte, 32)))
	f.Add("s1.")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := parseSessionToken(v)
		if !ok {
			return
		}
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(got, sessionTokenPrefix))
		if got != v || err != nil || len(b) != 32 {
			t.Fatalf("accepted %q", v)
		}
	})
}

func FuzzOFBAAccepted(f *testing.F) {
	f.Add("t", "Microsoft Office Word 2014")
	f.Add("f", "Microsoft Office Excel")
	f.Add("", "Microsoft-WebDAV-MiniRedir/10.0")
	f.Fuzz(func(t *testing.T, accepted, ua string) {
		h := http.Header{}
		if accepted != "" {
			h.Set("X-FORMS_BASED_AUTH_ACCEPTED", accepted)
		}
		h.Set("User-Agent", ua)
		got := OFBAAccepted(h)
		if strings.EqualFold(strings.TrimSpace(accepted), "f") && got {
			t.Fatal("a client declining forms got the forms challenge")
		}
	})
}

func TestNewAppPasswordShape(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		p := newAppPassword()
		if len(p) != 35 || strings.Count(p, "-") != 5 || seen[p] {
			t.Fatalf("app password %q", p)
		}
		seen[p] = true
	}
}
