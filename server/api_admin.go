package server

import (
	"errors"
	"net/http"

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
			if idp := s.IDP(); idp != nil {
				if _, err := idp.LogoutUser(ctx, s.log, idp.Issuer(), name); err != nil {
					s.log.Warn("disable user: ending provider sessions failed", "user", name, "err", err)
				}
			}
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
	if _, err := s.dir.Get(ctx, name); err != nil {
		if errors.Is(err, directory.ErrNotFound) {
			return httperr.New(http.StatusNotFound, "no such user", err)
		}
		return err
	}
	if err := idp.ResetMFA(ctx, name); err != nil {
		return err
	}
	if _, err := idp.LogoutUser(ctx, s.log, idp.Issuer(), name); err != nil {
		s.log.Warn("reset-mfa: ending provider sessions failed", "user", name, "err", err)
	}
	p, _ := auth.FromContext(ctx)
	s.log.Info("second factors reset by an administrator", "user", name, "by", p.User)
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"user": name, "reset": true})
	return nil
}
