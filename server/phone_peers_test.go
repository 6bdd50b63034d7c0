package server_test

// Real peers for the phone's browser tests: Kamailio as the headquarters
// PBX (registrar with digest auth, location lookup, record-route) and
// baresip as desk phones (a sine tone as microphone, every call's received
// audio recorded to WAV by the sndfile module, controlled over ctrl_tcp).

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kazhq/kaz/internal/testenv"
	"github.com/kazhq/kaz/internal/tonewav"
)

// freePhoneUDPPort returns a port free for UDP and TCP on 127.0.0.1 (and the next
// one free for TCP when pair is set: baresip also binds port+1 for SIP/TLS).
func freePhoneUDPPort(t testing.TB, pair bool) int {
	t.Helper()
	for range 200 {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		var ls []net.Listener
		ok := true
		for p := port; p <= port+boolToInt(pair); p++ {
			l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		if pair && ok {
			u2, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+1)))
			if err != nil {
				ok = false
			} else {
				u2.Close()
			}
		}
		u.Close()
		for _, l := range ls {
			l.Close()
		}
		if ok && port < 65000 {
			return port
		}
	}
	t.Fatal("no free UDP port")
	return 0
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---- Kamailio ----------------------------------------------------------

type kamailio struct {
	t    testing.TB
	bin  string
	dir  string
	cfg  string
	Port int
	Log  *testenv.LogBuffer

	mu  sync.Mutex
	cmd *exec.Cmd
}

const kamailioCfg = `#!KAMAILIO
debug=2
log_stderror=yes
children=2
auto_aliases=no
disable_tcp=yes
listen=udp:127.0.0.1:%[1]d
alias="127.0.0.1:%[1]d"
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
modparam("rr", "enable_full_lr", 1)
modparam("registrar", "max_expires", 3600)
request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "Keepalive"); exit; }
	if (has_totag()) {
		if (loose_route()) { t_relay(); exit; }
		if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
		sl_send_reply("404", "Not here"); exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
	if (is_method("REGISTER")) {
		$var(pw) = "";
%[2]s
		if ($var(pw) == "" || !pv_auth_check("$fd", "$var(pw)", "0", "0")) { auth_challenge("$fd", "0"); exit; }
		if (!save("location")) { sl_reply_error(); }
		exit;
	}
	if (is_method("INVITE|SUBSCRIBE|REFER")) { record_route(); }
	if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
	if (!t_relay()) { sl_reply_error(); }
}
`

// startKamailio runs Kamailio on a free UDP port of 127.0.0.1 with digest
// accounts users (extension → password).
func startKamailio(t testing.TB, users map[string]string) *kamailio {
	t.Helper()
	bin := testenv.Peer(t, "kamailio")
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/kamailio/modules/registrar.so"); err != nil {
		testenv.Missing(t, "kamailio modules in /usr/lib/x86_64-linux-gnu/kamailio/modules")
	}
	k := &kamailio{t: t, bin: bin, dir: t.TempDir(), Port: freePhoneUDPPort(t, false), Log: &testenv.LogBuffer{}}
	var b strings.Builder
	exts := make([]string, 0, len(users))
	for e := range users {
		exts = append(exts, e)
	}
	sort.Strings(exts)
	for _, e := range exts {
		fmt.Fprintf(&b, "\t\tif ($fU == \"%s\") { $var(pw) = \"%s\"; }\n", e, users[e])
	}
	k.cfg = filepath.Join(k.dir, "kamailio.cfg")
	if err := os.WriteFile(k.cfg, []byte(fmt.Sprintf(kamailioCfg, k.Port, b.String())), 0o600); err != nil {
		t.Fatal(err)
	}
	k.Start()
	t.Cleanup(k.Stop)
	return k
}

// Addr is the PBX's SIP address.
func (k *kamailio) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(k.Port)) }

// Start starts Kamailio and waits until it answers OPTIONS.
func (k *kamailio) Start() {
	k.t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	cmd := exec.Command(k.bin, "-f", k.cfg, "-DD", "-E", "-m", "32", "-M", "4",
		"-Y", k.dir, "-P", filepath.Join(k.dir, "kamailio.pid"), "-w", k.dir)
	cmd.Stdout, cmd.Stderr = k.Log, k.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		k.t.Fatalf("start kamailio: %v", err)
	}
	k.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if sipPing(k.Addr()) {
			return
		}
	}
	k.t.Fatalf("kamailio does not answer on %s:\n%s", k.Addr(), k.Log.Tail(30))
}

// Stop stops Kamailio (its children go with it); idempotent.
func (k *kamailio) Stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd == nil {
		return
	}
	stopPeerGroup(k.cmd)
	k.cmd = nil
}

// stopPeerGroup ends the process group we started with cmd and waits for it.
func stopPeerGroup(cmd *exec.Cmd) {
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
}

