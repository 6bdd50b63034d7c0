package softphone

import (
	"fmt"
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

// countGoroutines counts the goroutines whose stack mentions any of subs.
func countGoroutines(subs ...string) int {
	n := 0
	for _, g := range leakedGoroutines() {
		for _, s := range subs {
			if strings.Contains(g, s) {
				n++
				break
			}
		}
	}
	return n
}

// A long-running server must not keep anything of a finished call: after
// calls end (the Phone still running), the goroutines of WebRTC and of
// the relay go back to what they were before.
func TestFinishedCallsLeaveNoGoroutinesBehind(t *testing.T) {
	_, tp, desk := setup(t, true)
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	watched := []string{"github.com/pion/", "kazhq/kaz/softphone.(*relay)", "kazhq/kaz/softphone.(*call)", "kazhq/kaz/softphone.(*mediaEngine)"}
	before := countGoroutines(watched...)

	callID := establishOutbound(t, alice, desk, deskExt)
	alice.send(Message{Type: "hangup", CallID: callID})
	alice.expectState(callID, "ended")
	for i := 0; i < 2; i++ {
		ref := fmt.Sprint("echo", i)
		alice.send(Message{Type: "dial", Ref: ref, Number: "*43", SDP: alice.offer()})
		st := alice.expect("state", func(m Message) bool { return m.Ref == ref })
		ans := alice.expect("answer", func(m Message) bool { return m.CallID == st.CallID })
		alice.setAnswer(ans.SDP)
		alice.expectState(st.CallID, "active")
		alice.send(Message{Type: "hangup", CallID: st.CallID})
		alice.expectState(st.CallID, "ended")
	}
	alice.pc.Close() // the test's own browser peer
	waitNoCalls(t, tp)
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := countGoroutines(watched...)
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			var sample []string
			for _, g := range leakedGoroutines() {
				for _, s := range watched {
					if strings.Contains(g, s) && len(sample) < 4 {
						sample = append(sample, g)
						break
					}
				}
			}
			t.Fatalf("%d WebRTC/relay goroutines after the calls ended, %d before; e.g.:\n%s", n, before, strings.Join(sample, "\n\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
