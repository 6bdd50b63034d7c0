// Package frontendtest helps browser tests of the Kaz web application:
// it watches a Chromium tab for console errors, uncaught exceptions and
// failed requests, runs a basic accessibility check on the page, and takes
// screenshots. It is used by tests only (server/frontend_test.go and the
// section engineers' end-to-end tests); it starts nothing by itself — get a
// tab from internal/testenv.Browser.
package frontendtest

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Problem is one thing that went wrong in the page.
type Problem struct {
	Kind string // "console", "exception", "log", "request"
	Text string
	URL  string
}

func (p Problem) String() string {
	if p.URL != "" {
		return fmt.Sprintf("%s: %s (%s)", p.Kind, p.Text, p.URL)
	}
	return p.Kind + ": " + p.Text
}

// Watcher collects the problems of one tab.
type Watcher struct {
	mu       sync.Mutex
	problems []Problem
	urls     map[network.RequestID]string
}

// Watch starts collecting console errors, uncaught exceptions, browser log
// errors (failed loads, CSP violations) and failed or ≥400 responses of the
// tab ctx. Call it before navigating.
func Watch(ctx context.Context) (*Watcher, error) {
	w := &Watcher{urls: map[network.RequestID]string{}}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				w.add(Problem{Kind: "console", Text: argsText(e.Args)})
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			w.add(Problem{Kind: "exception", Text: text, URL: d.URL})
		case *log.EventEntryAdded:
			if e.Entry != nil && e.Entry.Level == log.LevelError {
				w.add(Problem{Kind: "log", Text: e.Entry.Text, URL: e.Entry.URL})
			}
		case *network.EventRequestWillBeSent:
			w.mu.Lock()
			w.urls[e.RequestID] = e.Request.URL
			w.mu.Unlock()
		case *network.EventResponseReceived:
			if e.Response != nil && e.Response.Status >= 400 {
				w.add(Problem{Kind: "request", Text: fmt.Sprintf("HTTP %d", e.Response.Status), URL: e.Response.URL})
			}
		case *network.EventLoadingFailed:
			if e.Canceled {
				return // navigations away cancel requests; not a failure
			}
			w.mu.Lock()
			u := w.urls[e.RequestID]
			w.mu.Unlock()
			w.add(Problem{Kind: "request", Text: e.ErrorText + string(e.BlockedReason), URL: u})
		}
	})
	if err := chromedp.Run(ctx, network.Enable(), log.Enable(), runtime.Enable()); err != nil {
		return nil, fmt.Errorf("frontendtest: enable domains: %w", err)
	}
	return w, nil
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		switch {
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, strings.Trim(string(a.Value), `"`))
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

func (w *Watcher) add(p Problem) {
	w.mu.Lock()
	w.problems = append(w.problems, p)
	w.mu.Unlock()
}

// Problems returns what was collected, without the ones ignore accepts
// (ignore may be nil).
func (w *Watcher) Problems(ignore func(Problem) bool) []Problem {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Problem
	for _, p := range w.problems {
		if ignore == nil || !ignore(p) {
			out = append(out, p)
		}
	}
	return out
}

// Reset forgets what was collected so far.
func (w *Watcher) Reset() {
	w.mu.Lock()
	w.problems = nil
	w.mu.Unlock()
}

//go:embed a11y.js
var a11yScript string

// A11yIssue is one accessibility defect found on the page.
type A11yIssue struct {
	Rule string `json:"rule"`
	// Impact is "critical", "serious", "moderate" or "minor", as axe-core
	// ranks its nearest rule.
	Impact  string `json:"impact"`
	Element string `json:"element"`
	Detail  string `json:"detail"`
}

func (i A11yIssue) String() string {
	return fmt.Sprintf("%s (%s): %s %s", i.Rule, i.Impact, i.Element, i.Detail)
}

// Serious reports whether the issue stops someone from using the page
// (impact critical or serious): tests fail on these in every section.
func (i A11yIssue) Serious() bool { return i.Impact == "critical" || i.Impact == "serious" }

// CheckA11y runs basic accessibility rules on the current page: images
// have alt text, form fields have labels, buttons and links have names,
// one <h1> in <main>, <html lang>, landmarks (banner, main, labelled
// navigations when there are several),
// unique ids, aria references that exist, no positive tabindex, progress
// bars with a name. It is not axe, but it catches the usual mistakes; each
// issue carries axe's impact for the nearest rule (see A11yIssue.Serious).
func CheckA11y(ctx context.Context) ([]A11yIssue, error) {
	var issues []A11yIssue
	if err := chromedp.Run(ctx, chromedp.Evaluate(a11yScript, &issues)); err != nil {
		return nil, fmt.Errorf("frontendtest: accessibility check: %w", err)
	}
	return issues, nil
}

// Screenshot writes a PNG of the whole page to path.
func Screenshot(ctx context.Context, path string) error {
	var buf []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)); err != nil {
		return fmt.Errorf("frontendtest: screenshot: %w", err)
	}
	return os.WriteFile(path, buf, 0o644)
}

// WaitFor polls the JavaScript expression expr until it is true or ctx ends
// (bounded by timeout).
func WaitFor(ctx context.Context, expr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		var ok bool
		err := chromedp.Run(ctx, chromedp.Evaluate("!!("+expr+")", &ok))
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("frontendtest: wait for %s: %w", expr, err)
			}
			return fmt.Errorf("frontendtest: wait for %s: %w", expr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Browser starts headless Chromium for a test of the web application alone
// and returns the context of one tab, closed when the test ends. It is
// internal/testenv.Browser without the dependency on the whole server, so
// that the shell's tests build while other parts are being changed. When
// Chromium is missing the test fails under KAZ_E2E=1 and is skipped
// otherwise.
func Browser(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("KAZ_E2E") == "1" {
			t.Fatal("KAZ_E2E=1 but chromium is not installed (bash .ci/run installs every test peer)")
		}
		t.Skip("skipped: chromium is not installed (set KAZ_E2E=1 to make this a failure)")
	}
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	// Chromium's helper processes may still write to their profile for a
	// moment after the browser exits: remove it with a few retries rather
	// than with t.TempDir, whose removal fails the test.
	profile, err := os.MkdirTemp("", "kaz-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	base, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(base,
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.WindowSize(1280, 800),
	)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(func(f string, a ...any) { t.Logf("chromedp: "+f, a...) }))
	if err := chromedp.Run(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		os.RemoveAll(profile)
		t.Fatalf("frontendtest: start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		for i := 0; i < 20; i++ {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("frontendtest: could not remove %s", profile)
	})
	return ctx
}
