package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/kazhq/kaz/softphone"
)

// fakePBX accepts every REGISTER and answers every INVITE with a desk
// phone that streams RTP to the offered address and measures what it gets.
type fakePBX struct {
	addr string
	lat  *latencies
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	rtp  []*net.UDPConn
}

var (
	reConn = regexp.MustCompile(`c=IN IP4 ([0-9.]+)`)
	reM    = regexp.MustCompile(`m=audio ([0-9]+)`)
)

func startPBX(ctx context.Context, lat *latencies) (*fakePBX, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("benchpbx"))
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &fakePBX{addr: conn.LocalAddr().String(), lat: lat, stop: make(chan struct{})}
	ok := func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		if req.Method == sip.REGISTER {
			res.AppendHeader(sip.NewHeader("Expires", "3600"))
		}
		tx.Respond(res)
	}
	srv.OnRegister(ok)
	srv.OnOptions(ok)
	srv.OnBye(ok)
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		if to := req.To(); to != nil {
			if tag, _ := to.Params.Get("tag"); tag != "" { // re-INVITE
				tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
				return
			}
		}
		body := string(req.Body())
		c, m := reConn.FindStringSubmatch(body), reM.FindStringSubmatch(body)
		if c == nil || m == nil {
			tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
		port, _ := strconv.Atoi(m[1])
		dst := &net.UDPAddr{IP: net.ParseIP(c[1]), Port: port}
		rc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil))
			return
		}
		p.mu.Lock()
		p.rtp = append(p.rtp, rc)
		p.mu.Unlock()
		lp := rc.LocalAddr().(*net.UDPAddr).Port
		sdp := fmt.Sprintf("v=0\r\no=desk 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n", lp)
		res := sip.NewSDPResponseFromRequest(req, []byte(sdp))
		res.To().Params.Add("tag", strconv.Itoa(lp))
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "desk", Host: "127.0.0.1", Port: conn.LocalAddr().(*net.UDPAddr).Port}})
		tx.Respond(res)
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			stream(p.stop, func(b []byte) error { _, err := rc.WriteToUDP(b, dst); return err })
		}()
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 1500)
			for {
				n, err := rc.Read(buf)
				if err != nil {
					return
				}
				if n > 20 && buf[1]&0x7f == 0 {
					p.lat.add(buf[12:n])
				}
			}
		}()
	})
	go srv.ServeUDP(conn)
	go func() { <-ctx.Done(); srv.Close(); ua.Close(); conn.Close() }()
	return p, nil
}

