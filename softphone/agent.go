package softphone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
)

// agent is one Kaz user with open tabs.
type agent struct {
	p    *Phone
	user string

	mu        sync.Mutex
	acct      Account // with password; SIP use only
	tabs      map[*tab]bool
	available bool
	regState  string
	regReason string
	regCode   int
	regSince  time.Time
	regStop   chan struct{} // non-nil while the registration loop runs
	regDone   chan struct{}
	recent    []time.Time // outbound call times, for the rate limit
}

func (p *Phone) agentFor(ctx context.Context, user string) (*agent, error) {
	acct, err := p.store.accountWithSecret(ctx, user)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.agents[user]
	if a == nil {
		a = &agent{p: p, user: user, tabs: map[*tab]bool{}, available: true, regState: "unregistered", regSince: time.Now()}
		p.agents[user] = a
	}
	a.mu.Lock()
	a.acct = acct
	a.mu.Unlock()
	return a, nil
}

// agentByExtension finds the agent a call to ext is for.
func (p *Phone) agentByExtension(ext string) *agent {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.agents {
		a.mu.Lock()
		e := a.acct.Extension
		a.mu.Unlock()
		if e == ext {
			return a
		}
	}
	return nil
}

func (a *agent) broadcast(m Message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for t := range a.tabs {
		t.send(m)
	}
}

func (a *agent) tabCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.tabs)
}

// allowCall applies the per-agent rate limit.
func (a *agent) allowCall(perMinute int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	keep := a.recent[:0]
	for _, t := range a.recent {
		if now.Sub(t) < time.Minute {
			keep = append(keep, t)
		}
	}
	a.recent = keep
	if perMinute > 0 && len(a.recent) >= perMinute {
		return false
	}
	a.recent = append(a.recent, now)
	return true
}

func (a *agent) setReg(state, reason string, code int) {
	a.mu.Lock()
	changed := a.regState != state || a.regReason != reason || a.regCode != code
	a.regState, a.regReason, a.regCode = state, reason, code
	if changed {
		a.regSince = time.Now()
	}
	tabs := make([]*tab, 0, len(a.tabs))
	for t := range a.tabs {
		tabs = append(tabs, t)
	}
	a.mu.Unlock()
	if changed {
		a.p.log.Info("registration", "user", a.user, "state", state, "code", code)
		for _, t := range tabs {
			t.send(Message{Type: "registration", State: state, Reason: reason, Code: code, Text: messageTexts[reason]})
		}
	}
}

// updateRegistration starts or stops the agent's registration loop: the
// extension stays registered while the agent has a tab open and is
// available.
func (p *Phone) updateRegistration(a *agent) {
	a.mu.Lock()
	want := len(a.tabs) > 0 && a.available && !p.closed.Load()
	if want && a.regStop == nil {
		prev := a.regDone
		a.regStop, a.regDone = make(chan struct{}), make(chan struct{})
		stop, done := a.regStop, a.regDone
		a.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer close(done)
			if prev != nil {
				<-prev // the previous loop's un-REGISTER goes first
			}
			select {
			case <-stop:
				return
			default:
			}
			p.registerLoop(a, stop)
		}()
		return
	}
	if !want && a.regStop != nil {
		close(a.regStop)
		a.regStop = nil
	}
	a.mu.Unlock()
}

// registerLoop keeps a's extension registered until stop closes, then
// unregisters it. Failures retry with a back-off capped at 2 s so that a
// PBX that comes back sees the agent again within seconds.
func (p *Phone) registerLoop(a *agent, stop chan struct{}) {
	callID := uuid.NewString()
	var cseq uint32
	backoff := 500 * time.Millisecond
	a.setReg("registering", "", 0)
	for {
		cseq++
		exp, code, err := p.register(a, callID, &cseq, p.cfg.RegisterExpiry)
		var wait time.Duration
		if err == nil {
			a.setReg("registered", "", code)
			backoff = 500 * time.Millisecond
			// Refresh well before expiry (RFC 3261 §10.2.4).
			wait = exp * 8 / 10
			if exp > 60*time.Second {
				wait = exp - 30*time.Second
			}
		} else {
			a.setReg("failed", regReason(code, err), code)
			wait = backoff
			backoff = min(backoff*2, 2*time.Second)
			if code == 401 || code == 403 || code == 407 {
				wait = 30 * time.Second // wrong password: do not hammer the PBX
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-stop:
			t.Stop()
			cseq++
			p.register(a, callID, &cseq, 0)
			a.setReg("unregistered", "", 0)
			return
		case <-p.pbxBackCh():
			t.Stop()
		case <-t.C:
		}
	}
}

func regReason(code int, err error) string {
	switch {
	case code == 401 || code == 403 || code == 407:
		return "phone.reg.auth_failed"
	case code >= 500:
		return "phone.reg.pbx_error"
	case code > 0:
		return "phone.reg.rejected"
	case errors.Is(err, context.DeadlineExceeded):
		return "phone.reg.pbx_unreachable"
	default:
		return "phone.reg.pbx_unreachable"
	}
}

func (p *Phone) pbxURI(user string) sip.Uri {
	host, port := splitHostPort(p.cfg.PBX)
	u := sip.Uri{Scheme: "sip", User: user, Host: p.cfg.Domain}
	if p.cfg.Domain == host {
		u.Port = port
	}
	if p.cfg.Transport != "udp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", p.cfg.Transport)
	}
	return u
}

// register sends one REGISTER (expires 0 removes the binding) with digest
// authentication, returning the lifetime the PBX granted.
func (p *Phone) register(a *agent, callID string, cseq *uint32, expires time.Duration) (time.Duration, int, error) {
	a.mu.Lock()
	acct := a.acct
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	aor := p.pbxURI(acct.Extension)
	aor.UriParams = nil
	req := sip.NewRequest(sip.REGISTER, p.pbxURI(""))
	req.SetDestination(p.cfg.PBX)
	req.SetTransport(p.cfg.Transport)
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", uuid.NewString()[:8])
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: *cseq, MethodName: sip.REGISTER})
	ct := p.contact
	ct.Address.User = acct.Extension
	req.AppendHeader(&ct)
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(int(expires.Seconds()))))
	res, err := p.cli.Do(ctx, req)
	if err != nil {
		return 0, 0, err
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res, err = p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: acct.AuthUser, Password: acct.Password})
		*cseq = req.CSeq().SeqNo
		if err != nil {
			return 0, 0, err
		}
	}
	if !res.IsSuccess() {
		return 0, res.StatusCode, fmt.Errorf("register: %d %s", res.StatusCode, res.Reason)
	}
	granted := expires
	if h := res.GetHeader("Expires"); h != nil {
		var n int
		if _, err := fmt.Sscan(h.Value(), &n); err == nil && n > 0 {
			granted = time.Duration(n) * time.Second
		}
	}
	for _, h := range res.GetHeaders("Contact") {
		if i := strings.Index(h.Value(), "expires="); i >= 0 {
			var n int
			if _, err := fmt.Sscan(strings.TrimLeft(h.Value()[i+8:], " "), &n); err == nil && n > 0 && time.Duration(n)*time.Second < granted {
				granted = time.Duration(n) * time.Second
			}
		}
	}
	if granted < 10*time.Second {
		granted = 10 * time.Second
	}
	return granted, res.StatusCode, nil
}
