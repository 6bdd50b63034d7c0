// Package dtlskeys reaches what pion/webrtc keeps private in a DTLS
// transport — the DTLS connection and the negotiated RFC 9335 cryptex
// modes — so that a caller can key its own SRTP contexts from a finished
// handshake (the softphone's media fast path, and the load generator of
// bench/softphone, which plays the browsers).
//
// It reads unexported fields by reflection, for the pinned pion/webrtc v4
// ("conn", "localCryptexMode", "remoteCryptexMode"). When a pion upgrade
// renames or retypes them, Field reports ok == false and callers stay on
// pion's own path; softphone's tests fail loudly in that case.
package dtlskeys

import (
	"reflect"
	"unsafe"

	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

// Field reads the private field name of t, of type T.
func Field[T any](t *webrtc.DTLSTransport, name string) (v T, ok bool) {
	f := reflect.ValueOf(t).Elem().FieldByName(name)
	if !f.IsValid() || f.Type() != reflect.TypeFor[T]() {
		return v, false
	}
	return *(*T)(unsafe.Pointer(f.UnsafeAddr())), true
}

// CryptexOptions are the SRTP context options of a negotiated cryptex mode.
func CryptexOptions(m srtp.CryptexMode) []srtp.ContextOption {
	if m == srtp.CryptexModeEnabled || m == srtp.CryptexModeRequired {
		return []srtp.ContextOption{srtp.Cryptex(m)}
	}
	return nil
}
