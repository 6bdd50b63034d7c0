package main

import (
	"encoding/binary"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/srtp/v3"
	"golang.org/x/net/ipv4"
)

// The load generator. It must cost far less than what it measures, or
// the 500-call runs measure the generator: two goroutines (agents, desk
// phones) tick every ms and send one packet on every twentieth stream (agents' streams one
// sendto each, since each agent has its own socket toward the bridge;
// desk phones' streams from ONE shared socket with sendmmsg), the desk
// phones' socket is read with recvmmsg, and agents' SRTP is done here
// with pion/srtp contexts keyed from each agent's DTLS handshake instead
// of through a pion PeerConnection's goroutine pipeline.

const (
	pktSize  = 12 + 160 // G.711 20 ms
	batchLen = 64
)

// counters count packets per direction: sends while on (the window),
// receipts while recv (the window and a little after, for packets in
// flight).
type counters struct {
	from, to            atomic.Int64  // window, by send time (UnixNano)
	agentSent, deskRecv atomic.Uint64 // agent → desk
	deskSent, agentRecv atomic.Uint64 // desk → agent
}

// rate is the share of the nominal packet rate (50/s per stream, two
// streams per call) the generator achieved in the window.
func (c *counters) rate(calls int, window time.Duration) float64 {
	return float64(c.agentSent.Load()+c.deskSent.Load()) / (float64(calls) * 2 * 50 * window.Seconds())
}

func (c *counters) fraction() (toDesk, toAgent float64) {
	f := func(r, s uint64) float64 {
		if s == 0 {
			return 0
		}
		return float64(r) / float64(s)
	}
	return f(c.deskRecv.Load(), c.agentSent.Load()), f(c.agentRecv.Load(), c.deskSent.Load())
}

// agentStream is one simulated browser's send side.
type agentStream struct {
	conn *net.UDPConn
	dst  netip.AddrPort
	tx   *srtp.Context // nil: plain RTP (floor)
	ssrc uint32
	seq  uint16
	ts   uint32
	pkt  []byte
	out  []byte
}

// deskStream is one simulated desk phone's send side.
type deskStream struct {
	dst  *net.UDPAddr
	ssrc uint32
	seq  uint16
	ts   uint32
	pkt  []byte
}

