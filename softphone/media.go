package softphone

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// mediaEngine holds what every browser leg shares: the ONE UDP port
// (ICE-lite over a UDP mux) and the settings.
type mediaEngine struct {
	se      webrtc.SettingEngine
	mux     net.PacketConn
	fast    *fastPort // the same socket, seen by pion's mux
	log     *slog.Logger
	rtpMin  int
	rtpMax  int
	rtpNext atomic.Int64
	rtpHost string // bind address of the PBX leg
	rtpIP   netip.Addr
}

func newMediaEngine(cfg Config, log *slog.Logger) (*mediaEngine, error) {
	laddr := net.JoinHostPort(cfg.WebRTCListen, fmt.Sprint(cfg.WebRTCPort))
	conn, err := net.ListenPacket("udp4", laddr)
	if err != nil {
		return nil, fmt.Errorf("softphone: webrtc port %s: %w", laddr, err)
	}
	lf := newPionLoggerFactory(log)
	var se webrtc.SettingEngine
	se.LoggerFactory = lf
	se.SetLite(true)
	fast := newFastPort(conn.(*net.UDPConn))
	se.SetICEUDPMux(webrtc.NewICEUDPMux(lf.NewLogger("ice"), fast))
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetNAT1To1IPs([]string{cfg.AnnounceWebRTC}, webrtc.ICECandidateTypeHost)
	se.SetICEMulticastDNSMode(0) // ice.MulticastDNSModeDisabled
	se.DisableMediaEngineCopy(true)
	ip, err := netip.ParseAddr(cfg.AnnounceSIP)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("softphone: announce_sip must be an IP address for SDP: %w", err)
	}
	host, _ := splitHostPort(cfg.SIPListen)
	m := &mediaEngine{se: se, mux: conn, fast: fast, log: log, rtpMin: cfg.RTPPortMin &^ 1, rtpMax: cfg.RTPPortMax, rtpHost: host, rtpIP: ip}
	m.rtpNext.Store(int64(m.rtpMin + 2*rand.IntN(max(1, (m.rtpMax-m.rtpMin)/2))))
	return m, nil
}

// WebRTCAddr is the UDP address browsers' media reaches.
func (m *mediaEngine) addr() net.Addr { return m.mux.LocalAddr() }

func (m *mediaEngine) close() error { return m.mux.Close() }

// listenRTP binds an even port of the RTP range.
func (m *mediaEngine) listenRTP() (*net.UDPConn, error) {
	n := (m.rtpMax - m.rtpMin) / 2
	if n <= 0 {
		n = 1
	}
	for i := 0; i < n; i++ {
		p := m.rtpNext.Add(2) - 2
		if int(p) > m.rtpMax-1 || p < int64(m.rtpMin) {
			m.rtpNext.Store(int64(m.rtpMin + 2))
			p = int64(m.rtpMin)
		}
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(m.rtpHost), Port: int(p)})
		if err == nil {
			return c, nil
		}
	}
	return nil, errors.New("softphone: no free RTP port in the configured range")
}

func mimeOf(c codec) string {
	switch c.Name {
	case "OPUS":
		return webrtc.MimeTypeOpus
	case "G722":
		return webrtc.MimeTypeG722
	case "PCMA":
		return webrtc.MimeTypePCMA
	default:
		return webrtc.MimeTypePCMU
	}
}

// browserLeg is one PeerConnection to a tab: DTLS-SRTP over ICE-lite.
type browserLeg struct {
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP
	codec codec // with the browser's payload type
	te    int   // browser's telephone-event PT, -1 when absent
	done  chan struct{}
	once  sync.Once
	// dtlsGone is set when the browser closed DTLS (close_notify) or it
	// failed: the leg cannot come back by itself.
	dtlsGone atomic.Bool
	// fast is set once the leg's RTP bypasses pion (see fastpath.go).
	fast atomic.Pointer[fastLeg]
}

// writeRTP sends one RTP packet to the browser (header rewritten in
// place on the fast path).
func (b *browserLeg) writeRTP(pkt []byte) error {
	if l := b.fast.Load(); l != nil {
		return l.write(pkt)
	}
	_, err := b.track.Write(pkt)
	return err
}

// leaveFast takes the leg off the fast path (closed, or DTLS gone).
func (b *browserLeg) leaveFast() {
	if l := b.fast.Load(); l != nil {
		l.port.remove(l)
	}
}

