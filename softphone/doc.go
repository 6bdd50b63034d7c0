// Package softphone bridges agents' browsers (WebRTC, pion/webrtc) to the
// headquarters PBX (SIP, emiago/sipgo), so that an agent takes and places
// office calls on the laptop headset.
//
// While an agent has a Kaz tab open and is available, the Phone keeps the
// agent's extension registered at the PBX (digest authentication, refresh
// before expiry, re-registration within seconds after the PBX comes back,
// found by an OPTIONS keep-alive). Tabs speak a small JSON protocol over a
// WebSocket (ServeWS): the browser always makes the WebRTC offer and Kaz
// answers as an ICE-lite peer on ONE UDP port shared by every call.
//
// Media is relayed without transcoding: Kaz picks a codec both legs share
// (opus, G.722, G.711 A-law or µ-law) and rewrites payload types, sequence
// numbers, timestamps and SSRC so that each side sees one continuous
// stream across hold, DTMF injection (RFC 4733) and a tab resuming the call
// after a reload. The echo test number is answered by Kaz itself.
//
// The PBX leg is plain RTP/AVP, or SDES-SRTP (RFC 4568 and 7714:
// AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM or AES_CM_128_HMAC_SHA1_32
// through pion/srtp) when the PBX offers RTP/SAVP with a=crypto, or when
// phone.pbx_srtp makes Kaz offer it (phone.pbx_srtp_suites, in order).
// An SRTP leg also has SRTCP on the next port (rtcp.go): the PBX's
// reports are authenticated, Kaz sends sender reports every 5 s.
//
// Media fast path (fastpath.go): once a browser leg's DTLS handshake is
// done, Kaz keys its own SRTP contexts from it and relays that leg's RTP
// itself on the shared ICE-lite socket (read with recvmmsg by two
// goroutines), without pion's per-packet goroutine hand-offs; STUN, DTLS
// and RTCP stay with pion.
//
// Reconnection: when a tab's WebSocket drops, or its WebRTC connection
// fails or disconnects while the WebSocket stays open (the tab then gets
// a "state" message with reason "media-lost"), the PBX leg stays up for
// the reconnection grace; a "resume" with a new offer rebinds the media,
// otherwise the call ends with a BYE.
//
// Session timers (RFC 4028): when Kaz is the refresher it re-INVITEs at
// half the interval; when the PBX is and does not refresh, Kaz sends BYE
// at the interval minus min(32 s, interval/3).
//
// Security: SIP passwords are stored encrypted (AES-256-GCM, the user bound
// as additional data) with a key file created 0600 in the data folder; they
// are never sent to browsers nor logged. Outbound calls pass a dial-plan
// allow-list and a per-agent rate limit (toll fraud); the number of
// simultaneous calls is capped. The WebSocket upgrade requires the Origin to
// match the Host. Errors reach browsers as message keys with plain-language
// text, never as internal error strings.
package softphone
