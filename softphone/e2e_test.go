package softphone

import (
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

// testLogger collects logs and prints them only when the test fails
// (KAZ_TEST_LOG=1 prints them always, as they come).
func testLogger(t testing.TB) *slog.Logger {
	buf := &syncBuffer{}
	lv := slog.LevelInfo
	if os.Getenv("KAZ_TEST_LOG") == "1" {
		lv = slog.LevelDebug
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("KAZ_TEST_LOG") == "1" {
			t.Logf("softphone log:\n%s", tail(buf.String(), 80))
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: lv}))
}

const (
	agentExt  = "1001"
	agentPass = "s3cret"
	deskExt   = "2001"
	deskPass  = "desk"
)

// setup starts Kamailio, a Kaz phone with agent "alice" (extension 1001)
// and a desk phone (baresip, extension 2001) registered at Kamailio.
func setup(t *testing.T, autoAnswer bool) (*kamailio, *testPhone, *baresip) {
	t.Helper()
	k := startKamailio(t, map[string]string{agentExt: agentPass, deskExt: deskPass}, nil)
	tp := newTestPhone(t, k.addr(), nil)
	if err := tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass}); err != nil {
		t.Fatal(err)
	}
	desk := startBaresip(t, k, deskExt, deskPass, autoAnswer)
	return k, tp, desk
}

func TestRegistersWithDigestAndRejectsWrongPassword(t *testing.T) {
	k := startKamailio(t, map[string]string{agentExt: agentPass, "1002": "other"}, nil)
	tp := newTestPhone(t, k.addr(), nil)
	ctx := t.Context()
	if err := tp.SetAccount(ctx, "alice", Account{Extension: agentExt, Password: agentPass}); err != nil {
		t.Fatal(err)
	}
	if err := tp.SetAccount(ctx, "bob", Account{Extension: "1002", Password: "wrong"}); err != nil {
		t.Fatal(err)
	}
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	bob := dialAgent(t, tp, "bob")
	m := bob.expect("registration", func(m Message) bool { return m.State == "failed" })
	if m.Code != 401 && m.Code != 403 {
		t.Errorf("wrong password: code %d, want 401 or 403", m.Code)
	}
	if m.Reason != "phone.reg.auth_failed" {
		t.Errorf("reason %q", m.Reason)
	}

	// Unavailable → unregistered; available again → registered.
	alice.send(Message{Type: "available", Value: ptr(false)})
	alice.expect("registration", func(m Message) bool { return m.State == "unregistered" })
	alice.send(Message{Type: "available", Value: ptr(true)})
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })

	// The PBX restarts (and forgets its location table): Kaz registers
	// again on its own.
	deadline := time.Now().Add(10 * time.Second)
	for !tp.Status().PBXReachable {
		if time.Now().After(deadline) {
			t.Fatal("PBX not seen as reachable")
		}
		time.Sleep(50 * time.Millisecond)
	}
	k.proc.stop()
	deadline = time.Now().Add(10 * time.Second)
	for tp.Status().PBXReachable {
		if time.Now().After(deadline) {
			t.Fatal("Kaz did not notice the PBX going away")
		}
		time.Sleep(50 * time.Millisecond)
	}
	k.start()
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	st := tp.Status()
	found := false
	for _, r := range st.Registrations {
		if r.User == "alice" && r.State == "registered" {
			found = true
		}
	}
	if !found {
		t.Errorf("status does not show alice registered: %+v", st.Registrations)
	}
}

func TestOutboundCallToDeskPhoneCarriesAudioBothWays(t *testing.T) {
	_, tp, desk := setup(t, true)
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })

	alice.send(Message{Type: "dial", Ref: "r1", Number: deskExt, SDP: alice.offer()})
	st := alice.expect("state", func(m Message) bool { return m.Ref == "r1" })
	callID := st.CallID
	ans := alice.expect("answer", func(m Message) bool { return m.CallID == callID })
	alice.setAnswer(ans.SDP)
	alice.expectState(callID, "active")
	desk.waitEvent("CALL_ESTABLISHED", "", 10*time.Second)

	alice.waitTone(1000) // the desk phone's tone reached the browser
	checkFastPath(t, tp, callID)

	// DTMF from the agent reaches the desk phone as RFC 4733 events.
	alice.send(Message{Type: "dtmf", CallID: callID, Digit: "5"})
	desk.waitEvent("CALL_DTMF_START", "5", 10*time.Second)

	// Hold then resume: audio comes back, the sequence stays continuous.
	alice.send(Message{Type: "hold", CallID: callID, On: ptr(true)})
	alice.expectState(callID, "held")
	before := alice.rx.count()
	alice.send(Message{Type: "hold", CallID: callID, On: ptr(false)})
	alice.expectState(callID, "active")
	deadline := time.Now().Add(10 * time.Second)
	for alice.rx.count() < before+16000 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	alice.waitTone(1000)
	checkContinuousSeq(t, alice.rx)

	time.Sleep(2 * time.Second) // let the desk phone record some agent audio
	alice.send(Message{Type: "hangup", CallID: callID})
	alice.expectState(callID, "ended")
	desk.waitEvent("CALL_CLOSED", "", 10*time.Second)

	// The desk phone heard the agent's 440 Hz tone.
	rec := desk.decoded()
	if len(rec) < 4000 {
		t.Fatalf("desk phone recorded %d samples", len(rec))
	}
	if lvl := toneLevel(rec[len(rec)-4000:], 440, 8000); lvl < 0.5 {
		t.Errorf("desk phone did not hear 440 Hz (level %.2f)", lvl)
	}

	h, err := tp.History(t.Context(), "alice", 10)
	if err != nil || len(h) != 1 || h[0].Outcome != "answered" || h[0].Direction != "out" || h[0].Number != deskExt {
		t.Errorf("history = %+v, %v", h, err)
	}
}

