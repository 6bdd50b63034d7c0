package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"regexp"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/kazhq/kaz/internal/dtlskeys"
	"github.com/kazhq/kaz/softphone"
)

// fakePBX accepts every REGISTER and answers every INVITE with a desk
// phone of the generator: all desk phones share one RTP socket.
type fakePBX struct {
	addr string
}

var (
	reConn = regexp.MustCompile(`c=IN IP4 ([0-9.]+)`)
	reM    = regexp.MustCompile(`m=audio ([0-9]+)`)
)

func startPBX(ctx context.Context, gen *generator) (*fakePBX, error) {
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
	p := &fakePBX{addr: conn.LocalAddr().String()}
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
	var calls atomic.Int64
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
		sdp := fmt.Sprintf("v=0\r\no=desk 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n", gen.deskPort())
		res := sip.NewSDPResponseFromRequest(req, []byte(sdp))
		res.To().Params.Add("tag", strconv.FormatInt(calls.Add(1), 10))
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "desk", Host: "127.0.0.1", Port: conn.LocalAddr().(*net.UDPAddr).Port}})
		tx.Respond(res)
		gen.addDesk(&net.UDPAddr{IP: net.ParseIP(c[1]), Port: port})
	})
	go srv.ServeUDP(conn)
	go func() { <-ctx.Done(); srv.Close(); ua.Close(); conn.Close() }()
	return p, nil
}

// agentPort is a simulated browser's UDP socket as pion's ICE mux sees
// it: once the agent's SRTP keys are known, RTP from the bridge is
// decrypted and recorded here and never reaches pion.
type agentPort struct {
	*net.UDPConn
	gen *generator
	rx  atomic.Pointer[srtp.Context]
}

func (a *agentPort) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	for {
		n, ap, err := a.UDPConn.ReadFromUDPAddrPort(b)
		if err != nil {
			return n, ap, err
		}
		if rx := a.rx.Load(); rx != nil && n >= 12 && b[0]>>6 == 2 && (b[1] < 192 || b[1] > 223) {
			if dec, err := rx.DecryptRTP(b[:n], b[:n], nil); err == nil {
				a.gen.agentReceived(dec)
			}
			continue
		}
		return n, ap, nil
	}
}

func (a *agentPort) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := a.ReadFromAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

func (a *agentPort) WriteToAddrPort(b []byte, ap netip.AddrPort) (int, error) {
	return a.UDPConn.WriteToUDPAddrPort(b, ap)
}

// agentKeys builds the agent's SRTP contexts; it runs in pion's DTLS
// "connected" callback.
func agentKeys(dt *webrtc.DTLSTransport, client bool) (tx, rx *srtp.Context, err error) {
	conn, ok := dtlskeys.Field[*dtls.Conn](dt, "conn")
	lx, ok1 := dtlskeys.Field[srtp.CryptexMode](dt, "localCryptexMode")
	rxm, ok2 := dtlskeys.Field[srtp.CryptexMode](dt, "remoteCryptexMode")
	if !ok || !ok1 || !ok2 || conn == nil {
		return nil, nil, errors.New("pion's DTLS transport changed")
	}
	prof, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return nil, nil, errors.New("no SRTP profile")
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return nil, nil, errors.New("no DTLS state")
	}
	cfg := srtp.Config{Profile: srtp.ProtectionProfile(prof)}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, client); err != nil {
		return nil, nil, err
	}
	if tx, err = srtp.CreateContext(cfg.Keys.LocalMasterKey, cfg.Keys.LocalMasterSalt, cfg.Profile, dtlskeys.CryptexOptions(lx)...); err != nil {
		return nil, nil, err
	}
	rx, err = srtp.CreateContext(cfg.Keys.RemoteMasterKey, cfg.Keys.RemoteMasterSalt, cfg.Profile, dtlskeys.CryptexOptions(rxm)...)
	return tx, rx, err
}

// agent is a simulated browser tab: a pion peer for signaling, ICE and
// DTLS; its media is sent by the generator and read by its agentPort.
type agent struct {
	ws   *websocket.Conn
	pc   *webrtc.PeerConnection
	port *agentPort
}

