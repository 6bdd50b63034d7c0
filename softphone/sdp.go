package softphone

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// codec is one RTP audio format of an m= line.
type codec struct {
	Name     string // upper-case encoding name: PCMU, PCMA, G722, OPUS
	Rate     int    // RTP clock rate
	Channels int
	PT       uint8
	Fmtp     string
}

func (c codec) String() string { return fmt.Sprintf("%s/%d", c.Name, c.Rate) }

func (c codec) same(o codec) bool { return c.Name == o.Name && c.Rate == o.Rate }

// bridgeable lists the codecs relayed without transcoding, in Kaz's
// preference order when nothing else decides.
var bridgeable = []codec{
	{Name: "OPUS", Rate: 48000, Channels: 2, PT: 111, Fmtp: "minptime=10;useinbandfec=1"},
	{Name: "G722", Rate: 8000, Channels: 1, PT: 9},
	{Name: "PCMA", Rate: 8000, Channels: 1, PT: 8},
	{Name: "PCMU", Rate: 8000, Channels: 1, PT: 0},
}

func isBridgeable(c codec) bool {
	for _, b := range bridgeable {
		if b.same(c) {
			return true
		}
	}
	return false
}

// staticPT are the RFC 3551 static payload types that may come without
// an rtpmap line.
var staticPT = map[uint8]codec{
	0: {Name: "PCMU", Rate: 8000, Channels: 1},
	8: {Name: "PCMA", Rate: 8000, Channels: 1},
	9: {Name: "G722", Rate: 8000, Channels: 1},
}

// mediaDesc is what Kaz needs from an SDP audio section.
type mediaDesc struct {
	Addr      netip.AddrPort
	Codecs    []codec // audio codecs in offer order (telephone-event excluded)
	TelEvent  int     // telephone-event payload type (8 kHz), -1 when absent
	Direction string  // sendrecv, sendonly, recvonly, inactive
	Proto     string  // RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF…
	Crypto    []string
}

// parseSDP reads the first audio section of an SDP body.
func parseSDP(body []byte) (mediaDesc, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return mediaDesc{}, fmt.Errorf("sdp: %w", err)
	}
	var md *sdp.MediaDescription
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "audio" {
			md = m
			break
		}
	}
	if md == nil {
		return mediaDesc{}, errors.New("sdp: no audio section")
	}
	out := mediaDesc{TelEvent: -1, Direction: "sendrecv", Proto: strings.Join(md.MediaName.Protos, "/")}
	conn := sd.ConnectionInformation
	if md.ConnectionInformation != nil {
		conn = md.ConnectionInformation
	}
	if conn != nil && conn.Address != nil {
		if ip, err := netip.ParseAddr(conn.Address.Address); err == nil {
			out.Addr = netip.AddrPortFrom(ip, uint16(md.MediaName.Port.Value))
		}
	}
	if md.MediaName.Port.Value < 0 || md.MediaName.Port.Value > 65535 {
		return mediaDesc{}, errors.New("sdp: bad port")
	}
	rtpmap := map[uint8]codec{}
	fmtp := map[uint8]string{}
	for _, a := range append(append([]sdp.Attribute{}, sd.Attributes...), md.Attributes...) {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			out.Direction = a.Key
		case "crypto":
			out.Crypto = append(out.Crypto, a.Value)
		case "rtpmap":
			pt, rest, ok := strings.Cut(a.Value, " ")
			n, err := strconv.Atoi(pt)
			if !ok || err != nil || n < 0 || n > 127 {
				continue
			}
			parts := strings.Split(rest, "/")
			c := codec{Name: strings.ToUpper(strings.TrimSpace(parts[0])), PT: uint8(n), Channels: 1}
			if len(parts) > 1 {
				c.Rate, _ = strconv.Atoi(parts[1])
			}
			if len(parts) > 2 {
				c.Channels, _ = strconv.Atoi(parts[2])
			}
			rtpmap[uint8(n)] = c
		case "fmtp":
			pt, rest, ok := strings.Cut(a.Value, " ")
			if n, err := strconv.Atoi(pt); ok && err == nil && n >= 0 && n <= 127 {
				fmtp[uint8(n)] = rest
			}
		}
	}
	for _, f := range md.MediaName.Formats {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		pt := uint8(n)
		c, ok := rtpmap[pt]
		if !ok {
			if c, ok = staticPT[pt]; !ok {
				continue
			}
		}
		c.PT = pt
		c.Fmtp = fmtp[pt]
		if c.Name == "TELEPHONE-EVENT" {
			if c.Rate == 8000 && out.TelEvent < 0 {
				out.TelEvent = int(pt)
			}
			continue
		}
		out.Codecs = append(out.Codecs, c)
	}
	return out, nil
}

// pickCodec returns the first codec of prefer that other also offers and
// Kaz can relay, with prefer's payload type.
func pickCodec(prefer, other []codec) (codec, bool) {
	for _, c := range prefer {
		if !isBridgeable(c) {
			continue
		}
		for _, o := range other {
			if c.same(o) {
				return c, true
			}
		}
	}
	return codec{}, false
}

// commonCodecs keeps the codecs of a that Kaz can relay, in a's order.
func relayable(a []codec) []codec {
	var out []codec
	for _, c := range a {
		if isBridgeable(c) {
			out = append(out, c)
		}
	}
	return out
}

// sdpOffer describes an SDP body Kaz writes toward the PBX.
type sdpOffer struct {
	SessionID uint64
	Version   uint64
	Addr      netip.AddrPort
	Codecs    []codec
	TelEvent  int
	Direction string
	// Crypto, when set, makes the body RTP/SAVP with these a=crypto
	// values (SDES-SRTP, RFC 4568).
	Crypto []string
}

// build renders o as an RTP/AVP SDP body (RTP/SAVP with Crypto).
func (o sdpOffer) build() []byte {
	ip := o.Addr.Addr()
	fam := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		fam = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=kaz %d %d IN %s %s\r\ns=kaz\r\nc=IN %s %s\r\nt=0 0\r\n", o.SessionID, o.Version, fam, ip, fam, ip)
	fmts := make([]string, 0, len(o.Codecs)+1)
	for _, c := range o.Codecs {
		fmts = append(fmts, strconv.Itoa(int(c.PT)))
	}
	if o.TelEvent >= 0 {
		fmts = append(fmts, strconv.Itoa(o.TelEvent))
	}
	proto := "RTP/AVP"
	if len(o.Crypto) > 0 {
		proto = "RTP/SAVP"
	}
	fmt.Fprintf(&b, "m=audio %d %s %s\r\n", o.Addr.Port(), proto, strings.Join(fmts, " "))
	for _, c := range o.Codecs {
		name := c.Name
		if name == "OPUS" {
			name = "opus"
		}
		if c.Channels > 1 {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d/%d\r\n", c.PT, name, c.Rate, c.Channels)
		} else {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", c.PT, name, c.Rate)
		}
		if c.Fmtp != "" {
			fmt.Fprintf(&b, "a=fmtp:%d %s\r\n", c.PT, c.Fmtp)
		}
	}
	if o.TelEvent >= 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-15\r\n", o.TelEvent, o.TelEvent)
	}
	for _, c := range o.Crypto {
		fmt.Fprintf(&b, "a=crypto:%s\r\n", c)
	}
	fmt.Fprintf(&b, "a=ptime:20\r\na=%s\r\n", o.Direction)
	return []byte(b.String())
}
