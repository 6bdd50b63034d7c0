package auth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config configures sign-in: the "auth:" section. The zero value, after
// DefaultConfig, uses the built-in provider at PUBLIC_URL/idp.
type Config struct {
	// Issuer is the OpenID provider's issuer URL (Keycloak realm, Entra ID
	// tenant v2.0 endpoint, Authentik application…). Empty uses the built-in
	// provider served by Kaz itself at public_url/idp.
	Issuer string `yaml:"issuer"`
	// ClientID is Kaz's client id at the provider (empty with the built-in
	// provider, which registers Kaz itself).
	ClientID string `yaml:"client_id"`
	// ClientSecret is Kaz's client secret at the provider. Prefer
	// KAZ_AUTH_CLIENT_SECRET_FILE to keep it out of the file.
	ClientSecret string `yaml:"client_secret" secret:"true"`
	// Scopes requested besides "openid". Default: profile, email,
	// offline_access.
	Scopes []string `yaml:"scopes"`
	// UsernameClaim names the claim that becomes the Kaz user name.
	// Default "preferred_username", falling back to "sub" when absent.
	UsernameClaim string `yaml:"username_claim"`
	// GroupsClaim names the claim that lists the user's groups (external
	// providers only). Default "groups".
	GroupsClaim string `yaml:"groups_claim"`
	// RequireMFA refuses a sign-in whose acr/amr claims do not show a second
	// factor. Default true (set by DefaultConfig).
	RequireMFA bool `yaml:"require_mfa"`
	// MFAAMR lists the amr values (RFC 8176) that show a second factor.
	MFAAMR []string `yaml:"mfa_amr"`
	// MFAACR lists the acr values that show a second factor (for example
	// Keycloak's "2" when its levels of authentication are configured).
	MFAACR []string `yaml:"mfa_acr"`
	// ACRValues, when set, is sent as acr_values in the authorization
	// request to ask the provider for a second factor.
	ACRValues string `yaml:"acr_values"`
	// SessionIdleTimeout ends a session unused for that long. Default 8h.
	SessionIdleTimeout time.Duration `yaml:"session_idle_timeout"`
	// SessionMaxAge ends a session that long after sign-in, used or not.
	// Default 7 days (one working week).
	SessionMaxAge time.Duration `yaml:"session_max_age"`
	// RevokeAppPasswordsOnLogout also revokes the app passwords created from
	// a session when the provider ends that session by back-channel logout.
	RevokeAppPasswordsOnLogout bool `yaml:"revoke_app_passwords_on_logout"`
	// ThrottleUserFailures is how many failed app-password attempts one user
	// name may have within ThrottleWindow before further attempts get 429.
	// Default 10.
	ThrottleUserFailures int `yaml:"throttle_user_failures"`
	// ThrottleAddressFailures is the same limit per client address.
	// Default 30.
	ThrottleAddressFailures int `yaml:"throttle_address_failures"`
	// ThrottleWindow is the window of the throttling counters. Default 15m.
	ThrottleWindow time.Duration `yaml:"throttle_window"`
	// HTTPTimeout bounds each call to the provider. Default 15s.
	HTTPTimeout time.Duration `yaml:"http_timeout"`
}

// DefaultMFAAMR are the RFC 8176 amr values taken as a second factor.
var DefaultMFAAMR = []string{"mfa", "otp", "hwk", "swk", "sc", "fido", "sms", "tel"}

// DefaultMFAACR are acr values taken as a second factor.
var DefaultMFAACR = []string{"http://schemas.openid.net/pape/policies/2007/06/multi-factor"}

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config {
	return Config{
		Scopes:                  []string{"profile", "email", "offline_access"},
		UsernameClaim:           "preferred_username",
		GroupsClaim:             "groups",
		RequireMFA:              true,
		MFAAMR:                  append([]string(nil), DefaultMFAAMR...),
		MFAACR:                  append([]string(nil), DefaultMFAACR...),
		SessionIdleTimeout:      8 * time.Hour,
		SessionMaxAge:           7 * 24 * time.Hour,
		ThrottleUserFailures:    10,
		ThrottleAddressFailures: 30,
		ThrottleWindow:          15 * time.Minute,
		HTTPTimeout:             15 * time.Second,
	}
}

// withDefaults fills zero fields with the defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Scopes == nil {
		c.Scopes = d.Scopes
	}
	if c.UsernameClaim == "" {
		c.UsernameClaim = d.UsernameClaim
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = d.GroupsClaim
	}
	if c.MFAAMR == nil {
		c.MFAAMR = d.MFAAMR
	}
	if c.MFAACR == nil {
		c.MFAACR = d.MFAACR
	}
	if c.SessionIdleTimeout <= 0 {
		c.SessionIdleTimeout = d.SessionIdleTimeout
	}
	if c.SessionMaxAge <= 0 {
		c.SessionMaxAge = d.SessionMaxAge
	}
	if c.ThrottleUserFailures <= 0 {
		c.ThrottleUserFailures = d.ThrottleUserFailures
	}
	if c.ThrottleAddressFailures <= 0 {
		c.ThrottleAddressFailures = d.ThrottleAddressFailures
	}
	if c.ThrottleWindow <= 0 {
		c.ThrottleWindow = d.ThrottleWindow
	}
	if c.HTTPTimeout <= 0 {
		c.HTTPTimeout = d.HTTPTimeout
	}
	return c
}

// Validate reports every problem in c, in plain words.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Issuer != "" {
		u, err := url.Parse(c.Issuer)
		switch {
		case err != nil || u.Host == "":
			add("issuer: %q is not a URL (for example https://sso.example.org/realms/kaz)", c.Issuer)
		case u.Scheme != "https" && !loopbackHost(u.Hostname()):
			add("issuer: %q must use https (plain http is accepted on loopback only)", c.Issuer)
		case u.RawQuery != "" || u.Fragment != "":
			add("issuer: %q must not have a query or fragment", c.Issuer)
		}
		if c.ClientID == "" {
			add("client_id: required with an external issuer")
		}
	}
	if c.SessionIdleTimeout < 0 || c.SessionMaxAge < 0 || c.ThrottleWindow < 0 || c.HTTPTimeout < 0 {
		add("durations must not be negative")
	}
	if c.SessionIdleTimeout > 0 && c.SessionMaxAge > 0 && c.SessionIdleTimeout > c.SessionMaxAge {
		add("session_idle_timeout (%s) is longer than session_max_age (%s)", c.SessionIdleTimeout, c.SessionMaxAge)
	}
	if c.ThrottleUserFailures < 0 || c.ThrottleAddressFailures < 0 {
		add("throttle limits must not be negative")
	}
	if c.RequireMFA && c.MFAAMR != nil && c.MFAACR != nil && len(c.MFAAMR) == 0 && len(c.MFAACR) == 0 {
		add("require_mfa is on but mfa_amr and mfa_acr are both empty: no sign-in could ever pass")
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\"\\") {
			add("scopes: %q is not a scope name", s)
		}
	}
	return errors.Join(errs...)
}

func loopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasPrefix(h, "127.")
}