func checkContinuousSeq(t *testing.T, r *pcmRecorder) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	gaps := 0
	for i := 1; i < len(r.seqs); i++ {
		if d := r.seqs[i] - r.seqs[i-1]; d != 1 {
			gaps++
		}
	}
	// Loopback does not lose packets; a jump would show a sequence reset.
	if gaps > 2 {
		t.Errorf("RTP sequence toward the browser jumped %d times", gaps)
	}
}

func TestInboundCallRingsAndIsAnsweredInBrowser(t *testing.T) {
	_, tp, desk := setup(t, false)
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	second := dialAgent(t, tp, "alice") // a second tab rings too

	desk.command("dial", "sip:"+agentExt+"@"+tp.cfg.PBX)
	in := alice.expect("incoming", nil)
	second.expect("incoming", func(m Message) bool { return m.CallID == in.CallID })
	if in.From != deskExt {
		t.Errorf("incoming from %q", in.From)
	}
	desk.waitEvent("CALL_RINGING", "", 10*time.Second)
	alice.send(Message{Type: "accept", CallID: in.CallID, SDP: alice.offer()})
	ans := alice.expect("answer", func(m Message) bool { return m.CallID == in.CallID })
	alice.setAnswer(ans.SDP)
	alice.expectState(in.CallID, "active")
	second.expect("state", func(m Message) bool { return m.CallID == in.CallID && m.Reason == "answered-elsewhere" })
	desk.waitEvent("CALL_ESTABLISHED", "", 10*time.Second)
	alice.waitTone(1000)

	// DTMF from the desk phone reaches the browser.
	desk.command("sndcode", "7")
	alice.expect("dtmf", func(m Message) bool { return m.CallID == in.CallID && m.Digit == "7" })

	time.Sleep(2 * time.Second)
	desk.command("hangup", "")
	alice.expect("state", func(m Message) bool {
		return m.CallID == in.CallID && m.State == "ended" && m.Reason == "hangup-remote"
	})
	rec := desk.decoded()
	if len(rec) < 4000 {
		t.Fatalf("desk phone recorded %d samples", len(rec))
	}
	if lvl := toneLevel(rec[len(rec)-4000:], 440, 8000); lvl < 0.5 {
		t.Errorf("desk phone did not hear 440 Hz (level %.2f)", lvl)
	}
}

// establishOutbound dials the desk phone and waits for the desk phone's
// tone in the browser.
func establishOutbound(t *testing.T, alice *agentPeer, desk *baresip, number string) string {
	t.Helper()
	alice.send(Message{Type: "dial", Ref: "r-" + number, Number: number, SDP: alice.offer()})
	st := alice.expect("state", func(m Message) bool { return m.Ref == "r-"+number })
	if st.State == "ended" {
		t.Fatalf("call ended at once: %+v", st)
	}
	ans := alice.expect("answer", func(m Message) bool { return m.CallID == st.CallID })
	alice.setAnswer(ans.SDP)
	alice.expectState(st.CallID, "active")
	desk.waitEvent("CALL_ESTABLISHED", "", 10*time.Second)
	alice.waitTone(1000)
	return st.CallID
}

