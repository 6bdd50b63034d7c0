package softphone

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
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

	"github.com/kazhq/kaz/internal/tonewav"
)

// findPeer returns the path of a test peer program. Same rule as
// internal/testenv.Peer: missing fails under KAZ_E2E=1, skips otherwise.
// (testenv imports the server, which imports this package, so the
// in-package tests cannot use it.)
func findPeer(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && !fi.IsDir() {
			return filepath.Join(dir, name)
		}
	}
	msg := fmt.Sprintf("the program %q is not installed (bash .ci/run installs every test peer)", name)
	if os.Getenv("KAZ_E2E") == "1" {
		t.Fatalf("KAZ_E2E=1 but %s", msg)
	}
	t.Skipf("skipped: %s (set KAZ_E2E=1 to make this a failure)", msg)
	return ""
}

// freeUDPPort returns a UDP port free on 127.0.0.1 (and usually TCP too).
func freeUDPPort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		return port
	}
	t.Fatal("no free port")
	return 0
}

// freeSIPPort is a free port for baresip's sip_listen: baresip also
// binds TCP on it and SIP over TLS on the next port.
func freeSIPPort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		p := freeUDPPort(t)
		l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", p+1))
		if err != nil {
			continue
		}
		l.Close()
		return p
	}
	t.Fatal("no free port pair")
	return 0
}