func (b *browserLeg) closedHere() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

func (b *browserLeg) close() {
	b.once.Do(func() {
		close(b.done)
		b.leaveFast()
		b.pc.Close()
	})
}

// newBrowserLeg answers the browser's offer with exactly codec c (matched
// by name and rate in the offer). onRTP receives every RTP packet the
// browser sends (raw bytes, valid only during the call). onState (may be
// nil) learns when the browser's connection goes down (ICE disconnected or
// failed, DTLS closed or failed) and when it comes back up, except when
// Kaz closed the leg itself.
func (m *mediaEngine) newBrowserLeg(offer string, offered mediaDesc, c codec, onRTP func(b *browserLeg, pkt []byte), onState func(b *browserLeg, up bool)) (*browserLeg, string, error) {
	var bc codec
	found := false
	for _, o := range offered.Codecs {
		if o.same(c) {
			bc, found = o, true
			break
		}
	}
	if !found {
		return nil, "", errNoCodec
	}
	me := &webrtc.MediaEngine{}
	ch := uint16(bc.Channels)
	if bc.Name == "OPUS" {
		ch = 2
	}
	cap := webrtc.RTPCodecCapability{MimeType: mimeOf(bc), ClockRate: uint32(bc.Rate), Channels: ch, SDPFmtpLine: bc.Fmtp}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: cap, PayloadType: webrtc.PayloadType(bc.PT)}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, "", err
	}
	te := -1
	if offered.TelEvent >= 0 {
		te = offered.TelEvent
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: webrtc.PayloadType(te)}, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, "", err
		}
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(m.se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", err
	}
	b := &browserLeg{pc: pc, codec: bc, te: te, done: make(chan struct{})}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() != webrtc.RTPCodecTypeAudio {
			return
		}
		go func() {
			buf := make([]byte, 1500)
			for {
				n, _, err := tr.Read(buf)
				if err != nil {
					return
				}
				onRTP(b, buf[:n])
			}
		}()
	})
	if onState != nil {
		pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
			if b.closedHere() {
				return
			}
			switch s {
			case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateDisconnected:
				onState(b, false)
			case webrtc.PeerConnectionStateConnected:
				if !b.dtlsGone.Load() {
					onState(b, true)
				}
			}
		})
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		pc.Close()
		return nil, "", fmt.Errorf("%w: %v", errBadSDP, err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(cap, "audio", "kaz")
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	b.track = track
	fastOK := true
	var dtlsClient atomic.Bool
	dt := sender.Transport()
	ice := dt.ICETransport()
	var ssrc uint32
	if enc := sender.GetParameters().Encodings; len(enc) > 0 {
		ssrc = uint32(enc[0].SSRC)
	} else {
		fastOK = false
	}
	dt.OnStateChange(func(s webrtc.DTLSTransportState) {
		switch s {
		case webrtc.DTLSTransportStateConnected:
			if fastOK && !b.closedHere() && !m.startFast(b, dt, ice, ssrc, dtlsClient.Load(), onRTP) {
				m.log.Debug("media fast path unavailable, pion carries the leg")
			}
		case webrtc.DTLSTransportStateClosed, webrtc.DTLSTransportStateFailed:
			// A browser closing its PeerConnection sends a DTLS
			// close_notify while ICE still looks connected: that is a
			// drop too.
			b.leaveFast()
			if onState != nil && !b.closedHere() {
				b.dtlsGone.Store(true)
				onState(b, false)
			}
		}
	})
	go func() { // drain RTCP so the interceptors do not block
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		pc.Close()
		return nil, "", fmt.Errorf("%w: %v", errBadSDP, err)
	}
	dtlsClient.Store(strings.Contains(ans.SDP, "a=setup:active"))
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		pc.Close()
		return nil, "", err
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	}
	return b, pc.LocalDescription().SDP, nil
}

var (
	errNoCodec  = errors.New("softphone: no codec in common")
	errBadSDP   = errors.New("softphone: invalid SDP")
	errNoCrypto = errors.New("softphone: no usable SDES-SRTP key from the PBX (AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM or AES_CM_128_HMAC_SHA1_32)")
)

