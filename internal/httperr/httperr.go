// Package httperr turns handler errors into HTTP responses. Only Msg reaches
// the client; Err goes to the log. Internal error text never reaches a
// client.
//
// Msg is written in English in the code and translated when the response is
// written: Write answers in the language of the request's Accept-Language
// ("fr" or "en", French by default) through the catalog in messages_fr.go,
// and also sends the English original as error_en, stable for scripts.
// TestEveryClientMessageHasFrench keeps the catalog complete; see
// catalog.go for messages built with fmt.Sprintf.
package httperr

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
)

// Error is an error with the status and the plain-language message to send.
type Error struct {
	Code int    // HTTP status
	Msg  string // safe, plain-language message for the client
	Err  error  // cause, logged only
	// Reason, when set, is a stable word the web client acts on (sent as
	// "reason"), e.g. "reauth": sign in again, then retry.
	Reason string
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

// Handler adapts fn, writing errors with Write.
// Errors that are not *Error become a 500 with a generic message.
func Handler(log *slog.Logger, fn Func) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			Write(w, r, log, err)
		}
	})
}

// Write writes err as a JSON error response and logs its cause:
//
//	{"error": "Vous devez vous connecter.", "error_en": "authentication required", "status": 401}
//
// error is Msg in the language of r (see Lang), error_en the English
// original. A message missing from the catalog is sent in English and
// logged once at debug level. Errors that are not *Error become a 500 with
// a generic message.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var he *Error
	if !errors.As(err, &he) {
		he = &Error{Code: http.StatusInternalServerError, Msg: "internal error", Err: err}
	}
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
	}
	if log != nil && (he.Code >= 500 || he.Err != nil) {
		attrs := []slog.Attr{slog.Int("status", he.Code), slog.Any("err", he.Err)}
		if r != nil {
			attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path))
		}
		log.LogAttrs(ctx, levelFor(he.Code), "request failed", attrs...)
	}
	lang := Lang(r)
	msg, ok := Localize(lang, he.Msg)
	if !ok && log != nil && firstMiss(he.Msg) {
		log.LogAttrs(ctx, slog.LevelDebug, "error message has no translation",
			slog.String("component", "httperr"), slog.String("lang", lang), slog.String("msg", he.Msg))
	}
	h := w.Header()
	h.Set("Content-Language", lang)
	h.Add("Vary", "Accept-Language")
	body := map[string]any{"error": msg, "error_en": he.Msg, "status": he.Code}
	if he.Reason != "" {
		body["reason"] = he.Reason
	}
	WriteJSON(w, he.Code, body)
}

// missed remembers the untranslated messages already logged, up to
// maxMissed of them (messages may carry request data: the set is bounded).
var missed struct {
	sync.Mutex
	seen map[string]bool
}

const maxMissed = 256

// firstMiss reports whether msg is logged as untranslated for the first time.
func firstMiss(msg string) bool {
	missed.Lock()
	defer missed.Unlock()
	if missed.seen[msg] || len(missed.seen) >= maxMissed {
		return false
	}
	if missed.seen == nil {
		missed.seen = make(map[string]bool)
	}
	missed.seen[msg] = true
	return true
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
