package softphone

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/kazhq/kaz/internal/dtlskeys"
	"golang.org/x/net/ipv4"
)

// The media fast path.
//
// pion carries each browser packet through four goroutine hand-offs (UDP
// mux → ICE candidate → DTLS/SRTP demux → SRTP read stream → track
// reader) and each outgoing one through its interceptor chain; on this
// kind of machine the scheduler wake-ups cost more than the SRTP work
// itself. Once a leg's DTLS handshake is done, Kaz therefore takes the
// SRTP keys of that handshake and handles the leg's RTP itself, on the
// shared ICE-lite socket: the mux reader decrypts a browser packet and
// hands it to the relay in the same goroutine, and the PBX reader
// encrypts and writes toward the browser in its own. STUN, DTLS and RTCP
// still go to pion, which keeps the ICE, DTLS and RTCP state (consent,
// close_notify, reports) exactly as before; a leg whose keys cannot be
// taken stays on pion's path.

// fastPort wraps the shared ICE-lite socket handed to pion's UDP mux:
// RTP from a browser whose leg is on the fast path never reaches pion.
// Two readers (one per core of the target machine) read the socket
// with recvmmsg, so that under load one system call brings many packets
// and one core's worth of relaying is not a ceiling; what is not fast
// RTP is queued for pion's mux.
type fastPort struct {
	*net.UDPConn
	mu   sync.RWMutex
	legs map[netip.AddrPort]*fastLeg

	toPion  chan pionPkt
	readErr atomic.Pointer[error]
}

type pionPkt struct {
	b  []byte
	ap netip.AddrPort
}

const (
	readBatch   = 32
	fastReaders = 2
)

func newFastPort(c *net.UDPConn) *fastPort {
	c.SetReadBuffer(4 << 20) // bursts of many calls; capped by net.core.rmem_max
	c.SetWriteBuffer(4 << 20)
	f := &fastPort{UDPConn: c, legs: map[netip.AddrPort]*fastLeg{}, toPion: make(chan pionPkt, 256)}
	var wg sync.WaitGroup
	for range fastReaders {
		wg.Add(1)
		go func() { defer wg.Done(); f.read() }()
	}
	go func() { wg.Wait(); close(f.toPion) }()
	return f
}

// read runs until the socket closes.
func (f *fastPort) read() {
	pc := ipv4.NewPacketConn(f.UDPConn)
	ms := make([]ipv4.Message, readBatch)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, 1500)}
	}
	for {
		n, err := pc.ReadBatch(ms, 0)
		if err != nil {
			f.readErr.CompareAndSwap(nil, &err)
			return
		}
		for _, m := range ms[:n] {
			ua, ok := m.Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			ap := ua.AddrPort()
			ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
			p := m.Buffers[0][:m.N]
			if isRTP(p) {
				f.mu.RLock()
				l := f.legs[ap]
				f.mu.RUnlock()
				if l != nil {
					l.inbound(p)
					continue
				}
			}
			select {
			case f.toPion <- pionPkt{b: append([]byte(nil), p...), ap: ap}:
			default: // pion is behind: dropped, as a full socket would
			}
		}
	}
}

// isRTP tells RTP from RTCP, STUN and DTLS on a multiplexed port
// (RFC 7983 first byte 128–191, RFC 5761 payload types 64–95 are RTCP).
func isRTP(p []byte) bool {
	return len(p) >= 12 && p[0]>>6 == 2 && (p[1] < 192 || p[1] > 223)
}

// ReadFromAddrPort is what pion's mux reads with: everything but the
// fast legs' RTP.
func (f *fastPort) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	pk, ok := <-f.toPion
	if !ok {
		if e := f.readErr.Load(); e != nil {
			return 0, netip.AddrPort{}, *e
		}
		return 0, netip.AddrPort{}, net.ErrClosed
	}
	return copy(b, pk.b), pk.ap, nil
}

// ReadFrom serves callers that do not know ReadFromAddrPort.
func (f *fastPort) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := f.ReadFromAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

