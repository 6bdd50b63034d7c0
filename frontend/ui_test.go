package frontend_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kazhq/kaz/frontend"
	"github.com/kazhq/kaz/frontend/frontendtest"
)

// fakeKaz serves the embedded web application with a stand-in API, so the
// shell can be tested in a real browser whatever state the sign-in and the
// sections are in. The whole server is tested in server/frontend_test.go.
type fakeKaz struct {
	*httptest.Server
	mu       sync.Mutex
	signedIn bool
	meFails  bool     // GET /api/me answers 500 without a body
	logouts  []string // X-Kaz-CSRF of each POST /auth/logout
}

const fakeCSRF = "csrf-token-for-tests"

// newFakeKaz starts the stand-in; routes may add API routes of a section
// (more specific than the catch-all 404 for /api/).
func newFakeKaz(t *testing.T, routes ...func(*http.ServeMux)) *fakeKaz {
	f := &fakeKaz{signedIn: true}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		in, fails := f.signedIn, f.meFails
		f.mu.Unlock()
		if fails {
			w.WriteHeader(500)
			return
		}
		if !in {
			writeJSON(w, 401, map[string]any{"error": "authentication required", "status": 401})
			return
		}
		writeJSON(w, 200, map[string]any{
			"user": "adiallo", "display_name": "Awa Diallo", "email": "awa.diallo@example.org",
			"groups": []string{"agents", "rh", "kaz-admins"}, "method": "session", "amr": []string{"pwd", "otp"},
			"admin": true, "csrf_token": fakeCSRF,
		})
	})
	mux.HandleFunc("GET /api/admin/users", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"users": []map[string]any{
			{"name": "adiallo", "display_name": "Awa Diallo", "email": "awa.diallo@example.org", "groups": []string{"agents", "rh"}, "created": "2026-01-05T09:00:00Z"},
			{"name": "jmartin", "display_name": "Jean Martin", "groups": []string{"agents"}, "disabled": true, "created": "2026-02-11T14:30:00Z"},
		}})
	})
	mux.HandleFunc("GET /api/admin/groups", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"groups": []map[string]any{{"name": "agents", "members": 2}, {"name": "rh", "members": 1}}})
	})
	mux.HandleFunc("GET /api/account/mfa", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"totp": true, "keys": []any{}, "recovery_codes_left": 10, "external": false})
	})
	mux.HandleFunc("POST /auth/logout", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.logouts = append(f.logouts, r.Header.Get("X-Kaz-CSRF"))
		f.signedIn = false
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"redirect": "/auth/login"})
	})
	mux.HandleFunc("GET /auth/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html lang="fr"><title>Connexion</title><main><h1>Connexion</h1></main></html>`))
	})
	mux.HandleFunc("GET /api/phone/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"configured": false})
	})
	for _, r := range routes {
		r(mux)
	}
	// Other API calls (sections of other engineers) answer a plain 404.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, map[string]any{"error": "not found", "status": 404})
	})
	mux.Handle("/", frontend.Handler())
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeKaz) setSignedIn(v bool) {
	f.mu.Lock()
	f.signedIn = v
	f.mu.Unlock()
}

// fromSections reports problems that belong to other engineers' sections
// talking to an API this fake does not serve.
func fromSections(p frontendtest.Problem) bool {
	return strings.Contains(p.URL, "/api/") && !strings.HasSuffix(p.URL, "/api/me") ||
		strings.Contains(p.URL, "/phone/")
}

func visit(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	// about:blank first, so that a URL differing only by its hash is a real
	// page load and not a same-document navigation.
	if err := chromedp.Run(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
}

func waitView(t *testing.T, ctx context.Context, section string) {
	t.Helper()
	expr := `document.querySelector('[data-testid="view-` + section + `"] h1') && !document.querySelector('#main[aria-busy]')`
	if err := frontendtest.WaitFor(ctx, expr, 15*time.Second); err != nil {
		var html string
		chromedp.Run(ctx, chromedp.Evaluate(`document.getElementById('main') ? document.getElementById('main').innerText : document.body.innerText`, &html))
		t.Fatalf("view %s did not render: %v\npage text: %s", section, err, html)
	}
}

func text(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	var s string
	if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &s)); err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

