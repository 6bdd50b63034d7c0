package softphone

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
)

// sipDialog is what a call needs of its SIP dialog, whichever side
// created it.
type sipDialog interface {
	Do(ctx context.Context, req *sip.Request) (*sip.Response, error)
	WriteRequest(req *sip.Request) error
	Bye(ctx context.Context) error
}

// call is one bridged call (or an echo test).
type call struct {
	p      *Phone
	id     string
	agent  *agent
	dir    string // "in" or "out"
	number string
	name   string
	echo   bool

	started  time.Time
	mu       sync.Mutex
	state    string
	answered time.Time
	tab      *tab // the tab that owns the call's media; nil while ringing or in grace
	relay    *relay
	codec    codec // PBX payload type
	pbxTE    int
	remote   mediaDesc
	local    netip.AddrPort
	sdpSess  uint64
	sdpVer   uint64
	held     bool
	dlg      sipDialog
	target   sip.Uri // remote target for in-dialog requests
	dialogID string
	srvDlg   *sipgo.DialogServerSession
	cancel   context.CancelFunc
	grace    *time.Timer
	sessExp  time.Duration
	delayed  *delayedAnswer
	refresh  bool // Kaz refreshes the session (RFC 4028 refresher=uac on our INVITE)
	// mediaLost is set while the owning tab's WebRTC connection is down
	// (ICE/DTLS failed or disconnected) with its WebSocket still open: the
	// call waits out the grace for a resume from that tab (or another).
	mediaLost bool
	srtp      *srtpKeys     // SDES-SRTP on the PBX leg, nil for plain RTP
	refreshed chan struct{} // a session refresh arrived from the PBX

	answerCh   chan answerReq
	transferCh chan bool
	reinvBusy  atomic.Bool
	ended      chan struct{}
	endOnce    sync.Once
}

type answerReq struct {
	tab     *tab
	sdp     string
	decline bool
	code    int
}

func (p *Phone) newCall(a *agent, dir, number, name string) *call {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg.MaxCalls > 0 && p.nActive >= p.cfg.MaxCalls {
		return nil
	}
	p.nActive++
	c := &call{p: p, id: uuid.NewString(), agent: a, dir: dir, number: number, name: name, started: time.Now(),
		state: "connecting", pbxTE: -1, sdpSess: rand.Uint64() >> 2, answerCh: make(chan answerReq, 1),
		transferCh: make(chan bool, 1), ended: make(chan struct{}), refreshed: make(chan struct{}, 1)}
	p.calls[c.id] = c
	return c
}

func (c *call) info() CallInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CallInfo{CallID: c.id, User: c.agent.user, Direction: c.dir, Number: c.number, Name: c.name, State: c.state,
		Started: c.started, Codec: c.codec.String()}
}

func (c *call) resumable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return (c.tab == nil || c.mediaLost) && (c.state == "active" || c.state == "held")
}

// notify sends m to the owning tab, or to every tab of the agent while
// no tab owns the call.
func (c *call) notify(m Message) {
	m.CallID = c.id
	c.mu.Lock()
	t := c.tab
	c.mu.Unlock()
	if t != nil {
		t.send(m)
		return
	}
	c.agent.broadcast(m)
}

func (c *call) setState(s string) {
	c.mu.Lock()
	c.state = s
	c.mu.Unlock()
	c.notify(Message{Type: "state", State: s})
}

// end finishes the call once: media released, tabs told, history kept.
func (c *call) end(reason string, code int) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.state = "ended"
		r := c.relay
		if c.grace != nil {
			c.grace.Stop()
		}
		answered := c.answered
		dialogID := c.dialogID
		c.mu.Unlock()
		close(c.ended)
		if r != nil {
			r.close()
		}
		p := c.p
		p.mu.Lock()
		delete(p.calls, c.id)
		if dialogID != "" {
			delete(p.dialogs, dialogID)
		}
		p.nActive--
		p.mu.Unlock()
		rec := CallRecord{CallID: c.id, Direction: c.dir, Number: c.number, Name: c.name, Started: c.started}
		switch {
		case c.echo:
			rec.Outcome = "echo"
		case !answered.IsZero():
			rec.Outcome = "answered"
			rec.Duration = time.Since(answered)
		case c.dir == "in" && reason == "declined":
			rec.Outcome = "declined"
		case c.dir == "in":
			rec.Outcome, rec.Missed = "missed", true
		case reason == "hangup-local":
			rec.Outcome = "cancelled"
		case reason == "no-common-codec" || reason == "error" || reason == "limit" || reason == "not-allowed":
			rec.Outcome = "failed"
		default:
			rec.Outcome = reason
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.store.addCall(ctx, c.agent.user, rec); err != nil {
			p.log.Error("call history", "user", c.agent.user, "call_id", c.id, "err", err)
		}
		// History first: a tab told "ended" may reload the history at once.
		c.notify(Message{Type: "state", State: "ended", Reason: reason, Code: code})
		p.log.Info("call ended", "user", c.agent.user, "call_id", c.id, "direction", c.dir, "reason", reason, "code", code)
	})
}

