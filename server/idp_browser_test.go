package server_test

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/server"
	"github.com/kazhq/kaz/server/idp"
)

const browserPW = "un mot de passe solide"

// meInBrowser fetches /api/me with the browser's session.
type meResult struct {
	Status int      `json:"status"`
	User   string   `json:"user"`
	AMR    []string `json:"amr"`
}

func meInBrowser(t *testing.T, ctx context.Context) meResult {
	t.Helper()
	var m meResult
	var err error
	// A page still loading may abort the fetch: retry a few times.
	for i := 0; i < 20; i++ {
		err = chromedp.Run(ctx, chromedp.Evaluate(`fetch('/api/me', {credentials: 'same-origin'}).then(async r => {
			const b = r.ok ? await r.json() : {};
			return {status: r.status, user: b.user || '', amr: b.amr || []};
		})`, &m, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
		if err == nil {
			return m
		}
		time.Sleep(200 * time.Millisecond)
	}
	var loc, text string
	chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Evaluate(`document.body ? document.body.innerText : ''`, &text))
	t.Fatalf("fetch /api/me at %s: %v\npage: %s", loc, err, text)
	return m
}

// waitPath waits until the browser's location path is path.
func waitPath(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var loc string
	for time.Now().Before(deadline) {
		if err := chromedp.Run(ctx, chromedp.Location(&loc)); err == nil && strings.HasSuffix(strings.SplitN(strings.SplitN(loc, "?", 2)[0], "#", 2)[0], path) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("browser at %q, want path %q", loc, path)
}

func typePassword(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/auth/login"),
		chromedp.WaitVisible(`#username`, chromedp.ByID),
		chromedp.SendKeys(`#username`, user, chromedp.ByID),
		chromedp.SendKeys(`#password`, browserPW, chromedp.ByID),
		chromedp.Click(`#submit`, chromedp.ByID),
	); err != nil {
		t.Fatalf("password step: %v", err)
	}
}

// signOut uses the relying party's sign-out (confirmation page, then the
// provider's end_session and back).
func signOut(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/auth/logout"),
		chromedp.WaitVisible(`[data-testid=confirm]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=confirm]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	waitPath(t, ctx, "/auth/signed-out")
	// That page's Content-Security-Policy forbids fetch: ask from a plain one.
	if err := chromedp.Run(ctx, chromedp.Navigate(base+"/healthz")); err != nil {
		t.Fatal(err)
	}
	if m := meInBrowser(t, ctx); m.Status != 401 {
		t.Fatalf("/api/me after sign-out: %d", m.Status)
	}
}

func TestBrowserSignInEnrolsTOTPThenSignsInWithTOTP(t *testing.T) {
	srv := testenv.NewServer(t, nil)
	srv.AddUser(t, "alice", browserPW, "staff")
	ctx := testenv.Browser(t, testenv.BrowserOptions{Timeout: 90 * time.Second})

	typePassword(t, ctx, srv.URL, "alice")
	var secret string
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`[data-testid=totp-secret]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=totp-secret]`, &secret, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("enrolment page: %v", err)
	}
	code, err := totp.GenerateCode(strings.TrimSpace(secret), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	if err := chromedp.Run(ctx,
		chromedp.SendKeys(`#totp-code`, code, chromedp.ByID),
		chromedp.Click(`#totp-submit`, chromedp.ByID),
		chromedp.WaitVisible(`[data-testid=recovery-codes]`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=recovery-code-item]')].map(e => e.textContent)`, &codes),
		chromedp.Click(`#continue`, chromedp.ByID),
	); err != nil {
		t.Fatalf("enrol TOTP: %v", err)
	}
	if len(codes) != 10 {
		t.Errorf("%d recovery codes shown, want 10", len(codes))
	}
	waitPath(t, ctx, "/")
	if m := meInBrowser(t, ctx); m.User != "alice" || !slices.Contains(m.AMR, "otp") || !slices.Contains(m.AMR, "mfa") {
		t.Fatalf("after enrolment: %+v", m)
	}

	signOut(t, ctx, srv.URL)

	typePassword(t, ctx, srv.URL, "alice")
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`#totp-code`, chromedp.ByID),
		chromedp.SendKeys(`#totp-code`, srv.TOTPCode(t, "alice", strings.TrimSpace(secret)), chromedp.ByID),
		chromedp.Click(`#totp-submit`, chromedp.ByID),
	); err != nil {
		t.Fatalf("TOTP sign-in: %v", err)
	}
	waitPath(t, ctx, "/")
	if m := meInBrowser(t, ctx); m.User != "alice" || !slices.Contains(m.AMR, "otp") {
		t.Fatalf("after TOTP sign-in: %+v", m)
	}
}

