package softphone

import (
	"encoding/base64"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// A browser whose WebRTC connection drops while its WebSocket stays open
// (VPN hiccup): the PBX leg stays up, the tab is told "media-lost", a
// resume with a new offer on the same WebSocket brings the audio back;
// dropped again and not resumed, the call ends with a BYE after the grace.
func TestMediaDropKeepsCallForResumeThenGraceEndsIt(t *testing.T) {
	_, tp, desk := setup(t, true)
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	callID := establishOutbound(t, alice, desk, deskExt)

	alice.pc.Close() // the PeerConnection dies; the WebSocket stays open
	lost := alice.expect("state", func(m Message) bool { return m.CallID == callID && m.Reason == "media-lost" })
	if lost.State != "active" {
		t.Errorf("media-lost state = %q, want the call's state (active)", lost.State)
	}
	if n := len(tp.Status().Calls); n != 1 {
		t.Fatalf("%d calls up after the media drop, want 1 (kept for the grace)", n)
	}
	alice.send(Message{Type: "resume", CallID: callID, SDP: alice.offer()})
	ans := alice.expect("answer", func(m Message) bool { return m.CallID == callID })
	alice.setAnswer(ans.SDP)
	alice.expect("state", func(m Message) bool { return m.CallID == callID && m.State == "active" && m.Reason == "" })
	alice.waitTone(1000) // the desk phone's tone through the new connection

	tp.grace.Store(int64(500 * time.Millisecond))
	alice.pc.Close()
	alice.expect("state", func(m Message) bool { return m.CallID == callID && m.Reason == "media-lost" })
	alice.expect("state", func(m Message) bool { return m.CallID == callID && m.State == "ended" })
	desk.waitEvent("CALL_CLOSED", "", 10*time.Second) // the BYE reached the PBX side
	waitNoCalls(t, tp)
}

func waitNoCalls(t *testing.T, tp *testPhone) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(tp.Status().Calls) != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(tp.Status().Calls); n != 0 {
		t.Errorf("%d calls still up", n)
	}
}

// answerInboundFromSIPp starts scenario, answers its call in alice's tab
// and returns the call id and the function waiting for SIPp to pass.
func answerInboundFromSIPp(t *testing.T, tp *testPhone, alice *agentPeer, scenario string) (string, func()) {
	t.Helper()
	wait := startSIPp(t, tp, scenario, agentExt)
	in := alice.expect("incoming", nil)
	alice.send(Message{Type: "accept", CallID: in.CallID, SDP: alice.offer()})
	ans := alice.expect("answer", func(m Message) bool { return m.CallID == in.CallID })
	alice.setAnswer(ans.SDP)
	alice.expectState(in.CallID, "active")
	return in.CallID, wait
}

func sessionTimerPhone(t *testing.T) (*testPhone, *agentPeer) {
	t.Helper()
	k := startKamailio(t, map[string]string{agentExt: agentPass}, nil)
	tp := newTestPhone(t, k.addr(), func(c *Config) { c.SessionMinSE = time.Second }) // test-only: RFC minimum is 90 s
	tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass})
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	return tp, alice
}

// RFC 4028 §10: the PBX is the refresher and never refreshes: Kaz ends
// the call with a BYE (the SIPp scenario fails unless it gets one).
func TestSessionTimerEndsCallWhenPBXDoesNotRefresh(t *testing.T) {
	tp, alice := sessionTimerPhone(t)
	callID, wait := answerInboundFromSIPp(t, tp, alice, "session-timer-pbx-refresher.xml")
	alice.expect("state", func(m Message) bool { return m.CallID == callID && m.State == "ended" && m.Reason == "error" })
	wait()
	waitNoCalls(t, tp)
}

// RFC 4028: Kaz is the refresher: it re-INVITEs at half the interval
// (SIPp takes two refreshes, then hangs up).
func TestSessionTimerKazRefreshesAtHalfInterval(t *testing.T) {
	tp, alice := sessionTimerPhone(t)
	callID, wait := answerInboundFromSIPp(t, tp, alice, "session-timer-kaz-refresher.xml")
	alice.expect("state", func(m Message) bool {
		return m.CallID == callID && m.State == "ended" && m.Reason == "hangup-remote"
	})
	wait()
}

