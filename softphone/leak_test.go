package softphone

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// leakedGoroutines lists the stacks of goroutines that belong to a Phone
// or its peers (package code, pion, sipgo, the WebSocket) still running.
// The test's own goroutine and the helpers that watch external processes
// (whose cleanup runs later) are not counted.
func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		switch {
		case strings.Contains(g, "testing.tRunner"), strings.Contains(g, "leakedGoroutines"),
			strings.Contains(g, "softphone.startProcess"), strings.Contains(g, "testing.(*T).Run"),
			strings.Contains(g, "testing.runTests"), strings.Contains(g, "testing.(*M)"):
			continue
		}
		if strings.Contains(g, "kazhq/kaz/softphone.") || strings.Contains(g, "github.com/pion/") ||
			strings.Contains(g, "github.com/emiago/sipgo") || strings.Contains(g, "coder/websocket") ||
			strings.Contains(g, "net/http.(*conn).serve") {
			out = append(out, g)
		}
	}
	return out
}

// checkGoroutineLeaks fails t when, after every later-registered cleanup
// ran (Phone closed, agents' peers closed), goroutines of the softphone or
// its libraries are still running 5 s later. Register it first.
func checkGoroutineLeaks(t *testing.T) {
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			left := leakedGoroutines()
			if len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				if len(left) > 5 {
					left = left[:5]
				}
				t.Errorf("%d goroutines leaked after the phone closed, e.g.:\n%s", len(leakedGoroutines()), strings.Join(left, "\n\n"))
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// The check itself must catch a goroutine left behind.
func TestLeakCheckSeesAStrayGoroutine(t *testing.T) {
	stop := make(chan struct{})
	go strayGoroutine(stop)
	time.Sleep(10 * time.Millisecond)
	found := false
	for _, g := range leakedGoroutines() {
		if strings.Contains(g, "strayGoroutine") {
			found = true
		}
	}
	close(stop)
	if !found {
		t.Fatal("leak check does not see a goroutine of this package")
	}
}

func strayGoroutine(stop chan struct{}) { <-stop }
