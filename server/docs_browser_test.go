package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/server/auth"
)

type docsBrowser struct {
	t   *testing.T
	ctx context.Context
	srv *testenv.Server
}

func (b *docsBrowser) run(actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v\n%s", err, b.page())
	}
}

func (b *docsBrowser) page() string {
	var s string
	chromedp.Run(b.ctx, chromedp.Evaluate(`location.hash + "\n" + (document.querySelector('main')?.innerText || document.body.innerText).slice(0, 2000)`, &s))
	return s
}

func (b *docsBrowser) waitJS(expr string, what string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok bool
		err := chromedp.Run(b.ctx, chromedp.Evaluate(expr, &ok))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.t.Fatalf("waiting for %s: timed out (err %v)\npage:\n%s", what, err, b.page())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *docsBrowser) count(sel string) string {
	return fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)
}

// click clicks the first element matching sel, once it exists.
func (b *docsBrowser) click(sel string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf(`!!document.querySelector(%q)`, sel), sel)
	b.run(chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).click()`, sel), nil))
}

func (b *docsBrowser) upload(path string) {
	b.t.Helper()
	b.waitJS(`!!document.querySelector('[data-testid=upload-input]')`, "upload input")
	b.run(chromedp.SetUploadFiles(`[data-testid=upload-input]`, []string{path}, chromedp.ByQuery))
}

// TestDocsBrowserUploadVersionsRecycleBin drives the web application:
// upload with a progress bar, a second upload as a new version, restore
// of the first version, delete to the recycle bin and restore from it.
func TestDocsBrowserUploadVersionsRecycleBin(t *testing.T) {
	srv, cs := docsServer(t)
	bctx := testenv.Browser(t, testenv.BrowserOptions{})
	b := &docsBrowser{t: t, ctx: bctx, srv: srv}
	if code, body := cs["admin"].json("PATCH", "/api/admin/libraries/rh", map[string]any{"quota": "100M"}); code != http.StatusOK {
		t.Fatalf("quota = %d %v", code, body)
	}

	st, err := auth.OpenStore(t.Context(), srv.Kaz().DB())
	if err != nil {
		t.Fatal(err)
	}
	token, err := st.CreateSession(t.Context(), &auth.Session{User: "bob", AMR: []string{"pwd", "otp", "mfa"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.ActionFunc(func(ctx context.Context) error {
		return network.SetCookie(auth.SessionCookie, token).WithURL(srv.URL + "/").WithPath("/").
			WithHTTPOnly(true).WithSameSite(network.CookieSameSiteLax).Do(ctx)
	}))

	dir := t.TempDir()
	v1 := filepath.Join(dir, "one", "Rapport annuel.txt")
	v2 := filepath.Join(dir, "two", "Rapport annuel.txt")
	os.MkdirAll(filepath.Dir(v1), 0o700)
	os.MkdirAll(filepath.Dir(v2), 0o700)
	big := strings.Repeat("première version, assez longue pour plusieurs paquets. ", 80000) // ~4 MB
	if err := os.WriteFile(v1, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v2, []byte("seconde version"), 0o600); err != nil {
		t.Fatal(err)
	}

	b.run(chromedp.Navigate(srv.URL + "/#/libraries"))
	b.click(`[data-testid="library-card-rh"] [data-testid=library-link]`)
	b.waitJS(`!!document.querySelector('[data-testid=drop-zone]')`, "folder view")

	// Upload with a progress bar per file.
	b.upload(v1)
	b.waitJS(`document.querySelector('[data-testid=upload-item][data-state=done]') !== null`, "first upload done")
	var pct string
	var prog [2]float64
	b.run(chromedp.Evaluate(`document.querySelector('[data-testid=upload-item] [data-testid=upload-percent]').textContent`, &pct),
		chromedp.Evaluate(`(() => { const p = document.querySelector('[data-testid=upload-item] progress'); return [p.value, p.max]; })()`, &prog))
	if pct != "100 %" || prog[0] != prog[1] || prog[1] < float64(len(big)) {
		t.Errorf("progress after upload = %q %v", pct, prog)
	}
	row := `[data-testid=item-row][data-name="Rapport annuel.txt"]`
	b.waitJS(fmt.Sprintf(`!!document.querySelector(%q)`, row), "uploaded file listed")
	// Each row's buttons say which item they act on.
	var names []string
	b.run(chromedp.Evaluate(fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => e.getAttribute('aria-label') || '')`,
		row+` [data-testid=download-button], `+row+` [data-testid=versions-button], `+row+` [data-testid=rename-button], `+row+` [data-testid=delete-button]`), &names))
	if want := []string{"Télécharger Rapport annuel.txt", "Versions de Rapport annuel.txt", "Renommer ou déplacer Rapport annuel.txt", "Supprimer Rapport annuel.txt"}; strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("row action names = %q, want %q", names, want)
	}
	checkA11y(t, b.ctx, "folder view", false)
	screenshot(t, b.ctx, "kaz-docs-uploaded.png")

	// A second upload of the same name is a new version.
	b.upload(v2)
	b.waitJS(b.count(`[data-testid=upload-item][data-state=done]`)+` === 2`, "second upload done")
	if _, got := cs["carol"].download("rh", "/Rapport annuel.txt", nil); got != "seconde version" {
		t.Fatalf("content after second upload = %.40q", got)
	}

	// Versions panel: restore version 1.
	b.click(row + ` [data-testid=versions-button]`)
	b.waitJS(b.count(`[data-testid=versions-panel] [data-testid=version-row]`)+` === 2`, "two versions listed")
	checkA11y(t, b.ctx, "versions panel", false)
	screenshot(t, b.ctx, "kaz-docs-versions.png")
	b.click(`[data-testid=version-row][data-version="1"] [data-testid=version-restore]`)
	b.click(`[data-testid=dialog-confirm]`)
	b.waitJS(b.count(`[data-testid=versions-panel] [data-testid=version-row]`)+` === 3`, "three versions after restore")
	if _, got := cs["carol"].download("rh", "/Rapport annuel.txt", nil); got != big {
		t.Fatalf("content after restore = %.40q", got)
	}

	// Delete to the recycle bin, then restore from it.
	b.click(row + ` [data-testid=delete-button]`)
	b.click(`[data-testid=dialog-confirm]`)
	b.waitJS(`!!document.querySelector('[data-testid=folder-empty]')`, "folder empty after delete")
	b.click(`[data-testid=trash-link]`)
	b.waitJS(`!!document.querySelector('[data-testid=trash-row][data-name="Rapport annuel.txt"]')`, "deleted file in the bin")
	checkA11y(t, b.ctx, "recycle bin", false)
	b.click(`[data-testid=trash-restore]`)
	b.waitJS(`!!document.querySelector('[data-testid=trash-none]')`, "bin empty after restore")
	resp, got := cs["carol"].download("rh", "/Rapport annuel.txt", nil)
	if resp.StatusCode != http.StatusOK || got != big {
		t.Errorf("restored file = %d %.40q", resp.StatusCode, got)
	}
	// Back in the folder, the file is listed again.
	b.click(`[data-testid=back-link]`)
	b.waitJS(fmt.Sprintf(`!!document.querySelector(%q)`, row), "restored file listed")
}

