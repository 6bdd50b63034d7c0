package frontend_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kazhq/kaz/frontend/frontendtest"
)

// fakeLibraries is a stand-in for the document libraries API
// (server/api_docs.go) and the app-password API (server/auth): one library
// "rh" that adiallo owns, for the libraries section's views.
type fakeLibraries struct {
	mu sync.Mutex
	// apppass is how POST /api/apppasswords answers: "ok", "taken-once"
	// (409 once, then ok), "refused" (403), "broken" (500 without a
	// body) or "down" (the connection drops).
	apppass string
	labels  []string // every label POSTed, in order
}

func (fl *fakeLibraries) setAppPass(mode string) {
	fl.mu.Lock()
	fl.apppass, fl.labels = mode, nil
	fl.mu.Unlock()
}

func (fl *fakeLibraries) postedLabels() []string {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return append([]string(nil), fl.labels...)
}

func (fl *fakeLibraries) routes(mux *http.ServeMux) {
	const when = "2026-03-02T09:30:00Z"
	mux.HandleFunc("GET /api/libraries", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"libraries": []map[string]any{{"name": "rh", "role": "owner", "used": 0, "quota": 0}}})
	})
	mux.HandleFunc("GET /api/libraries/rh", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"name": "rh", "role": "owner", "dav_url": "http://" + r.Host + "/dav/rh/"})
	})
	mux.HandleFunc("GET /api/libraries/rh/items", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"role": "owner", "item": map[string]any{"name": "", "is_dir": true}, "items": []map[string]any{
			{"name": "Archives", "is_dir": true, "modified": when, "modified_by": "adiallo"},
			{"name": "rapport.docx", "size": 2048, "modified": when, "modified_by": "jmartin",
				"locked_by": "jmartin", "lock_token": "opaquelocktoken:1", "lock_expires": "2026-03-02T10:30:00Z"},
		}})
	})
	mux.HandleFunc("GET /api/libraries/rh/open-links", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"links": map[string]string{"word": "ms-word:ofe|u|http://" + r.Host + "/dav/rh/rapport.docx"}})
	})
	mux.HandleFunc("GET /api/libraries/rh/trash", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"purge_days": 30, "entries": []map[string]any{
			{"id": 7, "name": "ancien.txt", "path": "/ancien.txt", "deleted": when, "deleted_by": "adiallo", "size": 3},
		}})
	})
	mux.HandleFunc("GET /api/libraries/rh/audit", func(w http.ResponseWriter, r *http.Request) {
		entry := func(id int, action, detail string) map[string]any {
			return map[string]any{"id": id, "time": when, "user": "adiallo", "ip": "10.0.0.7", "action": action, "path": "/rapport.docx", "detail": detail}
		}
		writeJSON(w, 200, map[string]any{"entries": []map[string]any{
			entry(6, "move_over", "version 3, 2048 bytes"),
			entry(5, "copy_over", "version 2, 1024 bytes"),
			entry(4, "props", "set Win32LastModifiedTime, author; removed color"),
			entry(3, "lock_refresh", "timeout 120 s"),
			entry(2, "steal_lock", "held by jmartin"),
			entry(1, "move", "to rh/Archives/rapport.docx"),
		}})
	})
	mux.HandleFunc("POST /api/apppasswords", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Label string }
		json.NewDecoder(r.Body).Decode(&in)
		fl.mu.Lock()
		mode := fl.apppass
		fl.labels = append(fl.labels, in.Label)
		n := len(fl.labels)
		if mode == "taken-once" {
			fl.apppass = "ok"
		}
		fl.mu.Unlock()
		switch mode {
		case "taken-once":
			writeJSON(w, 409, map[string]any{"error": "Un mot de passe d'application porte déjà ce nom.", "status": 409})
		case "refused":
			writeJSON(w, 403, map[string]any{"error": "Les mots de passe d'application se gèrent depuis l'interface web.", "status": 403})
		case "broken":
			w.WriteHeader(500)
		case "down":
			panic(http.ErrAbortHandler)
		default:
			writeJSON(w, 201, map[string]any{"id": fmt.Sprint(n), "label": in.Label, "created": when, "password": fmt.Sprintf("mot-de-passe-%d", n)})
		}
	})
}

// attr returns the attribute of the first element matching sel ("" when
// there is none).
func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	return text(t, ctx, fmt.Sprintf(`(document.querySelector(%q)||{getAttribute(){return ''}}).getAttribute(%q)||''`, sel, name))
}

