package softphone

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/kazhq/kaz/internal/sqldb"
)

// testPhone is a Phone on loopback with its signaling served by a real
// HTTP server.
type testPhone struct {
	*Phone
	http *httptest.Server
}

func newTestPhone(t *testing.T, pbx string, mutate func(*Config)) *testPhone {
	t.Helper()
	checkGoroutineLeaks(t) // first registered, so it runs after every other cleanup
	ctx := t.Context()
	db, err := sqldb.OpenSQLite(ctx, t.TempDir()+"/kaz.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	base := 20000 + 2*int(time.Now().UnixNano()%10000)
	cfg := Config{PBX: pbx, SIPListen: "127.0.0.1:0", AnnounceSIP: "127.0.0.1", RTPPortMin: base, RTPPortMax: base + 400,
		WebRTCPort: 0, WebRTCListen: "127.0.0.1", AnnounceWebRTC: "127.0.0.1", KeepAlive: 300 * time.Millisecond,
		ReconnectGrace: 10 * time.Second}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(ctx, cfg, db, t.TempDir(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(runCtx); close(done) }()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.ServeWS(w, r, r.URL.Query().Get("user"))
	}))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
	})
	return &testPhone{Phone: p, http: srv}
}

// agentPeer plays the browser: it speaks the signaling protocol over a
// real WebSocket and bridges audio with a pion PeerConnection that sends
// a 440 Hz G.711 µ-law tone and keeps what it receives.
type agentPeer struct {
	t    *testing.T
	ws   *websocket.Conn
	mu   sync.Mutex
	msgs []Message
	ch   chan struct{}
	pc   *webrtc.PeerConnection
	rx   *pcmRecorder
	stop chan struct{}

	welcome Message
}

func dialAgent(t *testing.T, tp *testPhone, user string) *agentPeer {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(tp.http.URL, "http") + "/phone/ws?user=" + user
	ws, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	a := &agentPeer{t: t, ws: ws, ch: make(chan struct{}, 1), rx: &pcmRecorder{}, stop: make(chan struct{})}
	go a.read()
	t.Cleanup(a.close)
	a.send(Message{Type: "hello", Tab: fmt.Sprint(time.Now().UnixNano()), Available: ptr(true)})
	a.welcome = a.expect("welcome", nil)
	return a
}

func ptr[T any](v T) *T { return &v }

func (a *agentPeer) close() {
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	a.ws.Close(websocket.StatusNormalClosure, "")
	if a.pc != nil {
		a.pc.Close()
	}
}

func (a *agentPeer) read() {
	for {
		_, b, err := a.ws.Read(context.Background())
		if err != nil {
			return
		}
		var m Message
		if json.Unmarshal(b, &m) == nil {
			a.mu.Lock()
			a.msgs = append(a.msgs, m)
			a.mu.Unlock()
			select {
			case a.ch <- struct{}{}:
			default:
			}
		}
	}
}

func (a *agentPeer) send(m Message) {
	a.t.Helper()
	b, _ := json.Marshal(m)
	if err := a.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		a.t.Fatalf("send %s: %v", m.Type, err)
	}
}

