package server_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/server/auth"
)

func TestZZDocsShot(t *testing.T) {
	if os.Getenv("KAZ_SHOT") == "" {
		t.Skip()
	}
	srv, cs := docsServer(t)
	cs["bob"].json("POST", "/api/libraries/rh/folders", map[string]any{"path": "/Contrats"})
	cs["bob"].upload("rh", "/Budget 2026.xlsx", "x")
	cs["bob"].upload("rh", "/Note de service.docx", "x")
	cs["bob"].upload("rh", "/Note de service.docx", "xy")
	b := &docsBrowser{t: t, ctx: testenv.Browser(t, testenv.BrowserOptions{}), srv: srv}
	st, _ := auth.OpenStore(t.Context(), srv.Kaz().DB())
	token, _ := st.CreateSession(t.Context(), &auth.Session{User: "alice"}, time.Hour)
	b.run(chromedp.ActionFunc(func(ctx context.Context) error {
		return network.SetCookie(auth.SessionCookie, token).WithURL(srv.URL + "/").WithPath("/").Do(ctx)
	}))
	shot := func(name string) {
		var buf []byte
		time.Sleep(500 * time.Millisecond)
		b.run(chromedp.FullScreenshot(&buf, 80))
		os.WriteFile("/tmp/"+name+".png", buf, 0o644)
	}
	b.run(chromedp.Navigate(srv.URL + "/#/libraries"))
	shot("libs")
	b.run(chromedp.Navigate(srv.URL + "/#/libraries/rh"))
	b.waitJS(`!!document.querySelector('[data-testid=folder-table]')`, "table")
	b.click(`[data-testid=item-row][data-name="Note de service.docx"] [data-testid=versions-button]`)
	shot("folder")
	b.run(chromedp.Navigate(srv.URL + "/#/libraries/rh?view=map"))
	shot("map")
	b.run(chromedp.Navigate(srv.URL + "/#/admin/libraries"))
	shot("admin")
}
