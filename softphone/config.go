package softphone

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is the phone: section of Kaz's configuration. The softphone is off
// until PBX is set.
type Config struct {
	// PBX is the headquarters PBX (SIP registrar and proxy) as host:port.
	// Empty disables the softphone.
	PBX string `yaml:"pbx"`
	// Transport toward the PBX: udp (default), tcp or tls.
	Transport string `yaml:"transport"`
	// Domain is the SIP domain (and digest realm) of the agents' accounts;
	// defaults to the PBX host.
	Domain string `yaml:"domain"`
	// SIPListen is the local SIP address (host:port); the PBX sends calls
	// here. Default 0.0.0.0:5070.
	SIPListen string `yaml:"sip_listen"`
	// AnnounceSIP is the address put in Contact, Via and SDP toward the PBX
	// (the server's address as the PBX sees it). Defaults to the SIP
	// listen host when it is not a wildcard.
	AnnounceSIP string `yaml:"announce_sip"`
	// RTPPortMin and RTPPortMax bound the UDP ports of the PBX media leg.
	RTPPortMin int `yaml:"rtp_port_min"`
	RTPPortMax int `yaml:"rtp_port_max"`
	// WebRTCPort is the ONE UDP port that carries every browser's media
	// (ICE-lite, DTLS-SRTP). 0 picks a free port (tests).
	WebRTCPort int `yaml:"webrtc_port"`
	// WebRTCListen is the host the WebRTC port binds; default 0.0.0.0.
	WebRTCListen string `yaml:"webrtc_listen"`
	// AnnounceWebRTC is the address browsers reach (the VPN-facing
	// address), announced as the ICE candidate.
	AnnounceWebRTC string `yaml:"announce_webrtc"`
	// ICEServers are optional STUN/TURN URLs handed to browsers.
	ICEServers []ICEServer `yaml:"ice_servers"`
	// DialPlan is the allow-list of numbers agents may dial: regular
	// expressions matched against the whole number. Empty allows every
	// number made of digits, *, # and a leading +.
	DialPlan []string `yaml:"dial_plan"`
	// CallsPerMinute is the per-agent rate limit of outbound calls
	// (default 10; against toll fraud).
	CallsPerMinute int `yaml:"calls_per_minute"`
	// MaxCalls is the number of simultaneous calls the server bridges
	// (default 50).
	MaxCalls int `yaml:"max_calls"`
	// ReconnectGrace is how long a call stays up after the agent's browser
	// connection drops, waiting for a tab to resume it (default 30s).
	ReconnectGrace time.Duration `yaml:"reconnect_grace"`
	// RegisterExpiry is the registration lifetime asked of the PBX
	// (default 300s); it is refreshed before it runs out.
	RegisterExpiry time.Duration `yaml:"register_expiry"`
	// KeepAlive is how often the PBX is probed with OPTIONS so that
	// registrations are restored quickly after it restarts (default 2s).
	KeepAlive time.Duration `yaml:"keepalive"`
	// EchoNumber is answered by Kaz itself with an echo of the agent's
	// audio (default "*43").
	EchoNumber string `yaml:"echo_number"`
	// SessionExpires is the RFC 4028 session interval (default 1800s).
	// The refresher refreshes at half of it; when the PBX is the refresher
	// and does not, Kaz hangs up at the interval minus min(32s, 1/3 of it).
	SessionExpires time.Duration `yaml:"session_expires"`
	// SessionMinSE is the smallest session interval Kaz accepts and
	// announces in Min-SE (default 90s, the RFC 4028 minimum). A shorter
	// value is NOT RFC-compliant and exists for tests only (so that a
	// session-timer test takes seconds); leave it unset in production.
	SessionMinSE time.Duration `yaml:"session_min_se"`
	// PBXSRTP makes the offers Kaz sends to the PBX RTP/SAVP with SDES
	// keys (RFC 4568) instead of plain RTP/AVP.
	// Offers from the PBX are answered in kind whatever this says.
	PBXSRTP bool `yaml:"pbx_srtp"`
	// PBXSRTPSuites are the SDES crypto suites Kaz offers, in order of
	// preference (default AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM,
	// AES_CM_128_HMAC_SHA1_32). Offers from the PBX may use any of these.
	PBXSRTPSuites []string `yaml:"pbx_srtp_suites"`
	// KeyFile holds the key that encrypts agents' SIP passwords at rest;
	// relative to the data folder (default "phone.key").
	KeyFile string `yaml:"key_file"`
}

// ICEServer is a STUN or TURN server handed to browsers.
type ICEServer struct {
	URLs       []string `yaml:"urls" json:"urls"`
	Username   string   `yaml:"username" json:"username,omitempty"`
	Credential string   `yaml:"credential" json:"credential,omitempty"`
}

// DefaultConfig returns the embedded defaults (softphone disabled until PBX
// is set).
func DefaultConfig() Config {
	return Config{
		Transport:      "udp",
		SIPListen:      "0.0.0.0:5070",
		RTPPortMin:     20000,
		RTPPortMax:     20999,
		WebRTCPort:     3478,
		WebRTCListen:   "0.0.0.0",
		CallsPerMinute: 10,
		MaxCalls:       50,
		ReconnectGrace: 30 * time.Second,
		RegisterExpiry: 300 * time.Second,
		KeepAlive:      2 * time.Second,
		EchoNumber:     "*43",
		SessionExpires: 1800 * time.Second,
		SessionMinSE:   90 * time.Second,
		KeyFile:        "phone.key",
	}
}