// relay bridges one browser leg to one PBX RTP leg, rewriting payload
// types, sequence numbers and timestamps so that each side sees one
// continuous stream whatever happens (hold, DTMF injection, a tab
// resuming the call).
type relay struct {
	log     *slog.Logger
	conn    *net.UDPConn // nil for the echo test
	remote  atomic.Pointer[netip.AddrPort]
	pbx     codec // PBX payload type for the chosen codec
	pbxTE   int
	browser atomic.Pointer[browserLeg]
	hold    atomic.Bool
	onDTMF  func(digit string)
	srtp    *srtpKeys // SDES-SRTP on the PBX leg; nil for plain RTP
	encBuf  []byte    // guarded by srtp.txMu

	// toward the PBX
	outMu    sync.Mutex
	outSeq   uint16
	outSSRC  uint32
	outTSOff uint32
	lastIn   uint32 // last browser timestamp seen
	haveIn   bool
	lastOut  uint32 // last timestamp sent
	dtmfBusy bool

	// toward the browser
	brSeq     atomic.Uint32
	lastEvTS  uint32
	lastEvSet bool

	PktToPBX, PktFromPBX atomic.Uint64
	OctToPBX             atomic.Uint64 // payload octets, for sender reports
	// RTCP port of an SRTP leg (rtcp.go); nil without one.
	rtcpConn               atomic.Pointer[net.UDPConn]
	RTCPToPBX, RTCPFromPBX atomic.Uint64
	closed                 atomic.Bool
	done                   chan struct{} // closed by close
	closeOnce              sync.Once
}

func newRelay(conn *net.UDPConn, pbx codec, pbxTE int, log *slog.Logger) *relay {
	r := &relay{log: log, conn: conn, pbx: pbx, pbxTE: pbxTE, outSeq: uint16(rand.Uint32()), outSSRC: rand.Uint32(), outTSOff: rand.Uint32(),
		done: make(chan struct{})}
	r.brSeq.Store(uint32(rand.Uint32() & 0xffff))
	return r
}

func (r *relay) setRemote(a netip.AddrPort) { r.remote.Store(&a) }

// fromBrowser handles one RTP packet from the browser.
func (r *relay) fromBrowser(b *browserLeg, pkt []byte) {
	if r.browser.Load() != b || len(pkt) < 12 {
		return
	}
	if r.conn == nil { // echo test: straight back
		b.writeRTP(pkt)
		return
	}
	if r.hold.Load() {
		return
	}
	dst := r.remote.Load()
	if dst == nil || !dst.IsValid() || dst.Port() == 0 {
		return
	}
	pt := int(pkt[1] & 0x7f)
	r.outMu.Lock()
	ts := binary.BigEndian.Uint32(pkt[4:8])
	r.lastIn, r.haveIn = ts, true
	switch {
	case pt == int(b.codec.PT):
		if r.dtmfBusy {
			r.outMu.Unlock()
			return
		}
		pkt[1] = pkt[1]&0x80 | r.pbx.PT
	case pt == b.te && b.te >= 0 && r.pbxTE >= 0:
		// RFC 4733 events from the browser's RTCDTMFSender.
		pkt[1] = pkt[1]&0x80 | uint8(r.pbxTE)
	default:
		r.outMu.Unlock()
		return
	}
	r.outSeq++
	out := ts + r.outTSOff
	r.lastOut = out
	binary.BigEndian.PutUint16(pkt[2:4], r.outSeq)
	binary.BigEndian.PutUint32(pkt[4:8], out)
	binary.BigEndian.PutUint32(pkt[8:12], r.outSSRC)
	r.outMu.Unlock()
	if r.writePBX(pkt, *dst) == nil {
		r.PktToPBX.Add(1)
		r.OctToPBX.Add(uint64(len(pkt) - 12))
	}
}

// writePBX sends one RTP packet to the PBX, SRTP-protected when the leg
// negotiated SDES.
func (r *relay) writePBX(pkt []byte, dst netip.AddrPort) error {
	if r.srtp == nil {
		_, err := r.conn.WriteToUDPAddrPort(pkt, dst)
		return err
	}
	k := r.srtp
	k.txMu.Lock()
	defer k.txMu.Unlock()
	out, err := k.tx.EncryptRTP(r.encBuf[:0], pkt, nil)
	if err != nil {
		return err
	}
	r.encBuf = out
	_, err = r.conn.WriteToUDPAddrPort(out, dst)
	return err
}