// reasonFor maps a final SIP status to a protocol reason.
func reasonFor(code int) string {
	switch code {
	case 486, 600:
		return "busy"
	case 603:
		return "declined"
	case 404, 410, 480, 484, 408, 503, 502, 504:
		return "unreachable"
	case 487:
		return "no-answer"
	case 488, 415, 606:
		return "no-common-codec"
	default:
		return "rejected"
	}
}

// ---- outbound ----

func (p *Phone) dial(t *tab, m Message) {
	a := t.agent
	num := normalizeNumber(m.Number)
	if num == p.cfg.EchoNumber {
		p.echoTest(t, m)
		return
	}
	if !p.dp.Allows(num) {
		t.send(errMsg(m.Ref, "phone.not_allowed"))
		return
	}
	if !a.allowCall(p.cfg.CallsPerMinute) {
		t.send(errMsg(m.Ref, "phone.rate_limited"))
		return
	}
	offer, err := parseSDP([]byte(m.SDP))
	if err != nil {
		t.send(errMsg(m.Ref, "phone.bad_sdp"))
		return
	}
	codecs := relayable(offer.Codecs)
	if len(codecs) == 0 {
		t.send(errMsg(m.Ref, "phone.no_codec"))
		return
	}
	c := p.newCall(a, "out", num, "")
	if c == nil {
		t.send(errMsg(m.Ref, "phone.limit"))
		return
	}
	c.tab = t
	t.send(Message{Type: "state", CallID: c.id, Ref: m.Ref, State: "connecting"})
	conn, err := p.media.listenRTP()
	if err != nil {
		p.log.Error("rtp port", "call_id", c.id, "err", err)
		c.end("limit", 503)
		return
	}
	_, port := splitHostPort(conn.LocalAddr().String())
	c.local = netip.AddrPortFrom(p.media.rtpIP, uint16(port))
	var pbxOffer []codec
	for _, oc := range codecs {
		for _, b := range bridgeable {
			if b.same(oc) {
				pbxOffer = append(pbxOffer, b)
			}
		}
	}
	if err := c.offerSRTP(); err != nil {
		conn.Close()
		c.end("error", 0)
		return
	}
	c.mu.Lock()
	c.sdpVer++
	body := sdpOffer{SessionID: c.sdpSess, Version: c.sdpVer, Addr: c.local, Codecs: pbxOffer, TelEvent: 101, Direction: "sendrecv", Crypto: c.cryptoLocked()}.build()
	c.mu.Unlock()

	a.mu.Lock()
	acct := a.acct
	a.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
	defer cancel()

	req := sip.NewRequest(sip.INVITE, p.pbxURI(num))
	req.SetDestination(p.cfg.PBX)
	req.SetTransport(p.cfg.Transport)
	from := &sip.FromHeader{Address: p.pbxURI(acct.Extension), Params: sip.NewParams()}
	from.Address.UriParams = nil
	from.Params.Add("tag", uuid.NewString()[:12])
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: p.pbxURI(num), Params: sip.NewParams()}
	to.Address.UriParams = nil
	req.AppendHeader(to)
	ct := p.contact
	ct.Address.User = acct.Extension
	req.AppendHeader(&ct)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY, UPDATE"))
	req.AppendHeader(sip.NewHeader("Supported", "timer, replaces"))
	se := int(p.cfg.SessionExpires.Seconds())
	req.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=uac", se)))
	req.AppendHeader(sip.NewHeader("Min-SE", fmt.Sprint(int(p.cfg.SessionMinSE.Seconds()))))
	req.SetBody(body)

	var mediaErr error
	startMedia := func(res *sip.Response) {
		if c.relayReady() || len(res.Body()) == 0 || mediaErr != nil {
			return
		}
		if err := c.startMedia(conn, m.SDP, offer, res.Body(), t, m.Ref, false); err != nil {
			mediaErr = err
		}
	}
	dlg, err := p.dlgUA.WriteInvite(ctx, req)
	if err == nil {
		err = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: acct.AuthUser, Password: acct.Password,
			OnResponse: func(res *sip.Response) error {
				switch {
				case res.StatusCode == 180 || res.StatusCode == 183:
					if c.currentState() == "connecting" {
						c.setState("ringing")
					}
					if res.StatusCode == 183 {
						startMedia(res) // early media: ringback or announcements from the PBX
					}
				case res.IsSuccess():
					startMedia(res)
				}
				return nil
			}})
	}
	if err != nil {
		if !c.relayReady() {
			conn.Close()
		}
		var de *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &de):
			c.end(reasonFor(de.Res.StatusCode), de.Res.StatusCode)
		case ctx.Err() != nil:
			c.end("hangup-local", 0)
		default:
			p.log.Warn("outbound call", "call_id", c.id, "user", a.user, "err", err)
			c.end("unreachable", 0)
		}
		return
	}
	if err := dlg.Ack(context.Background()); err != nil {
		p.log.Warn("ack", "call_id", c.id, "err", err)
	}
	c.mu.Lock()
	c.dlg = dlg
	c.target = dlg.InviteRequest.Recipient
	if h := dlg.InviteResponse.Contact(); h != nil {
		c.target = h.Address
	}
	c.dialogID = dlg.ID
	c.cancel = nil
	if h := dlg.InviteResponse.GetHeader("Session-Expires"); h != nil {
		c.sessExp, c.refresh = parseSessionExpiresMin(h.Value(), true, p.cfg.SessionMinSE)
	}
	c.mu.Unlock()
	p.mu.Lock()
	p.dialogs[dlg.ID] = c
	p.mu.Unlock()
	if mediaErr != nil || !c.relayReady() {
		p.log.Warn("outbound media", "call_id", c.id, "err", mediaErr)
		if !c.relayReady() {
			conn.Close()
		}
		reason := "error"
		if errors.Is(mediaErr, errNoCodec) {
			reason = "no-common-codec"
		}
		c.bye()
		c.end(reason, 0)
		return
	}
	c.activate()
}