// SDES-SRTP on the PBX leg: SIPp signals an RTP/SAVP offer with a key;
// since this SIPp cannot do SRTP, the PBX's media is a pion/srtp endpoint
// on loopback in the test. Audio is checked both ways by frequency: the
// PBX side's 1 kHz reaches the browser, the browser's 440 Hz reaches the
// PBX side, decrypted with the key Kaz answered.
func TestSDESSRTPOfferFromPBXIsAnsweredAndRelayed(t *testing.T) {
	k := startKamailio(t, map[string]string{agentExt: agentPass}, nil)
	tp := newTestPhone(t, k.addr(), nil)
	tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass})
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })

	pbxKey := make([]byte, srtpKeyLen)
	for i := range pbxKey {
		pbxKey[i] = byte(i*7 + 3)
	}
	media, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer media.Close()
	tmpl, err := os.ReadFile("testdata/srtp-inbound.xml")
	if err != nil {
		t.Fatal(err)
	}
	scen := strings.NewReplacer("__MEDIA_PORT__", fmt.Sprint(media.LocalAddr().(*net.UDPAddr).Port),
		"__KEY__", base64.StdEncoding.EncodeToString(pbxKey)).Replace(string(tmpl))
	path := filepath.Join(t.TempDir(), "srtp.xml")
	if err := os.WriteFile(path, []byte(scen), 0o644); err != nil {
		t.Fatal(err)
	}
	callID, wait := answerInboundFromSIPp(t, tp, alice, path)

	c := tp.call(callID)
	if c == nil {
		t.Fatal("call gone")
	}
	c.mu.Lock()
	keys, kazAddr := c.srtp, c.local
	c.mu.Unlock()
	if keys == nil || keys.tag != 7 {
		t.Fatalf("no SDES keys with the PBX's tag: %+v", keys)
	}
	profile := srtp.ProtectionProfileAes128CmHmacSha1_80
	txCtx, err := srtp.CreateContext(pbxKey[:16], pbxKey[16:], profile)
	if err != nil {
		t.Fatal(err)
	}
	rxCtx, err := srtp.CreateContext(keys.local[:16], keys.local[16:], profile)
	if err != nil {
		t.Fatal(err)
	}
	// The PBX side sends SRTP 1 kHz and collects what Kaz sends.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), kazAddr.Port()))
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		n := 0
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			payload := make([]byte, 160)
			for j := range payload {
				payload[j] = linearToUlaw(int16(8000 * math.Sin(2*math.Pi*1000*float64(n)/8000)))
				n++
			}
			pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i), Timestamp: uint32(160 * i), SSRC: 0x5a5a}, Payload: payload}).Marshal()
			enc, err := txCtx.EncryptRTP(nil, pkt, nil)
			if err == nil {
				media.WriteToUDP(enc, dst)
			}
		}
	}()
	var rxMu sync.Mutex
	var heard []int16
	var bad int
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		for {
			media.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			n, _, err := media.ReadFromUDP(buf)
			select {
			case <-stop:
				return
			default:
			}
			if err != nil {
				continue
			}
			dec, err := rxCtx.DecryptRTP(nil, buf[:n], nil)
			rxMu.Lock()
			if err != nil {
				bad++
			} else {
				var p rtp.Packet
				if p.Unmarshal(dec) == nil && p.PayloadType == 0 {
					for _, u := range p.Payload {
						heard = append(heard, ulawToLinear(u))
					}
				}
			}
			rxMu.Unlock()
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	alice.waitTone(1000) // decrypted by Kaz, relayed to the browser
	deadline := time.Now().Add(10 * time.Second)
	for {
		rxMu.Lock()
		var lvl float64
		if len(heard) >= 1600 {
			lvl = toneLevel(heard[len(heard)-1600:], 440, 8000)
		}
		nb := bad
		rxMu.Unlock()
		if lvl > 0.5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PBX side did not hear 440 Hz through SRTP (level %.2f, %d packets failed to decrypt)", lvl, nb)
		}
		time.Sleep(100 * time.Millisecond)
	}
	alice.send(Message{Type: "hangup", CallID: callID})
	alice.expectState(callID, "ended")
	wait()
}
