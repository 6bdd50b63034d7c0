package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/kazhq/kaz/internal/selfsigned"
	"github.com/kazhq/kaz/server"
)

// commonFlags are the flags shared by serve, admin and config.
type commonFlags struct {
	config, data, listen, publicURL string
}

func (c *commonFlags) register(fs *flag.FlagSet, serve bool) {
	fs.StringVar(&c.config, "config", "", "configuration file (YAML)")
	fs.StringVar(&c.data, "data", "", "data folder (default ./kaz-data)")
	if serve {
		fs.StringVar(&c.listen, "listen", "", "address to listen on (default 127.0.0.1:8080)")
		fs.StringVar(&c.publicURL, "public-url", "", "URL agents use to reach Kaz")
	}
}

// load reads the configuration: file, then environment, then flags.
func (c *commonFlags) load(getenv func(string) string) (server.Config, error) {
	if c.config == "" {
		c.config = getenv("KAZ_CONFIG")
	}
	cfg, err := server.LoadConfig(c.config, getenv)
	if err != nil {
		return cfg, err
	}
	if c.data != "" {
		cfg.Server.Data = c.data
	}
	if c.listen != "" {
		cfg.Server.Listen = c.listen
	}
	if c.publicURL != "" {
		cfg.Server.PublicURL = c.publicURL
	}
	cfg.Normalize()
	return cfg, cfg.Validate()
}

func newLogger(cfg server.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kaz serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	cfg, err := cf.load(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg.Log, stderr)
	// Some libraries (zitadel/oidc) log only through the process-wide
	// default logger: route it to ours.
	slog.SetDefault(log.With("component", "lib"))
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	if file, err := srv.BootstrapAdmin(ctx); err != nil {
		return err
	} else if file != "" {
		fmt.Fprintf(stdout, "First start: an administrator account was created.\n  user:     admin\n  password: in %s (cat it, sign in, set up a second factor, then delete the file)\n", file)
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Listen, err)
	}
	if !cfg.PlainHTTP() {
		tlsCfg, err := tlsConfig(cfg, log)
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, tlsCfg)
	}
	fmt.Fprintf(stdout, "Kaz is running: open %s\n", cfg.Server.PublicURL)
	if err := srv.Run(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func tlsConfig(cfg server.Config, log *slog.Logger) (*tls.Config, error) {
	certFile, keyFile := cfg.Server.TLSCertFile, cfg.Server.TLSKeyFile
	if certFile == "" {
		host, _, _ := net.SplitHostPort(cfg.Server.Listen)
		var err error
		certFile, keyFile, err = selfsigned.Ensure(cfg.Server.Data, []string{host, "localhost", hostOf(cfg.Server.PublicURL)})
		if err != nil {
			return nil, fmt.Errorf("self-signed certificate: %w", err)
		}
		log.Warn("no TLS certificate configured: serving with a self-signed one; set server.tls_cert_file and server.tls_key_file", "cert", certFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}, nil
}

func hostOf(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	if i := strings.IndexAny(u, "/"); i >= 0 {
		u = u[:i]
	}
	if h, _, err := net.SplitHostPort(u); err == nil {
		return h
	}
	return u
}

func cmdConfig(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError("usage: kaz config check [--config FILE]")
	}
	fs := flag.NewFlagSet("kaz config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs, true)
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	if _, err := cf.load(getenv); err != nil {
		return fmt.Errorf("the configuration has problems:\n%w", err)
	}
	src := cf.config
	if src == "" {
		src = "(no file: embedded defaults)"
	}
	fmt.Fprintf(stdout, "configuration OK: %s\n", src)
	return nil
}
