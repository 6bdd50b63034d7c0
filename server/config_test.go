package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseConfigRefusesUnknownFields(t *testing.T) {
	cfg := DefaultConfig()
	err := ParseConfig([]byte("server:\n  lisen: 127.0.0.1:9\n"), &cfg)
	if err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Fatalf("ParseConfig with a typo = %v, want an error naming the field", err)
	}
}

func TestParseConfigEmptyFileKeepsDefaults(t *testing.T) {
	cfg := DefaultConfig()
	if err := ParseConfig(nil, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "127.0.0.1:8080" {
		t.Fatalf("listen = %q", cfg.Server.Listen)
	}
}

func TestEnvOverridesAndSecretFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "dsn")
	if err := os.WriteFile(secret, []byte("/tmp/x.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "kaz.yaml")
	if err := os.WriteFile(file, []byte("server:\n  listen: 127.0.0.1:9000\n  allowed_networks: [10.0.0.0/8]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"KAZ_SERVER_LISTEN":           "127.0.0.1:9100",
		"KAZ_SERVER_ALLOWED_NETWORKS": "10.8.0.0/16, 192.0.2.0/24",
		"KAZ_SERVER_SHUTDOWN_TIMEOUT": "3s",
		"KAZ_DATABASE_DSN_FILE":       secret,
	}
	cfg, err := LoadConfig(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "127.0.0.1:9100" {
		t.Errorf("listen = %q, want the environment's", cfg.Server.Listen)
	}
	if got := strings.Join(cfg.Server.AllowedNetworks, " "); got != "10.8.0.0/16 192.0.2.0/24" {
		t.Errorf("allowed_networks = %q", got)
	}
	if cfg.Server.ShutdownTimeout != 3*time.Second {
		t.Errorf("shutdown_timeout = %v", cfg.Server.ShutdownTimeout)
	}
	if cfg.Database.DSN != "/tmp/x.db" {
		t.Errorf("dsn from file = %q", cfg.Database.DSN)
	}
}

func TestValidateExplainsEveryProblem(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Server.Listen = "nonsense"
	cfg.Server.AllowedNetworks = []string{"10.0.0.0/33"}
	cfg.Log.Format = "xml"
	cfg.Server.TLSCertFile = "/x.crt"
	cfg.Server.PublicURL = "https://example.org/kaz"
	cfg.Normalize()
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken configuration")
	}
	for _, want := range []string{"server.listen", "server.allowed_networks", "log.format", "tls_key_file", "has a path"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error does not mention %s:\n%v", want, err)
		}
	}
}

func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	for _, tc := range []struct {
		listen   string
		insecure bool
		want     bool
	}{
		{"127.0.0.1:8080", false, true},
		{"[::1]:8080", false, true},
		{"localhost:8080", false, true},
		{"0.0.0.0:8080", false, false},
		{"10.1.2.3:443", false, false},
		{"0.0.0.0:8080", true, true},
	} {
		cfg := DefaultConfig()
		cfg.Server.Listen, cfg.Server.Insecure = tc.listen, tc.insecure
		if got := cfg.PlainHTTP(); got != tc.want {
			t.Errorf("PlainHTTP(%s, insecure=%v) = %v, want %v", tc.listen, tc.insecure, got, tc.want)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("server:\n  listen: 127.0.0.1:8080\n"))
	f.Add([]byte("server: [1, 2]\n"))
	f.Add([]byte("a: &a [*a, *a, *a]\n"))
	f.Add([]byte("log: {format: json, level: debug}\nserver: {allowed_networks: [10.0.0.0/8]}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg := DefaultConfig()
		if err := ParseConfig(b, &cfg); err != nil {
			return
		}
		cfg.Normalize()
		_ = cfg.Validate() // must not panic
	})
}
