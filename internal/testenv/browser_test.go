package testenv

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestBrowserRendersLoopbackPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>t</title><p id="x">Bonjour</p><script>document.getElementById("x").textContent += " à tous"</script>`))
	}))
	defer srv.Close()
	ctx := Browser(t, BrowserOptions{})
	var text string
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL), chromedp.Text("#x", &text, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if text != "Bonjour à tous" {
		t.Fatalf("page text = %q, want %q", text, "Bonjour à tous")
	}
}