// sipPing sends one OPTIONS to addr and reports whether a 200 came back.
func sipPing(addr string) bool {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	la := c.LocalAddr().String()
	msg := "OPTIONS sip:" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + la + ";branch=z9hG4bK" + strconv.FormatInt(time.Now().UnixNano(), 36) + ";rport\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:ping@127.0.0.1>;tag=1\r\nTo: <sip:" + addr + ">\r\n" +
		"Call-ID: ping" + strconv.FormatInt(time.Now().UnixNano(), 36) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		time.Sleep(200 * time.Millisecond)
		return false
	}
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	return err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 200")
}

// ---- baresip desk phones -------------------------------------------------

type deskPhone struct {
	t      testing.TB
	Ext    string
	pbx    string
	recDir string
	ctrl   string
	Log    *testenv.LogBuffer
	cmd    *exec.Cmd

	mu     sync.Mutex
	events []map[string]any
	conn   net.Conn
	token  int
	resp   chan map[string]any
}

// startDeskPhone runs baresip registered as ext at the PBX, answering
// every call automatically, sending a tone of freq Hz and recording what it
// receives.
func startDeskPhone(t testing.TB, pbx, ext, password string, freq int) *deskPhone {
	t.Helper()
	bin := testenv.Peer(t, "baresip")
	dir := t.TempDir()
	d := &deskPhone{t: t, Ext: ext, pbx: pbx, recDir: filepath.Join(dir, "rec"), Log: &testenv.LogBuffer{}, resp: make(chan map[string]any, 8)}
	if err := os.MkdirAll(d.recDir, 0o700); err != nil {
		t.Fatal(err)
	}
	sipPort := freePhoneUDPPort(t, true)
	ctrlPort := testenv.FreePort(t)
	rtp := 30000 + (sipPort*7)%20000
	d.ctrl = net.JoinHostPort("127.0.0.1", strconv.Itoa(ctrlPort))
	config := strings.Join([]string{
		"poll_method epoll",
		"sip_listen 127.0.0.1:" + strconv.Itoa(sipPort),
		"sip_trans_def udp",
		"net_interface 127.0.0.1",
		"audio_player aubridge,none",
		"audio_alert aubridge,none",
		"audio_source ausine," + strconv.Itoa(freq),
		"ausrc_srate 48000",
		"ausrc_channels 2",
		"auplay_srate 48000",
		"auplay_channels 1",
		fmt.Sprintf("rtp_ports %d-%d", rtp, rtp+98),
		"module_path /usr/lib/baresip/modules",
		"module g711.so",
		"module ausine.so",
		"module aubridge.so",
		"module sndfile.so",
		"module ctrl_tcp.so",
		"module_app account.so",
		"module_app menu.so",
		"ctrl_tcp_listen " + d.ctrl,
		"snd_path " + d.recDir,
		"",
	}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	acct := fmt.Sprintf("<sip:%s@%s>;auth_pass=%s;answermode=auto;regint=600\n", ext, pbx, password)
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(acct), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, "-f", dir)
	d.cmd.Stdout, d.cmd.Stderr = d.Log, d.Log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start baresip: %v", err)
	}
	t.Cleanup(func() {
		d.mu.Lock()
		if d.conn != nil {
			d.conn.Close()
		}
		d.mu.Unlock()
		stopPeerGroup(d.cmd)
		if t.Failed() {
			t.Logf("desk phone %s log (tail):\n%s", ext, d.Log.Tail(30))
		}
	})
	// Connect the control socket, then wait for the registration.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp4", d.ctrl)
		if err == nil {
			d.conn = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip control socket: %v\n%s", err, d.Log.Tail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	go d.read()
	d.waitLog("200 OK", 10*time.Second)
	return d
}

// read parses the netstring JSON stream of ctrl_tcp: responses go to
// d.resp, events to d.events.
func (d *deskPhone) read() {
	r := bufio.NewReader(d.conn)
	for {
		lenStr, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(lenStr, ":")))
		if err != nil || n < 0 || n > 1<<20 {
			return
		}
		buf := make([]byte, n+1)
		if _, err := readFullBuffered(r, buf); err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(buf[:n], &m) != nil {
			continue
		}
		if m["response"] == true {
			select {
			case d.resp <- m:
			default:
			}
			continue
		}
		d.mu.Lock()
		d.events = append(d.events, m)
		d.mu.Unlock()
	}
}

func readFullBuffered(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Command runs a baresip command (dial, hangup, accept…).
func (d *deskPhone) Command(cmd, params string) {
	d.t.Helper()
	d.mu.Lock()
	d.token++
	tok := strconv.Itoa(d.token)
	b, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": tok})
	_, err := fmt.Fprintf(d.conn, "%d:%s,", len(b), b)
	d.mu.Unlock()
	if err != nil {
		d.t.Fatalf("baresip %s: %v", cmd, err)
	}
	select {
	case m := <-d.resp:
		if m["ok"] != true {
			d.t.Fatalf("baresip %s %s: %v", cmd, params, m["data"])
		}
	case <-time.After(5 * time.Second):
		d.t.Fatalf("baresip %s: no response", cmd)
	}
}

// Dial calls number through the PBX.
func (d *deskPhone) Dial(number string) { d.Command("dial", "sip:"+number+"@"+d.pbx) }

// Hangup ends the current call.
func (d *deskPhone) Hangup() { d.Command("hangup", "") }

// Mark returns the number of events seen so far (for WaitEvent).
func (d *deskPhone) Mark() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.events)
}