// WriteToAddrPort lets pion's mux write without allocating.
func (f *fastPort) WriteToAddrPort(b []byte, a netip.AddrPort) (int, error) {
	return f.UDPConn.WriteToUDPAddrPort(b, a)
}

func (f *fastPort) add(l *fastLeg) {
	f.mu.Lock()
	f.legs[l.remote] = l
	f.mu.Unlock()
}

func (f *fastPort) remove(l *fastLeg) {
	f.mu.Lock()
	if f.legs[l.remote] == l {
		delete(f.legs, l.remote)
	}
	f.mu.Unlock()
}

// fastLeg is the SRTP state of one browser leg on the fast path.
type fastLeg struct {
	port   *fastPort
	remote netip.AddrPort
	leg    *browserLeg
	onRTP  func(b *browserLeg, pkt []byte)

	rxMu sync.Mutex
	rx   *srtp.Context

	txMu sync.Mutex
	tx   *srtp.Context
	buf  []byte
	ssrc uint32
	pt   uint8
}

func (l *fastLeg) inbound(pkt []byte) {
	l.rxMu.Lock()
	dec, err := l.rx.DecryptRTP(pkt, pkt, nil)
	l.rxMu.Unlock()
	if err != nil {
		return // not authentic, or replayed
	}
	l.onRTP(l.leg, dec)
}

// write sends one RTP packet to the browser under the leg's SSRC and
// payload type; pkt's header is rewritten in place.
func (l *fastLeg) write(pkt []byte) error {
	pkt[1] = pkt[1]&0x80 | l.pt
	l.txMu.Lock()
	defer l.txMu.Unlock()
	pkt[8], pkt[9], pkt[10], pkt[11] = byte(l.ssrc>>24), byte(l.ssrc>>16), byte(l.ssrc>>8), byte(l.ssrc)
	out, err := l.tx.EncryptRTP(l.buf[:0], pkt, nil)
	if err != nil {
		return err
	}
	l.buf = out
	_, err = l.port.UDPConn.WriteToUDPAddrPort(out, l.remote)
	return err
}

// startFast moves leg b to the fast path. It runs in pion's DTLS
// "connected" callback (so the transport's connection is set). client
// says whether Kaz was the DTLS client (a=setup:active in its answer).
// pion holds the transport's lock then: ice and ssrc are taken before.
func (m *mediaEngine) startFast(b *browserLeg, dt *webrtc.DTLSTransport, ice *webrtc.ICETransport, ssrc uint32, client bool, onRTP func(*browserLeg, []byte)) bool {
	if m.fast == nil || ice == nil {
		return false
	}
	conn, ok := dtlskeys.Field[*dtls.Conn](dt, "conn")
	localX, ok1 := dtlskeys.Field[srtp.CryptexMode](dt, "localCryptexMode")
	remoteX, ok2 := dtlskeys.Field[srtp.CryptexMode](dt, "remoteCryptexMode")
	if !ok || !ok1 || !ok2 || conn == nil {
		return false
	}
	prof, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return false
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return false
	}
	cfg := srtp.Config{Profile: srtp.ProtectionProfile(prof)}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, client); err != nil {
		return false
	}
	pair, err := ice.GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Remote == nil {
		return false
	}
	ip, err := netip.ParseAddr(pair.Remote.Address)
	if err != nil {
		return false
	}
	tx, err := srtp.CreateContext(cfg.Keys.LocalMasterKey, cfg.Keys.LocalMasterSalt, cfg.Profile, dtlskeys.CryptexOptions(localX)...)
	if err != nil {
		return false
	}
	rx, err := srtp.CreateContext(cfg.Keys.RemoteMasterKey, cfg.Keys.RemoteMasterSalt, cfg.Profile, dtlskeys.CryptexOptions(remoteX)...)
	if err != nil {
		return false
	}
	l := &fastLeg{port: m.fast, remote: netip.AddrPortFrom(ip.Unmap(), pair.Remote.Port), leg: b, rx: rx, onRTP: onRTP,
		tx: tx, buf: make([]byte, 0, 1500), ssrc: ssrc, pt: b.codec.PT}
	b.fast.Store(l)
	m.fast.add(l)
	return true
}
