package softphone

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runSIPp plays testdata/invite-expect-final.xml against Kaz's SIP port:
// an INVITE for ext offering one codec must get final response code.
func runSIPp(t *testing.T, tp *testPhone, ext, pt, codec string, code int) {
	t.Helper()
	bin := findPeer(t, "sipp")
	tmpl, err := os.ReadFile("testdata/invite-expect-final.xml")
	if err != nil {
		t.Fatal(err)
	}
	scen := strings.NewReplacer("__CODE__", fmt.Sprint(code), "__PT__", pt, "__CODEC__", codec).Replace(string(tmpl))
	dir := t.TempDir()
	path := filepath.Join(dir, "scenario.xml")
	os.WriteFile(path, []byte(scen), 0o644)
	port := freeUDPPort(t)
	cmd := exec.Command(bin, "-sf", path, "-m", "1", "-i", "127.0.0.1", "-p", fmt.Sprint(port), "-mp", fmt.Sprint(freeUDPPort(t)),
		"-s", ext, "-timeout", "15s", "-timeout_error", "-nostdin", "-trace_err", tp.SIPAddr().String())
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		errs, _ := filepath.Glob(filepath.Join(dir, "*errors.log"))
		var detail string
		for _, f := range errs {
			b, _ := os.ReadFile(f)
			detail += string(b)
		}
		t.Fatalf("sipp expecting %d: %v\n%s\n%s", code, err, tail(string(out), 20), tail(detail, 40))
	}
}

func TestInboundWithoutCommonCodecGets488AndWithoutTab480(t *testing.T) {
	k := startKamailio(t, map[string]string{agentExt: agentPass}, nil)
	tp := newTestPhone(t, k.addr(), nil)
	tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass})
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })

	runSIPp(t, tp, agentExt, "18", "G729/8000", 488)

	// The agent sets "unavailable": calls get 480.
	alice.send(Message{Type: "available", Value: ptr(false)})
	alice.expect("registration", func(m Message) bool { return m.State == "unregistered" })
	runSIPp(t, tp, agentExt, "0", "PCMU/8000", 480)
	// An extension Kaz does not serve: 404.
	runSIPp(t, tp, "1999", "0", "PCMU/8000", 404)
}

func TestLimitsDialPlanAndRateRejectCallsClearly(t *testing.T) {
	k := startKamailio(t, map[string]string{agentExt: agentPass}, nil)
	tp := newTestPhone(t, k.addr(), func(c *Config) {
		c.MaxCalls = 1
		c.DialPlan = []string{`2[0-9]{3}`}
		c.CallsPerMinute = 1
	})
	tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass})
	alice := dialAgent(t, tp, "alice")

	alice.send(Message{Type: "dial", Ref: "intl", Number: "0044 20 7123 4567", SDP: alice.offer()})
	if e := alice.expect("error", func(m Message) bool { return m.Ref == "intl" }); e.MessageKey != "phone.not_allowed" || e.Text == "" {
		t.Errorf("dial plan: %+v", e)
	}
	// The echo test takes the one call slot.
	alice.send(Message{Type: "dial", Ref: "echo", Number: "*43", SDP: alice.offer()})
	echo := alice.expect("state", func(m Message) bool { return m.Ref == "echo" })
	alice.expect("answer", func(m Message) bool { return m.CallID == echo.CallID })
	second := dialAgent(t, tp, "alice")
	second.send(Message{Type: "dial", Ref: "full", Number: "2001", SDP: second.offer()})
	if e := second.expect("error", func(m Message) bool { return m.Ref == "full" }); e.MessageKey != "phone.limit" {
		t.Errorf("limit: %+v", e)
	}
	second.send(Message{Type: "dial", Ref: "rate", Number: "2001", SDP: second.offer()})
	if e := second.expect("error", func(m Message) bool { return m.Ref == "rate" }); e.MessageKey != "phone.rate_limited" {
		t.Errorf("rate: %+v", e)
	}
	alice.send(Message{Type: "hangup", CallID: echo.CallID})
	alice.expectState(echo.CallID, "ended")
	deadline := time.Now().Add(5 * time.Second)
	for len(tp.Status().Calls) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(tp.Status().Calls); n != 0 {
		t.Errorf("%d calls left", n)
	}
}

// startSIPp runs a scenario (of testdata, or an absolute path) calling
// ext at Kaz in the background; the returned function waits for it to pass.
func startSIPp(t *testing.T, tp *testPhone, scenario, ext string) func() {
	t.Helper()
	bin := findPeer(t, "sipp")
	dir := t.TempDir()
	path := scenario
	if !filepath.IsAbs(path) {
		path = filepath.Join(mustAbs(t, "testdata"), scenario)
	}
	cmd := exec.Command(bin, "-sf", path, "-m", "1", "-i", "127.0.0.1",
		"-p", fmt.Sprint(freeUDPPort(t)), "-mp", fmt.Sprint(freeUDPPort(t)), "-s", ext, "-timeout", "30s", "-timeout_error",
		"-nostdin", "-trace_err", tp.SIPAddr().String())
	cmd.Dir = dir
	done := make(chan error, 1)
	var out []byte
	go func() {
		var err error
		out, err = cmd.CombinedOutput()
		done <- err
	}()
	t.Cleanup(func() {
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
	})
	return func() {
		t.Helper()
		if err := <-done; err != nil {
			errs, _ := filepath.Glob(filepath.Join(dir, "*errors.log"))
			var detail string
			for _, f := range errs {
				b, _ := os.ReadFile(f)
				detail += string(b)
			}
			t.Fatalf("sipp %s: %v\n%s\n%s", scenario, err, tail(string(out), 20), tail(detail, 30))
		}
	}
}

func TestDelayedOfferInviteIsAnsweredWithOfferIn200(t *testing.T) {
	k := startKamailio(t, map[string]string{agentExt: agentPass}, nil)
	tp := newTestPhone(t, k.addr(), nil)
	tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass})
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	wait := startSIPp(t, tp, "delayed-offer.xml", agentExt)
	in := alice.expect("incoming", nil)
	alice.send(Message{Type: "accept", CallID: in.CallID, SDP: alice.offer()})
	ans := alice.expect("answer", func(m Message) bool { return m.CallID == in.CallID })
	alice.setAnswer(ans.SDP)
	alice.expectState(in.CallID, "active")
	alice.expect("state", func(m Message) bool {
		return m.CallID == in.CallID && m.State == "ended" && m.Reason == "hangup-remote"
	})
	wait()
}

func TestHoldRetriesAfter491Glare(t *testing.T) {
	k := startKamailio(t, map[string]string{agentExt: agentPass}, nil)
	tp := newTestPhone(t, k.addr(), nil)
	tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass})
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	wait := startSIPp(t, tp, "reinvite-491.xml", agentExt)
	in := alice.expect("incoming", nil)
	alice.send(Message{Type: "accept", CallID: in.CallID, SDP: alice.offer()})
	ans := alice.expect("answer", func(m Message) bool { return m.CallID == in.CallID })
	alice.setAnswer(ans.SDP)
	alice.expectState(in.CallID, "active")
	alice.send(Message{Type: "hold", CallID: in.CallID, On: ptr(true)})
	alice.expectState(in.CallID, "held") // only after the retried re-INVITE got 200
	alice.expect("state", func(m Message) bool {
		return m.CallID == in.CallID && m.State == "ended" && m.Reason == "hangup-remote"
	})
	wait()
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