func (c *call) currentState() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *call) relayReady() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.relay != nil
}

// startMedia bridges the browser's offer to the PBX's SDP (an answer for
// outbound calls, an offer for inbound ones). It answers the browser.
func (c *call) startMedia(conn *net.UDPConn, browserSDP string, browserOffer mediaDesc, pbxSDP []byte, t *tab, ref string, pbxOffered bool) error {
	pm, err := parseSDP(pbxSDP)
	if err != nil {
		return err
	}
	var ch codec
	var ok bool
	if pbxOffered {
		ch, ok = pickCodec(relayable(pm.Codecs), browserOffer.Codecs)
	} else {
		ch, ok = pickCodec(pm.Codecs, browserOffer.Codecs)
	}
	if !ok {
		return errNoCodec
	}
	keys, err := c.pbxSRTP(pm, pbxOffered)
	if err != nil {
		return err
	}
	r := newRelay(conn, ch, pm.TelEvent, c.p.log)
	r.srtp = keys
	if pbxOffered && pm.TelEvent < 0 {
		r.pbxTE = -1
	}
	r.setRemote(pm.Addr)
	r.onDTMF = func(d string) { c.notify(Message{Type: "dtmf", Digit: d}) }
	leg, answer, err := c.p.media.newBrowserLeg(browserSDP, browserOffer, ch, r.fromBrowser, c.mediaState)
	if err != nil {
		return err
	}
	r.browser.Store(leg)
	c.mu.Lock()
	c.relay, c.codec, c.pbxTE, c.remote, c.srtp = r, ch, pm.TelEvent, pm, keys
	c.mu.Unlock()
	go r.pbxLoop()
	r.startRTCP()
	t.send(Message{Type: "answer", CallID: c.id, Ref: ref, SDP: answer})
	return nil
}

// ---- echo test ----

func (p *Phone) echoTest(t *tab, m Message) {
	offer, err := parseSDP([]byte(m.SDP))
	if err != nil {
		t.send(errMsg(m.Ref, "phone.bad_sdp"))
		return
	}
	codecs := relayable(offer.Codecs)
	if len(codecs) == 0 {
		t.send(errMsg(m.Ref, "phone.no_codec"))
		return
	}
	c := p.newCall(t.agent, "out", p.cfg.EchoNumber, "Echo")
	if c == nil {
		t.send(errMsg(m.Ref, "phone.limit"))
		return
	}
	c.echo = true
	c.tab = t
	t.send(Message{Type: "state", CallID: c.id, Ref: m.Ref, State: "connecting"})
	r := newRelay(nil, codecs[0], -1, p.log)
	leg, answer, err := p.media.newBrowserLeg(m.SDP, offer, codecs[0], r.fromBrowser, nil)
	if err != nil {
		c.end("error", 0)
		return
	}
	r.browser.Store(leg)
	c.mu.Lock()
	c.relay, c.codec, c.answered = r, codecs[0], time.Now()
	c.mu.Unlock()
	t.send(Message{Type: "answer", CallID: c.id, Ref: m.Ref, SDP: answer})
	c.setState("active")
}

// ---- inbound ----