func (p *fakePBX) close() {
	close(p.stop)
	p.mu.Lock()
	for _, c := range p.rtp {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// agent is a simulated browser tab.
type agent struct {
	ws *websocket.Conn
	pc *webrtc.PeerConnection
}

func newAgent(ctx context.Context, httpAddr string, i int, lat *latencies, stop chan struct{}) (*agent, time.Duration, error) {
	ws, _, err := websocket.Dial(ctx, "ws://"+httpAddr+"/phone/ws?user="+agentName(i), nil)
	if err != nil {
		return nil, 0, err
	}
	ws.SetReadLimit(1 << 20)
	a := &agent{ws: ws}
	msgs := make(chan softphone.Message, 32)
	go func() {
		defer close(msgs)
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			var m softphone.Message
			if json.Unmarshal(b, &m) == nil {
				msgs <- m
			}
		}
	}()
	send := func(m softphone.Message) error {
		b, _ := json.Marshal(m)
		return ws.Write(ctx, websocket.MessageText, b)
	}
	wait := func(pred func(softphone.Message) bool) (softphone.Message, error) {
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					return m, fmt.Errorf("websocket closed")
				}
				if m.Type == "error" || (m.Type == "state" && m.State == "ended") {
					return m, fmt.Errorf("call failed: %+v", m)
				}
				if pred(m) {
					return m, nil
				}
			case <-ctx.Done():
				return softphone.Message{}, ctx.Err()
			}
		}
	}
	avail := true
	if err := send(softphone.Message{Type: "hello", Tab: strconv.Itoa(i), Available: &avail}); err != nil {
		return nil, 0, err
	}
	if _, err := wait(func(m softphone.Message) bool { return m.Type == "registration" && m.State == "registered" }); err != nil {
		return nil, 0, err
	}

	me := &webrtc.MediaEngine{}
	me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0}, webrtc.RTPCodecTypeAudio)
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(0)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, 0, err
	}
	a.pc = pc
	track, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, "mic", "agent")
	pc.AddTrack(track)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			n, _, err := tr.Read(buf)
			if err != nil {
				return
			}
			var p rtp.Packet
			if p.Unmarshal(buf[:n]) == nil {
				lat.add(p.Payload)
			}
		}
	})
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	go func() {
		select {
		case <-connected:
		case <-stop:
			return
		}
		stream(stop, func(b []byte) error {
			var p rtp.Packet
			if err := p.Unmarshal(b); err != nil {
				return err
			}
			return track.WriteRTP(&p)
		})
	}()
	offer, _ := pc.CreateOffer(nil)
	g := webrtc.GatheringCompletePromise(pc)
	pc.SetLocalDescription(offer)
	<-g
	start := time.Now()
	if err := send(softphone.Message{Type: "dial", Ref: "b", Number: "2000", SDP: pc.LocalDescription().SDP}); err != nil {
		return nil, 0, err
	}
	ans, err := wait(func(m softphone.Message) bool { return m.Type == "answer" })
	if err != nil {
		return nil, 0, err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
		return nil, 0, err
	}
	if _, err := wait(func(m softphone.Message) bool { return m.Type == "state" && m.State == "active" }); err != nil {
		return nil, 0, err
	}
	select {
	case <-connected:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	setup := time.Since(start)
	go func() { // keep draining
		for range msgs {
		}
	}()
	return a, setup, nil
}

func (a *agent) close() {
	a.ws.Close(websocket.StatusNormalClosure, "")
	if a.pc != nil {
		a.pc.Close()
	}
}

// runKaz runs n calls through the bridge child.
func runKaz(n int, window time.Duration) (result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lat := &latencies{}
	pbx, err := startPBX(ctx, lat)
	if err != nil {
		return result{}, err
	}
	cmd, httpAddr, err := child("-role", "bridge", "-pbx", pbx.addr, "-n", strconv.Itoa(n))
	if err != nil {
		return result{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	baseRSS := procRSS(cmd.Process.Pid)
	stop := make(chan struct{})
	var mu sync.Mutex
	var agents []*agent
	var setups []time.Duration
	var firstErr error
	sem := make(chan struct{}, 16) // set calls up 16 at a time
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			cctx, c := context.WithTimeout(ctx, 60*time.Second)
			defer c()
			a, d, err := newAgent(cctx, httpAddr, i, lat, stop)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			agents = append(agents, a)
			setups = append(setups, d)
		}(i)
	}
	wg.Wait()
	if len(agents) == 0 {
		return result{}, fmt.Errorf("no call established: %v", firstErr)
	}
	if firstErr != nil {
		fmt.Printf("  (%d of %d calls failed to set up; first error: %v)\n", n-len(agents), n, firstErr)
	}
	time.Sleep(2 * time.Second)
	lat.on.Store(true)
	c0 := procCPU(cmd.Process.Pid)
	time.Sleep(window)
	cpu := procCPU(cmd.Process.Pid) - c0
	rss := procRSS(cmd.Process.Pid)
	lat.on.Store(false)
	close(stop)
	for _, a := range agents {
		a.close()
	}
	pbx.close()
	sl := &latencies{d: setups}
	up := len(agents)
	return result{calls: n, cpuPerCall: cpu.Seconds() / window.Seconds() / float64(up), rssPerCall: float64(rss-baseRSS) / float64(up),
		p50: lat.pct(0.5), p99: lat.pct(0.99), setupP50: sl.pct(0.5), setupP99: sl.pct(0.99), packets: lat.count(), established: up}, nil
}