func switchLang(t *testing.T, ctx context.Context, to string) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="lang-switch"]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if err := frontendtest.WaitFor(ctx, `document.documentElement.lang === '`+to+`' && !document.querySelector('#main[aria-busy]')`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestLibrariesSectionInBrowser(t *testing.T) {
	fl := &fakeLibraries{apppass: "ok"}
	f := newFakeKaz(t, fl.routes)
	ctx := frontendtest.Browser(t, 90*time.Second)
	w, err := frontendtest.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exceptions := func(where string) {
		t.Helper()
		for _, p := range w.Problems(nil) {
			if p.Kind == "exception" || strings.Contains(p.URL, "/assets/") {
				t.Errorf("%s: %s", where, p)
			}
		}
	}

	t.Run("FolderRowActionsNameTheirItem", func(t *testing.T) {
		w.Reset()
		visit(t, ctx, f.URL+"/#/libraries/rh")
		waitView(t, ctx, "libraries")
		row := `[data-testid=item-row][data-name="rapport.docx"]`
		if err := frontendtest.WaitFor(ctx, `document.querySelector('`+row+` [data-testid=open-desktop-word]')`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		// Every action of every row names the row's item.
		if bad := text(t, ctx, `[...document.querySelectorAll('[data-testid=item-row]')].flatMap((r) =>
			[...r.querySelectorAll('.lib-row-actions button, .lib-row-actions a')]
				.filter((b) => !(b.getAttribute('aria-label') || '').includes(r.dataset.name))
				.map((b) => r.dataset.name + ': ' + (b.getAttribute('aria-label') || b.textContent))).join(' | ')`); bad != "" {
			t.Errorf("actions whose name does not say their item: %s", bad)
		}
		for testid, want := range map[string]string{
			"download-button":     "Télécharger rapport.docx",
			"versions-button":     "Versions de rapport.docx",
			"rename-button":       "Renommer ou déplacer rapport.docx",
			"delete-button":       "Supprimer rapport.docx",
			"force-unlock-button": "Forcer le déverrouillage de rapport.docx",
			"open-desktop-word":   "Ouvrir dans Word : rapport.docx",
		} {
			if got := attr(t, ctx, row+` [data-testid=`+testid+`]`, "aria-label"); got != want {
				t.Errorf("%s aria-label = %q, want %q", testid, got, want)
			}
		}
		if got := attr(t, ctx, `[data-testid=item-row][data-name="Archives"] [data-testid=delete-button]`, "aria-label"); got != "Supprimer Archives" {
			t.Errorf("folder delete aria-label = %q", got)
		}
		checkA11y(t, ctx, "folder view")
		shot(t, ctx, "kaz-libraries-folder.png")

		// On a laptop screen every row action is in sight: the table fits
		// its frame, no sideways scroll hides "Supprimer".
		for _, width := range []int64{1280, 1024} {
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
				t.Fatal(err)
			}
			if bad := text(t, ctx, `(() => {
				const out = [];
				for (const wrap of document.querySelectorAll('#main .table-wrap')) {
					if (wrap.scrollWidth > wrap.clientWidth + 1) out.push('table ' + wrap.scrollWidth + 'px wide in a ' + wrap.clientWidth + 'px frame');
					const box = wrap.getBoundingClientRect();
					for (const b of wrap.querySelectorAll('.lib-row-actions button, .lib-row-actions a')) {
						const r = b.getBoundingClientRect();
						if (r.right > box.right + 1 || r.left < box.left - 1) out.push((b.getAttribute('aria-label') || b.textContent) + ' outside the table');
					}
				}
				return out.join(' | ');
			})()`); bad != "" {
				t.Errorf("at %d px: %s", width, bad)
			}
		}
		if err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
			t.Fatal(err)
		}

		switchLang(t, ctx, "en")
		if err := frontendtest.WaitFor(ctx, `document.querySelector('`+row+` [data-testid=delete-button]')?.getAttribute('aria-label') === 'Delete rapport.docx'`, 10*time.Second); err != nil {
			t.Errorf("English: %v (aria-label %q)", err, attr(t, ctx, row+` [data-testid=delete-button]`, "aria-label"))
		}
		if got := attr(t, ctx, row+` [data-testid=rename-button]`, "aria-label"); got != "Rename or move rapport.docx" {
			t.Errorf("English rename aria-label = %q", got)
		}
		switchLang(t, ctx, "fr")
		exceptions("folder view")
	})

	t.Run("UploadIsAKeyboardButton", func(t *testing.T) {
		visit(t, ctx, f.URL+"/#/libraries/rh")
		waitView(t, ctx, "libraries")
		if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid=upload-button]')`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, `(() => { const b = document.querySelector('[data-testid=upload-button]'); return b.tagName + ' ' + b.type + ' ' + b.tabIndex + ' ' + b.textContent; })()`); got != "BUTTON button 0 Envoyer des fichiers" {
			t.Errorf("upload control = %q, want a button in the tab order", got)
		}
		// The file input itself is out of sight and out of the tab order.
		if got := text(t, ctx, `String(document.querySelector('[data-testid=upload-input]').hidden)`); got != "true" {
			t.Errorf("upload input hidden = %s", got)
		}
		opened := make(chan struct{}, 4)
		lctx, cancel := context.WithCancel(ctx)
		defer cancel()
		chromedp.ListenTarget(lctx, func(ev any) {
			if _, ok := ev.(*page.EventFileChooserOpened); ok {
				opened <- struct{}{}
			}
		})
		if err := chromedp.Run(ctx, page.SetInterceptFileChooserDialog(true)); err != nil {
			t.Fatal(err)
		}
		defer chromedp.Run(ctx, page.SetInterceptFileChooserDialog(false))
		for _, key := range []string{"\r", " "} {
			if err := chromedp.Run(ctx, chromedp.Focus(`[data-testid=upload-button]`, chromedp.ByQuery), chromedp.KeyEvent(key)); err != nil {
				t.Fatal(err)
			}
			select {
			case <-opened:
			case <-time.After(5 * time.Second):
				t.Errorf("key %q on the upload button did not open the file chooser", key)
			}
		}
	})

	t.Run("AuditNamesEveryAction", func(t *testing.T) {
		w.Reset()
		visit(t, ctx, f.URL+"/#/libraries/rh?view=audit")
		waitView(t, ctx, "libraries")
		if err := frontendtest.WaitFor(ctx, `document.querySelectorAll('[data-testid=audit-row]').length === 6`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		cell := func(action string, col int) string {
			return text(t, ctx, fmt.Sprintf(`document.querySelector('[data-testid=audit-row][data-action=%s]').cells[%d].textContent`, action, col))
		}
		check := func(lang string, want map[string][2]string) {
			t.Helper()
			for action, w := range want {
				if got := cell(action, 3); got != w[0] {
					t.Errorf("%s: action %s shown as %q, want %q", lang, action, got, w[0])
				}
				if got := cell(action, 5); !strings.Contains(got, w[1]) {
					t.Errorf("%s: detail of %s = %q, want it to contain %q", lang, action, got, w[1])
				}
			}
		}
		check("fr", map[string][2]string{
			"move_over":    {"Déplacement (remplacement)", "version 3"},
			"copy_over":    {"Copie (remplacement)", "version 2"},
			"props":        {"Propriétés modifiées", "définies : Win32LastModifiedTime, author ; retirées : color"},
			"lock_refresh": {"Verrou prolongé", "durée 120 s"},
			"steal_lock":   {"Autre action (steal lock)", "détenu par jmartin"},
			"move":         {"Déplacement", "vers rh/Archives/rapport.docx"},
		})
		checkA11y(t, ctx, "audit")
		shot(t, ctx, "kaz-libraries-audit.png")
		switchLang(t, ctx, "en")
		if err := frontendtest.WaitFor(ctx, `document.querySelectorAll('[data-testid=audit-row]').length === 6`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		check("en", map[string][2]string{
			"move_over":    {"Moved (replaced)", "version 3"},
			"copy_over":    {"Copied (replaced)", "version 2"},
			"props":        {"Properties changed", "set: Win32LastModifiedTime, author; removed: color"},
			"lock_refresh": {"Lock refreshed", "timeout 120 s"},
			"steal_lock":   {"Other action (steal lock)", "held by jmartin"},
			"move":         {"Moved", "to rh/Archives/rapport.docx"},
		})
		switchLang(t, ctx, "fr")
		exceptions("audit")
	})

	t.Run("TrashRestoreNamesItsItem", func(t *testing.T) {
		visit(t, ctx, f.URL+"/#/libraries/rh?view=trash")
		waitView(t, ctx, "libraries")
		if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid=trash-restore]')`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := attr(t, ctx, `[data-testid=trash-restore]`, "aria-label"); got != "Restaurer ancien.txt" {
			t.Errorf("restore aria-label = %q", got)
		}
		checkA11y(t, ctx, "recycle bin")
		shot(t, ctx, "kaz-libraries-trash.png")
	})

	t.Run("MapDriveCreatesAnAppPasswordInPlace", func(t *testing.T) {
		w.Reset()
		fl.setAppPass("ok")
		visit(t, ctx, f.URL+"/#/libraries/rh?view=map")
		waitView(t, ctx, "libraries")
		if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid=map-create-password]')`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		host := strings.TrimPrefix(f.URL, "http://")
		url := f.URL + "/dav/rh/"
		for testid, want := range map[string]string{
			"map-url": url, "map-url-windows": url, "map-url-macos": url,
			"map-url-linux": "dav://" + host + "/dav/rh/", "map-url-kde": "webdav://" + host + "/dav/rh/",
			"map-user": "adiallo",
		} {
			if got := text(t, ctx, `document.querySelector('[data-testid=`+testid+`]').textContent`); got != want {
				t.Errorf("%s = %q, want %q", testid, got, want)
			}
		}
		checkA11y(t, ctx, "map help")

		if err := chromedp.Run(ctx, chromedp.Click(`[data-testid=map-create-password]`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid=map-password-secret]')`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, `document.querySelector('[data-testid=map-password-secret]').textContent`); got != "mot-de-passe-1" {
			t.Errorf("secret shown = %q", got)
		}
		if got := text(t, ctx, `document.activeElement.getAttribute('data-testid')||''`); got != "map-password-secret" {
			t.Errorf("focus after creation on %q, want the secret", got)
		}
		if labels := fl.postedLabels(); len(labels) != 1 || !strings.HasPrefix(labels[0], "Lecteur réseau ") {
			t.Errorf("labels posted = %q, want one \"Lecteur réseau <date>\"", labels)
		}
		use := text(t, ctx, `document.querySelector('[data-testid=map-password-use]').textContent`)
		if !strings.Contains(use, "comme mot de passe") || !strings.Contains(use, "adiallo") {
			t.Errorf("instruction = %q", use)
		}
		if n := text(t, ctx, `String(document.querySelectorAll('[data-testid=map-password] [data-testid=copy-button]').length)`); n != "1" {
			t.Errorf("%s copy buttons next to the password, want 1", n)
		}
		checkA11y(t, ctx, "map help with a password")
		shot(t, ctx, "kaz-libraries-map.png")
		// Dismissed, the secret leaves the page.
		if err := chromedp.Run(ctx, chromedp.Click(`[data-testid=map-password-done]`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, `document.querySelector('[data-testid=map-password]').textContent`); strings.Contains(got, "mot-de-passe-1") {
			t.Errorf("secret still on the page after dismissal")
		}

		// A label already taken (two clicks in the same minute) gets a number.
		fl.setAppPass("taken-once")
		if err := chromedp.Run(ctx, chromedp.Click(`[data-testid=map-create-password]`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid=map-password-secret]')?.textContent === 'mot-de-passe-2'`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if labels := fl.postedLabels(); len(labels) != 2 || labels[1] != labels[0]+" (2)" {
			t.Errorf("labels after a clash = %q, want the second numbered", labels)
		}

		// Failures in plain words, and no password shown.
		for _, c := range []struct{ mode, want string }{
			{"refused", "La création a été refusée : rechargez la page (en vous reconnectant si besoin), puis réessayez."},
			{"broken", "Le mot de passe n’a pas pu être créé. Réessayez dans quelques instants ; si le problème persiste, créez-le depuis la page Mon compte."},
			{"down", "Le serveur ne répond pas : vérifiez votre connexion (VPN), puis réessayez."},
		} {
			fl.setAppPass(c.mode)
			if err := chromedp.Run(ctx, chromedp.Click(`[data-testid=map-create-password]`, chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid=map-password-error]').textContent !== '' && !document.querySelector('[data-testid=map-create-password]').disabled`, 10*time.Second); err != nil {
				t.Fatalf("%s: %v", c.mode, err)
			}
			if got := text(t, ctx, `document.querySelector('[data-testid=map-password-error]').textContent`); got != c.want {
				t.Errorf("%s: error = %q, want %q", c.mode, got, c.want)
			}
			if got := text(t, ctx, `String(!!document.querySelector('[data-testid=map-password-secret]'))`); got != "false" {
				t.Errorf("%s: a password is shown after a failure", c.mode)
			}
			if got := attr(t, ctx, `[data-testid=map-password-error]`, "role"); got != "alert" {
				t.Errorf("%s: error role = %q, want alert", c.mode, got)
			}
		}

		switchLang(t, ctx, "en")
		fl.setAppPass("ok")
		if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid=map-create-password]')?.textContent === 'Create a password for the network drive'`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Run(ctx, chromedp.Click(`[data-testid=map-create-password]`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if err := frontendtest.WaitFor(ctx, `document.querySelector('[data-testid=map-password-use]')?.textContent.includes('as the password')`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if labels := fl.postedLabels(); len(labels) != 1 || !strings.HasPrefix(labels[0], "Network drive ") {
			t.Errorf("English label = %q", labels)
		}
		switchLang(t, ctx, "fr")
		exceptions("map help")
	})
}
