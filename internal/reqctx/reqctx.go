// Package reqctx carries per-request facts (request id, client address)
// through contexts, for logs and audit records.
package reqctx

import (
	"context"
	"net/netip"
)

type idKey struct{}
type ipKey struct{}

// WithID returns ctx carrying the request id.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

// ID returns the request id of ctx, or "".
func ID(ctx context.Context) string {
	s, _ := ctx.Value(idKey{}).(string)
	return s
}

// WithClientIP returns ctx carrying the client's address (after trusted
// proxies).
func WithClientIP(ctx context.Context, ip netip.Addr) context.Context {
	return context.WithValue(ctx, ipKey{}, ip)
}

// ClientIP returns the client's address of ctx, or the zero Addr.
func ClientIP(ctx context.Context) netip.Addr {
	ip, _ := ctx.Value(ipKey{}).(netip.Addr)
	return ip
}
