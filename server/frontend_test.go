package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kazhq/kaz/frontend"
	"github.com/kazhq/kaz/frontend/frontendtest"
	"github.com/kazhq/kaz/internal/testenv"
)

// The web application as served by a whole Kaz: headers, the sign-in
// redirect, and — signed in through the built-in provider with a password
// and a TOTP code — every section of the shell in headless Chromium.
// (frontend/ui_test.go tests the shell alone against a stand-in API.)

func TestWebAppServedWithSecurityHeaders(t *testing.T) {
	k := testenv.NewServer(t, nil)
	tests := []struct {
		path, ctype, cache string
	}{
		{"/", "text/html; charset=utf-8", "no-cache"},
		{"/assets/" + frontend.Version() + "/js/app.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/assets/" + frontend.Version() + "/css/kaz.css", "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
	}
	for _, tt := range tests {
		resp, err := http.Get(k.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d", tt.path, resp.StatusCode)
		}
		h := resp.Header
		if h.Get("Content-Type") != tt.ctype || h.Get("Cache-Control") != tt.cache {
			t.Errorf("GET %s: Content-Type %q, Cache-Control %q; want %q, %q", tt.path, h.Get("Content-Type"), h.Get("Cache-Control"), tt.ctype, tt.cache)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP %q", tt.path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s: nosniff %q, Referrer-Policy %q", tt.path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
	// The API answers JSON 401 to an anonymous call: the shell turns it
	// into the sign-in redirect.
	resp, err := http.Get(k.URL + "/api/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Error string }
	if resp.StatusCode != 401 || json.NewDecoder(resp.Body).Decode(&body) != nil || body.Error == "" {
		t.Errorf("anonymous GET /api/me = %d, error %q", resp.StatusCode, body.Error)
	}
}

func TestWebAppUnauthenticatedVisitGoesToSignIn(t *testing.T) {
	k := testenv.NewServer(t, nil)
	ctx := frontendtest.Browser(t, 60*time.Second)
	w, err := frontendtest.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(k.URL+"/#/account")); err != nil {
		t.Fatal(err)
	}
	// The shell goes to /auth/login?return=#/account, which sends the
	// browser on to the provider's sign-in page.
	if err := frontendtest.WaitFor(ctx, `!location.pathname.startsWith('/assets') && location.pathname !== '/'`, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid="username"]')`, 20*time.Second); err != nil {
		var loc string
		chromedp.Run(ctx, chromedp.Evaluate(`location.href`, &loc))
		t.Fatalf("no sign-in form (at %s): %v", loc, err)
	}
	for _, p := range w.Problems(func(p frontendtest.Problem) bool {
		return strings.HasSuffix(p.URL, "/api/me") // the expected 401
	}) {
		if strings.Contains(p.URL, "/assets/") || p.Kind == "exception" {
			t.Errorf("loading the shell: %s", p)
		}
	}
}

// signIn signs user in through the built-in provider (password, then a
// TOTP code) starting from the shell at route, and waits until the shell
// shows view.
func signIn(t *testing.T, ctx context.Context, k *testenv.Server, user, password, secret, route, view string) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.Navigate(k.URL+"/"+route)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`[data-testid="username"]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid="username"]`, user, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid="password"]`, password, chromedp.ByQuery),
		chromedp.Click(`[data-testid="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="totp-code"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("sign-in form: %v", err)
	}
	// Headless Chromium asks for English (Accept-Language: en-US); the
	// application is French first and its sign-in pages follow it.
	if got := evalString(t, ctx, `document.documentElement.lang`); got != "fr" {
		t.Errorf("sign-in page language = %q, want fr like the application", got)
	}
	code := k.TOTPCode(t, user, secret)
	if err := chromedp.Run(ctx,
		chromedp.SendKeys(`[data-testid="totp-code"]`, code, chromedp.ByQuery),
		chromedp.Click(`[data-testid="totp-submit"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("TOTP form: %v", err)
	}
	waitView(t, ctx, view, 30*time.Second)
}

func waitView(t *testing.T, ctx context.Context, section string, timeout time.Duration) {
	t.Helper()
	expr := `document.querySelector('[data-testid="view-` + section + `"] h1') && !document.querySelector('#main[aria-busy]')`
	if err := frontendtest.WaitFor(ctx, expr, timeout); err != nil {
		var where, text string
		chromedp.Run(ctx, chromedp.Evaluate(`location.href`, &where), chromedp.Evaluate(`document.body.innerText.slice(0, 600)`, &text))
		t.Fatalf("view %s not shown (at %s): %v\n%s", section, where, err, text)
	}
}

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	var s string
	if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &s)); err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

// checkA11y runs the accessibility check on the page. Every view fails on
// an issue that stops someone from using it (critical or serious); strict
// views — the shell's own — fail on any, the others log the rest.
func checkA11y(t *testing.T, ctx context.Context, where string, strict bool) {
	t.Helper()
	issues, err := frontendtest.CheckA11y(ctx)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	for _, i := range issues {
		if strict || i.Serious() {
			t.Errorf("%s: accessibility: %s", where, i)
		} else {
			t.Logf("%s: accessibility: %s", where, i)
		}
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("KAZ_SCREENSHOTS")
	if dir == "" {
		dir = os.TempDir()
	}
	p := filepath.Join(dir, name)
	if err := frontendtest.Screenshot(ctx, p); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", p)
}

func TestWebAppSignedInShowsEverySection(t *testing.T) {
	k := testenv.NewServer(t, nil)
	k.AddUser(t, "adiallo", "correct horse battery staple", "agents", "admins")
	secret := k.EnrolTOTP(t, "adiallo")
	ctx := frontendtest.Browser(t, 100*time.Second)
	w, err := frontendtest.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, k, "adiallo", "correct horse battery staple", secret, "#/account", "account")

	// Back where the visit started, with who signed in and how.
	if got := evalString(t, ctx, `location.hash`); got != "#/account" {
		t.Errorf("after sign-in the hash is %q, want #/account", got)
	}
	if got := evalString(t, ctx, `document.querySelector('[data-testid="account-user"]').textContent`); got != "adiallo" {
		t.Errorf("account user = %q", got)
	}
	if got := evalString(t, ctx, `document.querySelector('[data-testid="account-method"]').textContent`); got == "" || got == "—" {
		t.Errorf("account method = %q", got)
	}
	if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid="account-mfa"]').childElementCount > 0 && document.querySelector('[data-testid="account-apppasswords"]').childElementCount > 0`, 15*time.Second); err != nil {
		t.Errorf("account parts: %v", err)
	}
	if n := evalString(t, ctx, `String(document.querySelectorAll('#main h1').length)`); n != "1" {
		t.Errorf("account page has %s h1", n)
	}
	checkA11y(t, ctx, "account", true)
	screenshot(t, ctx, "kaz-server-account.png")

	// Reload: the shell itself loads with no console error and no failed
	// request.
	w.Reset()
	if err := chromedp.Run(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(k.URL+"/#/")); err != nil {
		t.Fatal(err)
	}
	waitView(t, ctx, "home", 15*time.Second)
	if err := frontendtest.WaitFor(ctx, `performance.getEntriesByType('resource').length > 0`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, p := range w.Problems(nil) {
		if strings.Contains(p.URL, "/assets/") || strings.HasSuffix(p.URL, "/api/me") || p.Kind == "exception" {
			t.Errorf("home: %s", p)
		} else {
			t.Logf("home (a section's own request): %s", p)
		}
	}
	checkA11y(t, ctx, "home", true)
	screenshot(t, ctx, "kaz-server-home.png")

	// Every navigation link renders its section.
	for _, section := range []string{"libraries", "search", "phone", "admin", "home"} {
		w.Reset()
		if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="nav-`+section+`"]`, chromedp.ByQuery)); err != nil {
			t.Fatalf("nav %s: %v", section, err)
		}
		waitView(t, ctx, section, 15*time.Second)
		if got := evalString(t, ctx, `(document.querySelector('[data-nav="`+section+`"]')||{getAttribute(){return ''}}).getAttribute('aria-current')||''`); got != "page" {
			t.Errorf("%s: nav aria-current = %q", section, got)
		}
		if h1 := evalString(t, ctx, `document.querySelector('#main h1').textContent`); h1 == "Cette page n'a pas pu s'afficher." {
			t.Errorf("%s failed to render: %s", section, evalString(t, ctx, `document.getElementById('main').innerText`))
		}
		for _, p := range w.Problems(nil) {
			if p.Kind == "exception" || strings.Contains(p.URL, "/assets/") {
				t.Errorf("%s: %s", section, p)
			}
		}
		checkA11y(t, ctx, section, section == "home" || section == "admin")
	}

	// Language switch, then sign-out with the CSRF token.
	if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="lang-switch"]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if err := frontendtest.WaitFor(ctx, `document.documentElement.lang === 'en' && document.querySelector('[data-nav="libraries"]').textContent === 'Libraries'`, 10*time.Second); err != nil {
		t.Errorf("language switch: %v", err)
	}
	screenshot(t, ctx, "kaz-server-home-en.png")
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid="user-menu"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="sign-out"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="sign-out"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if err := frontendtest.WaitFor(ctx, `!document.querySelector('[data-testid="app-header"]')`, 20*time.Second); err != nil {
		t.Fatalf("sign-out did not leave the app: %v", err)
	}
	// The session is over: the API refuses the browser's cookie.
	var status string
	if err := chromedp.Run(ctx, chromedp.Navigate(k.URL+"/healthz")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(`fetch('/api/me').then(r => String(r.status))`, &status, awaitPromise)); err != nil {
		t.Fatal(err)
	}
	if status != "401" {
		t.Errorf("after sign-out GET /api/me = %s, want 401", status)
	}
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
