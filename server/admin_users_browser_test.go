package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/server/auth"
)

// browserAs opens a browser tab signed in as user (a fresh session cookie).
func browserAs(t *testing.T, srv *testenv.Server, user string) *docsBrowser {
	t.Helper()
	st, err := auth.OpenStore(t.Context(), srv.Kaz().DB())
	if err != nil {
		t.Fatal(err)
	}
	token, err := st.CreateSession(t.Context(), &auth.Session{User: user, AMR: []string{"pwd", "otp", "mfa"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b := &docsBrowser{t: t, ctx: testenv.Browser(t, testenv.BrowserOptions{}), srv: srv}
	b.run(chromedp.ActionFunc(func(ctx context.Context) error {
		return network.SetCookie(auth.SessionCookie, token).WithURL(srv.URL + "/").WithPath("/").
			WithHTTPOnly(true).WithSameSite(network.CookieSameSiteLax).Do(ctx)
	}))
	return b
}

func TestBrowserAdminManagesAccountsAndAgentChangesPassword(t *testing.T) {
	srv := testenv.NewServer(t, nil)
	srv.AddUser(t, "chef", "chef-password-1234", "admins")
	srv.AddUser(t, "agent", "agent-password-1234", "rh")
	idp := srv.Kaz().IDP()
	signs := func(user, pw string) bool {
		return idp.Authenticate(t.Context(), user, pw, netip.MustParseAddr("127.0.0.9")) == nil
	}

	b := browserAs(t, srv, "chef")
	b.run(chromedp.Navigate(srv.URL + "/#/admin/users"))
	b.waitJS(`!!document.querySelector('[data-testid="user-row-agent"]')`, "user list")
	checkA11y(t, b.ctx, "admin users", true)

	// Add an account: the temporary password is shown once, and works.
	b.run(
		chromedp.SendKeys(`[data-testid=user-add-name]`, "nmartin", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=user-add-display]`, "Nadia Martin", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=user-add-groups]`, "rh, tous", chromedp.ByQuery),
		chromedp.Click(`[data-testid=user-add-submit]`, chromedp.ByQuery))
	b.waitJS(`!!document.querySelector('[data-testid=temp-password]')`, "temporary password shown")
	var pw string
	b.run(chromedp.Evaluate(`document.querySelector('[data-testid=temp-password]').textContent`, &pw))
	if !temporaryPasswordRE.MatchString(pw) || !signs("nmartin", pw) {
		t.Fatalf("temporary password %q does not sign in", pw)
	}
	b.click(`[data-testid=dialog-close]`)
	b.waitJS(`document.querySelector('[data-testid="user-row-nmartin"]')?.textContent.includes('rh, tous')`, "new row with its groups")

	// Disable the agent (confirmed), then enable again.
	b.click(`[data-testid="user-row-agent"] [data-testid=user-disable]`)
	b.click(`[data-testid=dialog-confirm]`)
	b.waitJS(`!!document.querySelector('[data-testid="user-row-agent"] [data-testid=user-enable]')`, "agent disabled")
	if signs("agent", "agent-password-1234") {
		t.Error("a disabled agent can still sign in")
	}
	b.click(`[data-testid="user-row-agent"] [data-testid=user-enable]`)
	b.waitJS(`!!document.querySelector('[data-testid="user-row-agent"] [data-testid=user-disable]')`, "agent enabled")
	// One's own account cannot be disabled from here.
	b.waitJS(`!document.querySelector('[data-testid="user-row-chef"] [data-testid=user-disable]')`, "no disable button on one's own row")

	// The agent replaces their password from the account page.
	a := browserAs(t, srv, "agent")
	a.run(chromedp.Navigate(srv.URL + "/#/account"))
	a.waitJS(`!!document.querySelector('[data-testid=password-form]')`, "password form")
	a.run(
		chromedp.SendKeys(`[data-testid=password-current]`, "agent-password-1234", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=password-new]`, "ma nouvelle phrase secrète", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=password-confirm]`, "ma nouvelle phrase secrete", chromedp.ByQuery),
		chromedp.Click(`[data-testid=password-submit]`, chromedp.ByQuery))
	a.waitJS(`document.querySelector('[data-testid=password-status]').textContent.includes('identiques')`, "mismatch explained")
	a.run(
		chromedp.SetValue(`[data-testid=password-confirm]`, "ma nouvelle phrase secrète", chromedp.ByQuery),
		chromedp.Click(`[data-testid=password-submit]`, chromedp.ByQuery))
	a.waitJS(`document.querySelector('[data-testid=password-status]').textContent.includes('a été changé')`, "password changed")
	if signs("agent", "agent-password-1234") || !signs("agent", "ma nouvelle phrase secrète") {
		t.Error("after the change the old password must fail and the new one work")
	}
}

func TestBrowserAdminCreatesLibraryAndGrantsRoles(t *testing.T) {
	srv := testenv.NewServer(t, nil)
	srv.AddUser(t, "chef", "chef-password-1234", "admins")
	b := browserAs(t, srv, "chef")
	b.run(chromedp.Navigate(srv.URL + "/#/admin/libraries"))
	b.waitJS(`!!document.querySelector('[data-testid=lib-create-form]')`, "library form")
	b.run(
		chromedp.SendKeys(`[data-testid=lib-name]`, "compta", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=lib-description]`, "Comptabilité", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=lib-quota]`, "5G", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=lib-readers]`, "tous", chromedp.ByQuery),
		chromedp.Click(`[data-testid=lib-create]`, chromedp.ByQuery))
	card := `[data-testid="admin-library-compta"]`
	b.waitJS(`document.querySelector('`+card+`')?.textContent.includes('5 Go')`, "the new library with its quota")
	checkA11y(t, b.ctx, "admin libraries", true)

	// Grant editors, then take the readers' role back (confirmed).
	b.run(
		chromedp.SetValue(card+` [data-testid=grant-role]`, "editor", chromedp.ByQuery),
		chromedp.SendKeys(card+` [data-testid=grant-subject]`, "compta", chromedp.ByQuery),
		chromedp.Click(card+` [data-testid=grant-form] button[type=submit]`, chromedp.ByQuery))
	b.waitJS(b.count(card+` [data-testid=grant-item]`)+` === 2`, "two grants")
	var found bool
	b.run(chromedp.Evaluate(`(() => {
		const li = [...document.querySelectorAll('`+card+` [data-testid=grant-item]')].find((x) => x.textContent.includes('group:tous'));
		if (li) li.querySelector('[data-testid=grant-revoke]').click();
		return !!li;
	})()`, &found))
	if !found {
		t.Fatalf("no readers' grant listed:\n%s", b.page())
	}
	b.click(`[data-testid=dialog-confirm]`)
	b.waitJS(b.count(card+` [data-testid=grant-item]`)+` === 1`, "one grant left")

	// The quota changes through a dialog, not the browser's prompt.
	b.click(card + ` [data-testid=set-quota]`)
	b.run(chromedp.SetValue(`[data-testid=dialog-input]`, "20G", chromedp.ByQuery))
	b.click(`[data-testid=dialog-confirm]`)
	b.waitJS(`document.querySelector('`+card+`')?.textContent.includes('20 Go')`, "the new quota shown")

	// What the page did is what the server holds.
	code, body := docsSession(t, srv, "chef").json("GET", "/api/admin/libraries", nil)
	raw, _ := json.Marshal(body)
	if code != http.StatusOK || !strings.Contains(string(raw), `"name":"compta"`) || !strings.Contains(string(raw), `"Comptabilité"`) ||
		!strings.Contains(string(raw), `"quota":21474836480`) || !strings.Contains(string(raw), `"role":"editor"`) || strings.Contains(string(raw), `"role":"reader"`) {
		t.Errorf("libraries after the page's changes = %d %s", code, raw)
	}
}
