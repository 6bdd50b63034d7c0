package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/server/auth"
	"github.com/kazhq/kaz/server/idp"
	"github.com/kazhq/kaz/softphone"
)

// Config is the whole configuration of one Kaz server: the YAML file, then
// KAZ_* environment overrides, then command-line flags.
type Config struct {
	Server   HTTPConfig       `yaml:"server"`
	Log      LogConfig        `yaml:"log"`
	Database DatabaseConfig   `yaml:"database"`
	Auth     auth.Config      `yaml:"auth"`
	IDP      idp.Config       `yaml:"idp"`
	Docs     docstore.Config  `yaml:"docs"`
	Search   search.Config    `yaml:"search"`
	Phone    softphone.Config `yaml:"phone"`
}

// HTTPConfig is the "server:" section.
type HTTPConfig struct {
	// Listen is the address to listen on (host:port).
	Listen string `yaml:"listen"`
	// PublicURL is the URL agents use to reach Kaz (scheme, host, port).
	// Default: derived from Listen.
	PublicURL string `yaml:"public_url"`
	// Data is the folder holding the database, files and indexes.
	Data string `yaml:"data"`
	// AllowedNetworks lists CIDRs (the VPN's) outside which every request
	// gets 403. Empty allows every address.
	AllowedNetworks []string `yaml:"allowed_networks"`
	// TrustedProxies lists CIDRs of reverse proxies whose X-Forwarded-For
	// and X-Forwarded-Proto headers are believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// TLSCertFile is the TLS certificate (PEM, with its chain). When it
	// and TLSKeyFile are empty and Listen is not a loopback address, a
	// self-signed certificate is generated in Data.
	TLSCertFile string `yaml:"tls_cert_file"`
	// TLSKeyFile is the private key of TLSCertFile (PEM).
	TLSKeyFile string `yaml:"tls_key_file"`
	// Insecure allows plain HTTP on a non-loopback address (only behind a
	// TLS-terminating reverse proxy listed in TrustedProxies).
	Insecure bool `yaml:"insecure"`
	// AdminGroup is the Kaz group whose members administer Kaz.
	AdminGroup string `yaml:"admin_group"`
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// LogConfig is the "log:" section.
type LogConfig struct {
	// Format is "text" or "json".
	Format string `yaml:"format"`
	// Level is "debug", "info", "warn" or "error".
	Level string `yaml:"level"`
}

// DatabaseConfig is the "database:" section.
type DatabaseConfig struct {
	// Driver is "sqlite" (the only one built so far; "postgres" is planned).
	Driver string `yaml:"driver"`
	// DSN is the SQLite file (default DATA/kaz.db) or PostgreSQL URL.
	DSN string `yaml:"dsn" secret:"true"`
}

// DefaultConfig returns the embedded defaults: loopback, ./kaz-data,
// SQLite, the built-in provider.
func DefaultConfig() Config {
	return Config{
		Server: HTTPConfig{
			Listen:          "127.0.0.1:8080",
			Data:            "./kaz-data",
			AdminGroup:      "admins",
			ShutdownTimeout: 15 * time.Second,
		},
		Log:      LogConfig{Format: "text", Level: "info"},
		Database: DatabaseConfig{Driver: "sqlite"},
		Auth:     auth.DefaultConfig(),
		IDP:      idp.DefaultConfig(),
		Docs:     docstore.DefaultConfig(),
		Search:   search.DefaultConfig(),
		Phone:    softphone.DefaultConfig(),
	}
}

// maxConfigSize bounds the configuration file.
const maxConfigSize = 1 << 20

// LoadConfig reads the YAML file at path (none when path is ""), applies
// KAZ_* environment overrides from getenv, and fills derived defaults. It
// does not validate: call Validate.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := ParseConfig(b, &cfg); err != nil {
			return cfg, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if getenv != nil {
		if err := applyEnv(&cfg, getenv); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// ParseConfig decodes YAML into cfg, refusing unknown fields so that a typo
// is reported instead of silently ignored.
func ParseConfig(b []byte, cfg *Config) error {
	if len(b) > maxConfigSize {
		return errors.New("file larger than 1 MiB")
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	return nil
}

// applyEnv walks cfg's yaml fields: KAZ_<SECTION>_<FIELD> (upper case, as
// in KAZ_SERVER_LISTEN or KAZ_AUTH_CLIENT_SECRET) overrides a value, and
// KAZ_<SECTION>_<FIELD>_FILE reads it from a file (for secrets mounted by
// systemd or Kubernetes). Lists are comma-separated.
func applyEnv(cfg *Config, getenv func(string) string) error {
	return walkEnv(reflect.ValueOf(cfg).Elem(), "KAZ", getenv)
}

func walkEnv(v reflect.Value, prefix string, getenv func(string) string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = strings.ToLower(f.Name)
		}
		name := prefix + "_" + strings.ToUpper(tag)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Time{}) {
			if err := walkEnv(fv, name, getenv); err != nil {
				return err
			}
			continue
		}
		val, ok := getenv(name), getenv(name) != ""
		if file := getenv(name + "_FILE"); file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("config: %s_FILE: %w", name, err)
			}
			val, ok = strings.TrimRight(string(b), "\r\n"), true
		}
		if !ok {
			continue
		}
		if err := setFromString(fv, val); err != nil {
			return fmt.Errorf("config: %s: %w", name, err)
		}
	}
	return nil
}

