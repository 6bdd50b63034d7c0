package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/sqldb"
)

// testOP is npm oidc-provider behind a Go reverse proxy that can tamper
// with token responses (re-signing ID tokens with the provider's key, or
// with another key for the bad-signature case).
type testOP struct {
	Issuer string
	Key    *rsa.PrivateKey
	Kid    string

	mu     sync.Mutex
	tamper func(claims map[string]any) (key *rsa.PrivateKey)
	down   bool // the proxy answers 503 to everything
}

// SetDown makes the provider unreachable (503) or reachable again.
func (op *testOP) SetDown(down bool) {
	op.mu.Lock()
	op.down = down
	op.mu.Unlock()
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func bigB64(n *big.Int) string { return b64(n.Bytes()) }

func privateJWK(k *rsa.PrivateKey, kid string) map[string]any {
	k.Precompute()
	return map[string]any{
		"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
		"n": bigB64(k.N), "e": bigB64(big.NewInt(int64(k.E))), "d": bigB64(k.D),
		"p": bigB64(k.Primes[0]), "q": bigB64(k.Primes[1]),
		"dp": bigB64(k.Precomputed.Dp), "dq": bigB64(k.Precomputed.Dq), "qi": bigB64(k.Precomputed.Qinv),
	}
}

// signJWT signs claims with RS256.
func signJWT(t testing.TB, k *rsa.PrivateKey, kid, typ string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": kid, "typ": typ})
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	in := b64(h) + "." + b64(p)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64(sig)
}

func jwtClaims(t testing.TB, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// SetTamper makes the next token responses' ID tokens pass through fn,
// which edits the claims and returns the key to sign with (nil: the
// provider's own).
func (op *testOP) SetTamper(fn func(claims map[string]any) *rsa.PrivateKey) {
	op.mu.Lock()
	op.tamper = fn
	op.mu.Unlock()
}

// SetNextLogin sets the amr and acr of the next login at the provider.
func (op *testOP) SetNextLogin(t testing.TB, amr []string, acr string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"amr": amr, "acr": acr})
	resp, err := http.Post(op.Issuer+"/_test/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

var (
	rsaKeyOnce sync.Once
	rsaKeys    [2]*rsa.PrivateKey
)

func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	rsaKeyOnce.Do(func() {
		for i := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[i] = k
		}
	})
	return rsaKeys[0], rsaKeys[1]
}

// startOP starts oidc-provider for a relying party at kazURL.
func startOP(t *testing.T, kazURL string, account map[string]any) *testOP {
	t.Helper()
	node := peer(t, "node")
	dir, _ := filepath.Abs("testdata/oidcprovider")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider")); err != nil {
		missing(t, "npm oidc-provider is not installed (run npm ci in server/auth/testdata/oidcprovider; .ci/run does)")
	}
	key, _ := testKeys(t)
	op := &testOP{Key: key, Kid: "k1"}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	op.Issuer = "http://" + pln.Addr().String()
	cfg := map[string]any{
		"issuer": op.Issuer,
		"jwk":    privateJWK(key, op.Kid),
		"client": map[string]any{
			"client_id": "kaz", "client_secret": "kaz-test-secret",
			"redirect_uris":             []string{kazURL + CallbackPath},
			"post_logout_redirect_uris": []string{kazURL + PostLogoutPath},
			"backchannel_logout_uri":    kazURL + BackchannelPath,
		},
		"account": account,
	}
	cj, _ := json.Marshal(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "provider.js"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KAZ_OP_CONFIG="+string(cj))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("oidc-provider stderr:\n%s", stderr.String())
		}
	})
	portc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				portc <- p
			}
		}
	}()
	var port string
	select {
	case port = <-portc:
	case <-time.After(30 * time.Second):
		t.Fatalf("oidc-provider did not start: %s", stderr.String())
	}
	target, _ := url.Parse("http://127.0.0.1:" + port)
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		},
		ModifyResponse: op.modify(t),
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		down := op.down
		op.mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(pln)
	t.Cleanup(func() { srv.Close() })
	return op
}

