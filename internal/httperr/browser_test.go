package httperr_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kazhq/kaz/frontend"
	"github.com/kazhq/kaz/frontend/frontendtest"
	"github.com/kazhq/kaz/internal/httperr"
)

// TestWebAppShowsErrorsInItsLanguage runs the web application's api.js in
// Chromium against httperr: the UI's language goes out as Accept-Language
// on fetch and upload calls, and ApiError.message comes back in it.
func TestWebAppShowsErrorsInItsLanguage(t *testing.T) {
	const msg = "an item with this name already exists"
	var (
		mu   sync.Mutex
		seen []string // Accept-Language of each failing call
	)
	fail := httperr.Handler(nil, func(w http.ResponseWriter, r *http.Request) error {
		mu.Lock()
		seen = append(seen, r.Header.Get("Accept-Language"))
		mu.Unlock()
		return httperr.New(http.StatusConflict, msg, nil)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /api/fail", fail)
	mux.Handle("PUT /dav/fail", fail)
	mux.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		httperr.WriteJSON(w, http.StatusOK, map[string]any{"user": "awa", "csrf_token": "token"})
	})
	mux.Handle("/", frontend.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := frontendtest.Browser(t, time.Minute)
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	js := srv.URL + "/assets/" + frontend.Version() + "/js/"
	call := func(l, how string) string {
		t.Helper()
		var out string
		expr := `(async () => {
			const i18n = await import('` + js + `i18n.js');
			const {api} = await import('` + js + `api.js');
			i18n.setLang('` + l + `');
			try {
				` + how + `;
				return 'no error';
			} catch (e) {
				return e.status + ' ' + e.message + ' | ' + (e.body && e.body.error_en);
			}
		})()`
		if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
			return p.WithAwaitPromise(true)
		})); err != nil {
			t.Fatal(err)
		}
		return out
	}
	fr := "409 Un élément porte déjà ce nom. | " + msg
	en := "409 " + msg + " | " + msg
	for _, tc := range []struct{ lang, how, want string }{
		{"fr", `await api('GET', '/api/fail')`, fr},
		{"en", `await api('GET', '/api/fail')`, en},
		{"fr", `await api.upload('/dav/fail', new Blob(['x']), {method: 'PUT'})`, fr},
		{"en", `await api.upload('/dav/fail', new Blob(['x']), {method: 'PUT'})`, en},
	} {
		if got := call(tc.lang, tc.how); got != tc.want {
			t.Errorf("%s %s: got %q, want %q", tc.lang, tc.how, got, tc.want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"fr", "en", "fr", "en"}; !slices.Equal(seen, want) {
		t.Errorf("Accept-Language sent = %q, want %q", seen, want)
	}
}
