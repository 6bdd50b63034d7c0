package softphone

import (
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// SRTCP on an SDES-SRTP PBX leg (RFC 3711 §3.4): Kaz binds the RTCP port
// next to the RTP one (RTP ports are even, so no other call of Kaz holds
// it), authenticates and decrypts what the PBX sends there, and sends a
// sender report with its CNAME every few seconds, encrypted with the
// leg's SRTP master key. Plain RTP legs keep no RTCP, as before.

const (
	rtcpFirst = time.Second     // first report, so that a short call has one
	rtcpEvery = 5 * time.Second // RFC 3550's minimum interval
)

// startRTCP binds local port+1 and runs the SRTCP loops until the relay
// closes. Without a free port the leg simply has no RTCP.
func (r *relay) startRTCP() {
	if r.conn == nil || r.srtp == nil {
		return
	}
	la, ok := r.conn.LocalAddr().(*net.UDPAddr)
	if !ok {
		return
	}
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: la.IP, Port: la.Port + 1})
	if err != nil {
		r.log.Debug("no RTCP port for the PBX leg", "port", la.Port+1, "err", err)
		return
	}
	r.rtcpConn.Store(c)
	if r.closed.Load() { // closed meanwhile
		c.Close()
		return
	}
	go r.rtcpRead(c)
	go r.rtcpSend(c)
}

// rtcpRead authenticates what the PBX sends to the RTCP port.
func (r *relay) rtcpRead(c *net.UDPConn) {
	buf := make([]byte, 1500)
	for {
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if _, err := r.srtp.decryptRTCP(buf[:n]); err == nil {
			r.RTCPFromPBX.Add(1)
		}
	}
}

// rtcpSend sends the sender reports until the socket closes.
func (r *relay) rtcpSend(c *net.UDPConn) {
	t := time.NewTimer(rtcpFirst)
	defer t.Stop()
	cname := "kaz-" + c.LocalAddr().String()
	for {
		select {
		case <-r.done:
			return
		case <-t.C:
		}
		t.Reset(rtcpEvery)
		dst := r.remote.Load()
		if dst == nil || !dst.IsValid() || dst.Port() == 0 {
			continue
		}
		r.outMu.Lock()
		ssrc, ts := r.outSSRC, r.lastOut
		r.outMu.Unlock()
		pkts := []rtcp.Packet{
			&rtcp.SenderReport{SSRC: ssrc, NTPTime: ntpTime(time.Now()), RTPTime: ts,
				PacketCount: uint32(r.PktToPBX.Load()), OctetCount: uint32(r.OctToPBX.Load())},
			&rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: ssrc,
				Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: cname}}}}},
		}
		raw, err := rtcp.Marshal(pkts)
		if err != nil {
			continue
		}
		enc, err := r.srtp.encryptRTCP(raw)
		if err != nil {
			continue
		}
		if _, err := c.WriteToUDPAddrPort(enc, netip.AddrPortFrom(dst.Addr(), dst.Port()+1)); err == nil {
			r.RTCPToPBX.Add(1)
		}
	}
}

// ntpTime is t in the 64-bit NTP format of sender reports.
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800 // 1900 → 1970
	s := uint64(t.Unix()) + ntpEpochOffset
	f := uint64(t.Nanosecond()) << 32 / 1e9
	return s<<32 | f
}