func TestBrowserAuditLogInTheReadersLanguage(t *testing.T) {
	srv, cs := docsServer(t)
	bob := cs["bob"]
	if code, body := bob.upload("rh", "/Brouillon.txt", "à jeter"); code != http.StatusCreated {
		t.Fatalf("upload = %d %v", code, body)
	}
	if code, body := bob.json("DELETE", "/api/libraries/rh/items?path=/Brouillon.txt", nil); code != http.StatusOK {
		t.Fatalf("delete = %d %v", code, body)
	}
	b := browserAs(t, srv, "alice") // an owner of rh
	// A folder made and a file renamed through the page's dialogs.
	if code, body := bob.upload("rh", "/Note.txt", "note"); code != http.StatusCreated {
		t.Fatalf("upload = %d %v", code, body)
	}
	b.run(chromedp.Navigate(srv.URL + "/#/libraries/rh"))
	b.click(`[data-testid=new-folder-button]`)
	b.run(chromedp.SetValue(`[data-testid=dialog-input]`, "Archives", chromedp.ByQuery))
	b.click(`[data-testid=dialog-confirm]`)
	b.waitJS(`!!document.querySelector('[data-testid=item-row][data-name="Archives"]')`, "the new folder listed")
	b.click(`[data-testid=item-row][data-name="Note.txt"] [data-testid=rename-button]`)
	b.run(chromedp.SetValue(`[data-testid=dialog-input]`, "/Archives/Note 2026.txt", chromedp.ByQuery))
	b.click(`[data-testid=dialog-confirm]`)
	b.waitJS(`!document.querySelector('[data-testid=item-row][data-name="Note.txt"]')`, "the renamed file gone from the root")
	if _, got := cs["carol"].download("rh", "/Archives/Note 2026.txt", nil); got != "note" {
		t.Fatalf("moved file = %q", got)
	}

	// A copy and a move that replace an existing file.
	for _, f := range []string{"/Modèle.txt", "/Copie.txt", "/Remplaçant.txt"} {
		if code, body := bob.upload("rh", f, "texte"); code != http.StatusCreated {
			t.Fatalf("upload %s = %d %v", f, code, body)
		}
	}
	if code, body := bob.json("POST", "/api/libraries/rh/copy", map[string]any{"from": "/Modèle.txt", "to": "/Copie.txt", "overwrite": true}); code/100 != 2 {
		t.Fatalf("copy over = %d %v", code, body)
	}
	if code, body := bob.json("POST", "/api/libraries/rh/move", map[string]any{"from": "/Remplaçant.txt", "to": "/Modèle.txt", "overwrite": true}); code/100 != 2 {
		t.Fatalf("move over = %d %v", code, body)
	}

	b.run(chromedp.Navigate(srv.URL + "/#/libraries/rh?view=audit"))
	b.waitJS(`!!document.querySelector('[data-testid=audit-row][data-action=delete]') && !!document.querySelector('[data-testid=audit-row][data-action=move_over]')`, "audit rows")
	checkA11y(t, b.ctx, "audit log", false)
	for _, c := range []struct{ action, want string }{
		{"delete", "Mise à la corbeille"},
		{"write", "4 o"}, // "4 bytes" (Note.txt) as the reader writes sizes
		{"library_create", "Bibliothèque créée"},
		{"mkdir", "Nouveau dossier"},
		{"move", "vers rh/Archives/Note 2026.txt"},
		{"copy_over", "Copie (remplacement)"},
		{"move_over", "Déplacement (remplacement)"},
	} {
		var got string
		b.run(chromedp.Evaluate(fmt.Sprintf(`[...document.querySelectorAll('[data-testid=audit-row][data-action=%s]')].map((r) => r.textContent).join('\n')`, c.action), &got))
		if !strings.Contains(got, c.want) {
			t.Errorf("audit rows %s = %q, want one to contain %q", c.action, got, c.want)
		}
	}
}

