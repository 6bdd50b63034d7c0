package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/server/auth"
	"github.com/kazhq/kaz/softphone"
)

// phoneStatus is GET /api/phone/status: what the phone panel needs before
// it opens the WebSocket. It never carries SIP credentials.
type phoneStatus struct {
	// Configured is false when no PBX is set: the panel says so.
	Configured bool `json:"configured"`
	// Account is false when the agent has no extension.
	Account      bool                  `json:"account"`
	Extension    string                `json:"extension,omitempty"`
	Registration *phoneRegistration    `json:"registration,omitempty"`
	EchoNumber   string                `json:"echo_number,omitempty"`
	ICEServers   []softphone.ICEServer `json:"ice_servers"`
	Missed       int                   `json:"missed"`
	Calls        []softphone.CallInfo  `json:"calls"`
}

func phonePrincipal(r *http.Request) (*auth.Principal, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return nil, httperr.New(http.StatusUnauthorized, "authentication required", nil)
	}
	return p, nil
}

func (s *Server) apiPhoneStatus(w http.ResponseWriter, r *http.Request) error {
	p, err := phonePrincipal(r)
	if err != nil {
		return err
	}
	st := phoneStatus{Configured: s.phonep.phone != nil, ICEServers: []softphone.ICEServer{}, Calls: []softphone.CallInfo{}}
	if !st.Configured {
		httperr.WriteJSON(w, http.StatusOK, st)
		return nil
	}
	store, err := s.phoneStore(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "the phone is unavailable", err)
	}
	acct, err := store.Account(r.Context(), p.User)
	switch {
	case errors.Is(err, softphone.ErrNoAccount):
	case err != nil:
		return httperr.New(http.StatusInternalServerError, "the phone is unavailable", err)
	default:
		st.Account = true
		st.Extension = acct.Extension
	}
	st.EchoNumber = s.cfg.Phone.EchoNumber
	if st.EchoNumber == "" {
		st.EchoNumber = softphone.DefaultConfig().EchoNumber
	}
	if len(s.cfg.Phone.ICEServers) > 0 {
		st.ICEServers = s.cfg.Phone.ICEServers
	}
	if n, err := store.MissedCount(r.Context(), p.User); err == nil {
		st.Missed = n
	}
	us := s.phonep.phone.UserStatus(p.User)
	st.Registration = &us.Registration
	if us.Calls != nil {
		st.Calls = us.Calls
	}
	httperr.WriteJSON(w, http.StatusOK, st)
	return nil
}

// phoneHistoryItem is one call of GET /api/phone/history.
type phoneHistoryItem struct {
	CallID    string    `json:"call_id"`
	Direction string    `json:"direction"` // inbound or outbound
	Number    string    `json:"number"`
	Name      string    `json:"name"`
	Started   time.Time `json:"started"`
	Seconds   int64     `json:"duration_seconds"`
	Outcome   string    `json:"outcome"`
	Missed    bool      `json:"missed"`
}

func (s *Server) apiPhoneHistory(w http.ResponseWriter, r *http.Request) error {
	p, err := phonePrincipal(r)
	if err != nil {
		return err
	}
	store, err := s.phoneStore(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "the call history is unavailable", err)
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	recs, err := store.History(r.Context(), p.User, limit)
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "the call history is unavailable", err)
	}
	missed, err := store.MissedCount(r.Context(), p.User)
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "the call history is unavailable", err)
	}
	out := make([]phoneHistoryItem, 0, len(recs))
	for _, c := range recs {
		dir := "outbound"
		if c.Direction == "in" || c.Direction == "inbound" {
			dir = "inbound"
		}
		out = append(out, phoneHistoryItem{CallID: c.CallID, Direction: dir, Number: c.Number, Name: c.Name,
			Started: c.Started, Seconds: c.Seconds, Outcome: c.Outcome, Missed: c.Missed})
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"calls": out, "missed": missed})
	return nil
}

// apiPhoneHistorySeen clears the missed-call badge.
func (s *Server) apiPhoneHistorySeen(w http.ResponseWriter, r *http.Request) error {
	p, err := phonePrincipal(r)
	if err != nil {
		return err
	}
	store, err := s.phoneStore(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "the call history is unavailable", err)
	}
	if err := store.MarkSeen(r.Context(), p.User); err != nil {
		return httperr.New(http.StatusInternalServerError, "the call history is unavailable", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// phoneDirEntry is one colleague for click-to-call.
type phoneDirEntry struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Extension   string `json:"extension,omitempty"`
}

const maxDirectoryResults = 50

// apiPhoneDirectory lists enabled Kaz users matching q (name, display name
// or extension), with their extension. Only the extension is shared, never
// the SIP account details.
func (s *Server) apiPhoneDirectory(w http.ResponseWriter, r *http.Request) error {
	if _, err := phonePrincipal(r); err != nil {
		return err
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	if len(q) > 100 {
		return httperr.New(http.StatusBadRequest, "search text too long", nil)
	}
	users, err := s.dir.List(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "the directory is unavailable", err)
	}
	exts := map[string]string{}
	store, err := s.phoneStore(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "the directory is unavailable", err)
	}
	accts, err := store.Accounts(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "the directory is unavailable", err)
	}
	for _, a := range accts {
		exts[a.User] = a.Extension
	}
	out := filterPhoneDirectory(users, exts, q)
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// filterPhoneDirectory keeps enabled users matching q, those with an extension
// first, then by display name.
func filterPhoneDirectory(users []directory.User, exts map[string]string, q string) []phoneDirEntry {
	out := []phoneDirEntry{}
	for _, u := range users {
		if u.Disabled {
			continue
		}
		e := phoneDirEntry{Name: u.Name, DisplayName: u.DisplayName, Extension: exts[u.Name]}
		if q != "" && !strings.Contains(strings.ToLower(u.Name), q) &&
			!strings.Contains(strings.ToLower(u.DisplayName), q) && !strings.Contains(e.Extension, q) {
			continue
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Extension != "") != (out[j].Extension != "") {
			return out[i].Extension != ""
		}
		return strings.ToLower(phoneDisplayName(out[i])) < strings.ToLower(phoneDisplayName(out[j]))
	})
	if len(out) > maxDirectoryResults {
		out = out[:maxDirectoryResults]
	}
	return out
}