func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil {
		if tag, _ := to.Params.Get("tag"); tag != "" {
			if c := p.dialogCall(req); c != nil {
				c.onReinvite(req, tx)
				return
			}
			tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
	}
	ext := req.Recipient.User
	a := p.agentByExtension(ext)
	if a == nil && req.To() != nil {
		a = p.agentByExtension(req.To().Address.User)
	}
	if a == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
		return
	}
	a.mu.Lock()
	reachable := len(a.tabs) > 0 && a.available
	a.mu.Unlock()
	if !reachable {
		tx.Respond(sip.NewResponseFromRequest(req, 480, "Temporarily Unavailable", nil))
		return
	}
	var md mediaDesc
	delayed := len(req.Body()) == 0
	if !delayed {
		var err error
		if md, err = parseSDP(req.Body()); err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad SDP", nil))
			return
		}
		if strings.Contains(md.Proto, "SAVP") && md.Proto != "RTP/SAVP" {
			// DTLS-SRTP (UDP/TLS/RTP/SAVP) toward the PBX is not spoken.
			res := sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil)
			res.AppendHeader(sip.NewHeader("Warning", `302 kaz "Kaz accepts RTP/AVP or RTP/SAVP (SDES) toward the PBX"`))
			tx.Respond(res)
			return
		}
		if _, ok := pickCrypto(md.Crypto); md.Proto == "RTP/SAVP" && !ok {
			res := sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil)
			res.AppendHeader(sip.NewHeader("Warning", `305 kaz "SDES-SRTP needs a=crypto with one of `+suiteNames()+`"`))
			tx.Respond(res)
			return
		}
		if len(relayable(md.Codecs)) == 0 {
			res := sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil)
			res.AppendHeader(sip.NewHeader("Warning", `304 kaz "no common codec: Kaz relays PCMU, PCMA, G722, opus"`))
			tx.Respond(res)
			return
		}
	}
	var sessExp time.Duration
	var sessMine bool
	if h := req.GetHeader("Session-Expires"); h != nil {
		sessExp, sessMine = parseSessionExpiresMin(h.Value(), false, p.cfg.SessionMinSE)
		if sessExp == 0 && sessionSeconds(h.Value()) > 0 {
			// RFC 4028 §6: too small an interval gets 422 with our Min-SE.
			res := sip.NewResponseFromRequest(req, 422, "Session Interval Too Small", nil)
			res.AppendHeader(sip.NewHeader("Min-SE", fmt.Sprint(int(p.cfg.SessionMinSE.Seconds()))))
			tx.Respond(res)
			return
		}
		if !strings.Contains(h.Value(), "refresher") && !supportsTimer(req) {
			sessMine = true // §9: a UAC without timer support cannot refresh
		}
	}
	from, name := "", ""
	if f := req.From(); f != nil {
		from, name = f.Address.User, f.DisplayName
	}
	c := p.newCall(a, "in", from, name)
	if c == nil {
		res := sip.NewResponseFromRequest(req, 486, "Busy Here", nil)
		res.AppendHeader(sip.NewHeader("Warning", `399 kaz "call limit reached"`))
		tx.Respond(res)
		return
	}
	dlg, err := p.dlgUA.ReadInvite(req, tx)
	if err != nil {
		c.end("error", 0)
		return
	}
	c.mu.Lock()
	c.dlg, c.srvDlg, c.dialogID, c.remote = dlg, dlg, dlg.ID, md
	c.target = req.From().Address
	if h := req.Contact(); h != nil {
		c.target = h.Address
	}
	c.sessExp, c.refresh = sessExp, sessMine
	c.mu.Unlock()
	p.mu.Lock()
	p.dialogs[dlg.ID] = c
	p.mu.Unlock()
	c.setState("ringing")
	c.agent.broadcast(Message{Type: "incoming", CallID: c.id, From: from, Name: name})
	dlg.Respond(180, "Ringing", nil)

	timeout := time.NewTimer(2 * time.Minute)
	defer timeout.Stop()
	for {
		select {
		case <-dlg.Context().Done():
			c.end("hangup-remote", 487)
			return
		case <-timeout.C:
			dlg.Respond(480, "Temporarily Unavailable", nil)
			c.end("no-answer", 480)
			return
		case <-c.ended:
			return
		case ans := <-c.answerCh:
			if ans.decline {
				dlg.Respond(ans.code, sipReason(ans.code), nil)
				reason := "declined"
				if ans.code == 480 { // the agent's last tab closed while ringing
					reason = "no-answer"
				}
				c.end(reason, ans.code)
				return
			}
			if c.answerInbound(dlg, ans, delayed) {
				return
			}
		}
	}
}

func sipReason(code int) string {
	switch code {
	case 486:
		return "Busy Here"
	case 603:
		return "Decline"
	case 480:
		return "Temporarily Unavailable"
	}
	return "Error"
}

// answerInbound bridges the accepting tab to the PBX offer and sends 200.
// It reports whether the INVITE transaction is finished.
func (c *call) answerInbound(dlg *sipgo.DialogServerSession, ans answerReq, delayed bool) bool {
	p := c.p
	bo, err := parseSDP([]byte(ans.sdp))
	if err != nil {
		ans.tab.send(errMsg("", "phone.bad_sdp"))
		return false
	}
	conn, err := p.media.listenRTP()
	if err != nil {
		dlg.Respond(503, "Service Unavailable", nil)
		c.end("limit", 503)
		return true
	}
	_, port := splitHostPort(conn.LocalAddr().String())
	c.mu.Lock()
	c.local = netip.AddrPortFrom(p.media.rtpIP, uint16(port))
	c.tab = ans.tab
	c.mu.Unlock()
	c.agent.mu.Lock()
	for t := range c.agent.tabs {
		if t != ans.tab {
			t.send(Message{Type: "state", CallID: c.id, State: "ended", Reason: "answered-elsewhere"})
		}
	}
	c.agent.mu.Unlock()
	if delayed {
		// RFC 3261 §13.2.1: no offer in the INVITE; ours goes in the 200
		// and the PBX answers in the ACK.
		c.mu.Lock()
		c.sdpVer++
		var offer []codec
		for _, oc := range relayable(bo.Codecs) {
			for _, b := range bridgeable {
				if b.same(oc) {
					offer = append(offer, b)
				}
			}
		}
		c.mu.Unlock()
		if err := c.offerSRTP(); err != nil {
			conn.Close()
			dlg.Respond(500, "Server Internal Error", nil)
			c.end("error", 0)
			return true
		}
		c.mu.Lock()
		body := sdpOffer{SessionID: c.sdpSess, Version: c.sdpVer, Addr: c.local, Codecs: offer, TelEvent: 101, Direction: "sendrecv", Crypto: c.cryptoLocked()}.build()
		c.mu.Unlock()
		pending := &delayedAnswer{conn: conn, sdp: ans.sdp, offer: bo, tab: ans.tab, done: make(chan error, 1)}
		c.mu.Lock()
		c.delayed = pending
		c.mu.Unlock()
		res := sip.NewSDPResponseFromRequest(dlg.InviteRequest, body)
		c.addSessionHeaders(res, dlg.InviteRequest)
		if err := dlg.WriteResponse(res); err != nil {
			conn.Close()
			c.end("error", 0)
			return true
		}
		select {
		case err := <-pending.done:
			if err != nil {
				c.bye()
				reason := "error"
				if errors.Is(err, errNoCodec) {
					reason = "no-common-codec"
				}
				c.end(reason, 488)
				return true
			}
		case <-time.After(5 * time.Second):
			conn.Close()
			c.bye()
			c.end("error", 0)
			return true
		}
		c.activate()
		return true
	}
	if err := c.startMedia(conn, ans.sdp, bo, dlg.InviteRequest.Body(), ans.tab, "", true); err != nil {
		conn.Close()
		code := 500
		reason := "error"
		if errors.Is(err, errNoCodec) || errors.Is(err, errNoCrypto) {
			code, reason = 488, "no-common-codec"
		}
		dlg.Respond(code, sipReason(code), nil)
		c.end(reason, code)
		return true
	}
	c.mu.Lock()
	c.sdpVer++
	body := c.localSDPLocked("sendrecv")
	c.mu.Unlock()
	res := sip.NewSDPResponseFromRequest(dlg.InviteRequest, body)
	c.addSessionHeaders(res, dlg.InviteRequest)
	if err := dlg.WriteResponse(res); err != nil {
		p.log.Warn("answer", "call_id", c.id, "err", err)
		c.end("error", 0)
		return true
	}
	c.activate()
	return true
}

