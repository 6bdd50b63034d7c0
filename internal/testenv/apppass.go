package testenv

import (
	"testing"

	"github.com/kazhq/kaz/server/auth"
)

// AppPassword creates an app password for user (as `kaz admin apppass
// add` does) and returns it.
func (s *Server) AppPassword(t testing.TB, user, label string) string {
	t.Helper()
	store, err := auth.OpenStore(t.Context(), s.Kaz().DB())
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := store.CreateAppPassword(t.Context(), user, label, "", "")
	if err != nil {
		t.Fatalf("testenv: app password for %s: %v", user, err)
	}
	return secret
}