func newAgent(ctx context.Context, httpAddr string, i int, gen *generator) (*agent, time.Duration, error) {
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

	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, 0, err
	}
	a.port = &agentPort{UDPConn: udp, gen: gen}
	me := &webrtc.MediaEngine{}
	me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0}, webrtc.RTPCodecTypeAudio)
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEUDPMux(webrtc.NewICEUDPMux(nil, a.port))
	se.SetICEMulticastDNSMode(0)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		udp.Close()
		return nil, 0, err
	}
	a.pc = pc
	track, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, "mic", "agent")
	sender, err := pc.AddTrack(track)
	if err != nil {
		return nil, 0, err
	}
	var ssrc uint32
	if enc := sender.GetParameters().Encodings; len(enc) > 0 {
		ssrc = uint32(enc[0].SSRC)
	}
	dt := sender.Transport()
	ice := dt.ICETransport()
	var client atomic.Bool
	keyed := make(chan error, 1)
	dt.OnStateChange(func(s webrtc.DTLSTransportState) {
		if s != webrtc.DTLSTransportStateConnected {
			return
		}
		tx, rx, err := agentKeys(dt, client.Load())
		if err == nil {
			var pair *webrtc.ICECandidatePair
			if pair, err = ice.GetSelectedCandidatePair(); err == nil && pair != nil {
				a.port.rx.Store(rx)
				gen.addAgent(udp, netip.AddrPortFrom(netip.MustParseAddr(pair.Remote.Address), pair.Remote.Port), tx, ssrc)
			} else if err == nil {
				err = errors.New("no selected ICE pair")
			}
		}
		keyed <- err
	})
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
	client.Store(strings.Contains(ans.SDP, "a=setup:passive"))
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
		return nil, 0, err
	}
	if _, err := wait(func(m softphone.Message) bool { return m.Type == "state" && m.State == "active" }); err != nil {
		return nil, 0, err
	}
	select {
	case err := <-keyed:
		if err != nil {
			return nil, 0, err
		}
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
	cnt := &counters{}
	gen, err := newGenerator(lat, cnt)
	if err != nil {
		return result{}, err
	}
	defer gen.close()
	pbx, err := startPBX(ctx, gen)
	if err != nil {
		return result{}, err
	}
	cmd, httpAddr, err := child("-role", "bridge", "-pbx", pbx.addr, "-n", strconv.Itoa(n))
	if err != nil {
		return result{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	baseRSS := procRSS(cmd.Process.Pid)
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
			a, d, err := newAgent(cctx, httpAddr, i, gen)
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
	cnt.start()
	c0, g0 := procCPU(cmd.Process.Pid), procCPU(os.Getpid())
	if *profileOut != "" {
		go saveProfile(httpAddr, window, fmt.Sprintf("%s.%d", *profileOut, n))
		if f, err := os.Create(fmt.Sprintf("%s.gen.%d", *profileOut, n)); err == nil {
			pprof.StartCPUProfile(f)
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	time.Sleep(window)
	cpu, gcpu := procCPU(cmd.Process.Pid)-c0, procCPU(os.Getpid())-g0
	rss := procRSS(cmd.Process.Pid)
	lat.on.Store(false)
	cnt.stop()
	toDesk, toAgent := cnt.fraction()
	rate := cnt.rate(n, window)
	gen.close()
	for _, a := range agents {
		a.close()
	}
	sl := &latencies{d: setups}
	up := len(agents)
	return result{calls: n, toDesk: toDesk, toAgent: toAgent, rate: rate, genCPU: gcpu.Seconds() / window.Seconds(), cpuPerCall: cpu.Seconds() / window.Seconds() / float64(up), rssPerCall: float64(rss-baseRSS) / float64(up),
		p50: lat.pct(0.5), p99: lat.pct(0.99), setupP50: sl.pct(0.5), setupP99: sl.pct(0.99), packets: lat.count(), established: up}, nil
}

// saveProfile fetches a CPU profile of the bridge child over the window.
func saveProfile(httpAddr string, window time.Duration, path string) {
	res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", httpAddr, int(window.Seconds())-1))
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer f.Close()
	io.Copy(f, res.Body)
}