type delayedAnswer struct {
	conn  *net.UDPConn
	sdp   string
	offer mediaDesc
	tab   *tab
	done  chan error
}

func (c *call) activate() {
	c.mu.Lock()
	c.answered = time.Now()
	c.mu.Unlock()
	c.setState("active")
	go c.sessionTimer()
}

// addSessionHeaders puts the negotiated session interval (RFC 4028) in
// Kaz's 2xx to the INVITE req.
func (c *call) addSessionHeaders(res *sip.Response, req *sip.Request) {
	c.mu.Lock()
	exp, mine := c.sessExp, c.refresh
	c.mu.Unlock()
	if exp <= 0 {
		return
	}
	who := "uac"
	if mine {
		who = "uas"
	}
	res.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", int(exp.Seconds()), who)))
	if supportsTimer(req) {
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
}

// supportsTimer reports whether req says Supported: timer.
func supportsTimer(req *sip.Request) bool {
	for _, name := range []string{"Supported", "k"} {
		for _, h := range req.GetHeaders(name) {
			for _, v := range strings.Split(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(v), "timer") {
					return true
				}
			}
		}
	}
	return false
}

// onRefresh notes a session refresh from the PBX (re-INVITE or UPDATE)
// and returns the Session-Expires value for the 2xx ("" for none).
func (c *call) onRefresh(req *sip.Request) string {
	h := req.GetHeader("Session-Expires")
	if h == nil {
		return ""
	}
	v := h.Value()
	if !strings.Contains(v, "refresher") {
		v += ";refresher=uac" // the PBX sent the refresh: it refreshes
	}
	if exp, mine := parseSessionExpiresMin(v, false, c.p.cfg.SessionMinSE); exp > 0 {
		c.mu.Lock()
		c.sessExp, c.refresh = exp, mine
		c.mu.Unlock()
	}
	select {
	case c.refreshed <- struct{}{}:
	default:
	}
	return v
}

// localSDPLocked renders Kaz's SDP toward the PBX for the chosen codec.
func (c *call) localSDPLocked(dir string) []byte {
	return sdpOffer{SessionID: c.sdpSess, Version: c.sdpVer, Addr: c.local, Codecs: []codec{c.codec}, TelEvent: c.pbxTE, Direction: dir, Crypto: c.cryptoLocked()}.build()
}

// cryptoLocked are Kaz's a=crypto values toward the PBX, none for plain
// RTP.
func (c *call) cryptoLocked() []string {
	if c.srtp == nil {
		return nil
	}
	return c.srtp.attrs()
}

// offerSRTP prepares Kaz's SDES key when Kaz makes the offer and the
// configuration asks for SRTP toward the PBX.
func (c *call) offerSRTP() error {
	if !c.p.cfg.PBXSRTP {
		return nil
	}
	suites, err := offeredSuites(c.p.cfg.PBXSRTPSuites)
	if err != nil {
		return err
	}
	k, err := newSRTPOffer(suites)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.srtp = k
	c.mu.Unlock()
	return nil
}

