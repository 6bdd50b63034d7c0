// Package testenv starts real things for tests: a whole Kaz server on
// loopback, headless Chromium, and the external peers (litmus, Kamailio…).
//
// A test that needs a peer which is missing FAILS when KAZ_E2E=1 (as in CI,
// whose .ci/run installs every peer) and skips with a clear message
// elsewhere.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazhq/kaz/server"
)

// E2E reports whether missing peers must fail tests (KAZ_E2E=1).
func E2E() bool { return os.Getenv("KAZ_E2E") == "1" }

// Peer returns the path of the program name (looked up in PATH, then in
// /usr/sbin and /sbin). When it is missing the test fails under KAZ_E2E=1
// and is skipped otherwise.
func Peer(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin"} {
		p := dir + "/" + name
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	Missing(t, fmt.Sprintf("the program %q is not installed (bash .ci/run installs every test peer)", name))
	return ""
}

// Missing fails (KAZ_E2E=1) or skips the test because of what.
func Missing(t testing.TB, what string) {
	t.Helper()
	if E2E() {
		t.Fatalf("KAZ_E2E=1 but %s", what)
	}
	t.Skipf("skipped: %s (set KAZ_E2E=1 to make this a failure)", what)
}

// FreePort returns a free TCP port on 127.0.0.1 (and usually the same UDP
// port is free too).
func FreePort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		u.Close()
		return port
	}
	t.Fatal("no free port")
	return 0
}

// Server is a whole Kaz server serving on 127.0.0.1.
type Server struct {
	// URL is the public URL, e.g. http://127.0.0.1:41234 (no trailing slash).
	URL string
	// Addr is the listen address.
	Addr string
	// Data is the data folder.
	Data string
	// Cfg is the configuration it runs with.
	Cfg server.Config
	// Log holds what the server logged (for assertions and failure output).
	Log *LogBuffer

	mu     sync.Mutex
	srv    *server.Server
	cancel context.CancelFunc
	done   chan error
}

// Kaz returns the running *server.Server.
func (s *Server) Kaz() *server.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// NewServer starts Kaz with embedded defaults in a temporary data folder on
// 127.0.0.1, after mutate (may be nil) adjusts its configuration. It is
// stopped when the test ends.
func NewServer(t testing.TB, mutate func(*server.Config)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	cfg := server.DefaultConfig()
	cfg.Server.Listen = addr
	cfg.Server.PublicURL = "http://" + addr
	cfg.Server.Data = t.TempDir()
	cfg.Log.Level = "debug"
	if mutate != nil {
		mutate(&cfg)
	}
	cfg.Normalize()
	if err := cfg.Validate(); err != nil {
		ln.Close()
		t.Fatalf("testenv: config: %v", err)
	}
	s := &Server{URL: cfg.Server.PublicURL, Addr: addr, Data: cfg.Server.Data, Cfg: cfg, Log: &LogBuffer{}}
	if err := s.start(t, ln); err != nil {
		t.Fatalf("testenv: start kaz: %v", err)
	}
	t.Cleanup(func() {
		s.Stop(t)
		if t.Failed() {
			t.Logf("kaz log (last 40 lines):\n%s", s.Log.Tail(40))
		}
	})
	return s
}

func (s *Server) start(t testing.TB, ln net.Listener) error {
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(s.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(ctx, s.Cfg, log)
	if err != nil {
		cancel()
		ln.Close()
		return err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	s.mu.Lock()
	s.srv, s.cancel, s.done = srv, cancel, done
	s.mu.Unlock()
	// Wait until it answers.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-done:
			return fmt.Errorf("server stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return errors.New("server not ready after 15 s")
}

// Stop stops the server (idempotent).
func (s *Server) Stop(t testing.TB) {
	s.mu.Lock()
	cancel, done, srv := s.cancel, s.done, s.srv
	s.cancel, s.done = nil, nil
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("testenv: kaz stopped with: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("testenv: kaz did not stop within 30 s")
	}
	srv.Close()
}

// Restart stops the server and starts it again on the same address with the
// same data folder (sessions, locks and outbox must survive).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop(t)
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ {
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("testenv: listen again on %s: %v", s.Addr, err)
	}
	if err := s.start(t, ln); err != nil {
		t.Fatalf("testenv: restart kaz: %v", err)
	}
}

// LogBuffer collects log output safely across goroutines.
type LogBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) > 8<<20 { // keep the last 4 MiB or so
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-4<<20:]...)
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// String returns everything logged.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// Tail returns the last n lines.
func (b *LogBuffer) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var _ io.Writer = (*LogBuffer)(nil)