func TestEchoTestEchoesTheAgentsAudio(t *testing.T) {
	k := startKamailio(t, map[string]string{agentExt: agentPass}, nil)
	tp := newTestPhone(t, k.addr(), nil)
	tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass})
	alice := dialAgent(t, tp, "alice")
	alice.send(Message{Type: "dial", Ref: "e", Number: "*43", SDP: alice.offer()})
	st := alice.expect("state", func(m Message) bool { return m.Ref == "e" })
	ans := alice.expect("answer", func(m Message) bool { return m.CallID == st.CallID })
	alice.setAnswer(ans.SDP)
	alice.expectState(st.CallID, "active")
	alice.waitTone(440) // its own voice, back
	alice.send(Message{Type: "hangup", CallID: st.CallID})
	alice.expectState(st.CallID, "ended")
	h, _ := tp.History(t.Context(), "alice", 5)
	if len(h) != 1 || h[0].Outcome != "echo" {
		t.Errorf("history %+v", h)
	}
}

func TestReloadedTabResumesCallAndGraceEndsAbandonedOne(t *testing.T) {
	_, tp, desk := setup(t, true)
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	callID := establishOutbound(t, alice, desk, deskExt)

	// The tab reloads: WebSocket and PeerConnection drop.
	alice.close()
	reloaded := dialAgent(t, tp, "alice")
	if len(reloaded.welcome.Calls) != 1 || reloaded.welcome.Calls[0].CallID != callID {
		t.Fatalf("welcome does not offer the call to resume: %+v", reloaded.welcome)
	}
	reloaded.send(Message{Type: "resume", CallID: callID, SDP: reloaded.offer()})
	ans := reloaded.expect("answer", func(m Message) bool { return m.CallID == callID })
	reloaded.setAnswer(ans.SDP)
	reloaded.expectState(callID, "active")
	reloaded.waitTone(1000)

	// Dropped again and never resumed: after the grace the call ends with
	// a BYE to the desk phone.
	tp.grace.Store(int64(500 * time.Millisecond))
	reloaded.close()
	desk.waitEvent("CALL_CLOSED", "", 10*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for len(tp.Status().Calls) != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(tp.Status().Calls); n != 0 {
		t.Errorf("%d calls still up", n)
	}
}

func TestDeclinedInboundCallAnswers486AndIsRecorded(t *testing.T) {
	_, tp, desk := setup(t, false)
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	desk.command("dial", "sip:"+agentExt+"@"+tp.cfg.PBX)
	in := alice.expect("incoming", nil)
	alice.send(Message{Type: "decline", CallID: in.CallID})
	alice.expect("state", func(m Message) bool { return m.CallID == in.CallID && m.State == "ended" && m.Reason == "declined" })
	ev := desk.waitEvent("CALL_CLOSED", "", 10*time.Second)
	if p, _ := ev["param"].(string); !strings.Contains(p, "486") {
		t.Errorf("desk phone saw %q, want 486", p)
	}
	h, _ := tp.History(t.Context(), "alice", 5)
	if len(h) != 1 || h[0].Outcome != "declined" || h[0].Direction != "in" {
		t.Errorf("history %+v", h)
	}
}

func TestOutboundToUnknownNumberIsUnreachable(t *testing.T) {
	_, tp, _ := setup(t, true)
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	alice.send(Message{Type: "dial", Ref: "x", Number: "4999", SDP: alice.offer()})
	st := alice.expect("state", func(m Message) bool { return m.Ref == "x" })
	end := alice.expect("state", func(m Message) bool { return m.CallID == st.CallID && m.State == "ended" })
	if end.Reason != "unreachable" || end.Code != 404 {
		t.Errorf("ended %+v, want unreachable 404", end)
	}
}

func TestBlindTransferMovesTheDeskPhoneToAnotherExtension(t *testing.T) {
	k := startKamailio(t, map[string]string{agentExt: agentPass, deskExt: deskPass, "2002": "desk2"}, nil)
	tp := newTestPhone(t, k.addr(), nil)
	tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass})
	desk := startBaresip(t, k, deskExt, deskPass, true)
	desk2 := startBaresip(t, k, "2002", "desk2", true)
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	callID := establishOutbound(t, alice, desk, deskExt)
	alice.send(Message{Type: "transfer", CallID: callID, Target: "2002"})
	desk2.waitEvent("CALL_ESTABLISHED", "", 15*time.Second)
	alice.expectState(callID, "ended")
}

// checkFastPath fails when the call's browser leg is not on the media
// fast path (fastpath.go): a pion upgrade that hides the DTLS keys would
// silently cost several times the CPU per packet.
func checkFastPath(t *testing.T, tp *testPhone, callID string) {
	t.Helper()
	tp.mu.Lock()
	c := tp.calls[callID]
	tp.mu.Unlock()
	if c == nil {
		t.Fatalf("call %s not found", callID)
	}
	c.mu.Lock()
	r := c.relay
	c.mu.Unlock()
	if r == nil || r.browser.Load() == nil || r.browser.Load().fast.Load() == nil {
		t.Fatal("the browser leg is not on the media fast path (pion carries it)")
	}
}
