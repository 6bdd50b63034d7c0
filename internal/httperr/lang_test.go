package httperr

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPreferredLang(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "fr"},
		{"fr", "fr"},
		{"en", "en"},
		{"EN-us", "en"},
		{"fr-CA", "fr"},
		{"en-US,en;q=0.9", "en"},
		{"en;q=0.8, fr;q=0.9", "fr"},
		{"fr;q=0.5, en;q=0.5", "fr"},                 // tie: first listed
		{"en;q=0.5, fr;q=0.5", "en"},                 // tie: first listed
		{"de, en;q=0.3", "en"},                       // only English is spoken here
		{"de, es", "fr"},                             // nothing supported: default
		{"*", "fr"},                                  // anything: default
		{"en;q=0, *", "fr"},                          // English refused
		{"fr;q=0, *;q=0.1", "en"},                    // French refused, anything else
		{"fr;q=0", "fr"},                             // nothing acceptable: default
		{"fr;q=0, en;q=0", "fr"},                     // nothing acceptable: default
		{"en;q=1.0, fr;q=0.999", "en"},               // three decimals
		{"en;q=2, fr;q=0.1", "fr"},                   // q out of range: entry skipped
		{"en;q=0.5000, fr;q=0.1", "fr"},              // four decimals: entry skipped
		{"en;q=abc", "fr"},                           // malformed: entry skipped
		{"en;level=1;q=0.9, fr;q=0.8", "en"},         // other parameters ignored
		{"en ; Q=0.9 , fr;q=0.1", "en"},              // spaces, case
		{"fr-FR;q=0.2, fr;q=0.9, en;q=0.5", "fr"},    // the plain range counts
		{"fr;q=0.2, fr-FR;q=0.9, en;q=0.5", "en"},    // the plain range counts
		{"fr-FR;q=0.2, fr-CA;q=0.9, en;q=0.5", "fr"}, // else the best region
		{"fr-FR;q=0, en;q=0.1", "en"},
		{"fr;q=0, fr-CA, en;q=0.1", "en"}, // French refused outright
		{",,,;;;,en", "en"},
		{"en-", "en"},
		{strings.Repeat("de,", 40) + "en", "fr"}, // beyond 32 ranges: ignored
	} {
		if got := PreferredLang(tc.header); got != tc.want {
			t.Errorf("PreferredLang(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestLangReadsTheRequestHeader(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", "en")
	if Lang(r) != "en" || Lang(nil) != DefaultLang {
		t.Errorf("Lang = %q, Lang(nil) = %q", Lang(r), Lang(nil))
	}
}

// FuzzAcceptLanguage checks that any header gives a supported language,
// that the parser does not panic, and that stating a preference for one
// language alone, in front of any header, is honoured.
func FuzzAcceptLanguage(f *testing.F) {
	for _, s := range []string{
		"", "fr", "en-GB,en;q=0.9,fr;q=0.8", "*;q=0", "fr;q=0.", "en;q=1.000",
		"en;q=", ";q=1", "fr;q=0.5;q=0.9", "\x00,\xff;q=1", "zh-Hant-TW, en;q=0.1",
		strings.Repeat("en;q=0.1,", 200),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := PreferredLang(header)
		if got != French && got != English {
			t.Fatalf("PreferredLang(%q) = %q", header, got)
		}
		if got := PreferredLang("en," + header); got != English {
			t.Fatalf("PreferredLang(%q) = %q, want en", "en,"+header, got)
		}
		if got := PreferredLang("fr," + header); got != French {
			t.Fatalf("PreferredLang(%q) = %q, want fr", "fr,"+header, got)
		}
	})
}