func setFromString(fv reflect.Value, s string) error {
	if fv.Type() == reflect.TypeOf(time.Duration(0)) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("not a duration (like 30s or 5m): %q", s)
		}
		fv.SetInt(int64(d))
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("not true or false: %q", s)
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("not a whole number: %q", s)
		}
		fv.SetInt(n)
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("not a whole number: %q", s)
		}
		fv.SetUint(n)
	case reflect.Float64, reflect.Float32:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("not a number: %q", s)
		}
		fv.SetFloat(n)
	case reflect.Slice:
		if fv.Type().Elem().Kind() != reflect.String {
			return errors.New("cannot be set from the environment")
		}
		var parts []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		fv.Set(reflect.ValueOf(parts))
	default:
		return errors.New("cannot be set from the environment")
	}
	return nil
}

// Normalize fills values derived from others (public URL, DSN) and cleans
// paths. Call it after flags are applied and before Validate.
func (c *Config) Normalize() {
	if c.Server.Data == "" {
		c.Server.Data = "./kaz-data"
	}
	if abs, err := filepath.Abs(c.Server.Data); err == nil {
		c.Server.Data = abs
	}
	if c.Database.Driver == "" {
		c.Database.Driver = "sqlite"
	}
	if c.Database.Driver == "sqlite" && c.Database.DSN == "" {
		c.Database.DSN = filepath.Join(c.Server.Data, "kaz.db")
	}
	if c.Server.PublicURL == "" {
		scheme := "https"
		if c.PlainHTTP() {
			scheme = "http"
		}
		host := c.Server.Listen
		// A host name rather than a loopback address: security keys
		// (WebAuthn) refuse IP addresses as relying-party ids.
		if h, p, err := net.SplitHostPort(host); err == nil && (h == "" || h == "0.0.0.0" || h == "::" || h == "127.0.0.1" || h == "::1") {
			host = net.JoinHostPort("localhost", p)
		}
		c.Server.PublicURL = scheme + "://" + host
	}
	c.Server.PublicURL = strings.TrimRight(c.Server.PublicURL, "/")
	if c.Server.AdminGroup == "" {
		c.Server.AdminGroup = "admins"
	}
	if c.Server.ShutdownTimeout <= 0 {
		c.Server.ShutdownTimeout = 15 * time.Second
	}
}

// PlainHTTP reports whether Kaz serves plain HTTP: on a loopback address,
// or when Insecure is set (behind a TLS-terminating proxy).
func (c *Config) PlainHTTP() bool {
	if c.Server.TLSCertFile != "" {
		return false
	}
	if c.Server.Insecure {
		return true
	}
	host, _, err := net.SplitHostPort(c.Server.Listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// Validate reports every problem of c, one per line, in plain words.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		add("server.listen: %q is not host:port (for example 127.0.0.1:8080)", c.Server.Listen)
	}
	if u, err := url.Parse(c.Server.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("server.public_url: %q is not an http(s) URL", c.Server.PublicURL)
	} else if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		add("server.public_url: %q has a path: Kaz must be served at the root of its own host name (for example https://kaz.example.org)", c.Server.PublicURL)
	}
	for _, n := range c.Server.AllowedNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			add("server.allowed_networks: %q is not a network in CIDR form (for example 10.8.0.0/16)", n)
		}
	}
	for _, n := range c.Server.TrustedProxies {
		if _, err := netip.ParsePrefix(n); err != nil {
			add("server.trusted_proxies: %q is not a network in CIDR form (for example 127.0.0.1/32)", n)
		}
	}
	if (c.Server.TLSCertFile == "") != (c.Server.TLSKeyFile == "") {
		add("server.tls_cert_file and server.tls_key_file go together: set both or neither")
	}
	switch c.Log.Format {
	case "", "text", "json":
	default:
		add("log.format: %q is not text or json", c.Log.Format)
	}
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		add("log.level: %q is not debug, info, warn or error", c.Log.Level)
	}
	switch c.Database.Driver {
	case "sqlite":
	case "postgres":
		add("database.driver: postgres is not built into this release yet (the SQL is kept portable for it); use sqlite")
	default:
		add("database.driver: %q is not sqlite or postgres", c.Database.Driver)
	}
	if c.Auth.Issuer == "" && c.Auth.RequireMFA && !c.IDP.RequireMFA {
		add("auth.require_mfa is true but idp.require_mfa is false: agents without a second factor could not sign in at all; set both to the same value")
	}
	for _, v := range []struct {
		name string
		fn   func() error
	}{
		{"auth", c.Auth.Validate}, {"idp", c.IDP.Validate}, {"docs", c.Docs.Validate},
		{"search", c.Search.Validate}, {"phone", c.Phone.Validate},
	} {
		if err := v.fn(); err != nil {
			add("%s: %w", v.name, err)
		}
	}
	return errors.Join(errs...)
}