func TestBrowserSignInWithSecurityKey(t *testing.T) {
	// WebAuthn needs a host name: the provider is reached as localhost.
	srv := testenv.NewServer(t, func(c *server.Config) {
		_, port, _ := net.SplitHostPort(c.Server.Listen)
		c.Server.PublicURL = "http://localhost:" + port
	})
	srv.AddUser(t, "bob", browserPW)
	ctx := testenv.Browser(t, testenv.BrowserOptions{Timeout: 90 * time.Second})
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/healthz"),
		webauthn.Enable(),
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := webauthn.AddVirtualAuthenticator(&webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportUsb,
				HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			}).Do(ctx)
			return err
		}),
	); err != nil {
		t.Fatalf("virtual authenticator: %v", err)
	}

	typePassword(t, ctx, srv.URL, "bob")
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`#webauthn-button`, chromedp.ByID),
		chromedp.Click(`#webauthn-button`, chromedp.ByID),
		chromedp.WaitVisible(`[data-testid=recovery-codes]`, chromedp.ByQuery),
		chromedp.Click(`#continue`, chromedp.ByID),
	); err != nil {
		var errText string
		chromedp.Run(ctx, chromedp.Text(`#error`, &errText, chromedp.ByID))
		t.Fatalf("register the key: %v (page error: %q)", err, errText)
	}
	waitPath(t, ctx, "/")
	if m := meInBrowser(t, ctx); m.User != "bob" || !slices.Contains(m.AMR, "hwk") || !slices.Contains(m.AMR, "mfa") {
		t.Fatalf("after key enrolment: %+v", m)
	}

	signOut(t, ctx, srv.URL)

	typePassword(t, ctx, srv.URL, "bob")
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`#webauthn-button`, chromedp.ByID),
		chromedp.Click(`#webauthn-button`, chromedp.ByID),
	); err != nil {
		t.Fatalf("key sign-in: %v", err)
	}
	waitPath(t, ctx, "/")
	if m := meInBrowser(t, ctx); m.User != "bob" || !slices.Contains(m.AMR, "hwk") {
		t.Fatalf("after key sign-in: %+v", m)
	}

	// The account page adds an authenticator app as a second factor.
	var secret, state string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/#/account"),
		chromedp.WaitVisible(`[data-testid=mfa-key]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=mfa-totp-add]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=mfa-totp-secret]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=mfa-totp-secret]`, &secret, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("account page: %v", err)
	}
	if err := chromedp.Run(ctx,
		chromedp.SendKeys(`[data-testid=mfa-totp-code]`, srv.TOTPCode(t, "bob", strings.TrimSpace(secret)), chromedp.ByQuery),
		chromedp.Click(`[data-testid=mfa-totp-confirm]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=mfa-totp-remove]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=mfa-totp-state]`, &state, chromedp.ByQuery),
	); err != nil {
		var errText string
		chromedp.Run(ctx, chromedp.Text(`[data-testid=mfa-error]`, &errText, chromedp.ByQuery))
		t.Fatalf("enrol TOTP from the account page: %v (%q)", err, errText)
	}
	if state != "Activée" {
		t.Errorf("TOTP state shown %q", state)
	}

	// A sign-in older than idp.RecentSignIn (a browser left open) may not
	// change factors: the page offers to sign in again, which comes back
	// to the account page, where the change then works.
	db, err := sqldb.OpenSQLite(t.Context(), filepath.Join(srv.Data, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE auth_sessions SET created = ?`, sqldb.FormatTime(time.Now().Add(-idp.RecentSignIn-time.Minute))); err != nil {
		t.Fatal(err)
	}
	step, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(step,
		chromedp.Navigate(srv.URL+"/?fresh=1#/account"), // a new page load, not a hash change
		chromedp.WaitVisible(`[data-testid=mfa-totp-add]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=mfa-totp-add]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=mfa-reauth]`, chromedp.ByQuery),
	); err != nil {
		var errText, html string
		chromedp.Run(ctx, chromedp.Text(`[data-testid=mfa-error]`, &errText, chromedp.ByQuery, chromedp.AtLeast(0)),
			chromedp.Evaluate(`document.querySelector('[data-testid=mfa-error]') ? document.querySelector('[data-testid=mfa-error]').outerHTML : document.body.innerText.slice(0, 500)`, &html))
		t.Fatalf("no offer to sign in again with an old sign-in: %v (%q %s)", err, errText, html)
	}
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid=mfa-reauth]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#username`, chromedp.ByID),
		chromedp.SendKeys(`#username`, "bob", chromedp.ByID),
		chromedp.SendKeys(`#password`, browserPW, chromedp.ByID),
		chromedp.Click(`#submit`, chromedp.ByID),
		chromedp.WaitVisible(`#webauthn-button`, chromedp.ByID),
		chromedp.Click(`#webauthn-button`, chromedp.ByID),
		chromedp.WaitVisible(`[data-testid=mfa-totp-add]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=mfa-totp-add]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=mfa-totp-secret]`, chromedp.ByQuery),
	); err != nil {
		var loc, errText string
		chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Text(`[data-testid=mfa-error]`, &errText, chromedp.ByQuery))
		t.Fatalf("sign in again to change a factor: %v (at %s, %q)", err, loc, errText)
	}
}