// Enabled reports whether the softphone is configured.
func (c *Config) Enabled() bool { return c.PBX != "" }

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Transport == "" {
		c.Transport = d.Transport
	}
	if c.SIPListen == "" {
		c.SIPListen = d.SIPListen
	}
	if c.RTPPortMin == 0 && c.RTPPortMax == 0 {
		c.RTPPortMin, c.RTPPortMax = d.RTPPortMin, d.RTPPortMax
	}
	if c.WebRTCListen == "" {
		c.WebRTCListen = d.WebRTCListen
	}
	if c.CallsPerMinute == 0 {
		c.CallsPerMinute = d.CallsPerMinute
	}
	if c.MaxCalls == 0 {
		c.MaxCalls = d.MaxCalls
	}
	if c.ReconnectGrace == 0 {
		c.ReconnectGrace = d.ReconnectGrace
	}
	if c.RegisterExpiry == 0 {
		c.RegisterExpiry = d.RegisterExpiry
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = d.KeepAlive
	}
	if c.EchoNumber == "" {
		c.EchoNumber = d.EchoNumber
	}
	if c.SessionExpires == 0 {
		c.SessionExpires = d.SessionExpires
	}
	if c.SessionMinSE == 0 {
		c.SessionMinSE = d.SessionMinSE
	}
	if c.KeyFile == "" {
		c.KeyFile = d.KeyFile
	}
	if c.Domain == "" {
		if h, _, err := net.SplitHostPort(c.PBX); err == nil {
			c.Domain = h
		} else {
			c.Domain = c.PBX
		}
	}
	if c.AnnounceSIP == "" {
		if h, _, err := net.SplitHostPort(c.SIPListen); err == nil && !isWildcard(h) {
			c.AnnounceSIP = h
		}
	}
	if c.AnnounceWebRTC == "" && !isWildcard(c.WebRTCListen) {
		c.AnnounceWebRTC = c.WebRTCListen
	}
	return c
}

func isWildcard(h string) bool {
	return h == "" || h == "0.0.0.0" || h == "::" || h == "[::]"
}

// Validate reports the first problem in c, in plain words.
func (c *Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	d := c.withDefaults()
	if _, _, err := net.SplitHostPort(d.PBX); err != nil {
		return fmt.Errorf("pbx must be host:port, got %q", c.PBX)
	}
	switch d.Transport {
	case "udp", "tcp", "tls":
	default:
		return fmt.Errorf("transport must be udp, tcp or tls, got %q", c.Transport)
	}
	if _, _, err := net.SplitHostPort(d.SIPListen); err != nil {
		return fmt.Errorf("sip_listen must be host:port, got %q", c.SIPListen)
	}
	if _, err := offeredSuites(c.PBXSRTPSuites); err != nil {
		return err
	}
	if d.AnnounceSIP == "" {
		return errors.New("announce_sip is required when sip_listen is a wildcard address")
	}
	if d.AnnounceWebRTC == "" {
		return errors.New("announce_webrtc (the address browsers reach over the VPN) is required")
	}
	if _, err := netip.ParseAddr(d.AnnounceWebRTC); err != nil {
		return fmt.Errorf("announce_webrtc must be an IP address, got %q", d.AnnounceWebRTC)
	}
	if d.RTPPortMin <= 0 || d.RTPPortMax > 65535 || d.RTPPortMin > d.RTPPortMax {
		return fmt.Errorf("rtp_port_min..rtp_port_max must be a valid range, got %d..%d", d.RTPPortMin, d.RTPPortMax)
	}
	if d.WebRTCPort < 0 || d.WebRTCPort > 65535 {
		return fmt.Errorf("webrtc_port out of range: %d", d.WebRTCPort)
	}
	for _, p := range d.DialPlan {
		if _, err := regexp.Compile("^(?:" + p + ")$"); err != nil {
			return fmt.Errorf("dial_plan: %q is not a valid regular expression", p)
		}
	}
	if d.MaxCalls < 0 || d.CallsPerMinute < 0 {
		return errors.New("max_calls and calls_per_minute must not be negative")
	}
	if d.SessionMinSE < time.Second || d.SessionExpires < d.SessionMinSE {
		return fmt.Errorf("session_expires (%s) must be at least session_min_se (%s, itself at least 1s)", d.SessionExpires, d.SessionMinSE)
	}
	if d.RegisterExpiry < 30*time.Second {
		return fmt.Errorf("register_expiry must be at least 30s, got %s", d.RegisterExpiry)
	}
	return nil
}

// dialPlan is a compiled allow-list.
type dialPlan []*regexp.Regexp

var defaultNumber = regexp.MustCompile(`^\+?[0-9*#]{1,32}$`)

func compileDialPlan(pats []string) (dialPlan, error) {
	var dp dialPlan
	for _, p := range pats {
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, err
		}
		dp = append(dp, re)
	}
	return dp, nil
}

// Allows reports whether number may be dialled.
func (dp dialPlan) Allows(number string) bool {
	if !defaultNumber.MatchString(number) {
		return false
	}
	if len(dp) == 0 {
		return true
	}
	for _, re := range dp {
		if re.MatchString(number) {
			return true
		}
	}
	return false
}

// normalizeNumber strips the separators people paste (spaces, dots,
// dashes, parentheses).
func normalizeNumber(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch r {
		case ' ', '.', '-', '(', ')', '\u00a0':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func splitHostPort(hp string) (string, int) {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return hp, 0
	}
	n, _ := strconv.Atoi(p)
	return h, n
}
