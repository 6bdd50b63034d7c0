package softphone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/prometheus/client_golang/prometheus"
)

// Phone is the softphone: per-agent SIP registrations at the PBX, the
// WebSocket signaling hub of the agents' tabs, and the calls bridged
// between them.
type Phone struct {
	cfg   Config
	log   *slog.Logger
	store *Store
	media *mediaEngine
	dp    dialPlan

	ua       *sipgo.UserAgent
	srv      *sipgo.Server
	cli      *sipgo.Client
	sipAddr  net.Addr
	sipClose func() error
	contact  sip.ContactHeader
	dlgUA    *sipgo.DialogUA

	mu      sync.Mutex
	agents  map[string]*agent // by user
	calls   map[string]*call  // by Kaz call id
	dialogs map[string]*call  // by SIP dialog id
	nActive int               // calls counted against MaxCalls

	grace   atomic.Int64 // reconnection grace, ns (adjustable by tests)
	pbxUp   atomic.Bool
	pbxMu   sync.Mutex
	pbxBack chan struct{} // closed (and replaced) when the PBX comes back

	stop    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup
	closed  atomic.Bool
}

// New builds the softphone from cfg: it opens the account store (creating
// the key file in dataDir), binds the SIP port and the WebRTC media port.
// Background work starts with Run.
func New(ctx context.Context, cfg Config, db *sqldb.DB, dataDir string, log *slog.Logger) (*Phone, error) {
	if log == nil {
		log = slog.New(discardHandler{})
	}
	log = log.With("component", "softphone")
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("softphone: config: %w", err)
	}
	cfg = cfg.withDefaults()
	keyPath := cfg.KeyFile
	if !filepath.IsAbs(keyPath) {
		keyPath = filepath.Join(dataDir, keyPath)
	}
	st, err := OpenStore(ctx, db, keyPath)
	if err != nil {
		return nil, err
	}
	p := &Phone{cfg: cfg, log: log, store: st, agents: map[string]*agent{}, calls: map[string]*call{}, dialogs: map[string]*call{},
		pbxBack: make(chan struct{}), stop: make(chan struct{})}
	p.grace.Store(int64(cfg.ReconnectGrace))
	if !cfg.Enabled() {
		return p, nil
	}
	if p.dp, err = compileDialPlan(cfg.DialPlan); err != nil {
		return nil, err
	}
	if p.media, err = newMediaEngine(cfg, log); err != nil {
		return nil, err
	}
	if err := p.initSIP(); err != nil {
		p.media.close()
		return nil, err
	}
	return p, nil
}

// Store gives the account and history store (for the admin command and
// the admin page).
func (p *Phone) Store() *Store { return p.store }

// SetAccount stores user's phone account (the password encrypted).
func (p *Phone) SetAccount(ctx context.Context, user string, a Account) error {
	return p.store.SetAccount(ctx, user, a)
}

// Account returns user's phone account without its password.
func (p *Phone) Account(ctx context.Context, user string) (Account, error) {
	return p.store.Account(ctx, user)
}

// DeleteAccount removes user's phone account.
func (p *Phone) DeleteAccount(ctx context.Context, user string) error {
	return p.store.DeleteAccount(ctx, user)
}

// Accounts lists every phone account without passwords.
func (p *Phone) Accounts(ctx context.Context) ([]Account, error) { return p.store.Accounts(ctx) }

// History returns user's latest calls, newest first.
func (p *Phone) History(ctx context.Context, user string, limit int) ([]CallRecord, error) {
	return p.store.History(ctx, user, limit)
}

// Enabled reports whether a PBX is configured.
func (p *Phone) Enabled() bool { return p.cfg.Enabled() }

// SIPAddr is the local SIP listen address (useful with port 0).
func (p *Phone) SIPAddr() net.Addr { return p.sipAddr }

// WebRTCAddr is the UDP address of the browsers' media.
func (p *Phone) WebRTCAddr() net.Addr { return p.media.addr() }

// Run keeps the SIP listener and the PBX keep-alive going until ctx ends
// or Close is called.
func (p *Phone) Run(ctx context.Context) error {
	if !p.cfg.Enabled() {
		<-ctx.Done()
		return nil
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.keepAlive()
	}()
	select {
	case <-ctx.Done():
	case <-p.stop:
	}
	return p.Close()
}

// Close hangs up every call, unregisters every agent and releases the
// ports. It is safe to call more than once.
func (p *Phone) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	p.stopped.Do(func() { close(p.stop) })
	p.mu.Lock()
	calls := make([]*call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	agents := make([]*agent, 0, len(p.agents))
	for _, a := range p.agents {
		agents = append(agents, a)
	}
	p.mu.Unlock()
	for _, c := range calls {
		c.hangup("hangup-local")
	}
	for _, a := range agents {
		a.mu.Lock()
		for t := range a.tabs {
			t.close()
		}
		a.mu.Unlock()
		p.updateRegistration(a)
	}
	p.wg.Wait()
	if p.ua != nil {
		p.srv.Close()
		p.ua.Close()
	}
	if p.sipClose != nil {
		p.sipClose()
	}
	if p.media != nil {
		p.media.close()
	}
	return nil
}

