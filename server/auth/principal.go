package auth

import (
	"context"
	"time"
)

// Principal is the one authenticated identity behind a request. Exactly one
// is resolved per request by the authentication middleware, from a session
// cookie, an app password (HTTP Basic), a bearer token or an MS-OFBA cookie.
type Principal struct {
	// User is the stable Kaz user name (login).
	User string `json:"user"`
	// DisplayName is what the interface shows.
	DisplayName string `json:"display_name"`
	// Email may be empty.
	Email string `json:"email,omitempty"`
	// Groups are the Kaz groups the user belongs to (from the directory or
	// the provider's groups claim).
	Groups []string `json:"groups"`
	// Method says how this request authenticated: "session", "apppassword",
	// "bearer" or "ofba".
	Method string `json:"method"`
	// AMR lists the authentication methods of the sign-in behind a session
	// (RFC 8176 values such as "pwd", "otp", "hwk", "mfa").
	AMR []string `json:"amr,omitempty"`
	// SessionID identifies the server-side session, when there is one.
	SessionID string `json:"-"`
	// SignedIn is when the sign-in behind a session happened (zero for
	// other methods): changes of second factors want a recent one.
	SignedIn time.Time `json:"-"`
	// Admin is true for members of the configured administrators group.
	Admin bool `json:"admin"`
}

// InGroup reports whether p belongs to group g.
func (p *Principal) InGroup(g string) bool {
	for _, x := range p.Groups {
		if x == g {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of ctx, if any.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(*Principal)
	return p, ok && p != nil
}
