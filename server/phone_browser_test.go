package server_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/server"
	"github.com/kazhq/kaz/server/auth"
	"github.com/kazhq/kaz/softphone"
)

// phoneRig is a whole telephone set-up on loopback: Kamailio as the PBX,
// baresip desk phones, Kaz with the softphone, and headless Chromium
// signed in as an agent whose fake microphone plays 440 Hz.
type phoneRig struct {
	t    *testing.T
	pbx  *kamailio
	desk *deskPhone // 1002, sends 1 kHz
	kaz  *testenv.Server
	ctx  context.Context // the browser tab

	store *softphone.Store
}

const (
	agentExt  = "1001"
	agentPass = "agent-secret-1001"
	deskExt   = "1002"
	deskPass  = "desk-secret-1002"
	thirdExt  = "1003"
	thirdPass = "third-secret-1003"
)

func newPhoneRig(t *testing.T) *phoneRig {
	t.Helper()
	testenv.Peer(t, "chromium")
	testenv.Peer(t, "baresip")
	pbx := startKamailio(t, map[string]string{agentExt: agentPass, deskExt: deskPass, thirdExt: thirdPass})
	desk := startDeskPhone(t, pbx.Addr(), deskExt, deskPass, 1000)

	sipPort := freePhoneUDPPort(t, false)
	rtpMin := 40000 + (sipPort*13)%20000
	kaz := testenv.NewServer(t, func(c *server.Config) {
		c.Phone.PBX = pbx.Addr()
		c.Phone.Transport = "udp"
		c.Phone.SIPListen = "127.0.0.1:" + strconv.Itoa(sipPort)
		c.Phone.AnnounceSIP = "127.0.0.1"
		c.Phone.RTPPortMin, c.Phone.RTPPortMax = rtpMin, rtpMin+200
		c.Phone.WebRTCPort = 0
		c.Phone.WebRTCListen = "127.0.0.1"
		c.Phone.AnnounceWebRTC = "127.0.0.1"
		c.Phone.KeepAlive = time.Second
		c.Phone.ReconnectGrace = 20 * time.Second
		c.Phone.CallsPerMinute = 100
		c.Phone.DialPlan = []string{`1[0-9]{3}`, `\*43`}
	})
	ctx := t.Context()
	if err := kaz.Kaz().Dir().Add(ctx, directory.User{Name: "alice", DisplayName: "Alice Martin", Groups: []string{"admins"}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"bob", "carol"} {
		if err := kaz.Kaz().Dir().Add(ctx, directory.User{Name: u, DisplayName: strings.ToUpper(u[:1]) + u[1:]}); err != nil {
			t.Fatal(err)
		}
	}
	store, err := softphone.OpenStore(ctx, kaz.Kaz().DB(), server.PhoneKeyPath(kaz.Cfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetAccount(ctx, "alice", softphone.Account{Extension: agentExt, Password: agentPass}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetAccount(ctx, "bob", softphone.Account{Extension: deskExt, Password: deskPass}); err != nil {
		t.Fatal(err)
	}

	wav := filepath.Join(t.TempDir(), "tone440.wav")
	writeToneWAV(t, wav, 440, 10)
	bctx := testenv.Browser(t, testenv.BrowserOptions{
		FakeAudioFile: wav,
		Flags:         map[string]any{"allow-loopback-in-peer-connection": true},
		Timeout:       4 * time.Minute,
	})
	r := &phoneRig{t: t, pbx: pbx, desk: desk, kaz: kaz, ctx: bctx, store: store}
	r.signIn("alice")
	r.run(chromedp.Navigate(kaz.URL + "/#/phone"))
	r.waitJS(`document.querySelector('[data-testid=phone-status]')?.dataset.state === 'registered'`, 20*time.Second, "registration at the PBX")
	return r
}

// signIn gives the browser a session of user, as the sign-in flow would.
func (r *phoneRig) signIn(user string) {
	r.t.Helper()
	st, err := auth.OpenStore(r.t.Context(), r.kaz.Kaz().DB())
	if err != nil {
		r.t.Fatal(err)
	}
	token, err := st.CreateSession(r.t.Context(), &auth.Session{User: user, AMR: []string{"pwd", "otp", "mfa"}}, time.Hour)
	if err != nil {
		r.t.Fatal(err)
	}
	r.run(chromedp.ActionFunc(func(ctx context.Context) error {
		return network.SetCookie(auth.SessionCookie, token).WithURL(r.kaz.URL + "/").WithPath("/").
			WithHTTPOnly(true).WithSameSite(network.CookieSameSiteLax).Do(ctx)
	}))
}

func (r *phoneRig) run(actions ...chromedp.Action) {
	r.t.Helper()
	if err := chromedp.Run(r.ctx, actions...); err != nil {
		r.t.Fatalf("browser: %v\n%s", err, r.pageState())
	}
}

// click clicks the element with data-testid id (by script, so that a
// banner overlapping it does not matter).
func (r *phoneRig) click(id string) {
	r.t.Helper()
	r.waitJS(fmt.Sprintf(`(() => { const e = document.querySelector('[data-testid=%q]'); return !!e && !e.disabled && !e.closest('[hidden]'); })()`, id), 10*time.Second, id+" enabled")
	r.run(chromedp.Evaluate(fmt.Sprintf(`document.querySelector('[data-testid=%q]').click()`, id), nil))
}

// waitJS polls a boolean expression in the page.
func (r *phoneRig) waitJS(expr string, timeout time.Duration, what string) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := chromedp.Run(r.ctx, chromedp.Evaluate(expr, &ok))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || r.ctx.Err() != nil {
			r.t.Fatalf("waiting for %s: timed out (err %v)\n%s", what, err, r.pageState())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// callState is the text of call-state.
func (r *phoneRig) callState() string {
	var s string
	chromedp.Run(r.ctx, chromedp.Evaluate(`document.querySelector('[data-testid=call-state]')?.textContent || ''`, &s))
	return s
}

func (r *phoneRig) waitState(want string, timeout time.Duration) {
	r.t.Helper()
	r.waitJS(fmt.Sprintf(`document.querySelector('[data-testid=call-state]')?.textContent === %q`, want), timeout, "call-state "+want)
}

type phoneCallStats struct {
	RxPackets, TxPackets int
	RxLevel              float64
	RxFreq               float64
}

func (r *phoneRig) stats() phoneCallStats {
	var m map[string]string
	chromedp.Run(r.ctx, chromedp.Evaluate(`Object.assign({}, document.querySelector('[data-testid=call-stats]')?.dataset || {})`, &m))
	var s phoneCallStats
	s.RxPackets, _ = strconv.Atoi(m["rxPackets"])
	s.TxPackets, _ = strconv.Atoi(m["txPackets"])
	s.RxLevel, _ = strconv.ParseFloat(m["rxLevel"], 64)
	s.RxFreq, _ = strconv.ParseFloat(m["rxFreq"], 64)
	return s
}

// waitHearing waits until the page's analyser shows freq (±5%) in the
// received audio with packets flowing both ways, after packets beyond
// minRx were received.
func (r *phoneRig) waitHearing(freq float64, minRx int, timeout time.Duration) phoneCallStats {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	var s phoneCallStats
	for {
		s = r.stats()
		if s.RxPackets > minRx && s.TxPackets > 0 && math.Abs(s.RxFreq-freq) <= freq*0.05 {
			return s
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the browser does not hear %.0f Hz: last stats %+v\n%s", freq, s, r.pageState())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pageState describes the page for failure messages.
func (r *phoneRig) pageState() string {
	var s string
	chromedp.Run(r.ctx, chromedp.Evaluate(`(() => {
		const q = (id) => document.querySelector('[data-testid=' + id + ']');
		const st = q('phone-status'), cs = q('call-state'), stats = q('call-stats'), err = q('phone-error'), reason = q('call-reason');
		return JSON.stringify({status: st && st.textContent, regState: st && st.dataset.state, call: cs && cs.textContent,
			stats: stats && Object.assign({}, stats.dataset), error: err && !err.hidden && err.textContent, reason: reason && reason.dataset.reason,
			incoming: !!q('incoming-call') && !q('incoming-call').hidden});
	})()`, &s))
	return "page: " + s + "\nkaz log tail:\n" + r.kaz.Log.Tail(15)
}

// deskHeard checks that the desk phone's newest recording holds at least a
// second of freq.
func (r *phoneRig) deskHeard(d *deskPhone, since int, freq float64) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for {
		recs := d.Recordings()
		if len(recs) > since {
			x, rate, err := readWAV(recs[len(recs)-1])
			if err == nil {
				secs := toneSeconds(x, rate, freq)
				if secs >= 1 {
					return
				}
				last = fmt.Sprintf("%s: %.2f s of %.0f Hz in %.1f s of audio", filepath.Base(recs[len(recs)-1]), secs, freq, float64(len(x))/float64(max(rate, 1)))
			} else {
				last = err.Error()
			}
		} else {
			last = fmt.Sprintf("no new recording (%d files)", len(recs))
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("desk phone %s did not hear %.0f Hz: %s", d.Ext, freq, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestPhoneBrowserCalls drives the phone panel in Chromium against a real
// PBX and desk phones: outbound and inbound calls with audio checked by
// frequency both ways, DTMF, hold/resume, reload mid-call, echo test,
// blind transfer, decline, and re-registration after a PBX restart.
func TestPhoneBrowserCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("browser telephony test skipped in -short mode")
	}
	r := newPhoneRig(t)
	desk := r.desk

	t.Run("OutboundCallCarriesAudioBothWays", func(t *testing.T) {
		r.t = t
		recs := len(desk.Recordings())
		mark := desk.Mark()
		r.run(chromedp.SetValue(`[data-testid=dial-input]`, deskExt, chromedp.ByQuery))
		r.click("dial-button")
		r.waitState("active", 20*time.Second)
		if _, ok := desk.WaitEvent(mark, "CALL_ESTABLISHED", "", 10*time.Second); !ok {
			t.Fatalf("desk phone did not establish the call: %s", desk.Events(mark))
		}
		s := r.waitHearing(1000, 20, 15*time.Second)
		t.Logf("browser hears %.0f Hz (rx %d packets, tx %d)", s.RxFreq, s.RxPackets, s.TxPackets)
		r.deskHeard(desk, recs, 440)

		// DTMF from the keypad reaches the desk phone as RFC 4733 events.
		m2 := desk.Mark()
		r.click("dtmf-5")
		if _, ok := desk.WaitEvent(m2, "CALL_DTMF_START", "5", 10*time.Second); !ok {
			t.Errorf("desk phone did not receive DTMF 5: %s", desk.Events(m2))
		}
		r.click("dtmf-#")
		if _, ok := desk.WaitEvent(m2, "CALL_DTMF_START", "#", 10*time.Second); !ok {
			t.Errorf("desk phone did not receive DTMF #: %s", desk.Events(m2))
		}

		// Hold, then resume: audio comes back.
		r.click("hold-button")
		r.waitState("held", 10*time.Second)
		r.click("hold-button")
		r.waitState("active", 10*time.Second)
		before := r.stats().RxPackets
		r.waitHearing(1000, before+50, 15*time.Second)

		// A reload mid-call resumes the call in the new page.
		r.run(chromedp.Reload())
		r.waitState("active", 20*time.Second)
		r.waitHearing(1000, 20, 15*time.Second)

		m3 := desk.Mark()
		r.click("hangup-button")
		r.waitState("ended", 10*time.Second)
		if _, ok := desk.WaitEvent(m3, "CALL_CLOSED", "", 10*time.Second); !ok {
			t.Fatalf("desk phone call not closed after hang-up: %s", desk.Events(m3))
		}
	})

	t.Run("InboundCallAnsweredInBrowser", func(t *testing.T) {
		r.t = t
		recs := len(desk.Recordings())
		mark := desk.Mark()
		desk.Dial(agentExt)
		r.waitJS(`(() => { const b = document.querySelector('[data-testid=incoming-call]'); return !!b && !b.hidden; })()`, 15*time.Second, "incoming-call banner")
		r.waitState("ringing", 5*time.Second)
		r.click("answer-button")
		r.waitState("active", 20*time.Second)
		if _, ok := desk.WaitEvent(mark, "CALL_ESTABLISHED", "", 10*time.Second); !ok {
			t.Fatalf("desk phone call not established: %s", desk.Events(mark))
		}
		r.waitHearing(1000, 20, 15*time.Second)
		r.deskHeard(desk, recs, 440)
		desk.Hangup()
		r.waitState("ended", 10*time.Second)
		r.waitJS(`document.querySelector('[data-testid=call-reason]')?.dataset.reason === 'hangup-remote'`, 5*time.Second, "reason hangup-remote")
	})

	t.Run("EchoTestReturnsOwnVoice", func(t *testing.T) {
		r.t = t
		r.click("echo-button")
		r.waitState("active", 15*time.Second)
		r.waitHearing(440, 20, 15*time.Second)
		r.click("hangup-button")
		r.waitState("ended", 10*time.Second)
	})

	t.Run("DeviceSelectionIsRememberedAndUsed", func(t *testing.T) {
		r.t = t
		// Record what the page asks of the devices (Chromium's fake ones).
		var ok bool
		r.run(chromedp.Evaluate(`(() => {
			if (window.__kazDev) return true;
			window.__kazDev = {gum: [], sinks: []};
			const md = navigator.mediaDevices, gum = md.getUserMedia.bind(md);
			md.getUserMedia = (c) => { window.__kazDev.gum.push(JSON.parse(JSON.stringify(c))); return gum(c); };
			const ss = HTMLMediaElement.prototype.setSinkId;
			if (ss) HTMLMediaElement.prototype.setSinkId = function (id) { window.__kazDev.sinks.push(id); return ss.call(this, id); };
			return true;
		})()`, &ok))
		// The microphone test grants the microphone: devices get labels.
		r.click("mic-test")
		r.waitJS(`document.querySelectorAll('[data-testid=mic-select] option').length >= 3`, 10*time.Second, "fake microphones listed")
		r.click("mic-test")
		choose := func(testid string, index int) string {
			var v string
			r.run(chromedp.Evaluate(fmt.Sprintf(`(() => {
				const s = document.querySelector('[data-testid=%s]');
				if (s.options.length <= %d) return '';
				s.value = s.options[%d].value;
				s.dispatchEvent(new Event('change'));
				return s.value;
			})()`, testid, index, index), &v))
			return v
		}
		mic := choose("mic-select", 2)
		if mic == "" {
			t.Fatal("no second fake microphone to choose")
		}
		out := choose("output-select", 1) // "" when the browser lists no output
		var saved string
		r.run(chromedp.Evaluate(`localStorage.getItem('kaz.phone.devices') || ''`, &saved))
		if !strings.Contains(saved, mic) || !strings.Contains(saved, `"output":"`+out+`"`) {
			t.Fatalf("saved device choice %s, want mic %s and output %q", saved, mic, out)
		}

		// A call captures the chosen microphone and plays on the chosen output.
		r.click("echo-button")
		r.waitState("active", 15*time.Second)
		usedMic := func(id string) string {
			return fmt.Sprintf(`window.__kazDev.gum.some((c) => c.audio && c.audio.deviceId && c.audio.deviceId.exact === %q)`, id)
		}
		r.waitJS(usedMic(mic), 5*time.Second, "getUserMedia with the chosen microphone")
		if out != "" {
			r.waitJS(fmt.Sprintf(`window.__kazDev.sinks.includes(%q)`, out), 5*time.Second, "call audio routed to the chosen output")
		} else {
			t.Log("Chromium lists no audio output here: output routing not checked")
		}
		r.waitHearing(440, 20, 15*time.Second)

		// Switching the microphone mid-call takes effect; audio goes on.
		other := choose("mic-select", 1)
		r.waitJS(usedMic(other), 5*time.Second, "getUserMedia with the newly chosen microphone")
		before := r.stats().RxPackets
		r.waitHearing(440, before+50, 15*time.Second)
		r.click("hangup-button")
		r.waitState("ended", 10*time.Second)
		choose("mic-select", 0) // back to the default devices for the next subtests
		choose("output-select", 0)
	})

	t.Run("BlindTransferHandsCallOver", func(t *testing.T) {
		r.t = t
		third := startDeskPhone(t, r.pbx.Addr(), thirdExt, thirdPass, 700)
		mark := desk.Mark()
		m3 := third.Mark()
		r.run(chromedp.SetValue(`[data-testid=dial-input]`, deskExt, chromedp.ByQuery))
		r.click("dial-button")
		r.waitState("active", 20*time.Second)
		r.waitHearing(1000, 20, 15*time.Second)
		r.run(chromedp.SetValue(`[data-testid=transfer-input]`, thirdExt, chromedp.ByQuery))
		r.click("transfer-button")
		if _, ok := third.WaitEvent(m3, "CALL_ESTABLISHED", "", 20*time.Second); !ok {
			t.Fatalf("the transfer target did not get the call: %s / desk: %s", third.Events(m3), desk.Events(mark))
		}
		r.waitState("ended", 15*time.Second)
		third.Hangup()
	})

	t.Run("DirectoryClickToCall", func(t *testing.T) {
		r.t = t
		r.run(chromedp.SendKeys(`[data-testid=directory-input]`, "durand", chromedp.ByQuery))
		r.click("call-bob")
		r.waitState("active", 20*time.Second)
		r.waitJS(`document.querySelector('[data-testid=call-peer]')?.textContent.includes('1002')`, 5*time.Second, "peer shown")
		r.waitHearing(1000, 20, 15*time.Second)
		r.click("hangup-button")
		r.waitState("ended", 10*time.Second)
	})

	t.Run("MissedCallShowsInHistoryWithBadge", func(t *testing.T) {
		r.t = t
		desk.Dial(agentExt)
		r.waitJS(`(() => { const b = document.querySelector('[data-testid=incoming-call]'); return !!b && !b.hidden; })()`, 15*time.Second, "incoming-call banner")
		desk.Hangup()
		r.waitJS(`(() => { const b = document.querySelector('[data-testid=incoming-call]'); return !!b && b.hidden; })()`, 10*time.Second, "banner gone after the caller gave up")
		r.waitState("ended", 5*time.Second)
		r.waitJS(`Number(document.querySelector('[data-testid=missed-badge]')?.dataset.count) >= 1`, 10*time.Second, "missed-call badge")
		r.waitJS(`!!document.querySelector('[data-testid=call-history] li[data-outcome=missed][data-direction=inbound]')`, 5*time.Second, "missed call in the history")
		r.waitJS(`!!document.querySelector('[data-testid=call-history] li[data-outcome=answered][data-direction=outbound]')`, 5*time.Second, "answered outbound call in the history")
		r.click("missed-badge")
		r.waitJS(`document.querySelector('[data-testid=missed-badge]')?.dataset.count === '0'`, 5*time.Second, "badge cleared once seen")
	})

	t.Run("UnavailableAgentDoesNotRing", func(t *testing.T) {
		r.t = t
		r.click("available-switch")
		r.waitJS(`document.querySelector('[data-testid=phone-status]')?.dataset.state === 'unavailable'`, 5*time.Second, "unavailable shown")
		// The extension is unregistered at the PBX: the caller gets an error, no tab rings.
		deadline := time.Now().Add(15 * time.Second)
		for {
			mark := desk.Mark()
			desk.Dial(agentExt)
			e, ok := desk.WaitEvent(mark, "CALL_CLOSED", "", 5*time.Second)
			if !ok {
				t.Fatalf("call to an unavailable agent not refused: %s", desk.Events(mark))
			}
			if p, _ := e["param"].(string); strings.HasPrefix(p, "4") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("call to an unavailable agent: %v", e)
			}
			time.Sleep(300 * time.Millisecond)
		}
		r.click("available-switch")
		r.waitJS(`document.querySelector('[data-testid=phone-status]')?.dataset.state === 'registered'`, 15*time.Second, "registered again")
	})

	t.Run("NumberOutsideDialPlanExplained", func(t *testing.T) {
		r.t = t
		r.run(chromedp.SetValue(`[data-testid=dial-input]`, "08 99 12 34 56", chromedp.ByQuery))
		r.click("dial-button")
		r.waitJS(`(() => { const e = document.querySelector('[data-testid=phone-error]'); return !!e && !e.hidden && e.textContent.includes("n'est pas autorisé"); })()`, 10*time.Second, "not-allowed explained")
		r.waitState("ended", 5*time.Second)
	})

	t.Run("DeclinedCallIsBusyForCaller", func(t *testing.T) {
		r.t = t
		mark := desk.Mark()
		desk.Dial(agentExt)
		r.waitJS(`(() => { const b = document.querySelector('[data-testid=incoming-call]'); return !!b && !b.hidden; })()`, 15*time.Second, "incoming-call banner")
		r.click("decline-button")
		e, ok := desk.WaitEvent(mark, "CALL_CLOSED", "", 10*time.Second)
		if !ok {
			t.Fatalf("desk phone call not closed after decline: %s", desk.Events(mark))
		}
		if p, _ := e["param"].(string); !strings.Contains(p, "486") && !strings.Contains(p, "603") {
			t.Errorf("decline gave %q to the caller, want 486 or 603", p)
		}
		r.waitJS(`(() => { const b = document.querySelector('[data-testid=incoming-call]'); return !!b && b.hidden; })()`, 5*time.Second, "banner gone")
	})

	t.Run("AdminPageAndBannerOnEveryPage", func(t *testing.T) {
		r.t = t
		r.run(chromedp.Navigate(r.kaz.URL + "/#/admin/phone"))
		r.waitJS(`!!document.querySelector('[data-testid=phone-accounts] tr[data-user=alice]')`, 10*time.Second, "accounts table")
		r.waitJS(`!!document.querySelector('[data-testid=phone-live] tr[data-user=alice]')`, 10*time.Second, "live registrations")
		r.run(chromedp.SetValue(`[data-testid=phone-account-user]`, "carol", chromedp.ByQuery),
			chromedp.SetValue(`[data-testid=phone-account-extension]`, "1004", chromedp.ByQuery),
			chromedp.SetValue(`[data-testid=phone-account-password]`, "carol-sip-pw", chromedp.ByQuery))
		r.click("phone-account-save")
		r.waitJS(`document.querySelector('[data-testid=phone-accounts] tr[data-user=carol]')?.textContent.includes('1004')`, 10*time.Second, "new account listed")
		var pw string
		r.run(chromedp.Evaluate(`document.querySelector('[data-testid=phone-account-password]').value + document.body.innerText`, &pw))
		if strings.Contains(pw, "carol-sip-pw") {
			t.Error("the password is shown after saving")
		}
		// Once the phone runs in the tab, an incoming call rings on any
		// page of Kaz, not only on the phone panel.
		r.run(chromedp.Navigate(r.kaz.URL + "/#/phone"))
		r.waitJS(`document.querySelector('[data-testid=phone-status]')?.dataset.state === 'registered'`, 20*time.Second, "registered")
		r.run(chromedp.Evaluate(`location.hash = '#/admin/phone'`, nil))
		r.waitJS(`!!document.querySelector('[data-testid=phone-accounts]')`, 10*time.Second, "admin page")
		mark := desk.Mark()
		desk.Dial(agentExt)
		r.waitJS(`(() => { const b = document.querySelector('[data-testid=incoming-call]'); return !!b && !b.hidden; })()`, 15*time.Second, "incoming-call banner on the admin page")
		r.click("decline-button")
		if _, ok := desk.WaitEvent(mark, "CALL_CLOSED", "", 10*time.Second); !ok {
			t.Fatalf("declined call not closed: %s", desk.Events(mark))
		}
		r.run(chromedp.Evaluate(`location.hash = '#/phone'`, nil))
		r.waitJS(`document.querySelector('[data-testid=phone-status]')?.dataset.state === 'registered'`, 10*time.Second, "back on the panel")
	})

	t.Run("PBXRestartReRegisters", func(t *testing.T) {
		r.t = t
		r.pbx.Stop()
		// While the PBX is down the panel says so in plain words.
		r.waitJS(`document.querySelector('[data-testid=phone-status]')?.dataset.state === 'failed'`, 15*time.Second, "registration failure shown")
		var status string
		r.run(chromedp.Evaluate(`document.querySelector('[data-testid=phone-status]').textContent`, &status))
		if !strings.Contains(status, "injoignable") && !strings.Contains(status, "cannot be reached") {
			t.Errorf("status while the PBX is down = %q, want it to say the PBX cannot be reached", status)
		}
		r.pbx.Start()
		r.waitJS(`document.querySelector('[data-testid=phone-status]')?.dataset.state === 'registered'`, 15*time.Second, "registered again")
		// The restarted PBX lost its location table: a call to the agent
		// only rings once Kaz has registered again.
		deadline := time.Now().Add(30 * time.Second)
		for {
			mark := desk.Mark()
			desk.Dial(agentExt)
			e, _ := desk.WaitEvent(mark, "CALL_RINGING", "", 3*time.Second)
			if e != nil {
				break
			}
			closed, _ := desk.WaitEvent(mark, "CALL_CLOSED", "", 2*time.Second)
			if closed == nil {
				desk.Hangup()
			}
			if time.Now().After(deadline) {
				t.Fatalf("the agent's phone is not reachable 30 s after the PBX restart: %s\n%s", desk.Events(mark), r.pageState())
			}
			time.Sleep(500 * time.Millisecond)
		}
		r.waitJS(`(() => { const b = document.querySelector('[data-testid=incoming-call]'); return !!b && !b.hidden; })()`, 10*time.Second, "incoming-call banner after restart")
		r.click("answer-button")
		r.waitState("active", 20*time.Second)
		r.waitHearing(1000, 20, 15*time.Second)
		r.click("hangup-button")
		r.waitState("ended", 10*time.Second)
		r.waitJS(`document.querySelector('[data-testid=phone-status]')?.dataset.state === 'registered'`, 10*time.Second, "registered status")
	})

	t.Run("WrongPasswordExplained", func(t *testing.T) {
		r.t = t
		if err := r.store.SetAccount(t.Context(), "carol", softphone.Account{Extension: thirdExt, Password: "not-the-password"}); err != nil {
			t.Fatal(err)
		}
		r.signIn("carol")
		r.run(chromedp.Reload())
		r.waitJS(`document.querySelector('[data-testid=phone-status]')?.dataset.state === 'failed'`, 20*time.Second, "registration failure")
		var status string
		r.run(chromedp.Evaluate(`document.querySelector('[data-testid=phone-status]').textContent`, &status))
		if !strings.Contains(status, "mot de passe") {
			t.Errorf("status with a wrong SIP password = %q, want it to mention the password", status)
		}
	})
}

// TestPhonePanelWithoutPBXSaysSo: with no PBX configured, the panel says so
// plainly instead of showing a dial pad that cannot work.
func TestPhonePanelWithoutPBXSaysSo(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	kaz := testenv.NewServer(t, nil)
	if err := kaz.Kaz().Dir().Add(t.Context(), directory.User{Name: "alice", DisplayName: "Alice Martin"}); err != nil {
		t.Fatal(err)
	}
	r := &phoneRig{t: t, kaz: kaz, ctx: testenv.Browser(t, testenv.BrowserOptions{Timeout: time.Minute})}
	r.signIn("alice")
	r.run(chromedp.Navigate(kaz.URL + "/#/phone"))
	r.waitJS(`document.querySelector('[data-testid=phone-status]')?.dataset.state === 'not-configured'`, 15*time.Second, "not-configured notice")
	var text string
	var dialPads int
	r.run(chromedp.Evaluate(`document.querySelector('[data-testid=phone-status]').textContent`, &text),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid=dial-button]').length`, &dialPads))
	if !strings.Contains(text, "n'est pas configurée") {
		t.Errorf("notice = %q", text)
	}
	if dialPads != 0 {
		t.Errorf("a dial pad is shown without a PBX")
	}
	checkA11y(t, r.ctx, "phone without a PBX", false)
}
