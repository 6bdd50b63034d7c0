package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/server/auth"
)

// Administration of accounts from the web UI: the same operations as
// `kaz admin user …`, for members of the admin group only.

func (s *Server) routesAdmin() {
	// GET /api/admin/users and /api/admin/groups are in wire_idp.go.
	s.api.Handle("POST /api/admin/users/{name}/disable", s.requireAdmin(s.adminSetDisabled(true)))
	s.api.Handle("POST /api/admin/users/{name}/enable", s.requireAdmin(s.adminSetDisabled(false)))
	s.api.Handle("POST /api/admin/users/{name}/reset-mfa", s.requireAdmin(s.adminResetMFA))
	s.api.Handle("POST /api/admin/users", s.requireAdmin(s.adminAddUser))
	s.api.Handle("PATCH /api/admin/users/{name}", s.requireAdmin(s.adminUpdateUser))
	s.api.Handle("POST /api/admin/users/{name}/password", s.requireAdmin(s.adminNewPassword))
}

// requireAdmin refuses every caller who is not an administrator.
func (s *Server) requireAdmin(fn httperr.Func) http.Handler {
	return httperr.Handler(s.log, func(w http.ResponseWriter, r *http.Request) error {
		p, ok := auth.FromContext(r.Context())
		if !ok || !p.Admin {
			return httperr.New(http.StatusForbidden, "administrators only", nil)
		}
		return fn(w, r)
	})
}

func (s *Server) adminSetDisabled(disabled bool) httperr.Func {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx, name := r.Context(), r.PathValue("name")
		p, _ := auth.FromContext(ctx)
		if disabled && p.User == name {
			return httperr.New(http.StatusConflict, "you cannot disable your own account", nil)
		}
		if err := s.dir.SetDisabled(ctx, name, disabled); err != nil {
			if errors.Is(err, directory.ErrNotFound) {
				return httperr.New(http.StatusNotFound, "no such user", err)
			}
			return err
		}
		if disabled {
			if err := auth.RevokeUser(ctx, s.db, name); err != nil {
				return err
			}
			s.endProviderSessions(ctx, name, "disable user")
		}
		s.log.Info("account changed by an administrator", "user", name, "disabled", disabled, "by", p.User)
		httperr.WriteJSON(w, http.StatusOK, map[string]any{"user": name, "disabled": disabled})
		return nil
	}
}

func (s *Server) adminResetMFA(w http.ResponseWriter, r *http.Request) error {
	ctx, name := r.Context(), r.PathValue("name")
	idp := s.IDP()
	if idp == nil {
		return httperr.New(http.StatusConflict, "second factors are managed by the external identity provider", nil)
	}
	if _, err := s.adminUser(ctx, name); err != nil {
		return err
	}
	if err := idp.ResetMFA(ctx, name); err != nil {
		return err
	}
	s.endProviderSessions(ctx, name, "reset-mfa")
	p, _ := auth.FromContext(ctx)
	s.log.Info("second factors reset by an administrator", "user", name, "by", p.User)
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"user": name, "reset": true})
	return nil
}

// adminUser reads the account an administrator acts on: 404 when none.
func (s *Server) adminUser(ctx context.Context, name string) (directory.User, error) {
	u, err := s.dir.Get(ctx, name)
	if errors.Is(err, directory.ErrNotFound) {
		return u, httperr.New(http.StatusNotFound, "no such user", err)
	}
	return u, err
}

// userFields is the body of POST /api/admin/users and PATCH
// /api/admin/users/{name}: absent fields are left as they are.
type userFields struct {
	Name        string    `json:"name"`
	DisplayName *string   `json:"display_name"`
	Email       *string   `json:"email"`
	Groups      *[]string `json:"groups"`
}

func readUserFields(r *http.Request) (userFields, error) {
	var f userFields
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, httperr.New(http.StatusBadRequest, "the request could not be read", err)
	}
	if f.DisplayName != nil {
		d := strings.TrimSpace(*f.DisplayName)
		if !utf8.ValidString(d) || utf8.RuneCountInString(d) > 128 || strings.ContainsAny(d, "\x00\r\n") {
			return f, httperr.New(http.StatusBadRequest, "the display name must have at most 128 characters, on one line", nil)
		}
		f.DisplayName = &d
	}
	if f.Email != nil {
		e := strings.TrimSpace(*f.Email)
		if e != "" {
			if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
				return f, httperr.New(http.StatusBadRequest, "the e-mail address is not valid", nil)
			}
		}
		f.Email = &e
	}
	if f.Groups != nil {
		var gs []string
		for _, g := range *f.Groups {
			g = strings.TrimSpace(g)
			if g == "" {
				continue
			}
			if !directory.ValidName(g) {
				return f, httperr.New(http.StatusBadRequest, "a group name uses letters, digits, '.', '-', '_' or '@' (1 to 64 characters)", nil)
			}
			gs = append(gs, g)
		}
		f.Groups = &gs
	}
	return f, nil
}

// errExternalAccounts: with an external provider, accounts and their
// groups come from its claims at sign-in.
var errExternalAccounts = httperr.New(http.StatusConflict, "accounts are managed by the external identity provider", nil)