// pbxSRTP settles the PBX leg's SDES-SRTP from the PBX's SDP pm: an
// offer is answered in kind (a fresh key with the PBX's tag), an answer
// must accept Kaz's offered key. It returns nil keys for plain RTP.
func (c *call) pbxSRTP(pm mediaDesc, pbxOffered bool) (*srtpKeys, error) {
	c.mu.Lock()
	k := c.srtp
	c.mu.Unlock()
	secure := pm.Proto == "RTP/SAVP"
	if pbxOffered {
		if !secure {
			return nil, nil
		}
		ca, ok := pickCrypto(pm.Crypto)
		if !ok {
			return nil, errNoCrypto
		}
		k, err := newSRTPKeys(ca.tag, ca.suite)
		if err != nil {
			return nil, err
		}
		return k, k.start(ca.key)
	}
	if k == nil {
		if secure {
			return nil, errNoCrypto // answered SAVP to a plain offer
		}
		return nil, nil
	}
	if !secure {
		return nil, errNoCrypto // Kaz requires SRTP (phone.pbx_srtp)
	}
	return k.accept(pm.Crypto)
}

func (c *call) readAck(req *sip.Request, tx sip.ServerTransaction) {
	c.mu.Lock()
	d, srv := c.delayed, c.srvDlg
	c.delayed = nil
	c.mu.Unlock()
	if srv != nil {
		srv.ReadAck(req, tx)
	}
	if d != nil {
		err := errors.New("no SDP in ACK")
		if len(req.Body()) > 0 {
			err = c.startMedia(d.conn, d.sdp, d.offer, req.Body(), d.tab, "", false)
		}
		if err != nil {
			d.conn.Close()
		}
		d.done <- err
	}
}

// accept is called by the tab that answers.
func (c *call) accept(t *tab, sdp string) {
	if c.dir != "in" || c.currentState() != "ringing" {
		t.send(Message{Type: "state", CallID: c.id, State: "ended", Reason: "answered-elsewhere"})
		return
	}
	select {
	case c.answerCh <- answerReq{tab: t, sdp: sdp}:
		c.mu.Lock()
		c.state = "connecting"
		c.mu.Unlock()
	default:
		t.send(Message{Type: "state", CallID: c.id, State: "ended", Reason: "answered-elsewhere"})
	}
}

func (c *call) decline(hard bool) {
	if c.dir != "in" || c.currentState() != "ringing" {
		go c.hangup("hangup-local")
		return
	}
	code := 486
	if hard {
		code = 603
	}
	select {
	case c.answerCh <- answerReq{decline: true, code: code}:
	default:
	}
}

// hangup ends the call from Kaz's side.
func (c *call) hangup(reason string) {
	c.mu.Lock()
	cancel, state, dlg := c.cancel, c.state, c.dlg
	c.mu.Unlock()
	switch {
	case c.echo:
	case c.dir == "in" && state == "ringing":
		c.decline(false)
		return
	case cancel != nil:
		cancel() // CANCEL the pending INVITE; dial() ends the call
		return
	case dlg != nil:
		c.bye()
	}
	c.end(reason, 0)
}

func (c *call) bye() {
	c.mu.Lock()
	dlg := c.dlg
	c.mu.Unlock()
	if dlg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := dlg.Bye(ctx); err != nil {
		c.p.log.Debug("bye", "call_id", c.id, "err", err)
	}
}

func (c *call) remoteBye() {
	c.end("hangup-remote", 0)
}

// tabGone is called when tab t closes: a call it owned waits for a resume
// during the grace period.
func (c *call) tabGone(t *tab) {
	c.mu.Lock()
	owned := c.tab == t
	state := c.state
	if owned {
		c.tab = nil
	}
	c.mu.Unlock()
	if !owned {
		if c.dir == "in" && state == "ringing" && c.agent.tabCount() == 0 {
			select {
			case c.answerCh <- answerReq{decline: true, code: 480}:
			default:
			}
		}
		return
	}
	if state != "active" && state != "held" {
		go c.hangup("hangup-local")
		return
	}
	c.mu.Lock()
	c.startGraceLocked()
	c.mu.Unlock()
	c.p.log.Info("tab dropped mid-call; waiting for resume", "call_id", c.id, "user", c.agent.user)
}

// startGraceLocked arms the reconnection grace: unless a tab resumes the
// call in time, it ends with a BYE.
func (c *call) startGraceLocked() {
	if c.grace != nil {
		c.grace.Stop()
	}
	c.grace = time.AfterFunc(time.Duration(c.p.grace.Load()), func() {
		if c.resumable() {
			c.p.log.Info("reconnect grace over", "call_id", c.id, "user", c.agent.user)
			c.hangup("hangup-local")
		}
	})
}

