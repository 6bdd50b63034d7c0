package testenv

import (
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/server/idp"
)

// AddUser creates a directory user with a password at the built-in
// provider, in groups.
func (s *Server) AddUser(t testing.TB, name, password string, groups ...string) {
	t.Helper()
	k := s.Kaz()
	if err := k.Dir().Add(t.Context(), directory.User{Name: name, DisplayName: name, Email: name + "@example.org", Groups: groups}); err != nil {
		t.Fatalf("testenv: add user %s: %v", name, err)
	}
	p := k.IDP()
	if p == nil {
		t.Fatalf("testenv: add user %s: the built-in provider is not in use", name)
	}
	if err := p.SetPassword(t.Context(), name, password); err != nil {
		t.Fatalf("testenv: password of %s: %v", name, err)
	}
}

// EnrolTOTP gives user an authenticator-app secret (as if enrolled) and
// returns it; sign in with TOTPCode.
func (s *Server) EnrolTOTP(t testing.TB, user string) string {
	t.Helper()
	p := s.Kaz().IDP()
	if p == nil {
		t.Fatal("testenv: the built-in provider is not in use")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Kaz", AccountName: user})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetTOTP(t.Context(), user, key.Secret()); err != nil {
		t.Fatalf("testenv: enrol totp of %s: %v", user, err)
	}
	return key.Secret()
}

// TOTPCode returns a code of secret that user has not used yet (the
// provider refuses a replayed code), waiting for the next 30-second step
// when the current one is spent.
func (s *Server) TOTPCode(t testing.TB, user, secret string) string {
	t.Helper()
	p := s.Kaz().IDP()
	deadline := time.Now().Add(70 * time.Second)
	for time.Now().Before(deadline) {
		last, err := p.LastTOTPStep(t.Context(), user)
		if err != nil && !errors.Is(err, idp.ErrNotFound) {
			t.Fatal(err)
		}
		now := time.Now().Unix() / 30
		for _, step := range []int64{now, now + 1} {
			if step > last {
				code, err := totp.GenerateCode(secret, time.Unix(step*30, 0))
				if err != nil {
					t.Fatal(err)
				}
				return code
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatal("testenv: no unused TOTP step within 70 s")
	return ""
}