func phoneDisplayName(e phoneDirEntry) string {
	if e.DisplayName != "" {
		return e.DisplayName
	}
	return e.Name
}

// ---- administration ----------------------------------------------------

// ExtensionRE is what an extension or SIP auth user may hold.
var ExtensionRE = regexp.MustCompile(`^[0-9A-Za-z*#+._-]{1,32}$`)

// phoneAccountBody is the PUT body; Password is write-only (never returned) and
// may be empty to keep the stored one.
type phoneAccountBody struct {
	Extension string `json:"extension"`
	AuthUser  string `json:"auth_user"`
	Password  string `json:"password"`
}

func (s *Server) apiPhoneAccounts(w http.ResponseWriter, r *http.Request) error {
	store, err := s.phoneStore(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "phone accounts are unavailable", err)
	}
	accts, err := store.Accounts(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "phone accounts are unavailable", err)
	}
	if accts == nil {
		accts = []softphone.Account{}
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"accounts": accts, "configured": s.phonep.phone != nil})
	return nil
}

func (s *Server) apiPhoneAccountGet(w http.ResponseWriter, r *http.Request) error {
	store, err := s.phoneStore(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "phone accounts are unavailable", err)
	}
	a, err := store.Account(r.Context(), r.PathValue("user"))
	if errors.Is(err, softphone.ErrNoAccount) {
		return httperr.New(http.StatusNotFound, "this user has no phone account", nil)
	}
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "phone accounts are unavailable", err)
	}
	httperr.WriteJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiPhoneAccountPut(w http.ResponseWriter, r *http.Request) error {
	user := r.PathValue("user")
	if !directory.ValidName(user) {
		return httperr.New(http.StatusBadRequest, "invalid user name", nil)
	}
	var b phoneAccountBody
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid JSON body (expected extension, auth_user, password)", err)
	}
	b.Extension = strings.TrimSpace(b.Extension)
	b.AuthUser = strings.TrimSpace(b.AuthUser)
	if !ExtensionRE.MatchString(b.Extension) {
		return httperr.New(http.StatusBadRequest, "the extension must be 1 to 32 digits or letters", nil)
	}
	if b.AuthUser != "" && !ExtensionRE.MatchString(b.AuthUser) {
		return httperr.New(http.StatusBadRequest, "the authentication user must be 1 to 32 digits or letters", nil)
	}
	if len(b.Password) > 256 {
		return httperr.New(http.StatusBadRequest, "password too long", nil)
	}
	if _, err := s.dir.Get(r.Context(), user); errors.Is(err, directory.ErrNotFound) {
		return httperr.New(http.StatusNotFound, "no such Kaz user", nil)
	} else if err != nil {
		return httperr.New(http.StatusInternalServerError, "the directory is unavailable", err)
	}
	store, err := s.phoneStore(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "phone accounts are unavailable", err)
	}
	if b.Password == "" {
		if _, err := store.Account(r.Context(), user); errors.Is(err, softphone.ErrNoAccount) {
			return httperr.New(http.StatusBadRequest, "a password is required for a new phone account", nil)
		}
	}
	if err := store.SetAccount(r.Context(), user, softphone.Account{Extension: b.Extension, AuthUser: b.AuthUser, Password: b.Password}); err != nil {
		return httperr.New(http.StatusInternalServerError, "the phone account could not be saved", err)
	}
	if p, ok := auth.FromContext(r.Context()); ok {
		s.log.Info("phone account set", "component", "softphone", "user", user, "by", p.User, "extension", b.Extension)
	}
	a, err := store.Account(r.Context(), user)
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "phone accounts are unavailable", err)
	}
	httperr.WriteJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiPhoneAccountDelete(w http.ResponseWriter, r *http.Request) error {
	user := r.PathValue("user")
	store, err := s.phoneStore(r.Context())
	if err != nil {
		return httperr.New(http.StatusInternalServerError, "phone accounts are unavailable", err)
	}
	if _, err := store.Account(r.Context(), user); errors.Is(err, softphone.ErrNoAccount) {
		return httperr.New(http.StatusNotFound, "this user has no phone account", nil)
	}
	if err := store.DeleteAccount(r.Context(), user); err != nil {
		return httperr.New(http.StatusInternalServerError, "the phone account could not be removed", err)
	}
	if p, ok := auth.FromContext(r.Context()); ok {
		s.log.Info("phone account removed", "component", "softphone", "user", user, "by", p.User)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiPhoneLive lists calls in progress and registrations (admins).
func (s *Server) apiPhoneLive(w http.ResponseWriter, r *http.Request) error {
	if s.phonep.phone == nil {
		httperr.WriteJSON(w, http.StatusOK, map[string]any{"configured": false, "calls": []any{}, "registrations": []any{}})
		return nil
	}
	st := s.phonep.phone.Live()
	if st.Calls == nil {
		st.Calls = []softphone.CallInfo{}
	}
	if st.Registrations == nil {
		st.Registrations = []phoneRegistration{}
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"configured": true, "calls": st.Calls, "registrations": st.Registrations})
	return nil
}
