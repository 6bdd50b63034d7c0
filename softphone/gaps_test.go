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

	"github.com/pion/rtcp"
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
	for _, suite := range cryptoSuites {
		t.Run(suite.name, func(t *testing.T) { testSDESOfferFromPBX(t, suite) })
	}
}

// testSDESOfferFromPBX: SIPp, as the PBX, offers RTP/SAVP with one
// a=crypto line of suite; the test plays the PBX's media with pion/srtp.
func testSDESOfferFromPBX(t *testing.T, suite cryptoSuite) {
	k := startKamailio(t, map[string]string{agentExt: agentPass}, nil)
	tp := newTestPhone(t, k.addr(), nil)
	tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass})
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })

	pbxKey := make([]byte, suite.inlineLen())
	for i := range pbxKey {
		pbxKey[i] = byte(i*7 + 3)
	}
	media, rtcpConn := udpPair(t)
	defer media.Close()
	defer rtcpConn.Close()
	tmpl, err := os.ReadFile("testdata/srtp-inbound.xml")
	if err != nil {
		t.Fatal(err)
	}
	scen := strings.NewReplacer("__MEDIA_PORT__", fmt.Sprint(media.LocalAddr().(*net.UDPAddr).Port),
		"__KEY__", base64.StdEncoding.EncodeToString(pbxKey), "__SUITE__", suite.name).Replace(string(tmpl))
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
	if keys == nil || keys.tag != 7 || keys.suite.name != suite.name {
		t.Fatalf("no SDES keys with the PBX's tag and suite: %+v", keys)
	}
	profile := suite.prof
	txCtx, err := srtp.CreateContext(pbxKey[:suite.keyLen], pbxKey[suite.keyLen:], profile)
	if err != nil {
		t.Fatal(err)
	}
	rxCtx, err := srtp.CreateContext(keys.local[:suite.keyLen], keys.local[suite.keyLen:], profile)
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
	// SRTCP: Kaz's sender report decrypts with Kaz's key, and Kaz
	// authenticates the PBX's report.
	rtcpConn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		buf := make([]byte, 1500)
		n, err := rtcpConn.Read(buf)
		if err != nil {
			t.Fatalf("no SRTCP report from Kaz: %v", err)
		}
		dec, err := rxCtx.DecryptRTCP(nil, buf[:n], nil)
		if err != nil {
			t.Fatalf("Kaz's SRTCP does not decrypt with its key: %v", err)
		}
		pkts, err := rtcp.Unmarshal(dec)
		if err != nil {
			t.Fatalf("Kaz's RTCP: %v", err)
		}
		if sr, ok := pkts[0].(*rtcp.SenderReport); ok && sr.PacketCount > 0 && len(pkts) > 1 {
			break
		}
	}
	rr, _ := (&rtcp.ReceiverReport{SSRC: 0x5a5a}).Marshal()
	encRR, err := txCtx.EncryptRTCP(nil, rr, nil)
	if err != nil {
		t.Fatal(err)
	}
	kazRTCP := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), kazAddr.Port()+1))
	c.mu.Lock()
	relay := c.relay
	c.mu.Unlock()
	deadline = time.Now().Add(5 * time.Second)
	for relay.RTCPFromPBX.Load() == 0 {
		rtcpConn.WriteToUDP(encRR, kazRTCP)
		if time.Now().After(deadline) {
			t.Fatal("Kaz did not take the PBX's SRTCP report")
		}
		time.Sleep(50 * time.Millisecond)
	}
	forged := append([]byte(nil), encRR...)
	forged[len(forged)-1] ^= 1
	before := relay.RTCPFromPBX.Load()
	rtcpConn.WriteToUDP(forged, kazRTCP)
	time.Sleep(200 * time.Millisecond)
	if relay.RTCPFromPBX.Load() != before {
		t.Error("Kaz took an SRTCP packet with a bad authentication tag")
	}

	alice.send(Message{Type: "hangup", CallID: callID})
	alice.expectState(callID, "ended")
	wait()
}