type generator struct {
	lat  *latencies
	cnt  *counters
	desk *net.UDPConn // shared by every desk phone
	mu   sync.Mutex
	as   []*agentStream
	ds   []*deskStream
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func newGenerator(lat *latencies, cnt *counters) (*generator, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	c.SetReadBuffer(4 << 20)
	c.SetWriteBuffer(4 << 20)
	g := &generator{lat: lat, cnt: cnt, desk: c, stop: make(chan struct{})}
	g.wg.Add(3)
	go g.paced(g.sendAgents)
	go g.paced(g.deskSender())
	go g.readDesk()
	return g, nil
}

func (g *generator) deskPort() int { return g.desk.LocalAddr().(*net.UDPAddr).Port }

func newRTP(ssrc uint32) []byte {
	p := make([]byte, pktSize)
	p[0] = 0x80
	binary.BigEndian.PutUint32(p[8:], ssrc)
	for i := 20; i < len(p); i++ {
		p[i] = 0xff
	}
	return p
}

func (g *generator) addAgent(conn *net.UDPConn, dst netip.AddrPort, tx *srtp.Context, ssrc uint32) {
	conn.SetReadBuffer(1 << 20)
	a := &agentStream{conn: conn, dst: dst, tx: tx, ssrc: ssrc, pkt: newRTP(ssrc), out: make([]byte, 0, 1500)}
	g.mu.Lock()
	g.as = append(g.as, a)
	g.mu.Unlock()
}

func (g *generator) addDesk(dst *net.UDPAddr) {
	ssrc := uint32(time.Now().UnixNano())
	d := &deskStream{dst: dst, ssrc: ssrc, pkt: newRTP(ssrc)}
	g.mu.Lock()
	g.ds = append(g.ds, d)
	g.mu.Unlock()
}

func (g *generator) close() {
	g.once.Do(func() {
		close(g.stop)
		g.desk.Close()
		g.wg.Wait()
	})
}

// paced calls send(slot) for slot 0..19 in turn, one slot per ms: each
// stream (in slot i%20) sends every 20 ms, and calls are not in phase
// with each other. A late tick is caught up, so every stream keeps its
// 50 packets/s.
func (g *generator) paced(send func(slot int)) {
	defer g.wg.Done()
	const slots = 20
	t := time.NewTicker(20 * time.Millisecond / slots)
	defer t.Stop()
	start, done := time.Now(), 0
	for {
		if done >= int(time.Since(start)/(20*time.Millisecond/slots)) {
			select {
			case <-g.stop:
				return
			case <-t.C:
			}
			continue
		}
		send(done % slots)
		done++
	}
}

// sendAgents sends the agents' packets of one slot, one sendto each.
func (g *generator) sendAgents(slot int) {
	g.mu.Lock()
	as := g.as
	g.mu.Unlock()
	for i := slot; i < len(as); i += 20 {
		a := as[i]
		a.seq++
		a.ts += 160
		binary.BigEndian.PutUint16(a.pkt[2:], a.seq)
		binary.BigEndian.PutUint32(a.pkt[4:], a.ts)
		now := time.Now().UnixNano()
		binary.BigEndian.PutUint64(a.pkt[12:], uint64(now))
		out := a.pkt
		if a.tx != nil {
			var err error
			if out, err = a.tx.EncryptRTP(a.out[:0], a.pkt, nil); err != nil {
				continue
			}
			a.out = out
		}
		if _, err := a.conn.WriteToUDPAddrPort(out, a.dst); err == nil && g.cnt.in(now) {
			g.cnt.agentSent.Add(1)
		}
	}
}

// deskSender returns the sender of the desk phones' packets of one slot,
// from the shared socket with sendmmsg.
func (g *generator) deskSender() func(slot int) {
	pc := ipv4.NewPacketConn(g.desk)
	ms := make([]ipv4.Message, batchLen)
	for i := range ms {
		ms[i].Buffers = make([][]byte, 1)
	}
	var ds []*deskStream
	return func(slot int) {
		g.mu.Lock()
		all := g.ds
		g.mu.Unlock()
		ds = ds[:0]
		for i := slot; i < len(all); i += 20 {
			ds = append(ds, all[i])
		}
		for len(ds) > 0 {
			n := min(len(ds), batchLen)
			now := time.Now().UnixNano()
			for i, d := range ds[:n] {
				d.seq++
				d.ts += 160
				binary.BigEndian.PutUint16(d.pkt[2:], d.seq)
				binary.BigEndian.PutUint32(d.pkt[4:], d.ts)
				binary.BigEndian.PutUint64(d.pkt[12:], uint64(now))
				ms[i].Buffers[0] = d.pkt
				ms[i].Addr = d.dst
			}
			sent := 0
			for sent < n {
				k, err := pc.WriteBatch(ms[sent:n], 0)
				if err != nil {
					break
				}
				sent += k
			}
			if g.cnt.in(now) {
				g.cnt.deskSent.Add(uint64(sent))
			}
			ds = ds[n:]
		}
	}
}

// readDesk reads what reaches the desk phones.
func (g *generator) readDesk() {
	defer g.wg.Done()
	pc := ipv4.NewPacketConn(g.desk)
	ms := make([]ipv4.Message, batchLen)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, 1500)}
	}
	for {
		n, err := pc.ReadBatch(ms, 0)
		if err != nil {
			return
		}
		for _, m := range ms[:n] {
			b := m.Buffers[0][:m.N]
			if len(b) > 20 && b[1]&0x7f == 0 {
				p := b[rtpHeaderLen(b):]
				if len(p) >= 8 && g.cnt.in(sentAt(p)) {
					g.cnt.deskRecv.Add(1)
				}
				g.lat.add(p)
			}
		}
	}
}

// agentReceived records one RTP packet (decrypted) reaching an agent.
func (g *generator) agentReceived(b []byte) {
	if len(b) <= 20 {
		return
	}
	p := b[rtpHeaderLen(b):]
	if len(p) >= 8 && g.cnt.in(sentAt(p)) {
		g.cnt.agentRecv.Add(1)
	}
	g.lat.add(p)
}

func rtpHeaderLen(b []byte) int {
	n := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 && len(b) >= n+4 {
		n += 4 + 4*int(binary.BigEndian.Uint16(b[n+2:]))
	}
	return min(n, len(b))
}

func (c *counters) start() { c.to.Store(math.MaxInt64); c.from.Store(time.Now().UnixNano()) }

// stop ends the window and leaves 300 ms for packets in flight.
func (c *counters) stop() {
	c.to.Store(time.Now().UnixNano())
	time.Sleep(300 * time.Millisecond)
}

// in says whether a packet sent at t (UnixNano) belongs to the window.
func (c *counters) in(t int64) bool {
	f := c.from.Load()
	return f != 0 && t >= f && t < c.to.Load()
}

func sentAt(payload []byte) int64 { return int64(binary.BigEndian.Uint64(payload)) }
