package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"

	"github.com/kazhq/kaz/internal/directory"
)

// InitialAdminFile is the file, in the data folder, that holds the
// password of the first administrator until it is changed.
const InitialAdminFile = "initial-admin-password"

// BootstrapAdmin creates, on the very first start with the built-in
// provider, an administrator "admin" (group: the admin group) with a random
// password written to DATA/initial-admin-password (mode 0600). The password
// is never logged; the log names the file. At first sign-in the provider
// asks for a second factor.
func (s *Server) BootstrapAdmin(ctx context.Context) (file string, err error) {
	p := s.IDP()
	if p == nil {
		return "", nil // an external provider owns the accounts
	}
	users, err := s.dir.List(ctx)
	if err != nil {
		return "", err
	}
	if len(users) > 0 {
		return "", nil
	}
	pw := readablePassword()
	if err := s.dir.Add(ctx, directory.User{Name: "admin", DisplayName: "Administrateur", Groups: []string{s.cfg.Server.AdminGroup}}); err != nil {
		return "", fmt.Errorf("create the first administrator: %w", err)
	}
	if err := p.SetPassword(ctx, "admin", pw); err != nil {
		return "", fmt.Errorf("set the first administrator's password: %w", err)
	}
	file = s.dataPath(InitialAdminFile)
	if err := os.WriteFile(file, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", file, err)
	}
	s.log.Warn("first start: created the administrator account \"admin\"; its password is in the file named here — sign in, set up a second factor, then delete the file",
		"file", file)
	return file, nil
}

// readablePassword returns 20 random characters from an alphabet without
// look-alikes, in groups of five (about 100 bits).
func readablePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b strings.Builder
	var one [1]byte
	for n := 0; n < 20; {
		rand.Read(one[:])
		if int(one[0]) >= 256/len(alphabet)*len(alphabet) {
			continue // no modulo bias
		}
		if n > 0 && n%5 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[int(one[0])%len(alphabet)])
		n++
	}
	return b.String()
}