func checkA11y(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	issues, err := frontendtest.CheckA11y(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range issues {
		t.Errorf("%s: accessibility: %s", where, i)
	}
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
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

func TestWebApplicationInBrowser(t *testing.T) {
	f := newFakeKaz(t)
	ctx := frontendtest.Browser(t, 90*time.Second)
	w, err := frontendtest.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ShellLoadsWithoutErrors", func(t *testing.T) {
		w.Reset()
		visit(t, ctx, f.URL+"/")
		waitView(t, ctx, "home")
		if got := text(t, ctx, `document.querySelector('h1').textContent`); got != "Bonjour Awa Diallo" {
			t.Errorf("home h1 = %q", got)
		}
		if got := text(t, ctx, `document.title`); got != "Bonjour Awa Diallo — Kaz" {
			t.Errorf("title = %q", got)
		}
		for _, card := range []string{"libraries", "search", "phone"} {
			if text(t, ctx, `(document.querySelector('[data-testid="card-`+card+`"] h2')||{}).textContent||''`) == "" {
				t.Errorf("home has no %s card", card)
			}
		}
		if got := text(t, ctx, `document.querySelector('[data-nav="home"]').getAttribute('aria-current')||''`); got != "page" {
			t.Errorf("home nav aria-current = %q", got)
		}
		for _, p := range w.Problems(nil) {
			t.Errorf("home: %s", p)
		}
		checkA11y(t, ctx, "home")
		shot(t, ctx, "kaz-home.png")
	})

	t.Run("LanguageSwitchTurnsFrenchIntoEnglish", func(t *testing.T) {
		visit(t, ctx, f.URL+"/#/")
		waitView(t, ctx, "home")
		if got := text(t, ctx, `document.documentElement.lang`); got != "fr" {
			t.Fatalf("default lang = %q, want fr", got)
		}
		if got := text(t, ctx, `document.querySelector('[data-nav="libraries"]').textContent`); got != "Bibliothèques" {
			t.Errorf("French nav = %q", got)
		}
		if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="lang-switch"]`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if err := frontendtest.WaitFor(ctx, `document.documentElement.lang === 'en' && document.querySelector('h1').textContent === 'Hello Awa Diallo'`, 10*time.Second); err != nil {
			t.Fatalf("after the switch: %v (h1 %q)", err, text(t, ctx, `document.querySelector('h1').textContent`))
		}
		if got := text(t, ctx, `document.querySelector('[data-nav="libraries"]').textContent`); got != "Libraries" {
			t.Errorf("English nav = %q", got)
		}
		if got := text(t, ctx, `document.activeElement.getAttribute('data-testid')||document.activeElement.tagName`); got != "lang-switch" {
			t.Errorf("after the switch focus is on %q, want the switch", got)
		}
		// The choice survives a reload.
		visit(t, ctx, f.URL+"/#/account")
		waitView(t, ctx, "account")
		if got := text(t, ctx, `document.querySelector('h1').textContent`); got != "My account" {
			t.Errorf("after reload, account h1 = %q", got)
		}
		if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="lang-switch"]`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if err := frontendtest.WaitFor(ctx, `document.documentElement.lang === 'fr' && document.querySelector('h1').textContent === 'Mon compte'`, 10*time.Second); err != nil {
			t.Fatalf("back to French: %v", err)
		}
	})

	t.Run("AccountShowsProfileAndHowSignedIn", func(t *testing.T) {
		w.Reset()
		visit(t, ctx, f.URL+"/#/account")
		waitView(t, ctx, "account")
		// Wait for the second-factor and app-password parts to settle.
		if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid="account-mfa"]').childElementCount > 0 && document.querySelector('[data-testid="account-apppasswords"]').childElementCount > 0`, 15*time.Second); err != nil {
			t.Fatal(err)
		}
		for sel, want := range map[string]string{
			"account-name":   "Awa Diallo",
			"account-user":   "adiallo",
			"account-method": "Navigateur, via le fournisseur d’identité",
			"account-amr":    "mot de passe, code à usage unique",
		} {
			if got := text(t, ctx, `document.querySelector('[data-testid="`+sel+`"]').textContent`); got != want {
				t.Errorf("%s = %q, want %q", sel, got, want)
			}
		}
		if got := text(t, ctx, `document.querySelector('[data-testid="account-groups"]').textContent`); !strings.Contains(got, "rh") {
			t.Errorf("groups = %q", got)
		}
		for _, p := range w.Problems(fromSections) {
			t.Errorf("account: %s", p)
		}
		checkA11y(t, ctx, "account")
		shot(t, ctx, "kaz-account.png")
	})

	t.Run("EveryNavLinkRendersItsSection", func(t *testing.T) {
		visit(t, ctx, f.URL+"/#/")
		waitView(t, ctx, "home")
		for _, section := range []string{"libraries", "search", "phone", "home"} {
			w.Reset()
			if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="nav-`+section+`"]`, chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			waitView(t, ctx, section)
			if got := text(t, ctx, `document.querySelector('[data-nav="`+section+`"]').getAttribute('aria-current')||''`); got != "page" {
				t.Errorf("%s: nav aria-current = %q", section, got)
			}
			if n := text(t, ctx, `String(document.querySelectorAll('#main h1').length)`); n != "1" {
				t.Errorf("%s: %s h1 in main", section, n)
			}
			shot(t, ctx, "kaz-"+section+".png")
			if h1 := text(t, ctx, `document.querySelector('#main h1').textContent`); h1 == "Cette page n'a pas pu s'afficher." {
				t.Errorf("%s: the section failed to render: %s", section, text(t, ctx, `document.getElementById('main').innerText`))
			}
			for _, p := range w.Problems(fromSections) {
				if p.Kind == "exception" || strings.Contains(p.URL, "/assets/") {
					t.Errorf("%s: %s", section, p)
				} else {
					t.Logf("%s (section's own API, not served by this fake): %s", section, p)
				}
			}
		}
		// The user menu leads to the account and admin pages.
		for _, item := range []struct{ testid, section string }{{"menu-account", "account"}, {"menu-admin", "admin"}} {
			if err := chromedp.Run(ctx,
				chromedp.Click(`[data-testid="user-menu"]`, chromedp.ByQuery),
				chromedp.WaitVisible(`[data-testid="`+item.testid+`"]`, chromedp.ByQuery),
				chromedp.Click(`[data-testid="`+item.testid+`"]`, chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			waitView(t, ctx, item.section)
			if got := text(t, ctx, `document.activeElement.tagName`); got != "H1" {
				t.Errorf("after the menu's %s link focus is on %q, want the view's H1", item.section, got)
			}
		}
	})

	t.Run("AdminUsersListsTheDirectory", func(t *testing.T) {
		w.Reset()
		visit(t, ctx, f.URL+"/#/admin")
		waitView(t, ctx, "admin")
		if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid="user-row-jmartin"]')`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, `location.hash`); got != "#/admin/users" {
			t.Errorf("hash = %q", got)
		}
		if got := text(t, ctx, `document.querySelector('[data-testid="admin-tab-users"]').getAttribute('aria-current')||''`); got != "page" {
			t.Errorf("users tab aria-current = %q", got)
		}
		if err := chromedp.Run(ctx, chromedp.SendKeys(`[data-testid="user-filter"]`, "jean", chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if err := frontendtest.WaitFor(ctx, `!document.querySelector('[data-testid="user-row-adiallo"]') && document.querySelector('[data-testid="user-row-jmartin"]')`, 5*time.Second); err != nil {
			t.Errorf("filter: %v", err)
		}
		for _, p := range w.Problems(nil) {
			t.Errorf("admin: %s", p)
		}
		checkA11y(t, ctx, "admin users")
		shot(t, ctx, "kaz-admin-users.png")
	})

	t.Run("UIComponentsWork", func(t *testing.T) {
		w.Reset()
		visit(t, ctx, f.URL+"/#/")
		waitView(t, ctx, "home")
		var got string
		script := `import('/assets/` + frontend.Version() + `/js/ui.js').then((ui) => {
			const root = document.querySelector('[data-testid="view-home"]');
			const p = ui.progress('rapport-annuel.docx');
			root.prepend(p.element);
			p.set(512, 1024);
			const bar = p.element.querySelector('progress');
			root.prepend(ui.errorBanner({message: 'Espace de stockage insuffisant. / Not enough storage space.'}));
			ui.notify('Document enregistré.', 'success', 0);
			window.__dialog = ui.confirmDialog({title: 'Supprimer « budget.xlsx » ?', message: 'Il ira dans la corbeille.', confirm: 'Supprimer', danger: true});
			return [bar.value, p.element.querySelector('.progress-text').textContent,
				document.querySelector('#notices [role=status]') ? 'notice' : 'no notice',
				document.querySelector('dialog[open]') ? 'dialog' : 'no dialog'].join('|');
		})`
		if err := chromedp.Run(ctx, chromedp.Evaluate(script, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })); err != nil {
			t.Fatal(err)
		}
		if got != "50|50 %|notice|dialog" {
			t.Errorf("components: %q", got)
		}
		checkA11y(t, ctx, "components")
		shot(t, ctx, "kaz-components.png")
		var confirmed bool
		if err := chromedp.Run(ctx,
			chromedp.Click(`[data-testid="dialog-confirm"]`, chromedp.ByQuery),
			chromedp.Evaluate(`window.__dialog`, &confirmed, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })); err != nil {
			t.Fatal(err)
		}
		if !confirmed {
			t.Error("confirming the dialog resolved false")
		}
		for _, p := range w.Problems(nil) {
			t.Errorf("components: %s", p)
		}
	})

	t.Run("PluralsFollowTheLanguage", func(t *testing.T) {
		visit(t, ctx, f.URL+"/#/")
		waitView(t, ctx, "home")
		var got string
		script := `import('/assets/` + frontend.Version() + `/js/i18n.js').then((i18n) => {
			const t = i18n.translator({
				fr: {sent: {one: '{n} fichier envoyé', other: '{n} fichiers envoyés'}, plain: '{n} ok'},
				en: {sent: {one: '{n} file uploaded', other: '{n} files uploaded'}, plain: '{n} ok'},
			});
			const out = [];
			for (const l of ['fr', 'en']) {
				i18n.setLang(l);
				out.push([0, 1, 2, 1000].map((n) => t('sent', {n})).join(', '), t('plain', {n: 3}), t('sent', {n: 'x'}));
			}
			i18n.setLang('fr');
			return out.join(' | ');
		})`
		if err := chromedp.Run(ctx, chromedp.Evaluate(script, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })); err != nil {
			t.Fatal(err)
		}
		want := "0 fichier envoyé, 1 fichier envoyé, 2 fichiers envoyés, 1000 fichiers envoyés | 3 ok | x fichiers envoyés | " +
			"0 files uploaded, 1 file uploaded, 2 files uploaded, 1000 files uploaded | 3 ok | x files uploaded"
		if got != want {
			t.Errorf("plurals:\n got %q\nwant %q", got, want)
		}
	})

	t.Run("PolicyAllowsSameOriginSocketsAndBlocksOthers", func(t *testing.T) {
		visit(t, ctx, f.URL+"/#/")
		waitView(t, ctx, "home")
		var got string
		script := `new Promise((resolve) => {
			const seen = [];
			document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective + ' ' + e.blockedURI));
			const ws = new WebSocket('ws://' + location.host + '/phone/ws');
			const done = () => setTimeout(() => {
				fetch('http://example.invalid/x').catch(() => {}).finally(() => setTimeout(() => resolve(seen.join(', ')), 200));
			}, 50);
			ws.onerror = done;
			ws.onopen = () => { ws.close(); done(); };
		})`
		if err := chromedp.Run(ctx, chromedp.Evaluate(script, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })); err != nil {
			t.Fatal(err)
		}
		if got != "connect-src http://example.invalid/x" {
			t.Errorf("policy violations = %q, want only the foreign fetch", got)
		}
	})

	t.Run("UnknownRouteShowsNotFound", func(t *testing.T) {
		w.Reset()
		visit(t, ctx, f.URL+"/#/nulle-part")
		waitView(t, ctx, "not-found")
		if got := text(t, ctx, `document.querySelector('h1').textContent`); got != "Page introuvable" {
			t.Errorf("h1 = %q", got)
		}
		for _, p := range w.Problems(nil) {
			t.Errorf("not found: %s", p)
		}
		checkA11y(t, ctx, "not found")
		shot(t, ctx, "kaz-not-found.png")
	})

	t.Run("KeyboardReachesNavigationAndMenu", func(t *testing.T) {
		visit(t, ctx, f.URL+"/#/")
		waitView(t, ctx, "home")
		// The first Tab lands on the skip link; Enter moves focus to the view.
		if got := text(t, ctx, `document.activeElement.tagName`); got != "BODY" {
			t.Errorf("on first load focus is on %q, want the top of the page", got)
		}
		if err := chromedp.Run(ctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, `document.activeElement.getAttribute('data-testid')||''`); got != "skip-link" {
			t.Errorf("first Tab focuses %q, want the skip link", got)
		}
		if err := chromedp.Run(ctx, chromedp.KeyEvent("\r")); err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, `document.activeElement.tagName`); got != "H1" {
			t.Errorf("skip link moved focus to %q, want the H1", got)
		}
		// The user menu opens with the keyboard and closes with Escape.
		if err := chromedp.Run(ctx, chromedp.Focus(`[data-testid="user-menu"]`, chromedp.ByQuery), chromedp.KeyEvent("\r")); err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, `document.querySelector('[data-testid="user-menu"]').getAttribute('aria-expanded')`); got != "true" {
			t.Errorf("menu aria-expanded = %q after Enter", got)
		}
		if err := chromedp.Run(ctx, chromedp.Focus(`[data-testid="menu-account"]`, chromedp.ByQuery), chromedp.KeyEvent(kb.Escape)); err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, `document.querySelector('[data-testid="user-menu"]').getAttribute('aria-expanded') + ' ' + document.activeElement.getAttribute('data-testid')`); got != "false user-menu" {
			t.Errorf("after Escape: %q, want the menu closed and focus on its button", got)
		}
	})

	t.Run("SmallWindowHasNoHorizontalScroll", func(t *testing.T) {
		for _, width := range []int64{1024, 760, 400} {
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 700)); err != nil {
				t.Fatal(err)
			}
			for _, route := range []string{"#/", "#/account", "#/admin/users"} {
				visit(t, ctx, f.URL+"/"+route)
				section := strings.Split(strings.TrimPrefix(route, "#/"), "/")[0]
				if section == "" {
					section = "home"
				}
				waitView(t, ctx, section)
				if got := text(t, ctx, `String(document.documentElement.scrollWidth - document.documentElement.clientWidth)`); got != "0" {
					t.Errorf("%d px wide, %s overflows by %s px", width, route, got)
				}
			}
			if width == 760 {
				visit(t, ctx, f.URL+"/#/")
				waitView(t, ctx, "home")
				shot(t, ctx, "kaz-home-760.png")
			}
		}
		if err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("DarkModeFollowsTheSystem", func(t *testing.T) {
		light := func() string {
			return text(t, ctx, `getComputedStyle(document.documentElement).backgroundColor`)
		}
		visit(t, ctx, f.URL+"/#/account")
		waitView(t, ctx, "account")
		before := light()
		if err := chromedp.Run(ctx, emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}})); err != nil {
			t.Fatal(err)
		}
		defer chromedp.Run(ctx, emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}))
		if after := light(); after == before {
			t.Errorf("background %s in both light and dark mode", after)
		}
		shot(t, ctx, "kaz-account-dark.png")
	})

	t.Run("SignOutPostsWithCSRFToken", func(t *testing.T) {
		visit(t, ctx, f.URL+"/#/")
		waitView(t, ctx, "home")
		if err := chromedp.Run(ctx,
			chromedp.Click(`[data-testid="user-menu"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid="sign-out"]`, chromedp.ByQuery),
			chromedp.Click(`[data-testid="sign-out"]`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if err := frontendtest.WaitFor(ctx, `location.pathname === '/auth/login'`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		logouts := append([]string(nil), f.logouts...)
		f.mu.Unlock()
		if len(logouts) != 1 || logouts[0] != fakeCSRF {
			t.Errorf("logout calls carried X-Kaz-CSRF %q, want one with %q", logouts, fakeCSRF)
		}
	})

	t.Run("UnauthenticatedVisitGoesToSignIn", func(t *testing.T) {
		f.setSignedIn(false)
		defer f.setSignedIn(true)
		visit(t, ctx, f.URL+"/#/search?q=charte")
		if err := frontendtest.WaitFor(ctx, `location.pathname === '/auth/login'`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, `new URLSearchParams(location.search).get('return')`); got != "/#/search?q=charte" {
			t.Errorf("return = %q, want the hash route", got)
		}
	})

	t.Run("EndedSessionOffersToSignInAgain", func(t *testing.T) {
		visit(t, ctx, f.URL+"/#/account")
		waitView(t, ctx, "account")
		f.setSignedIn(false)
		defer f.setSignedIn(true)
		if err := chromedp.Run(ctx, chromedp.Evaluate(`import('/assets/`+frontend.Version()+`/js/api.js').then(m => m.api('GET', '/api/me')).catch(() => 'refused')`, nil, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
			return p.WithAwaitPromise(true)
		})); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Run(ctx,
			chromedp.WaitVisible(`[data-testid="session-ended"] button.btn-primary`, chromedp.ByQuery),
			chromedp.Click(`[data-testid="session-ended"] button.btn-primary`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if err := frontendtest.WaitFor(ctx, `location.pathname === '/auth/login'`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, `new URLSearchParams(location.search).get('return')`); got != "/#/account" {
			t.Errorf("return = %q, want /#/account", got)
		}
	})

	t.Run("ServerErrorAtStartShowsPlainErrorAndRetry", func(t *testing.T) {
		f.mu.Lock()
		f.meFails = true
		f.mu.Unlock()
		visit(t, ctx, f.URL+"/#/")
		if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid="view-boot-error"] h1')`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		want := "Le serveur a rencontré une erreur. Réessayez. / The server ran into an error. Try again."
		if got := text(t, ctx, `document.querySelector('[data-testid="error-banner"]').textContent`); got != want {
			t.Errorf("banner = %q, want %q", got, want)
		}
		checkA11y(t, ctx, "boot error")
		f.mu.Lock()
		f.meFails = false
		f.mu.Unlock()
		if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="view-boot-error"] button`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		waitView(t, ctx, "home")
	})

	t.Run("ServerDownShowsPlainBilingualError", func(t *testing.T) {
		visit(t, ctx, f.URL+"/#/")
		waitView(t, ctx, "home")
		// Requests fail at the network level from now on.
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.fetch = () => Promise.reject(new TypeError('Failed to fetch')); true`, nil)); err != nil {
			t.Fatal(err)
		}
		var msg string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`import('/assets/`+frontend.Version()+`/js/api.js').then(m => m.api('POST', '/api/x', {a: 1}).then(() => 'no error', e => e.status + ' ' + e.message))`, &msg, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
			return p.WithAwaitPromise(true)
		})); err != nil {
			t.Fatal(err)
		}
		want := "0 Le serveur ne répond pas. Vérifiez votre connexion au VPN. / The server does not answer. Check your VPN connection."
		if msg != want {
			t.Errorf("network failure = %q, want %q", msg, want)
		}
	})
}
