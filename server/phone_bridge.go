package server

import (
	"context"
	"net/http"

	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/server/auth"
	"github.com/kazhq/kaz/softphone"
)

// newPhoneBridge starts the softphone bridge for s.cfg.Phone and returns it
// with its account store.
func (s *Server) newPhoneBridge(ctx context.Context) (phoneBridge, *softphone.Store, error) {
	ph, err := softphone.New(ctx, s.cfg.Phone, s.db, s.cfg.Server.Data, s.log)
	if err != nil {
		return nil, nil, err
	}
	s.closers = append(s.closers, ph.Close)
	s.metrics.MustRegister(ph.Collectors()...)
	return phoneBridgeAdapter{ph}, ph.Store(), nil
}

// phoneBridgeAdapter adapts *softphone.Phone to phoneBridge.
type phoneBridgeAdapter struct{ *softphone.Phone }

// ServeHTTP serves the signaling WebSocket of the authenticated principal.
func (b phoneBridgeAdapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		httperr.Write(w, r, nil, httperr.New(http.StatusUnauthorized, "authentication required", nil))
		return
	}
	b.Phone.ServeWS(w, r, p.User)
}

func (b phoneBridgeAdapter) UserStatus(user string) phoneUserStatus {
	st := b.Phone.Status()
	us := phoneUserStatus{Registration: phoneRegistration{State: "unregistered"}, Calls: []softphone.CallInfo{}}
	for _, r := range st.Registrations {
		if r.User == user {
			us.Registration = phoneRegOf(r)
		}
	}
	for _, c := range st.Calls {
		if c.User == user {
			us.Calls = append(us.Calls, c)
		}
	}
	return us
}

func (b phoneBridgeAdapter) Live() phoneLive {
	st := b.Phone.Status()
	l := phoneLive{Calls: st.Calls, Registrations: make([]phoneRegistration, 0, len(st.Registrations))}
	for _, r := range st.Registrations {
		l.Registrations = append(l.Registrations, phoneRegOf(r))
	}
	return l
}

func phoneRegOf(r softphone.RegistrationInfo) phoneRegistration {
	return phoneRegistration{User: r.User, Extension: r.Extension, State: r.State, Reason: r.Reason, Code: r.Code, Tabs: r.Tabs, Available: r.Available}
}