// WaitEvent waits for an event of type typ after mark, whose param
// contains param (when not empty), and returns it.
func (d *deskPhone) WaitEvent(mark int, typ, param string, timeout time.Duration) (map[string]any, bool) {
	deadline := time.Now().Add(timeout)
	for {
		d.mu.Lock()
		for _, e := range d.events[min(mark, len(d.events)):] {
			p, _ := e["param"].(string)
			if e["type"] == typ && (param == "" || strings.Contains(p, param)) {
				d.mu.Unlock()
				return e, true
			}
		}
		d.mu.Unlock()
		if time.Now().After(deadline) {
			return nil, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Events lists the event types seen after mark (for failure messages).
func (d *deskPhone) Events(mark int) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var s []string
	for _, e := range d.events[min(mark, len(d.events)):] {
		s = append(s, fmt.Sprintf("%v(%v)", e["type"], e["param"]))
	}
	return strings.Join(s, " ")
}

func (d *deskPhone) waitLog(sub string, timeout time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(d.Log.String(), sub) {
		if time.Now().After(deadline) {
			d.t.Fatalf("desk phone %s: %q not seen in its log:\n%s", d.Ext, sub, d.Log.Tail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Recordings lists the WAV files of received audio, oldest first.
func (d *deskPhone) Recordings() []string {
	m, _ := filepath.Glob(filepath.Join(d.recDir, "*-dec.wav"))
	sort.Strings(m)
	return m
}

// ---- audio -------------------------------------------------------------

// writeToneWAV writes seconds of a sine of freq Hz, 48 kHz mono 16-bit PCM
// (Chromium's fake microphone loops it).
func writeToneWAV(t testing.TB, path string, freq float64, seconds int) {
	t.Helper()
	tonewav.Write(t, path, freq, 48000, 12000, seconds)
}

// readWAV returns the first channel's samples and the rate of a PCM16 WAV
// (the data chunk is read to the end of the file, so a file still being
// written works too).
func readWAV(path string) ([]float64, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%s: not a WAV file", path)
	}
	var rate, channels int
	off := 12
	for off+8 <= len(b) {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4:]))
		body := off + 8
		switch id {
		case "fmt ":
			if body+16 > len(b) {
				return nil, 0, fmt.Errorf("%s: short fmt chunk", path)
			}
			channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			rate = int(binary.LittleEndian.Uint32(b[body+4:]))
		case "data":
			if channels == 0 {
				return nil, 0, fmt.Errorf("%s: data before fmt", path)
			}
			pcm := b[body:]
			frame := 2 * channels
			out := make([]float64, len(pcm)/frame)
			for i := range out {
				out[i] = float64(int16(binary.LittleEndian.Uint16(pcm[i*frame:]))) / 32768
			}
			return out, rate, nil
		}
		off = body + size + size%2
	}
	return nil, 0, fmt.Errorf("%s: no data chunk", path)
}

// goertzel returns the power of x at freq Hz (sample rate rate).
func goertzel(x []float64, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// toneSeconds counts the seconds of x (in 250 ms blocks) where freq
// clearly dominates: audible, and at least 10× the power of each of the
// other probe frequencies.
func toneSeconds(x []float64, rate int, freq float64) float64 {
	block := rate / 4
	probes := []float64{300, 440, 700, 1000, 1400, 2000}
	n := 0
	for i := 0; i+block <= len(x); i += block {
		b := x[i : i+block]
		var e float64
		for _, v := range b {
			e += v * v
		}
		if math.Sqrt(e/float64(len(b))) < 0.01 {
			continue
		}
		p := goertzel(b, rate, freq)
		ok := true
		for _, f := range probes {
			if math.Abs(f-freq) < 50 {
				continue
			}
			if goertzel(b, rate, f)*10 > p {
				ok = false
				break
			}
		}
		if ok {
			n++
		}
	}
	return float64(n) / 4
}

func TestToneDetectorTellsFrequenciesApart(t *testing.T) {
	const rate = 8000
	tone := func(f float64, secs float64) []float64 {
		x := make([]float64, int(rate*secs))
		for i := range x {
			x[i] = 0.3 * math.Sin(2*math.Pi*f*float64(i)/rate)
		}
		return x
	}
	for _, tc := range []struct {
		name      string
		x         []float64
		freq      float64
		wantAtLst float64
		wantBelow float64
	}{
		{"440 found in 440", tone(440, 2), 440, 1.9, 2.1},
		{"1000 absent from 440", tone(440, 2), 1000, 0, 0.01},
		{"440 absent from 1000", tone(1000, 2), 440, 0, 0.01},
		{"silence has no tone", make([]float64, rate*2), 440, 0, 0.01},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := toneSeconds(tc.x, rate, tc.freq)
			if got < tc.wantAtLst || got >= tc.wantBelow {
				t.Errorf("toneSeconds = %.2f, want in [%.2f, %.2f)", got, tc.wantAtLst, tc.wantBelow)
			}
		})
	}
}
