package server

import "testing"

func TestPhoneOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin, public string
		want           bool
	}{
		{"https://kaz.example.org", "https://kaz.example.org", true},
		{"https://KAZ.example.org", "https://kaz.example.org", true},
		{"https://kaz.example.org:443", "https://kaz.example.org", true},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"http://kaz.example.org", "https://kaz.example.org", false},
		{"https://kaz.example.org:8443", "https://kaz.example.org", false},
		{"https://evil.example", "https://kaz.example.org", false},
		{"https://kaz.example.org.evil.example", "https://kaz.example.org", false},
		{"null", "https://kaz.example.org", false},
		{"", "https://kaz.example.org", false},
		{"::::", "https://kaz.example.org", false},
	} {
		if got := phoneSameOrigin(tc.origin, tc.public); got != tc.want {
			t.Errorf("phoneSameOrigin(%q, %q) = %v, want %v", tc.origin, tc.public, got, tc.want)
		}
	}
}

func FuzzPhoneOrigin(f *testing.F) {
	for _, s := range []string{"https://kaz.example.org", "http://[::1]:8080", "null", "https://kaz.example.org:443/x", "%zz"} {
		f.Add(s)
	}
	const public = "https://kaz.example.org"
	f.Fuzz(func(t *testing.T, origin string) {
		ok := phoneSameOrigin(origin, public)
		// Whatever the header, only Kaz's own scheme and host pass.
		if ok && !phoneSameOrigin(public, origin) {
			t.Errorf("phoneSameOrigin is not symmetric for %q", origin)
		}
	})
}