// mediaState follows the owning tab's WebRTC connection. When it drops
// while the WebSocket stays open (VPN hiccup, network change), the PBX
// leg stays up for the grace period like after a WebSocket drop, the tab
// is told (state with reason "media-lost") and a resume rebinds the call.
func (c *call) mediaState(b *browserLeg, up bool) {
	c.mu.Lock()
	r := c.relay
	if r == nil || r.browser.Load() != b || (c.state != "active" && c.state != "held") {
		c.mu.Unlock()
		return
	}
	state := c.state
	switch {
	case !up && !c.mediaLost:
		c.mediaLost = true
		if c.tab != nil { // no tab: the WebSocket grace already runs
			c.startGraceLocked()
		}
	case up && c.mediaLost:
		c.mediaLost = false
		if c.tab != nil && c.grace != nil {
			c.grace.Stop()
		}
	default:
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if up {
		c.p.log.Info("browser media back", "call_id", c.id, "user", c.agent.user)
		c.notify(Message{Type: "state", State: state})
		return
	}
	c.p.log.Info("browser media dropped mid-call; waiting for resume", "call_id", c.id, "user", c.agent.user)
	c.notify(Message{Type: "state", State: state, Reason: "media-lost"})
}

// resume rebinds the call's media to a new tab of the same agent.
func (c *call) resume(t *tab, sdp string) {
	if !c.resumable() {
		t.send(Message{Type: "state", CallID: c.id, State: "ended", Reason: "error"})
		return
	}
	bo, err := parseSDP([]byte(sdp))
	if err != nil {
		t.send(errMsg("", "phone.bad_sdp"))
		return
	}
	c.mu.Lock()
	r, ch := c.relay, c.codec
	c.mu.Unlock()
	leg, answer, err := c.p.media.newBrowserLeg(sdp, bo, ch, r.fromBrowser, c.mediaState)
	if err != nil {
		t.send(errMsg("", "phone.no_codec"))
		return
	}
	if old := r.browser.Swap(leg); old != nil {
		old.close()
	}
	c.mu.Lock()
	if c.grace != nil {
		c.grace.Stop()
	}
	c.tab = t
	c.mediaLost = false
	state := c.state
	c.mu.Unlock()
	t.send(Message{Type: "answer", CallID: c.id, SDP: answer})
	c.notify(Message{Type: "state", State: state})
}

func (c *call) dtmf(d string) {
	c.mu.Lock()
	r := c.relay
	c.mu.Unlock()
	if r == nil || c.echo {
		return
	}
	if err := r.sendDTMF(d); err != nil {
		c.p.log.Debug("dtmf", "call_id", c.id, "err", err)
	}
}

// setHold sends a re-INVITE with a=sendonly (hold) or a=sendrecv.
func (c *call) setHold(on bool) {
	if c.echo {
		return
	}
	dir := "sendrecv"
	if on {
		dir = "sendonly"
	}
	if err := c.reinvite(dir); err != nil {
		c.p.log.Warn("hold", "call_id", c.id, "err", err)
		c.notify(Message{Type: "error", MessageKey: "phone.error", Text: messageTexts["phone.error"]})
		return
	}
	c.mu.Lock()
	c.held = on
	r := c.relay
	c.mu.Unlock()
	if r != nil {
		r.hold.Store(on)
	}
	if on {
		c.setState("held")
	} else {
		c.setState("active")
	}
}

// reinvite sends an in-dialog INVITE with Kaz's SDP in direction dir;
// on 491 (glare, RFC 3261 §14.1) it retries after a random delay.
func (c *call) reinvite(dir string) error {
	for attempt := 0; attempt < 4; attempt++ {
		c.mu.Lock()
		dlg, target := c.dlg, c.target
		if dlg == nil || c.relay == nil {
			c.mu.Unlock()
			return errors.New("no established dialog")
		}
		c.sdpVer++
		body := c.localSDPLocked(dir)
		se, who := c.sessExp, "uas"
		if c.refresh {
			who = "uac"
		}
		c.mu.Unlock()
		c.reinvBusy.Store(true)
		req := sip.NewRequest(sip.INVITE, target)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		if se > 0 {
			req.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", int(se.Seconds()), who)))
			req.AppendHeader(sip.NewHeader("Supported", "timer"))
		}
		req.SetBody(body)
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		res, err := dlg.Do(ctx, req)
		cancel()
		c.reinvBusy.Store(false)
		if err != nil {
			return err
		}
		if res.StatusCode == 491 {
			time.Sleep(time.Duration(100+rand.IntN(1900)) * time.Millisecond)
			continue
		}
		if !res.IsSuccess() {
			return fmt.Errorf("re-INVITE: %d", res.StatusCode)
		}
		ack := sip.NewRequest(sip.ACK, target)
		if err := dlg.WriteRequest(ack); err != nil {
			return err
		}
		if h := res.GetHeader("Session-Expires"); h != nil {
			if exp, mine := parseSessionExpiresMin(h.Value(), true, c.p.cfg.SessionMinSE); exp > 0 {
				c.mu.Lock()
				c.sessExp, c.refresh = exp, mine
				c.mu.Unlock()
			}
		}
		if pm, err := parseSDP(res.Body()); err == nil && pm.Addr.IsValid() && pm.Addr.Port() != 0 {
			c.mu.Lock()
			if c.relay != nil {
				c.relay.setRemote(pm.Addr)
			}
			c.mu.Unlock()
		}
		return nil
	}
	return errors.New("re-INVITE glare persisted")
}

// onReinvite answers an in-dialog INVITE from the PBX (hold by the remote
// party, a new media address, a session refresh).
func (c *call) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	if c.reinvBusy.Load() {
		tx.Respond(sip.NewResponseFromRequest(req, 491, "Request Pending", nil))
		return
	}
	c.mu.Lock()
	if c.relay == nil {
		c.mu.Unlock()
		tx.Respond(sip.NewResponseFromRequest(req, 491, "Request Pending", nil))
		return
	}
	dir := "sendrecv"
	if c.held {
		dir = "sendonly"
	}
	if len(req.Body()) > 0 {
		pm, err := parseSDP(req.Body())
		if err != nil {
			c.mu.Unlock()
			tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
		if c.srtp != nil && pm.Proto == "RTP/SAVP" {
			if err := c.srtp.rekey(pm.Crypto); err != nil {
				c.mu.Unlock()
				tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
				return
			}
		}
		if pm.Addr.IsValid() && pm.Addr.Port() != 0 {
			c.relay.setRemote(pm.Addr)
		}
		switch pm.Direction {
		case "sendonly":
			dir = "recvonly"
		case "inactive":
			dir = "inactive"
		}
	}
	c.sdpVer++
	body := c.localSDPLocked(dir)
	c.mu.Unlock()
	res := sip.NewSDPResponseFromRequest(req, body)
	if v := c.onRefresh(req); v != "" {
		res.AppendHeader(sip.NewHeader("Session-Expires", v))
		if supportsTimer(req) {
			res.AppendHeader(sip.NewHeader("Require", "timer"))
		}
	}
	tx.Respond(res)
}

// sessionTimer runs RFC 4028 for an established call: when Kaz is the
// refresher it sends a refresh (re-INVITE) at half the interval; when the
// PBX is and no refresh comes, it ends the call with a BYE at the interval
// minus min(32 s, interval/3) (§10).
func (c *call) sessionTimer() {
	for {
		c.mu.Lock()
		exp, mine := c.sessExp, c.refresh
		c.mu.Unlock()
		if exp <= 0 || c.echo {
			return
		}
		if mine {
			t := time.NewTimer(exp / 2)
			select {
			case <-c.ended:
				t.Stop()
				return
			case <-t.C:
			}
			c.mu.Lock()
			dir := "sendrecv"
			if c.held {
				dir = "sendonly"
			}
			c.mu.Unlock()
			if err := c.reinvite(dir); err != nil {
				c.p.log.Warn("session refresh failed; ending call", "call_id", c.id, "err", err)
				c.hangup("error")
				return
			}
			continue
		}
		t := time.NewTimer(exp - min(32*time.Second, exp/3))
		select {
		case <-c.ended:
			t.Stop()
			return
		case <-c.refreshed:
			t.Stop()
		case <-t.C:
			c.p.log.Warn("session expired: the PBX did not refresh; ending call", "call_id", c.id, "user", c.agent.user, "interval", exp)
			c.hangup("error")
			return
		}
	}
}

// parseSessionExpires reads "1800;refresher=uac" with the RFC minimum
// of 90 s.
func parseSessionExpires(v string, uac bool) (time.Duration, bool) {
	return parseSessionExpiresMin(v, uac, 90*time.Second)
}

// sessionSeconds is the delta-seconds of a Session-Expires value, 0 when
// unreadable.
func sessionSeconds(v string) int {
	var n int
	if _, err := fmt.Sscan(strings.TrimSpace(strings.Split(v, ";")[0]), &n); err != nil || n < 0 {
		return 0
	}
	return n
}

// parseSessionExpiresMin reads "1800;refresher=uac"; intervals below
// minSE give 0. uac reports whether Kaz sent the request the header came
// with or answers (so refresher=uac means Kaz refreshes).
func parseSessionExpiresMin(v string, uac bool, minSE time.Duration) (time.Duration, bool) {
	parts := strings.Split(v, ";")
	n := sessionSeconds(v)
	if n <= 0 || time.Duration(n)*time.Second < minSE {
		return 0, false
	}
	refresher := "uac"
	for _, p := range parts[1:] {
		if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "refresher") {
			refresher = strings.ToLower(val)
		}
	}
	mine := (refresher == "uac") == uac
	return time.Duration(n) * time.Second, mine
}

