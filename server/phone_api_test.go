package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/server"
	"github.com/kazhq/kaz/server/auth"
)

// phoneAPIClient calls Kaz's API with a session cookie, as the web application
// does (CSRF token on writes).
type phoneAPIClient struct {
	t     *testing.T
	base  string
	token string
	csrf  string
}

func newPhoneSession(t *testing.T, srv *testenv.Server, user string) *phoneAPIClient {
	t.Helper()
	st, err := auth.OpenStore(t.Context(), srv.Kaz().DB())
	if err != nil {
		t.Fatal(err)
	}
	sess := &auth.Session{User: user}
	token, err := st.CreateSession(t.Context(), sess, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &phoneAPIClient{t: t, base: srv.URL, token: token, csrf: sess.CSRF}
}

func (c *phoneAPIClient) do(method, path string, body any, hdr map[string]string) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: c.token})
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		req.Header.Set(auth.CSRFHeader, c.csrf)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			m = map[string]any{"raw": string(raw)}
		}
	}
	return resp.StatusCode, m
}

func addPhoneUsers(t *testing.T, srv *testenv.Server) {
	t.Helper()
	for _, u := range []directory.User{
		{Name: "admin", DisplayName: "Camille Admin", Groups: []string{"admins"}},
		{Name: "alice", DisplayName: "Alice Martin"},
		{Name: "bob", DisplayName: "Bob Durand"},
		{Name: "zoe", DisplayName: "Zoé Petit", Disabled: true},
	} {
		if err := srv.Kaz().Dir().Add(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		if u.Disabled {
			if err := srv.Kaz().Dir().SetDisabled(t.Context(), u.Name, true); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestPhoneStatusSaysWhenNoPBXIsConfigured(t *testing.T) {
	srv := testenv.NewServer(t, nil)
	addPhoneUsers(t, srv)
	alice := newPhoneSession(t, srv, "alice")
	code, body := alice.do("GET", "/api/phone/status", nil, nil)
	if code != http.StatusOK || body["configured"] != false {
		t.Fatalf("status = %d %v, want 200 with configured false", code, body)
	}
	// The WebSocket answers plainly too.
	code, _ = alice.do("GET", "/phone/ws", nil, map[string]string{"Origin": srv.URL})
	if code != http.StatusServiceUnavailable {
		t.Errorf("/phone/ws without a PBX = %d, want 503", code)
	}
}

func TestPhoneAccountsAdminOnlyAndPasswordWriteOnly(t *testing.T) {
	srv := testenv.NewServer(t, nil)
	addPhoneUsers(t, srv)
	admin := newPhoneSession(t, srv, "admin")
	alice := newPhoneSession(t, srv, "alice")

	if code, _ := alice.do("GET", "/api/admin/phone/accounts", nil, nil); code != http.StatusForbidden {
		t.Errorf("agent listing accounts = %d, want 403", code)
	}
	if code, _ := alice.do("PUT", "/api/admin/phone/accounts/alice", map[string]string{"extension": "1001", "password": "x"}, nil); code != http.StatusForbidden {
		t.Errorf("agent setting an account = %d, want 403", code)
	}
	anon := &phoneAPIClient{t: t, base: srv.URL}
	if code, _ := anon.do("GET", "/api/admin/phone/accounts", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous listing = %d, want 401", code)
	}

	for _, tc := range []struct {
		name string
		user string
		body map[string]string
		want int
	}{
		{"new account needs a password", "alice", map[string]string{"extension": "1001"}, http.StatusBadRequest},
		{"bad extension", "alice", map[string]string{"extension": "10 01", "password": "p"}, http.StatusBadRequest},
		{"unknown user", "nobody", map[string]string{"extension": "1009", "password": "p"}, http.StatusNotFound},
		{"created", "alice", map[string]string{"extension": "1001", "password": "s3cret-SIP"}, http.StatusOK},
		{"extension changed, password kept", "alice", map[string]string{"extension": "1011", "auth_user": "u1011"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			admin.t = t
			code, body := admin.do("PUT", "/api/admin/phone/accounts/"+tc.user, tc.body, nil)
			if code != tc.want {
				t.Fatalf("PUT = %d %v, want %d", code, body, tc.want)
			}
		})
	}
	admin.t = t
	code, body := admin.do("GET", "/api/admin/phone/accounts/alice", nil, nil)
	if code != http.StatusOK || body["extension"] != "1011" || body["auth_user"] != "u1011" || body["has_password"] != true {
		t.Fatalf("GET account = %d %v", code, body)
	}
	code, list := admin.do("GET", "/api/admin/phone/accounts", nil, nil)
	raw, _ := json.Marshal(list)
	if code != http.StatusOK || strings.Contains(string(raw), "s3cret") || strings.Contains(string(raw), `"password"`) {
		t.Fatalf("account list = %d %s: must not carry the password", code, raw)
	}
	// The agent sees the extension in the status, never the password.
	code, st := alice.do("GET", "/api/phone/status", nil, nil)
	raw, _ = json.Marshal(st)
	if code != http.StatusOK || strings.Contains(string(raw), "s3cret") {
		t.Fatalf("status = %d %s", code, raw)
	}
	if code, _ := admin.do("DELETE", "/api/admin/phone/accounts/alice", nil, nil); code != http.StatusNoContent {
		t.Fatalf("DELETE = %d, want 204", code)
	}
	if code, _ := admin.do("DELETE", "/api/admin/phone/accounts/alice", nil, nil); code != http.StatusNotFound {
		t.Fatalf("second DELETE = %d, want 404", code)
	}
	if code, _ := admin.do("GET", "/api/admin/phone/live", nil, nil); code != http.StatusOK {
		t.Fatalf("live = %d, want 200", code)
	}
}

func TestPhoneDirectoryListsEnabledUsersWithExtensions(t *testing.T) {
	srv := testenv.NewServer(t, nil)
	addPhoneUsers(t, srv)
	admin := newPhoneSession(t, srv, "admin")
	if code, b := admin.do("PUT", "/api/admin/phone/accounts/bob", map[string]string{"extension": "1002", "password": "p"}, nil); code != http.StatusOK {
		t.Fatalf("PUT = %d %v", code, b)
	}
	alice := newPhoneSession(t, srv, "alice")
	for _, tc := range []struct {
		q    string
		want []string // user names, in order
	}{
		{"", []string{"bob", "alice", "admin"}},
		{"dur", []string{"bob"}},
		{"100", []string{"bob"}},
		{"ALICE", []string{"alice"}},
		{"zoé", nil}, // disabled
	} {
		t.Run("q="+tc.q, func(t *testing.T) {
			alice.t = t
			code, body := alice.do("GET", "/api/phone/directory?q="+tc.q, nil, nil)
			if code != http.StatusOK {
				t.Fatalf("directory = %d %v", code, body)
			}
			var got []string
			for _, u := range body["users"].([]any) {
				m := u.(map[string]any)
				got = append(got, m["name"].(string))
				if m["name"] == "bob" && m["extension"] != "1002" {
					t.Errorf("bob's extension = %v", m["extension"])
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("users = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPhoneWebSocketRefusesForeignOriginAndAnonymous(t *testing.T) {
	sipPort := freePhoneUDPPort(t, false)
	srv := testenv.NewServer(t, func(c *server.Config) {
		c.Phone.PBX = "127.0.0.1:9" // nothing answers: registration fails, which is fine here
		c.Phone.SIPListen = "127.0.0.1:" + strconv.Itoa(sipPort)
		c.Phone.RTPPortMin, c.Phone.RTPPortMax = 41000, 41100
		c.Phone.WebRTCPort = 0
		c.Phone.WebRTCListen = "127.0.0.1"
	})
	addPhoneUsers(t, srv)
	alice := newPhoneSession(t, srv, "alice")
	anon := &phoneAPIClient{t: t, base: srv.URL}
	ws := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
	with := func(origin string) map[string]string {
		h := map[string]string{"Origin": origin}
		for k, v := range ws {
			h[k] = v
		}
		return h
	}
	if code, _ := alice.do("GET", "/phone/ws", nil, with("https://evil.example")); code != http.StatusForbidden {
		t.Errorf("foreign origin = %d, want 403", code)
	}
	if code, _ := alice.do("GET", "/phone/ws", nil, ws); code != http.StatusForbidden {
		t.Errorf("no origin = %d, want 403", code)
	}
	if code, _ := anon.do("GET", "/phone/ws", nil, with(srv.URL)); code != http.StatusUnauthorized {
		t.Errorf("anonymous = %d, want 401", code)
	}
	// No extension yet: refused in plain words.
	if code, _ := alice.do("GET", "/phone/ws", nil, with(srv.URL)); code != http.StatusForbidden {
		t.Errorf("agent without an account = %d, want 403", code)
	}
	code, st := alice.do("GET", "/api/phone/status", nil, nil)
	if code != http.StatusOK || st["configured"] != true || st["account"] != false || st["echo_number"] != "*43" {
		t.Errorf("status = %d %v", code, st)
	}
	// The phone's figures are among the server's metrics.
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{"\nkaz_phone_calls 0\n", "\nkaz_phone_registered 0\n", "\nkaz_phone_pbx_up "} {
		if !strings.Contains(string(metrics), line) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(line))
		}
	}
}