// sendDTMF injects one RFC 4733 event toward the PBX (≈100 ms tone).
func (r *relay) sendDTMF(digit string) error {
	ev := dtmfEvent(digit[0])
	if ev < 0 {
		return errors.New("bad digit")
	}
	if r.conn == nil || r.pbxTE < 0 {
		return errors.New("the PBX did not negotiate telephone-event")
	}
	dst := r.remote.Load()
	if dst == nil {
		return errors.New("no media yet")
	}
	r.outMu.Lock()
	if r.dtmfBusy {
		r.outMu.Unlock()
		return errors.New("busy")
	}
	r.dtmfBusy = true
	step := uint32(r.pbx.Rate / 50)
	if r.pbx.Name == "G722" {
		step = 160
	}
	evTS := r.lastOut + step
	r.outMu.Unlock()
	defer func() {
		r.outMu.Lock()
		r.dtmfBusy = false
		// Later audio must not go back in time relative to the event.
		if r.haveIn {
			want := evTS + 8*step
			if d := want - (r.lastIn + r.outTSOff); int32(d) > 0 {
				r.outTSOff += d
			}
		}
		r.outMu.Unlock()
	}()
	pkt := make([]byte, 16)
	for i := 0; i < 8; i++ {
		end := i >= 5
		dur := uint16((i + 1) * int(step))
		if end {
			dur = uint16(6 * int(step))
		}
		r.outMu.Lock()
		r.outSeq++
		pkt[0] = 0x80
		pkt[1] = uint8(r.pbxTE)
		if i == 0 {
			pkt[1] |= 0x80 // marker on the first packet of an event
		}
		binary.BigEndian.PutUint16(pkt[2:4], r.outSeq)
		binary.BigEndian.PutUint32(pkt[4:8], evTS)
		binary.BigEndian.PutUint32(pkt[8:12], r.outSSRC)
		r.outMu.Unlock()
		pkt[12] = byte(ev)
		pkt[13] = 10 // volume -10 dBm0
		if end {
			pkt[13] |= 0x80
		}
		binary.BigEndian.PutUint16(pkt[14:16], dur)
		if r.closed.Load() {
			return nil
		}
		r.writePBX(pkt, *dst)
		if i < 5 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// pbxLoop reads the PBX leg until the socket closes.
func (r *relay) pbxLoop() {
	buf := make([]byte, 1500)
	for {
		n, _, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if n < 12 || buf[0]>>6 != 2 {
			continue
		}
		if r.srtp != nil {
			dec, err := r.srtp.decrypt(buf[:n])
			if err != nil {
				continue // unauthenticated or replayed: dropped
			}
			n = len(dec)
		}
		r.PktFromPBX.Add(1)
		pt := int(buf[1] & 0x7f)
		if pt == r.pbxTE && r.pbxTE >= 0 {
			r.pbxEvent(buf[:n])
			continue
		}
		if pt != int(r.pbx.PT) || r.hold.Load() {
			continue
		}
		b := r.browser.Load()
		if b == nil {
			continue
		}
		seq := uint16(r.brSeq.Add(1))
		binary.BigEndian.PutUint16(buf[2:4], seq)
		b.writeRTP(buf[:n])
	}
}

func (r *relay) pbxEvent(pkt []byte) {
	hl := 12 + 4*int(pkt[0]&0x0f)
	if len(pkt) < hl+4 {
		return
	}
	ts := binary.BigEndian.Uint32(pkt[4:8])
	end := pkt[hl+1]&0x80 != 0
	if !end || (r.lastEvSet && r.lastEvTS == ts) {
		return
	}
	r.lastEvTS, r.lastEvSet = ts, true
	if d := dtmfDigit(int(pkt[hl])); d != "" && r.onDTMF != nil {
		r.onDTMF(d)
	}
}

func (r *relay) close() {
	r.closed.Store(true)
	r.closeOnce.Do(func() { close(r.done) })
	if r.conn != nil {
		r.conn.Close()
	}
	if c := r.rtcpConn.Load(); c != nil {
		c.Close()
	}
	if b := r.browser.Load(); b != nil {
		b.close()
	}
}

func codecNames(cs []codec) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.String())
	}
	return strings.Join(s, ", ")
}
