package idp

import (
	"errors"
	"time"
)

// Config configures the built-in OpenID provider (the "idp:" section). It
// is used only when auth.issuer is empty. The zero value, after
// DefaultConfig, runs with embedded defaults.
type Config struct {
	// RequireMFA makes a second factor (TOTP or security key) mandatory:
	// a user without one enrols at their next sign-in. Default true.
	RequireMFA bool `yaml:"require_mfa"`
	// MaxFailures is how many failed attempts (password or second factor)
	// lock a user out for LockoutDuration. Default 5.
	MaxFailures int `yaml:"max_failures"`
	// MaxFailuresPerAddress is the same limit per client address, across
	// users. Default 20.
	MaxFailuresPerAddress int `yaml:"max_failures_per_address"`
	// LockoutDuration is both the window in which failures are counted and
	// how long a lock-out lasts. Default 5m.
	LockoutDuration time.Duration `yaml:"lockout_duration"`
	// AccessTokenLifetime bounds access and ID tokens. Default 15m.
	AccessTokenLifetime time.Duration `yaml:"access_token_lifetime"`
	// RefreshTokenLifetime bounds a refresh token (rotated at each use).
	// Default 12h.
	RefreshTokenLifetime time.Duration `yaml:"refresh_token_lifetime"`
}

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config {
	return Config{
		RequireMFA:            true,
		MaxFailures:           5,
		MaxFailuresPerAddress: 20,
		LockoutDuration:       5 * time.Minute,
		AccessTokenLifetime:   15 * time.Minute,
		RefreshTokenLifetime:  12 * time.Hour,
	}
}

// withDefaults fills zero fields (a zero Config still works).
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxFailures <= 0 {
		c.MaxFailures = d.MaxFailures
	}
	if c.MaxFailuresPerAddress <= 0 {
		c.MaxFailuresPerAddress = d.MaxFailuresPerAddress
	}
	if c.LockoutDuration <= 0 {
		c.LockoutDuration = d.LockoutDuration
	}
	if c.AccessTokenLifetime <= 0 {
		c.AccessTokenLifetime = d.AccessTokenLifetime
	}
	if c.RefreshTokenLifetime <= 0 {
		c.RefreshTokenLifetime = d.RefreshTokenLifetime
	}
	return c
}

// Validate reports the first problem in c, in plain words.
func (c *Config) Validate() error {
	switch {
	case c.MaxFailures < 0:
		return errors.New("max_failures: must be 0 (default) or more")
	case c.MaxFailuresPerAddress < 0:
		return errors.New("max_failures_per_address: must be 0 (default) or more")
	case c.LockoutDuration < 0:
		return errors.New("lockout_duration: must not be negative")
	case c.LockoutDuration > 24*time.Hour:
		return errors.New("lockout_duration: at most 24h")
	case c.AccessTokenLifetime < 0 || c.AccessTokenLifetime > 24*time.Hour:
		return errors.New("access_token_lifetime: between 0 (default 15m) and 24h")
	case c.RefreshTokenLifetime < 0 || c.RefreshTokenLifetime > 30*24*time.Hour:
		return errors.New("refresh_token_lifetime: between 0 (default 12h) and 720h")
	}
	return nil
}