// TestBrowserMapDriveCreatesAWorkingAppPassword creates an app password
// from the "map as a network drive" help and mounts nothing but checks
// that the password it shows opens the WebDAV address it shows.
func TestBrowserMapDriveCreatesAWorkingAppPassword(t *testing.T) {
	srv, _ := docsServer(t)
	b := browserAs(t, srv, "alice")
	b.run(chromedp.Navigate(srv.URL + "/#/libraries/rh?view=map"))
	b.click(`[data-testid=map-create-password]`)
	b.waitJS(`!!document.querySelector('[data-testid=map-password-secret]')`, "the new password")
	var url, secret, use string
	b.run(chromedp.Evaluate(`document.querySelector('[data-testid=map-url-windows]').textContent`, &url),
		chromedp.Evaluate(`document.querySelector('[data-testid=map-password-secret]').textContent`, &secret),
		chromedp.Evaluate(`document.querySelector('[data-testid=map-password-use]').textContent`, &use))
	if url != srv.URL+"/dav/rh/" {
		t.Errorf("address shown = %q, want %q", url, srv.URL+"/dav/rh/")
	}
	if !strings.Contains(use, "alice") {
		t.Errorf("instruction = %q, want it to name the user", use)
	}
	checkA11y(t, b.ctx, "map help", false)

	req, err := http.NewRequestWithContext(t.Context(), "PROPFIND", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Depth", "0")
	req.SetBasicAuth("alice", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		t.Errorf("PROPFIND %s with the shown password = %d, want 207", url, resp.StatusCode)
	}
	// The account page lists it under its date-stamped name.
	b.run(chromedp.Navigate(srv.URL + "/#/account"))
	b.waitJS(`[...document.querySelectorAll('[data-testid=apppass-row]')].some((r) => r.dataset.label.startsWith('Lecteur réseau '))`, "the password on the account page")
}
