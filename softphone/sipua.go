package softphone

import (
	"fmt"
	"net"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// initSIP binds the SIP port and installs the request handlers.
func (p *Phone) initSIP() error {
	var err error
	// Every sipgo layer logs into Kaz's slog (its default logger would
	// write to slog.Default).
	slog := p.log.With("sip", true)
	p.ua, err = sipgo.NewUA(sipgo.WithUserAgent("Kaz"), sipgo.WithUserAgentHostname(p.cfg.AnnounceSIP),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(slog)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(slog)))
	if err != nil {
		return fmt.Errorf("softphone: sip: %w", err)
	}
	p.srv, err = sipgo.NewServer(p.ua, sipgo.WithServerLogger(slog))
	if err != nil {
		return fmt.Errorf("softphone: sip: %w", err)
	}
	if p.cfg.Transport != "udp" {
		// TCP/TLS: requests open their own connections to the PBX; the
		// PBX reaches us on the listener below.
		ln, err := net.Listen("tcp", p.cfg.SIPListen)
		if err != nil {
			return fmt.Errorf("softphone: sip listen %s: %w", p.cfg.SIPListen, err)
		}
		go p.srv.ServeTCP(ln)
		p.sipAddr, p.sipClose = ln.Addr(), ln.Close
	} else {
		conn, err := net.ListenPacket("udp", p.cfg.SIPListen)
		if err != nil {
			return fmt.Errorf("softphone: sip listen %s: %w", p.cfg.SIPListen, err)
		}
		p.sipAddr, p.sipClose = conn.LocalAddr(), conn.Close
		go p.srv.ServeUDP(conn)
	}
	_, port := splitHostPort(p.sipAddr.String())
	opts := []sipgo.ClientOption{sipgo.WithClientLogger(slog), sipgo.WithClientHostname(p.cfg.AnnounceSIP)}
	if p.cfg.Transport == "udp" {
		lh, _ := splitHostPort(p.sipAddr.String())
		opts = append(opts, sipgo.WithClientConnectionAddr(net.JoinHostPort(lh, fmt.Sprint(port))))
	}
	p.cli, err = sipgo.NewClient(p.ua, opts...)
	if err != nil {
		return fmt.Errorf("softphone: sip: %w", err)
	}
	p.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: p.cfg.AnnounceSIP, Port: port}}
	if p.cfg.Transport != "udp" {
		p.contact.Address.UriParams = sip.NewParams()
		p.contact.Address.UriParams.Add("transport", p.cfg.Transport)
	}
	p.dlgUA = &sipgo.DialogUA{Client: p.cli, ContactHDR: p.contact}

	p.srv.OnInvite(p.onInvite)
	p.srv.OnAck(p.onAck)
	p.srv.OnBye(p.onBye)
	p.srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		// CANCEL matching an INVITE transaction is handled by the
		// transaction layer (tx.OnCancel); a stray one gets 481.
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	})
	p.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY, UPDATE"))
		tx.Respond(res)
	})
	p.srv.OnNotify(p.onNotify)
	p.srv.OnRefer(p.onRefer)
	p.srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	p.srv.OnUpdate(func(req *sip.Request, tx sip.ServerTransaction) {
		// Session refresh by UPDATE (RFC 4028) without SDP.
		if c := p.dialogCall(req); c != nil {
			res := sip.NewResponseFromRequest(req, 200, "OK", nil)
			if v := c.onRefresh(req); v != "" {
				res.AppendHeader(sip.NewHeader("Session-Expires", v))
			}
			tx.Respond(res)
			return
		}
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	})
	p.srv.OnRegister(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil))
	})
	return nil
}

// dialogCall finds the call an in-dialog request belongs to.
func (p *Phone) dialogCall(req *sip.Request) *call {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if c := p.dialogs[id]; c != nil {
			return c
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if c := p.dialogs[id]; c != nil {
			return c
		}
	}
	return nil
}

func (p *Phone) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := p.dialogCall(req); c != nil {
		c.readAck(req, tx)
	}
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := p.dialogCall(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	c.remoteBye()
}

func (p *Phone) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	c := p.dialogCall(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	body := string(req.Body())
	if ev := req.GetHeader("Event"); ev != nil && strings.HasPrefix(strings.ToLower(ev.Value()), "refer") {
		// RFC 3515: the sipfrag body carries the transfer's progress.
		if strings.HasPrefix(body, "SIP/2.0 ") && len(body) >= 11 && body[8] >= '2' {
			c.transferResult(body[8] == '2')
		}
	}
}

// onRefer answers a REFER from the PBX side (the remote party asking the
// agent's leg to call someone else). Following it would need a new media
// leg from the browser without the agent's consent, so Kaz declines it
// (603); blind transfer initiated by the agent uses REFER the other way.
func (p *Phone) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	if p.dialogCall(req) == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 603, "Decline", nil))
}
