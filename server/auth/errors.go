package auth

import "errors"

// Errors returned by authentication.
var (
	// ErrNoCredentials: the request presented no credential at all.
	ErrNoCredentials = errors.New("auth: no credentials")
	// ErrBadCredentials: a credential was presented and is not valid.
	ErrBadCredentials = errors.New("auth: invalid credentials")
	// ErrThrottled: too many recent failures for this user or address.
	ErrThrottled = errors.New("auth: too many failed attempts")
	// ErrForbidden: authenticated, but not allowed (disabled user…).
	ErrForbidden = errors.New("auth: forbidden")
)
