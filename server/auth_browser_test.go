package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kazhq/kaz/internal/testenv"
)

// apSignIn signs user in through the built-in provider with password and
// TOTP, in the browser of ctx.
func apSignIn(t *testing.T, ctx context.Context, srv *testenv.Server, user, secret string) {
	t.Helper()
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/auth/login"),
		chromedp.WaitVisible(`#username`, chromedp.ByID),
		chromedp.SendKeys(`#username`, user, chromedp.ByID),
		chromedp.SendKeys(`#password`, "un mot de passe solide", chromedp.ByID),
		chromedp.Click(`#submit`, chromedp.ByID),
		chromedp.WaitVisible(`#totp-code`, chromedp.ByID),
	); err != nil {
		t.Fatalf("sign-in of %s: %v", user, err)
	}
	if err := chromedp.Run(ctx,
		chromedp.SendKeys(`#totp-code`, srv.TOTPCode(t, user, secret), chromedp.ByID),
		chromedp.Click(`#totp-submit`, chromedp.ByID),
	); err != nil {
		t.Fatalf("TOTP of %s: %v", user, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var loc string
		if err := chromedp.Run(ctx, chromedp.Location(&loc)); err == nil && strings.HasPrefix(loc, srv.URL+"/") && !strings.Contains(loc, "/idp/") && !strings.Contains(loc, "/auth/") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not back on Kaz after sign-in (at %q)", user, loc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func basicStatus(t *testing.T, url, user, pass string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// An agent creates an app password in the account page (shown once, with a
// copy button), uses it, revokes it; another agent never sees it.
func TestBrowserAppPasswordsShownOnceAndPrivate(t *testing.T) {
	srv := testenv.NewServer(t, nil)
	srv.AddUser(t, "alice", "un mot de passe solide")
	srv.AddUser(t, "bob", "un mot de passe solide")
	aliceTOTP, bobTOTP := srv.EnrolTOTP(t, "alice"), srv.EnrolTOTP(t, "bob")

	ctx := testenv.Browser(t, testenv.BrowserOptions{Timeout: 120 * time.Second})
	apSignIn(t, ctx, srv, "alice", aliceTOTP)
	var secret, once string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/#/account"),
		chromedp.WaitVisible(`[data-testid=apppass-label]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=apppass-label]`, "rclone portable", chromedp.ByQuery),
		chromedp.Click(`[data-testid=apppass-create]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=apppass-secret]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=apppass-secret]`, &secret, chromedp.ByQuery),
		chromedp.Text(`[data-testid=apppass-once]`, &once, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=apppass-shown] [data-testid=copy-button]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=apppass-row][data-label="rclone portable"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("create in the account page: %v", err)
	}
	checkA11y(t, ctx, "account with a new app password", true)
	secret = strings.TrimSpace(secret)
	if !strings.Contains(once, "ne le reverrez plus") {
		t.Errorf("no one-time warning: %q", once)
	}
	if code := basicStatus(t, srv.URL+"/api/me", "alice", secret); code != 200 {
		t.Fatalf("the app password shown does not work: %d", code)
	}
	// Dismissed, the secret leaves the page; a reload never shows it again.
	var html string
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid=apppass-shown-done]`, chromedp.ByQuery),
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid=apppass-row]`, chromedp.ByQuery),
		chromedp.OuterHTML(`body`, &html, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, secret) {
		t.Fatal("the app password is shown again after a reload")
	}

	// bob sees none of alice's app passwords.
	bctx := testenv.Browser(t, testenv.BrowserOptions{Timeout: 120 * time.Second})
	apSignIn(t, bctx, srv, "bob", bobTOTP)
	if err := chromedp.Run(bctx,
		chromedp.Navigate(srv.URL+"/#/account"),
		chromedp.WaitVisible(`[data-testid=apppass-empty]`, chromedp.ByQuery),
		chromedp.OuterHTML(`body`, &html, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("bob's account page: %v", err)
	}
	if strings.Contains(html, "rclone portable") {
		t.Fatal("bob sees alice's app password")
	}

	// alice revokes it: refused at once.
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid=apppass-revoke]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=dialog-confirm]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=dialog-confirm]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=apppass-empty]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if code := basicStatus(t, srv.URL+"/dav/", "alice", secret); code != 401 {
		t.Fatalf("revoked app password on /dav/: %d", code)
	}
}
