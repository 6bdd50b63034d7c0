package softphone

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/kazhq/kaz/internal/httperr"
)

// tab is one browser tab's WebSocket.
type tab struct {
	id    string
	agent *agent
	out   chan Message
	done  chan struct{}
	once  sync.Once
}

func (t *tab) send(m Message) {
	select {
	case t.out <- m:
	case <-t.done:
	default:
		// A tab that does not read its messages is dropped rather than
		// blocking every call of the agent.
		t.close()
	}
}

func (t *tab) close() { t.once.Do(func() { close(t.done) }) }

// ServeWS upgrades r to the signaling WebSocket of user and serves it
// until the tab goes away. The caller has authenticated user. The
// upgrade checks that Origin is the request's host.
func (p *Phone) ServeWS(w http.ResponseWriter, r *http.Request, user string) {
	if !p.cfg.Enabled() || p.closed.Load() {
		httperr.Write(w, r, p.log, httperr.New(http.StatusServiceUnavailable, "the softphone is not configured", nil))
		return
	}
	a, err := p.agentFor(r.Context(), user)
	if errors.Is(err, ErrNoAccount) {
		httperr.Write(w, r, p.log, httperr.New(http.StatusForbidden, "no phone account is configured for you", err))
		return
	}
	if err != nil {
		httperr.Write(w, r, p.log, httperr.New(http.StatusInternalServerError, "phone unavailable", err))
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		p.log.Debug("websocket upgrade", "user", user, "err", err)
		return
	}
	conn.SetReadLimit(maxSDP + 8192)
	t := &tab{agent: a, out: make(chan Message, 64), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // writer
		defer wg.Done()
		defer cancel()
		for {
			select {
			case m := <-t.out:
				b, _ := json.Marshal(m)
				wctx, c := context.WithTimeout(ctx, 10*time.Second)
				err := conn.Write(wctx, websocket.MessageText, b)
				c()
				if err != nil {
					t.close()
					return
				}
			case <-t.done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		select {
		case <-t.done:
		case <-p.stop:
		}
		cancel()
	}()
	hello := false
	for {
		typ, b, err := conn.Read(ctx)
		if err != nil {
			break
		}
		if typ != websocket.MessageText {
			continue
		}
		m, err := ParseMessage(b)
		if err != nil {
			t.send(errMsg("", "phone.bad_message"))
			continue
		}
		if !hello && m.Type != "hello" && m.Type != "ping" {
			t.send(errMsg(m.Ref, "phone.bad_message"))
			continue
		}
		if m.Type == "hello" && !hello {
			hello = true
			p.attachTab(a, t, m)
			continue
		}
		p.handle(ctx, t, m)
	}
	t.close()
	cancel()
	wg.Wait()
	conn.Close(websocket.StatusNormalClosure, "")
	if hello {
		p.detachTab(a, t)
	}
}

func (p *Phone) attachTab(a *agent, t *tab, m Message) {
	t.id = m.Tab
	a.mu.Lock()
	a.tabs[t] = true
	if m.Available != nil {
		a.available = *m.Available
	}
	ext, avail := a.acct.Extension, a.available
	st := Message{Type: "registration", State: a.regState, Reason: a.regReason, Code: a.regCode, Text: messageTexts[a.regReason]}
	a.mu.Unlock()
	var resumable []CallInfo
	p.mu.Lock()
	for _, c := range p.calls {
		if c.agent == a && c.resumable() {
			resumable = append(resumable, c.info())
		}
	}
	p.mu.Unlock()
	t.send(Message{Type: "welcome", Extension: ext, Available: &avail, Calls: resumable, ICEServers: p.cfg.ICEServers})
	t.send(st)
	p.updateRegistration(a)
}

func (p *Phone) detachTab(a *agent, t *tab) {
	a.mu.Lock()
	delete(a.tabs, t)
	a.mu.Unlock()
	p.mu.Lock()
	var mine []*call
	for _, c := range p.calls {
		if c.agent == a {
			mine = append(mine, c)
		}
	}
	p.mu.Unlock()
	for _, c := range mine {
		c.tabGone(t)
	}
	p.updateRegistration(a)
}

func (p *Phone) handle(ctx context.Context, t *tab, m Message) {
	a := t.agent
	switch m.Type {
	case "ping":
		t.send(Message{Type: "pong"})
	case "available":
		a.mu.Lock()
		a.available = *m.Value
		a.mu.Unlock()
		p.updateRegistration(a)
	case "dial":
		go p.dial(t, m)
	case "accept", "decline", "hangup", "hold", "dtmf", "transfer", "resume":
		c := p.call(m.CallID)
		if c == nil || c.agent != a {
			t.send(Message{Type: "state", CallID: m.CallID, State: "ended", Reason: "error"})
			return
		}
		switch m.Type {
		case "accept":
			c.accept(t, m.SDP)
		case "decline":
			c.decline(m.Reason == "decline")
		case "hangup":
			go c.hangup("hangup-local")
		case "hold":
			go c.setHold(*m.On)
		case "dtmf":
			go c.dtmf(m.Digit)
		case "transfer":
			go c.transfer(m.Target)
		case "resume":
			go c.resume(t, m.SDP)
		}
	}
}

func (p *Phone) call(id string) *call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id]
}