// udpPair binds an RTP socket on an even port and the RTCP one next to it.
func udpPair(t *testing.T) (*net.UDPConn, *net.UDPConn) {
	t.Helper()
	for range 100 {
		a, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		if p%2 == 0 {
			if b, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p + 1}); err == nil {
				return a, b
			}
		}
		a.Close()
	}
	t.Fatal("no free RTP/RTCP port pair")
	return nil, nil
}

// phone.pbx_srtp: Kaz offers RTP/SAVP with an SDES key to a desk phone
// that requires SRTP (baresip mediaenc=srtp-mand); audio flows both ways.
// Run once per suite, Kaz offering only that one: baresip must speak it.
func TestPBXSRTPOfferToDeskPhoneRequiringSRTP(t *testing.T) {
	for _, suite := range cryptoSuites {
		t.Run(suite.name, func(t *testing.T) { testSRTPToBaresip(t, suite) })
	}
}

func testSRTPToBaresip(t *testing.T, suite cryptoSuite) {
	k := startKamailio(t, map[string]string{agentExt: agentPass, deskExt: deskPass}, nil)
	tp := newTestPhone(t, k.addr(), func(c *Config) { c.PBXSRTP, c.PBXSRTPSuites = true, []string{suite.name} })
	tp.SetAccount(t.Context(), "alice", Account{Extension: agentExt, Password: agentPass})
	desk := startBaresipEnc(t, k, deskExt, deskPass, true, "srtp-mand")
	alice := dialAgent(t, tp, "alice")
	alice.expect("registration", func(m Message) bool { return m.State == "registered" })
	callID := establishOutbound(t, alice, desk, deskExt) // hears the desk's 1 kHz
	c := tp.call(callID)
	c.mu.Lock()
	keys := c.srtp
	c.mu.Unlock()
	if keys == nil || keys.rx.Load() == nil {
		t.Fatal("the call does not use SDES-SRTP toward the PBX")
	}
	if keys.suite.name != suite.name {
		t.Fatalf("suite in use %s, want %s", keys.suite.name, suite.name)
	}
	// baresip's SRTCP reports reach Kaz's RTCP port and authenticate.
	// Not with AES_CM_128_HMAC_SHA1_32: baresip (libre) then puts a 4-byte
	// tag on SRTCP (seen on the wire), where RFC 4568 §6.2.2 and pion keep
	// 80 bits for SRTCP; Kaz drops those reports (RTP is unaffected).
	c.mu.Lock()
	relay := c.relay
	c.mu.Unlock()
	deadline := time.Now().Add(15 * time.Second)
	for suite.name != "AES_CM_128_HMAC_SHA1_32" && relay.RTCPFromPBX.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no authenticated SRTCP from baresip (Kaz sent %d reports)", relay.RTCPToPBX.Load())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let the desk phone record some agent audio
	alice.send(Message{Type: "hangup", CallID: callID})
	alice.expectState(callID, "ended")
	desk.waitEvent("CALL_CLOSED", "", 10*time.Second)
	rec := desk.decoded()
	if len(rec) < 4000 {
		t.Fatalf("desk phone recorded %d samples", len(rec))
	}
	if lvl := toneLevel(rec[len(rec)-4000:], 440, 8000); lvl < 0.5 {
		t.Errorf("desk phone did not hear 440 Hz through SRTP (level %.2f)", lvl)
	}
}

func TestParseCryptoAcceptsOnlyTheSupportedSuites(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, srtpKeyLen))
	gcmKey := base64.StdEncoding.EncodeToString(make([]byte, 28))
	tests := []struct {
		v   string
		ok  bool
		tag int
	}{
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key, true, 1},
		{"7 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20", true, 7},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:4", false, 0}, // MKI
		{"2 AES_CM_128_HMAC_SHA1_32 inline:" + key, true, 2},
		{"3 AEAD_AES_128_GCM inline:" + gcmKey, true, 3},
		{"3 AEAD_AES_128_GCM inline:" + key, false, 0}, // 30 bytes: not a GCM key
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + gcmKey, false, 0},
		{"1 AEAD_AES_256_GCM inline:" + gcmKey, false, 0},
		{"1 F8_128_HMAC_SHA1_80 inline:" + key, false, 0},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=", false, 0},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + " KDR=1", false, 0},
		{"x AES_CM_128_HMAC_SHA1_80 inline:" + key, false, 0},
		{"", false, 0},
	}
	for _, tt := range tests {
		c, err := parseCrypto(tt.v)
		if (err == nil) != tt.ok || (tt.ok && (c.tag != tt.tag || len(c.key) != c.suite.inlineLen())) {
			t.Errorf("parseCrypto(%q) = %+v, %v", tt.v, c, err)
		}
	}
}

