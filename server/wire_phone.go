package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/internal/reqctx"
	"github.com/kazhq/kaz/server/auth"
	"github.com/kazhq/kaz/softphone"
)

// phonePart is the softphone: the account store (always open, so that
// administrators can prepare accounts before a PBX is configured) and the
// WebRTC ↔ SIP bridge (only when phone.pbx is set).
type phonePart struct {
	phone phoneBridge // nil when no PBX is configured

	mu    sync.Mutex
	store *softphone.Store // opened by initPhone, or on first use
}

// phoneBridge is what the server uses of the softphone bridge
// (phone_bridge.go adapts *softphone.Phone to it).
type phoneBridge interface {
	// Run keeps registrations and calls until ctx ends.
	Run(ctx context.Context) error
	// ServeHTTP is the signaling WebSocket (principal in the context).
	ServeHTTP(w http.ResponseWriter, r *http.Request)
	// UserStatus is one agent's registration and calls.
	UserStatus(user string) phoneUserStatus
	// Live is every registration and call in progress (administrators).
	Live() phoneLive
}

// phoneRegistration is the state of one extension's registration.
type phoneRegistration struct {
	User      string `json:"user,omitempty"`
	Extension string `json:"extension,omitempty"`
	State     string `json:"state"` // unregistered, registering, registered, failed
	Reason    string `json:"reason,omitempty"`
	Code      int    `json:"code,omitempty"`
	Tabs      int    `json:"tabs,omitempty"`
	Available bool   `json:"available"`
}

type phoneUserStatus struct {
	Registration phoneRegistration    `json:"registration"`
	Calls        []softphone.CallInfo `json:"calls"`
}

type phoneLive struct {
	Calls         []softphone.CallInfo `json:"calls"`
	Registrations []phoneRegistration  `json:"registrations"`
}

// phoneKeyPath is where the key encrypting SIP passwords lives: phone.key_file,
// relative to the data folder.
func phoneKeyPath(data string, cfg softphone.Config) string {
	k := cfg.KeyFile
	if k == "" {
		k = softphone.DefaultConfig().KeyFile
	}
	if filepath.IsAbs(k) {
		return k
	}
	return filepath.Join(data, k)
}

// PhoneKeyPath returns the path of the key that encrypts SIP passwords at
// rest for cfg (the admin command opens the same store).
func PhoneKeyPath(cfg Config) string { return phoneKeyPath(cfg.Server.Data, cfg.Phone) }

func (s *Server) initPhone(ctx context.Context) error {
	p := &phonePart{}
	s.phonep = p
	if !s.cfg.Phone.Enabled() {
		return nil
	}
	ph, store, err := s.newPhoneBridge(ctx)
	if err != nil {
		return err
	}
	p.phone = ph
	p.store = store
	s.tasks = append(s.tasks, ph.Run)
	return nil
}

// phoneStore opens the account store on first use (it is only needed by
// administrators when no PBX is configured).
func (s *Server) phoneStore(ctx context.Context) (*softphone.Store, error) {
	p := s.phonep
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.store != nil {
		return p.store, nil
	}
	st, err := softphone.OpenStore(ctx, s.db, phoneKeyPath(s.cfg.Server.Data, s.cfg.Phone))
	if err != nil {
		return nil, err
	}
	p.store = st
	return st, nil
}

func (s *Server) routesPhone() {
	s.mux.Handle("GET /phone/ws", s.requirePhoneWS(http.HandlerFunc(s.phoneWS)))

	h := func(fn httperr.Func) http.Handler { return httperr.Handler(s.log, fn) }
	s.api.Handle("GET /api/phone/status", h(s.apiPhoneStatus))
	s.api.Handle("GET /api/phone/history", h(s.apiPhoneHistory))
	s.api.Handle("POST /api/phone/history/seen", h(s.apiPhoneHistorySeen))
	s.api.Handle("GET /api/phone/directory", h(s.apiPhoneDirectory))

	s.api.Handle("GET /api/admin/phone/accounts", h(s.phoneAdminOnly(s.apiPhoneAccounts)))
	s.api.Handle("GET /api/admin/phone/accounts/{user}", h(s.phoneAdminOnly(s.apiPhoneAccountGet)))
	s.api.Handle("PUT /api/admin/phone/accounts/{user}", h(s.phoneAdminOnly(s.apiPhoneAccountPut)))
	s.api.Handle("DELETE /api/admin/phone/accounts/{user}", h(s.phoneAdminOnly(s.apiPhoneAccountDelete)))
	s.api.Handle("GET /api/admin/phone/live", h(s.phoneAdminOnly(s.apiPhoneLive)))
}

// requirePhoneWS authenticates the WebSocket upgrade like requireAPI (the
// session cookie the browser sends with it) and checks that the page that
// opens it is Kaz's own (Origin == public URL): a cookie alone would let any
// site the agent visits open the agent's phone (cross-site WebSocket
// hijacking).
func (s *Server) requirePhoneWS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !phoneSameOrigin(r.Header.Get("Origin"), s.cfg.Server.PublicURL) {
			s.log.Warn("phone: WebSocket from a foreign origin refused", "component", "softphone",
				"req_id", reqctx.ID(r.Context()), "origin", r.Header.Get("Origin"))
			httperr.Write(w, r, nil, httperr.New(http.StatusForbidden, "this page may not use the phone (origin not allowed)", nil))
			return
		}
		p, err := s.authenticate(r)
		if err != nil {
			s.writeAuthError(w, r, err, false)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// phoneSameOrigin reports whether the Origin header names the public URL's
// scheme, host and port.
func phoneSameOrigin(origin, public string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	p, err := url.Parse(public)
	if err != nil {
		return false
	}
	return strings.EqualFold(o.Scheme, p.Scheme) && strings.EqualFold(originHostPort(o), originHostPort(p))
}

func originHostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return u.Hostname() + ":" + port
}

func (s *Server) phoneWS(w http.ResponseWriter, r *http.Request) {
	if s.phonep.phone == nil {
		httperr.Write(w, r, nil, httperr.New(http.StatusServiceUnavailable, "telephony is not configured on this server", nil))
		return
	}
	s.phonep.phone.ServeHTTP(w, r)
}

// phoneAdminOnly refuses principals outside the administrators group.
func (s *Server) phoneAdminOnly(fn httperr.Func) httperr.Func {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			return httperr.New(http.StatusUnauthorized, "authentication required", nil)
		}
		if !p.Admin {
			return httperr.New(http.StatusForbidden, "administrators only", fmt.Errorf("phone admin: %s is not an administrator", p.User))
		}
		return fn(w, r)
	}
}