// adminAddUser creates an account of the built-in provider with a
// temporary password, returned once: the administrator hands it to the
// agent, who enrols a second factor at first sign-in and then changes it
// on their account page.
func (s *Server) adminAddUser(w http.ResponseWriter, r *http.Request) error {
	idp := s.IDP()
	if idp == nil {
		return errExternalAccounts
	}
	f, err := readUserFields(r)
	if err != nil {
		return err
	}
	u := directory.User{Name: strings.TrimSpace(f.Name)}
	if f.DisplayName != nil {
		u.DisplayName = *f.DisplayName
	}
	if f.Email != nil {
		u.Email = *f.Email
	}
	if f.Groups != nil {
		u.Groups = *f.Groups
	}
	ctx := r.Context()
	switch err := s.dir.Add(ctx, u); {
	case errors.Is(err, directory.ErrExists):
		return httperr.New(http.StatusConflict, "a user with this name already exists", nil)
	case errors.Is(err, directory.ErrBadName):
		return httperr.New(http.StatusBadRequest, "a user name uses letters, digits, '.', '-', '_' or '@' (1 to 64 characters)", nil)
	case err != nil:
		return err
	}
	pw := temporaryPassword()
	if err := idp.SetPassword(ctx, u.Name, pw); err != nil {
		return err
	}
	p, _ := auth.FromContext(ctx)
	s.log.Info("user added by an administrator", "user", u.Name, "groups", u.Groups, "by", p.User)
	created, err := s.dir.Get(ctx, u.Name)
	if err != nil {
		return err
	}
	httperr.WriteJSON(w, http.StatusCreated, map[string]any{"user": created, "password": pw})
	return nil
}

// adminUpdateUser changes the display name, e-mail and groups of a user.
func (s *Server) adminUpdateUser(w http.ResponseWriter, r *http.Request) error {
	ctx, name := r.Context(), r.PathValue("name")
	f, err := readUserFields(r)
	if err != nil {
		return err
	}
	u, err := s.adminUser(ctx, name)
	if err != nil {
		return err
	}
	if u.External && f.Groups != nil {
		return httperr.New(http.StatusConflict, "the groups of this account come from the external identity provider", nil)
	}
	if f.DisplayName != nil || f.Email != nil {
		display, email := u.DisplayName, u.Email
		if f.DisplayName != nil {
			display = *f.DisplayName
		}
		if display == "" {
			display = u.Name
		}
		if f.Email != nil {
			email = *f.Email
		}
		if err := s.dir.Update(ctx, name, display, email); err != nil {
			return err
		}
	}
	if f.Groups != nil {
		if err := s.dir.SetGroups(ctx, name, *f.Groups); err != nil {
			return err
		}
	}
	p, _ := auth.FromContext(ctx)
	s.log.Info("user changed by an administrator", "user", name, "groups_changed", f.Groups != nil, "by", p.User)
	if u, err = s.dir.Get(ctx, name); err != nil {
		return err
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"user": u})
	return nil
}

// adminNewPassword replaces a forgotten password with a temporary one,
// returned once, and ends the user's sessions everywhere.
func (s *Server) adminNewPassword(w http.ResponseWriter, r *http.Request) error {
	ctx, name := r.Context(), r.PathValue("name")
	idp := s.IDP()
	if idp == nil {
		return errExternalAccounts
	}
	u, err := s.adminUser(ctx, name)
	if err != nil {
		return err
	}
	if u.External {
		return errExternalAccounts
	}
	pw := temporaryPassword()
	if err := idp.SetPassword(ctx, name, pw); err != nil {
		return err
	}
	if err := auth.EndSessions(ctx, s.db, name); err != nil {
		return err
	}
	s.endProviderSessions(ctx, name, "new password")
	p, _ := auth.FromContext(ctx)
	s.log.Info("password replaced by an administrator", "user", name, "by", p.User)
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"user": name, "password": pw})
	return nil
}

// temporaryPassword is 16 random characters in four groups, from an
// alphabet without look-alikes (no 0/o, 1/l/i), easy to read out on the
// phone: about 79 bits.
func temporaryPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	var sb strings.Builder
	b := make([]byte, 1)
	for n := 0; n < 16; {
		rand.Read(b) // never fails (crypto/rand since Go 1.24)
		if int(b[0]) >= 256/len(alphabet)*len(alphabet) {
			continue // keep every character equally likely
		}
		if n > 0 && n%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(b[0])%len(alphabet)])
		n++
	}
	return sb.String()
}

// endProviderSessions signs name out of the built-in provider (its
// sessions and refresh tokens), when it runs; a failure is logged, not
// returned: the administrator's change itself is done.
func (s *Server) endProviderSessions(ctx context.Context, name, what string) {
	idp := s.IDP()
	if idp == nil {
		return
	}
	if _, err := idp.LogoutUser(ctx, s.log, idp.Issuer(), name); err != nil {
		s.log.Warn(what+": ending provider sessions failed", "user", name, "err", err)
	}
}