// Status is the admin view: registrations and calls in progress.
type Status struct {
	Enabled       bool               `json:"enabled"`
	PBX           string             `json:"pbx"`
	PBXReachable  bool               `json:"pbx_reachable"`
	Registrations []RegistrationInfo `json:"registrations"`
	Calls         []CallInfo         `json:"calls"`
	MaxCalls      int                `json:"max_calls"`
}

// RegistrationInfo is one agent's registration in Status.
type RegistrationInfo struct {
	User      string    `json:"user"`
	Extension string    `json:"extension"`
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	Code      int       `json:"code,omitempty"`
	Tabs      int       `json:"tabs"`
	Available bool      `json:"available"`
	Since     time.Time `json:"since"`
}

// Status returns the live view of registrations and calls for admins.
func (p *Phone) Status() Status {
	st := Status{Enabled: p.cfg.Enabled(), PBX: p.cfg.PBX, PBXReachable: p.pbxUp.Load(), MaxCalls: p.cfg.MaxCalls,
		Registrations: []RegistrationInfo{}, Calls: []CallInfo{}}
	p.mu.Lock()
	for _, a := range p.agents {
		a.mu.Lock()
		st.Registrations = append(st.Registrations, RegistrationInfo{User: a.user, Extension: a.acct.Extension, State: a.regState,
			Reason: a.regReason, Code: a.regCode, Tabs: len(a.tabs), Available: a.available, Since: a.regSince})
		a.mu.Unlock()
	}
	for _, c := range p.calls {
		st.Calls = append(st.Calls, c.info())
	}
	p.mu.Unlock()
	sort.Slice(st.Registrations, func(i, j int) bool { return st.Registrations[i].User < st.Registrations[j].User })
	sort.Slice(st.Calls, func(i, j int) bool { return st.Calls[i].Started.Before(st.Calls[j].Started) })
	return st
}

// pbxBackCh returns a channel closed the next time the PBX comes back
// after being unreachable.
func (p *Phone) pbxBackCh() <-chan struct{} {
	p.pbxMu.Lock()
	defer p.pbxMu.Unlock()
	return p.pbxBack
}

// keepAlive probes the PBX with OPTIONS; when it answers again after a
// silence every registration is refreshed at once (a restarted PBX has
// usually lost its location table).
func (p *Phone) keepAlive() {
	t := time.NewTicker(p.cfg.KeepAlive)
	defer t.Stop()
	up := true
	p.pbxUp.Store(true)
	fails := 0
	for {
		ok := p.probe()
		if ok {
			fails = 0
		} else if fails++; fails < 2 {
			ok = up // one lost UDP probe is not an outage
		}
		if ok && !up {
			p.log.Info("PBX reachable again; registering every agent")
			p.pbxMu.Lock()
			close(p.pbxBack)
			p.pbxBack = make(chan struct{})
			p.pbxMu.Unlock()
		}
		if !ok && up {
			p.log.Warn("PBX unreachable", "pbx", p.cfg.PBX)
			p.mu.Lock()
			var regd []*agent
			for _, a := range p.agents {
				a.mu.Lock()
				if a.regStop != nil && a.regState == "registered" {
					regd = append(regd, a)
				}
				a.mu.Unlock()
			}
			p.mu.Unlock()
			for _, a := range regd {
				a.setReg("failed", "phone.reg.pbx_unreachable", 0)
			}
		}
		up = ok
		p.pbxUp.Store(ok)
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
	}
}

func (p *Phone) probe() bool {
	ctx, cancel := context.WithTimeout(context.Background(), max(time.Second, p.cfg.KeepAlive))
	defer cancel()
	req := sip.NewRequest(sip.OPTIONS, p.pbxURI(""))
	req.SetDestination(p.cfg.PBX)
	req.SetTransport(p.cfg.Transport)
	res, err := p.cli.Do(ctx, req)
	if err != nil {
		p.log.Debug("PBX probe", "err", err)
	}
	return err == nil && res != nil
}

var errClosed = errors.New("softphone: closed")

// Disconnect closes every tab of user (sign-out, account removed): the
// extension is unregistered; calls in progress wait out the reconnection
// grace like after a dropped connection.
func (p *Phone) Disconnect(user string) {
	p.mu.Lock()
	a := p.agents[user]
	p.mu.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	for t := range a.tabs {
		t.close()
	}
	a.mu.Unlock()
}

// Collectors returns Prometheus collectors for calls and registrations.
func (p *Phone) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "kaz", Subsystem: "phone", Name: "calls", Help: "Calls in progress (bridged or echo)."},
			func() float64 {
				p.mu.Lock()
				defer p.mu.Unlock()
				return float64(len(p.calls))
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "kaz", Subsystem: "phone", Name: "registered", Help: "Extensions registered at the PBX."},
			func() float64 {
				n := 0
				for _, r := range p.Status().Registrations {
					if r.State == "registered" {
						n++
					}
				}
				return float64(n)
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "kaz", Subsystem: "phone", Name: "pbx_up", Help: "1 when the PBX answers OPTIONS."},
			func() float64 {
				if p.pbxUp.Load() {
					return 1
				}
				return 0
			}),
	}
}