func FuzzParseCrypto(f *testing.F) {
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:" + base64.StdEncoding.EncodeToString(make([]byte, srtpKeyLen)))
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|2^31|1:1")
	f.Add("99999999999 x y")
	f.Fuzz(func(t *testing.T, v string) {
		c, err := parseCrypto(v)
		if err == nil && (c.suite.inlineLen() == 0 || len(c.key) != c.suite.inlineLen()) {
			t.Fatalf("accepted a %d-byte key", len(c.key))
		}
	})
}

func TestPBXSRTPSuitesConfig(t *testing.T) {
	if got, err := offeredSuites(nil); err != nil || len(got) != len(cryptoSuites) {
		t.Errorf("default suites = %v, %v", got, err)
	}
	got, err := offeredSuites([]string{"aead_aes_128_gcm", "AES_CM_128_HMAC_SHA1_80"})
	if err != nil || len(got) != 2 || got[0].name != "AEAD_AES_128_GCM" {
		t.Errorf("suites = %v, %v", got, err)
	}
	if _, err := offeredSuites([]string{"AES_256_CM_HMAC_SHA1_80"}); err == nil {
		t.Error("an unknown suite was accepted")
	}
	c := Config{PBX: "127.0.0.1:5060", SIPListen: "127.0.0.1:5070", AnnounceSIP: "127.0.0.1", AnnounceWebRTC: "127.0.0.1", PBXSRTPSuites: []string{"NULL_HMAC_SHA1_80"}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "pbx_srtp_suites") {
		t.Errorf("Validate with an unknown suite: %v", err)
	}
}

func TestSRTPOfferAndAnswerAgreeOnKeys(t *testing.T) {
	for i, suite := range cryptoSuites {
		t.Run(suite.name, func(t *testing.T) { testSRTPOfferAnswer(t, i, suite) })
	}
}