func (op *testOP) modify(t testing.TB) func(*http.Response) error {
	return func(resp *http.Response) error {
		op.mu.Lock()
		fn := op.tamper
		op.mu.Unlock()
		if fn == nil || resp.Request.URL.Path != "/token" || resp.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return err
		}
		if raw, ok := m["id_token"].(string); ok {
			claims := jwtClaims(t, raw)
			key := fn(claims)
			if key == nil {
				key = op.Key
			}
			m["id_token"] = signJWT(t, key, op.Kid, "JWT", claims)
		}
		body, _ = json.Marshal(m)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
}

// kazRP is a relying party served on loopback with a minimal Kaz-like
// routing: /auth/*, /api/* (authenticated, 401 JSON) and /dav/*.
type kazRP struct {
	URL   string
	RP    *RP
	DB    *sqldb.DB
	Dir   *directory.Directory
	path  string
	ts    *httptest.Server
	h     *switchHandler
	cfg   Config
	issue string
}

type switchHandler struct {
	mu sync.RWMutex
	h  http.Handler
}

func (s *switchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h := s.h
	s.mu.RUnlock()
	if h == nil {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

// newKaz starts the HTTP side first (its URL is needed by the provider);
// call open to wire the relying party.
func newKaz(t *testing.T) *kazRP {
	t.Helper()
	k := &kazRP{h: &switchHandler{}, path: filepath.Join(t.TempDir(), "kaz.db")}
	k.ts = httptest.NewServer(k.h)
	t.Cleanup(k.ts.Close)
	k.URL = k.ts.URL
	return k
}

func (k *kazRP) open(t *testing.T, cfg Config) {
	t.Helper()
	ctx := t.Context()
	db, err := sqldb.OpenSQLite(ctx, k.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir, err := directory.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	store, err := OpenStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := New(Options{Config: cfg, PublicURL: k.URL, Dir: dir, Store: store, AdminGroup: "admins",
		Log: slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	k.RP, k.DB, k.Dir, k.cfg = rp, db, dir, cfg
	mux, api := http.NewServeMux(), http.NewServeMux()
	rp.Routes(mux)
	rp.APIRoutes(api)
	authn := func(next http.Handler, dav bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := rp.Authenticate(r)
			if err != nil {
				code := http.StatusUnauthorized
				switch {
				case errors.Is(err, ErrThrottled):
					code = http.StatusTooManyRequests
				case errors.Is(err, ErrForbidden):
					code = http.StatusForbidden
				case dav && rp.OFBAChallenge(w, r):
					code = http.StatusForbidden
				case dav:
					w.Header().Set("WWW-Authenticate", `Basic realm="Kaz"`)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code)
				fmt.Fprintf(w, `{"error":%q}`, "auth")
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
	mux.Handle("/api/", authn(api, false))
	mux.Handle("/dav/", authn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := FromContext(r.Context())
		fmt.Fprintf(w, "dav %s %s", p.User, p.Method)
	}), true))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "home") })
	k.h.mu.Lock()
	k.h.h = mux
	k.h.mu.Unlock()
}

// browser is a cookie-keeping HTTP client.
func browser(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

func sessionCookie(c *http.Client, base string) string {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == SessionCookie {
			return ck.Value
		}
	}
	return ""
}

func getStatus(t testing.TB, c *http.Client, u string, hdr ...string) (int, string) {
	t.Helper()
	return do(t, c, http.MethodGet, u, nil, hdr...)
}

// peer and missing mirror internal/testenv (which this package cannot
// import: testenv imports server, which imports auth).
func peer(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	missing(t, fmt.Sprintf("the program %q is not installed (bash .ci/run installs every test peer)", name))
	return ""
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("KAZ_E2E") == "1" {
		t.Fatalf("KAZ_E2E=1 but %s", what)
	}
	t.Skipf("skipped: %s (set KAZ_E2E=1 to make this a failure)", what)
}

// tWriter sends logs to the test's log.
type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