// process is a peer started in its own process group, stopped in cleanup.
type process struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 4<<20 {
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startProcess(t testing.TB, dir string, name string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &process{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	return p
}

func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// kamailio is the headquarters PBX of the tests: registrar with digest
// authentication (passwords from the generated config), location lookup,
// record-route, proxy authentication of INVITEs from accounts.
type kamailio struct {
	t     testing.TB
	bin   string
	dir   string
	port  int
	proc  *process
	users map[string]string
}

func (k *kamailio) addr() string { return fmt.Sprintf("127.0.0.1:%d", k.port) }

func startKamailio(t testing.TB, users map[string]string, static map[string]string) *kamailio {
	t.Helper()
	bin := findPeer(t, "kamailio")
	k := &kamailio{t: t, bin: bin, dir: t.TempDir(), port: freeUDPPort(t), users: users}
	var pw strings.Builder
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	for _, u := range names {
		fmt.Fprintf(&pw, "\tcase %q: $var(pw) = %q; break;\n", u, users[u])
	}
	var st strings.Builder
	for num, addr := range static {
		fmt.Fprintf(&st, "\tif ($rU == %q) { $du = \"sip:%s\"; t_relay(); exit; }\n", num, addr)
	}
	cfg := strings.NewReplacer("PORT", strconv.Itoa(k.port), "PASSWORDS", pw.String(), "STATIC", st.String()).Replace(kamailioCfg)
	if err := os.WriteFile(filepath.Join(k.dir, "kamailio.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	k.start()
	t.Cleanup(func() {
		k.proc.stop()
		if t.Failed() {
			t.Logf("kamailio log tail:\n%s", tail(k.proc.out.String(), 40))
		}
	})
	return k
}

func (k *kamailio) start() {
	k.t.Helper()
	k.proc = startProcess(k.t, k.dir, k.bin, "-DD", "-E", "-f", filepath.Join(k.dir, "kamailio.cfg"), "-Y", k.dir, "-m", "32", "-M", "4")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if sipOptionsOK(k.addr()) {
			return
		}
		select {
		case <-k.proc.done:
			k.t.Fatalf("kamailio exited:\n%s", tail(k.proc.out.String(), 30))
		default:
		}
	}
	k.t.Fatalf("kamailio not ready:\n%s", tail(k.proc.out.String(), 30))
}

func (k *kamailio) restart() {
	k.proc.stop()
	k.start()
}

// sipOptionsOK sends one OPTIONS and reports whether a 200 came back.
func sipOptionsOK(addr string) bool {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	la := c.LocalAddr().(*net.UDPAddr)
	msg := fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%d\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=%d\r\nTo: <sip:%s>\r\nCall-ID: %d@probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		addr, la.Port, rand.Int(), rand.Int(), addr, rand.Int())
	c.Write([]byte(msg))
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	return err == nil && bytes.HasPrefix(buf[:n], []byte("SIP/2.0 200"))
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

const kamailioCfg = `#!KAMAILIO
debug=2
log_stderror=yes
children=2
auto_aliases=no
listen=udp:127.0.0.1:PORT
alias="127.0.0.1:PORT"
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "auth.so"
loadmodule "xlog.so"
modparam("usrloc", "db_mode", 0)
modparam("rr", "enable_full_lr", 1)

request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483","Too Many Hops"); exit; }
	if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200","OK"); exit; }
	if (has_totag()) {
		if (loose_route()) { t_relay(); exit; }
		if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
		sl_send_reply("404","Not here"); exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
	t_check_trans();
	if (is_method("REGISTER")) {
		route(PASSWD);
		if (!pv_www_authenticate("$td", "$var(pw)", "0")) { www_challenge("$td", "0"); exit; }
		if ($au != $tU) { sl_send_reply("403","Forbidden"); exit; }
		if (!save("location")) { sl_reply_error(); }
		exit;
	}
	if (is_method("INVITE|REFER")) {
		route(PASSWD);
		if ($var(pw) != "") {
			if (!pv_proxy_authenticate("$fd", "$var(pw)", "0")) { proxy_challenge("$fd", "0"); exit; }
			consume_credentials();
		}
		record_route();
	}
STATIC
	if (!lookup("location")) { sl_send_reply("404","Not Found"); exit; }
	t_relay();
}

route[PASSWD] {
	$var(pw) = "";
	$var(u) = $au;
	if ($var(u) == $null || $var(u) == "") { $var(u) = $fU; }
	switch ($var(u)) {
PASSWORDS	}
}
`

// baresip is a desk phone: it registers at Kamailio, answers
// automatically, sends a sine tone from a WAV file and records what it
// hears (sndfile dumps); it is driven through ctrl_tcp.
type baresip struct {
	t       testing.TB
	dir     string
	proc    *process
	ctrl    net.Conn
	mu      sync.Mutex
	events  []map[string]any
	evCh    chan struct{}
	sipPort int
}

func writeToneWAV(t testing.TB, path string, freq float64, seconds int) {
	t.Helper()
	tonewav.Write(t, path, freq, 8000, 8000, seconds)
}

func startBaresip(t testing.TB, k *kamailio, ext, pass string, autoAnswer bool) *baresip {
	t.Helper()
	return startBaresipEnc(t, k, ext, pass, autoAnswer, "")
}

// startBaresipEnc is startBaresip with a baresip media encryption
// ("srtp-mand": SDES-SRTP required; "" for plain RTP).
func startBaresipEnc(t testing.TB, k *kamailio, ext, pass string, autoAnswer bool, mediaenc string) *baresip {
	t.Helper()
	bin := findPeer(t, "baresip")
	dir := t.TempDir()
	writeToneWAV(t, filepath.Join(dir, "tone.wav"), 1000, 60)
	sipPort := freeSIPPort(t)
	ctrlPort := freeUDPPort(t)
	for ctrlPort == sipPort+1 {
		ctrlPort = freeUDPPort(t)
	}
	rtp := 40000 + rand.IntN(10000)*2
	cfg := fmt.Sprintf(`poll_method		epoll
sip_listen		127.0.0.1:%d
audio_source		aufile,%s
audio_player		none,none
audio_alert		none,none
rtp_ports		%d-%d
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			sndfile.so
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:%d
snd_path		%s
`, sipPort, filepath.Join(dir, "tone.wav"), rtp, rtp+20, ctrlPort, dir)
	if mediaenc != "" {
		cfg += "module\t\t\tsrtp.so\n"
	}
	os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644)
	am := "manual"
	if autoAnswer {
		am = "auto"
	}
	acct := fmt.Sprintf("<sip:%s@%s>;auth_pass=%s;answermode=%s;regint=60;audio_codecs=PCMU", ext, k.addr(), pass, am)
	if mediaenc != "" {
		acct += ";mediaenc=" + mediaenc
	}
	acct += "\n"
	os.WriteFile(filepath.Join(dir, "accounts"), []byte(acct), 0o644)
	os.WriteFile(filepath.Join(dir, "contacts"), nil, 0o644)
	b := &baresip{t: t, dir: dir, evCh: make(chan struct{}, 1), sipPort: sipPort}
	b.proc = startProcess(t, dir, bin, "-f", dir)
	t.Cleanup(func() {
		if b.ctrl != nil {
			b.ctrl.Close()
		}
		b.proc.stop()
		if t.Failed() {
			t.Logf("baresip log tail:\n%s", tail(b.proc.out.String(), 40))
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ctrlPort))
		if err == nil {
			b.ctrl = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip control port not ready:\n%s", tail(b.proc.out.String(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	go b.readEvents()
	// Registered at Kamailio?
	b.waitOutput("200 OK", 10*time.Second)
	return b
}

func (b *baresip) waitOutput(s string, d time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(b.proc.out.String(), s) {
		if time.Now().After(deadline) {
			b.t.Fatalf("baresip: %q not seen:\n%s", s, tail(b.proc.out.String(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *baresip) readEvents() {
	r := bufio.NewReader(b.ctrl)
	for {
		// netstring: <len>:<data>,
		lenStr, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(lenStr[:len(lenStr)-1]))
		if err != nil || n > 1<<20 {
			return
		}
		data := make([]byte, n+1)
		if _, err := io.ReadFull(r, data); err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(data[:n], &m) == nil {
			b.mu.Lock()
			b.events = append(b.events, m)
			b.mu.Unlock()
			select {
			case b.evCh <- struct{}{}:
			default:
			}
		}
	}
}

func (b *baresip) command(cmd, params string) {
	b.t.Helper()
	js, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": strconv.Itoa(rand.Int())})
	if _, err := fmt.Fprintf(b.ctrl, "%d:%s,", len(js), js); err != nil {
		b.t.Fatalf("baresip command: %v", err)
	}
}

// waitEvent waits for an event of type typ (and param, when not "").
func (b *baresip) waitEvent(typ, param string, d time.Duration) map[string]any {
	b.t.Helper()
	deadline := time.Now().Add(d)
	seen := 0
	for {
		b.mu.Lock()
		for ; seen < len(b.events); seen++ {
			e := b.events[seen]
			if e["type"] == typ && (param == "" || e["param"] == param) {
				b.mu.Unlock()
				return e
			}
		}
		b.mu.Unlock()
		if time.Now().After(deadline) {
			b.mu.Lock()
			evs, _ := json.Marshal(b.events)
			b.mu.Unlock()
			b.t.Fatalf("baresip: no %s %s event; got %s\n%s", typ, param, evs, tail(b.proc.out.String(), 30))
		}
		select {
		case <-b.evCh:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// decoded returns the audio baresip received during its last call (the
// sndfile "dec" dump: 16-bit PCM after decoding).
func (b *baresip) decoded() []int16 {
	b.t.Helper()
	files, _ := filepath.Glob(filepath.Join(b.dir, "dump-*-dec.wav"))
	if len(files) == 0 {
		b.t.Fatalf("baresip recorded nothing (files in %s)", b.dir)
	}
	sort.Slice(files, func(i, j int) bool {
		fi, _ := os.Stat(files[i])
		fj, _ := os.Stat(files[j])
		return fi.ModTime().Before(fj.ModTime())
	})
	data, err := os.ReadFile(files[len(files)-1])
	if err != nil || len(data) < 44 {
		b.t.Fatalf("baresip dump: %v", err)
	}
	data = data[44:]
	out := make([]int16, len(data)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	return out
}

// toneLevel is the share of the signal's power at freq (Goertzel), from
// 0 (absent) to about 1 (a pure tone at freq).
func toneLevel(s []int16, freq, rate float64) float64 {
	if len(s) == 0 {
		return 0
	}
	w := 2 * math.Pi * freq / rate
	coeff := 2 * math.Cos(w)
	var s1, s2, energy float64
	for _, v := range s {
		x := float64(v)
		s0 := x + coeff*s1 - s2
		s2, s1 = s1, s0
		energy += x * x
	}
	if energy == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return power / (float64(len(s)) / 2 * energy)
}