// testSRTPOfferAnswer: Kaz offers every suite; the PBX answers the
// offer's line i (suite) with its own key under the same tag.
func testSRTPOfferAnswer(t *testing.T, i int, suite cryptoSuite) {
	p := &Phone{cfg: Config{PBXSRTP: true}}
	c := &call{p: p}
	if err := c.offerSRTP(); err != nil {
		t.Fatal(err)
	}
	body := sdpOffer{SessionID: 1, Version: 1, Addr: netip.MustParseAddrPort("127.0.0.1:4000"), Codecs: bridgeable[3:], TelEvent: 101,
		Direction: "sendrecv", Crypto: c.cryptoLocked()}.build()
	md, err := parseSDP(body)
	if err != nil || md.Proto != "RTP/SAVP" || len(md.Crypto) != len(cryptoSuites) {
		t.Fatalf("offer %q parsed as %+v, %v", body, md, err)
	}
	if ca, err := parseCrypto(md.Crypto[i]); err != nil || ca.suite.name != suite.name || ca.tag != i+1 {
		t.Fatalf("offer line %d = %q (%+v, %v), want tag %d %s", i, md.Crypto[i], ca, err, i+1, suite.name)
	}
	// The PBX answers the chosen line with its own key under the same tag.
	peer := &call{p: &Phone{}}
	pk, err := peer.pbxSRTP(mediaDesc{Proto: "RTP/SAVP", Crypto: md.Crypto[i:]}, true)
	if err != nil || pk == nil || pk.tag != i+1 || pk.suite.name != suite.name {
		t.Fatalf("answering the offer: %+v, %v", pk, err)
	}
	ans := mediaDesc{Proto: "RTP/SAVP", Crypto: []string{pk.attr()}}
	k, err := c.pbxSRTP(ans, false)
	if err != nil || k == nil || k.rx.Load() == nil || k.suite.name != suite.name {
		t.Fatalf("taking the answer: %+v, %v", k, err)
	}
	if got := (&call{srtp: k}).cryptoLocked(); len(got) != 1 || got[0] != k.attr() {
		t.Errorf("after the answer Kaz's a=crypto = %q, want only the chosen line", got)
	}
	// What one encrypts, the other decrypts.
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 1, SSRC: 9}, Payload: []byte("hello")}).Marshal()
	enc, err := k.tx.EncryptRTP(nil, pkt, nil)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := pk.decrypt(enc)
	if err != nil || !strings.HasSuffix(string(dec), "hello") {
		t.Fatalf("decrypt: %q, %v", dec, err)
	}
	// The PBX re-INVITEs with a new key under a new tag: Kaz follows.
	pk2, _ := newSRTPKeys(40, suite)
	if err := k.rekey([]string{pk2.attr()}); err != nil || k.tag != 40 {
		t.Fatalf("rekey: tag %d, %v", k.tag, err)
	}
	tx2, _ := srtp.CreateContext(pk2.local[:suite.keyLen], pk2.local[suite.keyLen:], suite.prof)
	enc2, _ := tx2.EncryptRTP(nil, pkt, nil)
	if dec, err := k.decrypt(enc2); err != nil || !strings.HasSuffix(string(dec), "hello") {
		t.Fatalf("decrypt after rekey: %q, %v", dec, err)
	}
	old, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 2, SSRC: 9}, Payload: []byte("old")}).Marshal()
	oldEnc, _ := pk.tx.EncryptRTP(nil, old, nil)
	if _, err := k.decrypt(oldEnc); err == nil {
		t.Error("a packet under the old PBX key still decrypts after the rekey")
	}
	// A re-INVITE switching suites: Kaz answers with a key of the new one.
	other := cryptoSuites[(i+1)%len(cryptoSuites)]
	pk3, _ := newSRTPKeys(41, other)
	if err := k.rekey([]string{pk3.attr()}); err != nil || k.suite.name != other.name || len(k.local) != other.inlineLen() {
		t.Fatalf("rekey to %s: %+v, %v", other.name, k, err)
	}
	tx3, _ := srtp.CreateContext(pk3.local[:other.keyLen], pk3.local[other.keyLen:], other.prof)
	enc3, _ := tx3.EncryptRTP(nil, pkt, nil)
	if dec, err := k.decrypt(enc3); err != nil || !strings.HasSuffix(string(dec), "hello") {
		t.Fatalf("decrypt after the suite change: %q, %v", dec, err)
	}
	rx3, _ := srtp.CreateContext(k.local[:other.keyLen], k.local[other.keyLen:], other.prof)
	enc4, _ := k.tx.EncryptRTP(nil, pkt, nil)
	if dec, err := rx3.DecryptRTP(nil, enc4, nil); err != nil || !strings.HasSuffix(string(dec), "hello") {
		t.Fatalf("the PBX cannot decrypt Kaz's new key: %q, %v", dec, err)
	}
	// A plain answer to Kaz's SRTP offer is refused.
	if _, err := c.pbxSRTP(mediaDesc{Proto: "RTP/AVP"}, false); err == nil {
		t.Error("a plain RTP answer to an SRTP offer was accepted")
	}
}

func TestSessionIntervalHonoursMinSE(t *testing.T) {
	if d, mine := parseSessionExpiresMin("3;refresher=uas", false, time.Second); d != 3*time.Second || !mine {
		t.Errorf("test-only Min-SE 1s: %v %v", d, mine)
	}
	if d, _ := parseSessionExpiresMin("3;refresher=uas", false, 90*time.Second); d != 0 {
		t.Errorf("below Min-SE accepted: %v", d)
	}
	cfg := Config{PBX: "127.0.0.1:5060", AnnounceSIP: "127.0.0.1", AnnounceWebRTC: "127.0.0.1", SessionExpires: 60 * time.Second}
	if err := cfg.Validate(); err == nil {
		t.Error("session_expires below the default Min-SE (90s) accepted")
	}
	cfg.SessionMinSE = time.Second
	if err := cfg.Validate(); err != nil {
		t.Errorf("test-only session_min_se refused: %v", err)
	}
}