// transfer sends a blind transfer (REFER, RFC 3515) and hangs up when the
// PBX reports that the target answered (or after 10 s).
func (c *call) transfer(target string) {
	target = normalizeNumber(target)
	if c.echo || !c.p.dp.Allows(target) {
		c.notify(Message{Type: "error", MessageKey: "phone.not_allowed", Text: messageTexts["phone.not_allowed"]})
		return
	}
	c.mu.Lock()
	dlg, rt := c.dlg, c.target
	c.mu.Unlock()
	if dlg == nil {
		return
	}
	req := sip.NewRequest(sip.REFER, rt)
	to := c.p.pbxURI(target)
	to.UriParams = nil
	req.AppendHeader(sip.NewHeader("Refer-To", "<"+to.String()+">"))
	c.agent.mu.Lock()
	by := c.p.pbxURI(c.agent.acct.Extension)
	c.agent.mu.Unlock()
	by.UriParams = nil
	req.AppendHeader(sip.NewHeader("Referred-By", "<"+by.String()+">"))
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	res, err := dlg.Do(ctx, req)
	cancel()
	if err != nil || !res.IsSuccess() {
		c.p.log.Warn("transfer refused", "call_id", c.id, "err", err)
		c.notify(Message{Type: "error", MessageKey: "phone.error", Text: messageTexts["phone.error"]})
		return
	}
	select {
	case <-c.transferCh:
	case <-c.ended:
		return
	case <-time.After(10 * time.Second):
	}
	c.bye()
	c.end("hangup-local", 0)
}

func (c *call) transferResult(ok bool) {
	select {
	case c.transferCh <- ok:
	default:
	}
}
