package testenv

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BrowserOptions adjusts the headless Chromium of Browser.
type BrowserOptions struct {
	// FakeAudioFile, when set, is a WAV file the fake microphone plays
	// (--use-file-for-fake-audio-capture); fake media devices are on.
	FakeAudioFile string
	// FakeMedia turns on fake media devices and auto-accepts the
	// microphone permission prompt, without a file (a beep is used).
	FakeMedia bool
	// Flags are extra command-line switches (name → value; "" or true for
	// a bare switch).
	Flags map[string]any
	// Timeout bounds the whole browser context (default 2 minutes).
	Timeout time.Duration
}

// Browser starts headless Debian Chromium and returns a chromedp context
// for one tab, closed when the test ends. Console errors are logged.
func Browser(t testing.TB, opts BrowserOptions) context.Context {
	t.Helper()
	bin := Peer(t, "chromium")
	// Not t.TempDir: Chromium's helper processes may still write to the
	// profile for a moment after the browser is closed.
	profile, err := os.MkdirTemp("", "kaz-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(1280, 900),
	}
	if opts.FakeAudioFile != "" || opts.FakeMedia {
		flags = append(flags,
			chromedp.Flag("use-fake-ui-for-media-stream", true),
			chromedp.Flag("use-fake-device-for-media-stream", true),
		)
		if opts.FakeAudioFile != "" {
			if _, err := os.Stat(opts.FakeAudioFile); err != nil {
				t.Fatalf("testenv: fake audio file: %v", err)
			}
			flags = append(flags, chromedp.Flag("use-file-for-fake-audio-capture", opts.FakeAudioFile))
		}
	}
	for k, v := range opts.Flags {
		flags = append(flags, chromedp.Flag(k, v))
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	base, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(base, flags...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf), chromedp.WithErrorf(func(f string, a ...any) {
		t.Logf("chromedp: "+f, a...)
	}))
	if err := chromedp.Run(ctx); err != nil { // starts the browser
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		t.Fatalf("testenv: start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		for i := 0; i < 50; i++ {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("testenv: could not remove the browser profile %s", profile)
	})
	return ctx
}