// expect waits for the first not yet consumed message of type typ that
// matches pred; earlier messages of other types stay available.
func (a *agentPeer) expect(typ string, pred func(Message) bool) Message {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		a.mu.Lock()
		for i, m := range a.msgs {
			if m.Type == typ && (pred == nil || pred(m)) {
				a.msgs = append(a.msgs[:i:i], a.msgs[i+1:]...)
				a.mu.Unlock()
				return m
			}
		}
		a.mu.Unlock()
		if time.Now().After(deadline) {
			a.mu.Lock()
			all, _ := json.Marshal(a.msgs)
			a.mu.Unlock()
			a.t.Fatalf("no %q message; pending: %s", typ, all)
		}
		select {
		case <-a.ch:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (a *agentPeer) expectState(callID, state string) Message {
	a.t.Helper()
	return a.expect("state", func(m Message) bool { return m.CallID == callID && m.State == state })
}

// offer makes a PeerConnection offering PCMU and telephone-event, sending
// a 440 Hz tone once connected.
func (a *agentPeer) offer() string {
	a.t.Helper()
	if a.pc != nil {
		a.pc.Close()
	}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0}, webrtc.RTPCodecTypeAudio); err != nil {
		a.t.Fatal(err)
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: 126}, webrtc.RTPCodecTypeAudio); err != nil {
		a.t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(0)
	se.LoggerFactory = newPionLoggerFactory(testLogger(a.t))
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		a.t.Fatal(err)
	}
	a.pc = pc
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, "mic", "agent")
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		a.t.Fatal(err)
	}
	rx := &pcmRecorder{}
	a.rx = rx
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			rx.add(p)
		}
	})
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	stop := a.stop
	go func() {
		select {
		case <-connected:
		case <-stop:
			return
		}
		sendTone(track, 440, stop, pc)
	}()
	off, err := pc.CreateOffer(nil)
	if err != nil {
		a.t.Fatal(err)
	}
	g := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(off); err != nil {
		a.t.Fatal(err)
	}
	<-g
	return pc.LocalDescription().SDP
}

func (a *agentPeer) setAnswer(sdp string) {
	a.t.Helper()
	if err := a.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		a.t.Fatalf("answer: %v", err)
	}
}

// sendTone sends 20 ms PCMU packets of a sine at freq until stop closes
// or the PeerConnection closes.
func sendTone(track *webrtc.TrackLocalStaticRTP, freq float64, stop chan struct{}, pc *webrtc.PeerConnection) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	n := 0
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if pc.ConnectionState() == webrtc.PeerConnectionStateClosed {
			return
		}
		payload := make([]byte, 160)
		for i := range payload {
			payload[i] = linearToUlaw(int16(8000 * math.Sin(2*math.Pi*freq*float64(n)/8000)))
			n++
		}
		seq++
		ts += 160
		track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: ts}, Payload: payload})
	}
}

// pcmRecorder keeps received µ-law audio decoded, and the RTP sequence.
type pcmRecorder struct {
	mu      sync.Mutex
	samples []int16
	seqs    []uint16
}

func (r *pcmRecorder) add(p *rtp.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seqs = append(r.seqs, p.SequenceNumber)
	if p.PayloadType != 0 {
		return
	}
	for _, b := range p.Payload {
		r.samples = append(r.samples, ulawToLinear(b))
	}
}

func (r *pcmRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

// last returns the latest n samples.
func (r *pcmRecorder) last(n int) []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples) < n {
		n = len(r.samples)
	}
	return append([]int16(nil), r.samples[len(r.samples)-n:]...)
}

// waitTone waits until the last second of received audio is dominated
// by freq.
func (a *agentPeer) waitTone(freq float64) {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var lvl float64
	for time.Now().Before(deadline) {
		s := a.rx.last(8000)
		if len(s) == 8000 {
			if lvl = toneLevel(s, freq, 8000); lvl > 0.5 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.t.Fatalf("agent did not hear %v Hz (level %.2f, %d samples)", freq, lvl, a.rx.count())
}

// G.711 µ-law (ITU-T G.711), for the test peers.
func linearToUlaw(s int16) byte {
	const bias, clip = 0x84, 32635
	x := int(s)
	sign := 0
	if x < 0 {
		x, sign = -x, 0x80
	}
	if x > clip {
		x = clip
	}
	x += bias
	exp := 7
	for mask := 0x4000; x&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (x >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

func ulawToLinear(u byte) int16 {
	u = ^u
	sign := u & 0x80
	exp := int(u>>4) & 0x07
	mant := int(u & 0x0f)
	x := ((mant << 3) + 0x84) << exp
	x -= 0x84
	if sign != 0 {
		return int16(-x)
	}
	return int16(x)
}
