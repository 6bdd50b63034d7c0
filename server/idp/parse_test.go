package idp

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := hashPassword("un mot de passe assez long")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	if !verifyPassword(h, "un mot de passe assez long") || verifyPassword(h, "un mot de passe assez lonG") {
		t.Error("verify is wrong")
	}
	h2, _ := hashPassword("un mot de passe assez long")
	if h == h2 {
		t.Error("same salt twice")
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw string
		ok bool
	}{{"court", false}, {"exactement", true}, {strings.Repeat("x", 257), false}, {"éééééééééé", true}} {
		if err := checkPasswordPolicy(tc.pw); (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.pw, err)
		}
	}
}

func TestTOTPRefusesReplayAndWrongCodes(t *testing.T) {
	e := newTestEnv(t, nil)
	e.addUser("ivan", alicePW)
	en, _ := newTOTP("ivan")
	e.p.SetTOTP(t.Context(), "ivan", en.Secret)
	code := e.nextCode("ivan", en.Secret)
	ctx := t.Context()
	if err := e.p.VerifyTOTP(ctx, "ivan", code[:3]+" "+code[3:], clientIP(httptest.NewRequest("GET", "/", nil))); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := e.p.VerifyTOTP(ctx, "ivan", code, clientIP(httptest.NewRequest("GET", "/", nil))); err == nil {
		t.Error("replayed code accepted")
	}
	if err := e.p.VerifyTOTP(ctx, "ivan", "12345a", clientIP(httptest.NewRequest("GET", "/", nil))); err == nil {
		t.Error("non-digit code accepted")
	}
}

func TestLockoutExpires(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.MaxFailures = 2; c.LockoutDuration = time.Minute })
	e.addUser("judy", alicePW)
	now := time.Now()
	e.p.now = func() time.Time { return now }
	ctx := t.Context()
	ip := clientIP(httptest.NewRequest("GET", "/", nil))
	for i := 0; i < 2; i++ {
		e.p.Authenticate(ctx, "judy", "wrong password", ip)
	}
	if err := e.p.Authenticate(ctx, "judy", alicePW, ip); err == nil {
		t.Fatal("locked user signed in")
	} else if le, ok := err.(*LockedError); !ok || le.Wait <= 0 || le.Wait > time.Minute {
		t.Fatalf("err %v", err)
	}
	now = now.Add(61 * time.Second)
	if err := e.p.Authenticate(ctx, "judy", alicePW, ip); err != nil {
		t.Fatalf("after the lock-out: %v", err)
	}
}

func TestLockedMinutesRoundsUp(t *testing.T) {
	for d, want := range map[time.Duration]int{time.Second: 1, 5 * time.Minute: 5, 4*time.Minute + time.Second: 5, 0: 1} {
		if got := lockedMinutes(d); got != want {
			t.Errorf("%v: %d, want %d", d, got, want)
		}
	}
}

func TestPickLang(t *testing.T) {
	for _, tc := range []struct {
		url, cookie, accept string
		ui                  []string
		want                string
	}{
		{"/login", "", "", nil, "fr"},
		{"/login?lang=en", "", "", nil, "en"},
		{"/login", "en", "", nil, "en"},
		{"/login", "", "en-US,en;q=0.8", nil, "en"},
		{"/login", "", "de-DE,fr;q=0.5,en;q=0.4", nil, "fr"},
		{"/login", "", "", []string{"en"}, "en"},
		{"/login?lang=fr", "en", "en", nil, "fr"},
	} {
		r := httptest.NewRequest("GET", tc.url, nil)
		if tc.cookie != "" {
			r.Header.Set("Cookie", "kaz_lang="+tc.cookie)
		}
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := pickLang(r, tc.ui); got != tc.want {
			t.Errorf("%+v: %s", tc, got)
		}
	}
}

func FuzzParseArgon2id(f *testing.F) {
	h, _ := hashPassword("seed password 123")
	for _, s := range []string{h, "", "$argon2id$v=19$m=1,t=1,p=1$$", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2i$v=19$m=19456,t=2,p=1$a$b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseArgon2id(s)
		if err != nil {
			return
		}
		if p.memory > 1<<20 || p.time > 16 || p.threads == 0 || len(p.key) < 16 {
			t.Fatalf("accepted out-of-range parameters %+v from %q", p, s)
		}
	})
}

func FuzzParseLoginForm(f *testing.F) {
	f.Add("authRequestID=abc&csrf=def&username=alice&password=secret")
	f.Add("username=%00&password=" + strings.Repeat("x", 300))
	f.Add("authRequestID=&username=+++")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		lf, ok := parseLoginForm(v)
		if ok && (lf.ID == "" || lf.Username == "" || len(lf.Username) > 64 || len(lf.Password) > 256) {
			t.Fatalf("accepted %+v", lf)
		}
	})
}

func FuzzNormalizeCodes(f *testing.F) {
	for _, s := range []string{"123 456", "123-456", "abcde-fghjk", "ABCDE FGHJK", "١٢٣٤٥٦", "\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c := normalizeCode(s); strings.Trim(c, "0123456789") != "" {
			t.Fatalf("normalizeCode(%q) = %q", s, c)
		}
		if c := normalizeRecovery(s); strings.Trim(c, recoveryAlphabet) != "" {
			t.Fatalf("normalizeRecovery(%q) = %q", s, c)
		}
		matchStep("JBSWY3DPEHPK3PXP", s, time.Unix(1700000000, 0))
	})
}

func FuzzBrowserCookieAndLang(f *testing.F) {
	f.Add(randomToken(32), "fr-FR,fr;q=0.9")
	f.Add("", "*")
	f.Add("%%%", strings.Repeat("en;q=0.1,", 100))
	f.Fuzz(func(t *testing.T, cookie, accept string) {
		if validToken(cookie) && len(cookie) != 43 {
			t.Fatalf("validToken(%q)", cookie)
		}
		r := httptest.NewRequest("GET", "/login", nil)
		r.Header.Set("Accept-Language", accept)
		if l := pickLang(r, []string{accept}); l != "fr" && l != "en" {
			t.Fatalf("pickLang = %q", l)
		}
	})
}
