package server_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/search/extract/extracttest"
	"github.com/kazhq/kaz/server/auth"
)

// TestSearchPagesInBrowser drives the results page, the header box and the
// admin page in Chromium against a whole Kaz.
func TestSearchPagesInBrowser(t *testing.T) {
	testenv.Peer(t, "chromium")
	srv := testenv.NewServer(t, nil)
	ctx := t.Context()
	kaz := srv.Kaz()
	if err := kaz.Dir().Add(ctx, directory.User{Name: "alice", DisplayName: "Alice", Groups: []string{"staff", "admins"}}); err != nil {
		t.Fatal(err)
	}
	ast, err := auth.OpenStore(ctx, kaz.DB())
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := ast.CreateAppPassword(ctx, "alice", "tests", "", "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := docstore.Open(ctx, srv.Cfg.Docs, kaz.DB(), filepath.Join(srv.Data, "blobs"), nil)
	if err != nil {
		t.Fatal(err)
	}
	admin := &auth.Principal{User: "admin", Admin: true}
	if _, err := st.CreateLibrary(ctx, admin, docstore.LibrarySpec{Name: "equipe", Quota: -1,
		Grants: []docstore.Grant{{Role: docstore.RoleEditor, Subject: "group:staff"}}}); err != nil {
		t.Fatal(err)
	}
	alice := &auth.Principal{User: "alice", Groups: []string{"staff"}}
	put := func(p string, body []byte) {
		if _, _, err := st.Put(ctx, alice, "equipe", p, bytes.NewReader(body), docstore.PutOptions{Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
	}
	put("/Charte_Télétravail_v3.docx", extracttest.DOCX("Charte", "Élodie Martin", "Les télétravailleurs <script>window.pwned=1</script> signent la charte."))
	put("/notes.txt", []byte("Le télétravail est ouvert à tous."))
	agent := searchAgent{user: "alice", secret: secret}
	agent.waitFor(t, srv, "teletravail", func(h searchHits) bool { return h.Total == 2 })

	token, err := ast.CreateSession(ctx, &auth.Session{User: "alice", AMR: []string{"pwd", "otp", "mfa"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bctx := testenv.Browser(t, testenv.BrowserOptions{Timeout: 2 * time.Minute})
	run := func(actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(bctx, actions...); err != nil {
			var body string
			chromedp.Run(bctx, chromedp.Evaluate(`document.getElementById('main')?.innerText || ''`, &body))
			t.Fatalf("browser: %v\npage: %s", err, body)
		}
	}
	waitJS := func(expr, what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var ok bool
			if err := chromedp.Run(bctx, chromedp.Evaluate(expr, &ok)); err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				var body string
				chromedp.Run(bctx, chromedp.Evaluate(`document.getElementById('main')?.innerText || ''`, &body))
				t.Fatalf("timed out waiting for %s; page: %s", what, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	str := func(expr string) string {
		t.Helper()
		var s string
		run(chromedp.Evaluate(expr, &s))
		return s
	}
	run(chromedp.ActionFunc(func(ctx context.Context) error {
		return network.SetCookie(auth.SessionCookie, token).WithURL(srv.URL + "/").WithPath("/").
			WithHTTPOnly(true).WithSameSite(network.CookieSameSiteLax).Do(ctx)
	}))

	// Results page: snippets with marks, no markup from the document.
	run(chromedp.Navigate(srv.URL + "/#/search?q=teletravailleurs"))
	waitJS(`document.querySelectorAll('[data-testid=search-result]').length === 1`, "one result")
	checkA11y(t, bctx, "search results", false)
	if got := str(`document.querySelector('[data-testid=search-snippet] mark')?.textContent || ''`); !strings.EqualFold(got, "télétravailleurs") {
		t.Errorf("highlighted word = %q", got)
	}
	if got := str(`String(window.pwned === 1 || !!document.querySelector('[data-testid=search-results] script'))`); got != "false" {
		t.Error("markup from the document reached the page")
	}
	want := fmt.Sprintf("ms-word:ofe|u|%s/dav/equipe/Charte_T%%C3%%A9l%%C3%%A9travail_v3.docx", srv.URL)
	if got := str(`document.querySelector('[data-testid=search-desktop]')?.getAttribute('href') || ''`); got != want {
		t.Errorf("desktop link = %q, want %q", got, want)
	}

	// Facets narrow the results.
	run(chromedp.Navigate(srv.URL + "/#/search?q=teletravail"))
	waitJS(`document.querySelectorAll('[data-testid=search-result]').length === 2`, "two results")
	run(chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=facet-type]')].find(a => a.textContent.startsWith('txt')).click()`, nil))
	waitJS(`location.hash.includes('type=txt') && document.querySelectorAll('[data-testid=search-result]').length === 1`, "the type facet applied")

	// Header box: suggestions as one types, keyboard to open all results.
	run(chromedp.Navigate(srv.URL + "/#/"))
	waitJS(`!!document.querySelector('[data-testid=search-box-input]')`, "the header search box")
	run(chromedp.SendKeys(`[data-testid=search-box-input]`, "charte_tél", chromedp.ByQuery))
	waitJS(`[...document.querySelectorAll('[data-testid=search-suggestion]')].some(e => e.textContent.includes('Charte_Télétravail_v3.docx'))`, "a suggestion")
	checkA11y(t, bctx, "search suggestions", false)
	run(chromedp.SendKeys(`[data-testid=search-box-input]`, "\r", chromedp.ByQuery))
	waitJS(`location.hash.startsWith('#/search?q=')`, "the results page")

	// Admin page: state and counts, and an unreadable document explained in
	// the reader's language, its technical cause folded away.
	put("/abîmé.docx", []byte("PK\x03\x04 not really a zip"))
	agent.waitFor(t, srv, "abimé", func(h searchHits) bool { return h.Total == 1 })
	run(chromedp.Navigate(srv.URL + "/#/admin/search"))
	waitJS(`document.querySelector('[data-testid=admin-search-documents]')?.textContent === '3'`, "the admin page's document count")
	waitJS(`(() => {
		const row = document.querySelector('[data-testid=admin-search-failure]');
		return !!row && row.innerText.includes('document illisible') && !row.innerText.includes('unreadable document') &&
			!!row.querySelector('details code')?.textContent.includes('zip');
	})()`, "the failure's reason in French with its detail folded")
	checkA11y(t, bctx, "search administration", false)
}
