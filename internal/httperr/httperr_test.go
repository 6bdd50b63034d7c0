package httperr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

type errorBody struct {
	Error   string `json:"error"`
	ErrorEN string `json:"error_en"`
	Status  int    `json:"status"`
}

func serve(t *testing.T, log *slog.Logger, acceptLanguage string, fn Func) (*httptest.ResponseRecorder, errorBody) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/x", nil)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	rec := httptest.NewRecorder()
	Handler(log, fn).ServeHTTP(rec, req)
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return rec, body
}

func TestWriteAnswersInTheRequestLanguage(t *testing.T) {
	fail := func(http.ResponseWriter, *http.Request) error {
		return New(http.StatusUnauthorized, "authentication required", nil)
	}
	for _, tc := range []struct {
		accept, lang, msg string
	}{
		{"", "fr", "Vous devez vous connecter."},
		{"fr", "fr", "Vous devez vous connecter."},
		{"en", "en", "authentication required"},
		{"en-GB,en;q=0.9,fr;q=0.8", "en", "authentication required"},
		{"de-DE, en;q=0.5, fr;q=0.7", "fr", "Vous devez vous connecter."},
		{"de", "fr", "Vous devez vous connecter."},
	} {
		t.Run(tc.accept, func(t *testing.T) {
			rec, body := serve(t, nil, tc.accept, fail)
			if rec.Code != http.StatusUnauthorized || body.Status != http.StatusUnauthorized {
				t.Errorf("status %d / %d, want 401", rec.Code, body.Status)
			}
			if body.Error != tc.msg {
				t.Errorf("error = %q, want %q", body.Error, tc.msg)
			}
			if body.ErrorEN != "authentication required" {
				t.Errorf("error_en = %q, want the English original", body.ErrorEN)
			}
			if got := rec.Header().Get("Content-Language"); got != tc.lang {
				t.Errorf("Content-Language = %q, want %q", got, tc.lang)
			}
			if got := rec.Header().Get("Vary"); !strings.Contains(got, "Accept-Language") {
				t.Errorf("Vary = %q, want Accept-Language", got)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}
}

func TestWriteHidesInternalErrorText(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec, body := serve(t, log, "fr-FR", func(http.ResponseWriter, *http.Request) error {
		return fmt.Errorf("open /var/lib/kaz/secret.db: permission denied")
	})
	if rec.Code != http.StatusInternalServerError || body.ErrorEN != "internal error" {
		t.Errorf("got %d %q, want 500 internal error", rec.Code, body.ErrorEN)
	}
	if !strings.HasPrefix(body.Error, "Une erreur est survenue") {
		t.Errorf("error = %q, want the French generic message", body.Error)
	}
	if strings.Contains(rec.Body.String(), "secret.db") {
		t.Errorf("internal error text reached the client: %s", rec.Body.String())
	}
	if !strings.Contains(logs.String(), "secret.db") {
		t.Errorf("cause not logged: %s", logs.String())
	}
}

func TestWriteFindsWrappedErrors(t *testing.T) {
	_, body := serve(t, nil, "fr", func(http.ResponseWriter, *http.Request) error {
		return fmt.Errorf("handler: %w", New(http.StatusForbidden, "forbidden", errors.New("cause")))
	})
	if body.Status != http.StatusForbidden || body.Error != messagesFR["forbidden"] {
		t.Errorf("got %+v", body)
	}
}

func TestUntranslatedMessageFallsBackToEnglishAndLogsOnce(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	msg := "a message nobody translated " + t.Name()
	for range 3 {
		_, body := serve(t, log, "fr", func(http.ResponseWriter, *http.Request) error {
			return New(http.StatusConflict, msg, nil)
		})
		if body.Error != msg || body.ErrorEN != msg {
			t.Fatalf("got %+v, want the English message in both fields", body)
		}
	}
	if n := strings.Count(logs.String(), "error message has no translation"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Errorf("want a debug line:\n%s", logs.String())
	}
}

func TestWriteAcceptsNilRequestAndLogger(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, nil, nil, New(http.StatusBadRequest, "invalid JSON body", nil))
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error != messagesFR["invalid JSON body"] {
		t.Errorf("got %q (%v)", rec.Body.String(), err)
	}
}

func TestErrorKeepsMessageAndCause(t *testing.T) {
	cause := errors.New("disk full")
	e := New(http.StatusInsufficientStorage, "the library's quota is exceeded", cause)
	if e.Error() != "the library's quota is exceeded: disk full" || !errors.Is(e, cause) {
		t.Errorf("Error() = %q, Is = %v", e.Error(), errors.Is(e, cause))
	}
	if (&Error{Msg: "x"}).Error() != "x" {
		t.Error("Error() without cause")
	}
}

func TestLocalizePatterns(t *testing.T) {
	saved := messagesFR
	t.Cleanup(func() { messagesFR = saved; resetPatterns() })
	messagesFR = map[string]string{
		"library %q not found":         "La bibliothèque %q est introuvable.",
		"%d of %d files were moved":    "%d fichiers déplacés sur %d.",
		"file %s is larger than %d MB": "Le fichier dépasse %[2]d Mo : %[1]s.",
		"quota at 100%% for %s":        "Quota atteint à 100 %% pour %s.",
		"plain message":                "Message simple.",
	}
	resetPatterns()
	for _, tc := range []struct{ lang, in, want string }{
		{"fr", `library "rh" not found`, `La bibliothèque "rh" est introuvable.`},
		{"fr", "3 of 10 files were moved", "3 fichiers déplacés sur 10."},
		{"fr", "file a.pdf is larger than 20 MB", "Le fichier dépasse 20 Mo : a.pdf."},
		{"fr", "quota at 100% for rh", "Quota atteint à 100 % pour rh."},
		{"fr", "plain message", "Message simple."},
		{"en", "plain message", "plain message"},
		{"fr", "x of 10 files were moved", "x of 10 files were moved"}, // %d wants digits
		{"fr", "unknown", "unknown"},
	} {
		got, ok := Localize(tc.lang, tc.in)
		if got != tc.want {
			t.Errorf("Localize(%s, %q) = %q, want %q", tc.lang, tc.in, got, tc.want)
		}
		if ok != (got != tc.in || tc.lang == "en") {
			t.Errorf("Localize(%s, %q) ok = %v", tc.lang, tc.in, ok)
		}
	}
}

func resetPatterns() {
	patterns = nil
	patternsOnce = sync.Once{}
}
