// Package httperr turns handler errors into HTTP responses. Only Msg reaches
// the client; Err goes to the log. Internal error text never reaches a
// client.
package httperr

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// Error is an error with the status and the plain-language message to send.
type Error struct {
	Code int    // HTTP status
	Msg  string // safe, plain-language message for the client
	Err  error  // cause, logged only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error.
func New(code int, msg string, err error) *Error { return &Error{Code: code, Msg: msg, Err: err} }

// Func is an http handler that returns an error.
type Func func(w http.ResponseWriter, r *http.Request) error

// Handler adapts fn, writing errors as JSON {"error": msg, "status": code}.
// Errors that are not *Error become a 500 with a generic message.
func Handler(log *slog.Logger, fn Func) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			Write(w, r, log, err)
		}
	})
}

// Write writes err as a JSON error response and logs its cause.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var he *Error
	if !errors.As(err, &he) {
		he = &Error{Code: http.StatusInternalServerError, Msg: "internal error", Err: err}
	}
	if log != nil && (he.Code >= 500 || he.Err != nil) {
		log.LogAttrs(r.Context(), levelFor(he.Code), "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", he.Code), slog.Any("err", he.Err))
	}
	WriteJSON(w, he.Code, map[string]any{"error": he.Msg, "status": he.Code})
}

func levelFor(code int) slog.Level {
	if code >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// WriteJSON writes v as JSON with status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
