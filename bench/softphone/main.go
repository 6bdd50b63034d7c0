// Command softphonebench measures the WebRTC ↔ SIP bridge under load.
//
// It runs the bridge (a real softphone.Phone) in a child process and, in
// this process, N simulated agents (pion peers speaking the signaling
// protocol over WebSocket, DTLS-SRTP media) calling N simulated desk phones
// behind a minimal SIP PBX (sipgo) that answers and streams G.711 RTP. Every
// packet carries its send time, so the receiving side measures one-way
// latency. The same packet streams are then carried by a bare UDP forwarder
// child (read a packet, write it on) as the floor.
//
//	go run ./bench/softphone -calls 50,500 -seconds 10
//
// Results: CPU of the child per call, RSS per call, latency p50/p99, call
// set-up time. See README.md for figures.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/softphone"
)

var (
	profileOut = flag.String("cpuprofile", "", "save a CPU profile of the bridge child to FILE.N (N calls)")
	pin        = flag.Bool("pin", false, "pin the load generator to CPU 0 and the measured child to CPU 1 (taskset)")
)

func main() {
	role := flag.String("role", "driver", "driver, bridge or forwarder (internal)")
	calls := flag.String("calls", "50,500", "comma-separated numbers of concurrent calls")
	seconds := flag.Int("seconds", 10, "measurement window per run")
	pbx := flag.String("pbx", "", "PBX address (bridge role)")
	n := flag.Int("n", 0, "number of agents/pairs (child roles)")
	flag.Parse()
	var err error
	switch *role {
	case "bridge":
		err = runBridge(*pbx, *n)
	case "forwarder":
		err = runForwarder(*n)
	default:
		if *pin && os.Getenv("KAZBENCH_PINNED") == "" {
			// Re-run this driver on CPU 0 (taskset execs: same pid).
			tb, lerr := exec.LookPath("taskset")
			if lerr != nil {
				fmt.Fprintln(os.Stderr, "softphonebench: -pin needs taskset")
				os.Exit(1)
			}
			self, _ := os.Executable()
			err = syscall.Exec(tb, append([]string{"taskset", "-c", "0", self}, os.Args[1:]...), append(os.Environ(), "KAZBENCH_PINNED=1"))
			break
		}
		err = drive(*calls, time.Duration(*seconds)*time.Second)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "softphonebench:", err)
		os.Exit(1)
	}
}

// runBridge is the child running Kaz's bridge with n agent accounts.
func runBridge(pbx string, n int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kazbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "kaz.db"))
	if err != nil {
		return err
	}
	cfg := softphone.Config{PBX: pbx, SIPListen: "127.0.0.1:0", AnnounceSIP: "127.0.0.1", RTPPortMin: 30000, RTPPortMax: 39999,
		WebRTCPort: 0, WebRTCListen: "127.0.0.1", AnnounceWebRTC: "127.0.0.1", MaxCalls: n + 10, CallsPerMinute: 1000,
		KeepAlive: 5 * time.Second}
	p, err := softphone.New(ctx, cfg, db, dir, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := p.SetAccount(ctx, agentName(i), softphone.Account{Extension: strconv.Itoa(10000 + i), Password: "x"}); err != nil {
			return err
		}
	}
	go p.Run(ctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("READY %s\n", ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/phone/ws", func(w http.ResponseWriter, r *http.Request) {
		p.ServeWS(w, r, r.URL.Query().Get("user"))
	})
	return http.Serve(ln, mux)
}

func agentName(i int) string { return fmt.Sprintf("agent%d", i) }

// runForwarder is the floor: n socket pairs, each forwarding every packet
// to the last sender seen on the other socket of its pair.
func runForwarder(n int) error {
	var ports []string
	for i := 0; i < n; i++ {
		a, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		b, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		var peerA, peerB atomic.Pointer[net.UDPAddr]
		fwd := func(in, out *net.UDPConn, self, other *atomic.Pointer[net.UDPAddr]) {
			buf := make([]byte, 1500)
			for {
				n, from, err := in.ReadFromUDP(buf)
				if err != nil {
					return
				}
				self.Store(from)
				if dst := other.Load(); dst != nil {
					out.WriteToUDP(buf[:n], dst)
				}
			}
		}
		go fwd(a, b, &peerA, &peerB)
		go fwd(b, a, &peerB, &peerA)
		ports = append(ports, fmt.Sprintf("%d/%d", a.LocalAddr().(*net.UDPAddr).Port, b.LocalAddr().(*net.UDPAddr).Port))
	}
	fmt.Printf("READY %s\n", strings.Join(ports, ","))
	select {}
}

// child starts this program in a role and returns its READY line.
func child(args ...string) (*exec.Cmd, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self, args...)
	if *pin {
		cmd = exec.Command("taskset", append([]string{"-c", "1", self}, args...)...)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "READY ") {
		cmd.Process.Kill()
		return nil, "", fmt.Errorf("child did not start: %q %v", line, err)
	}
	return cmd, strings.TrimSpace(strings.TrimPrefix(line, "READY ")), nil
}

// procCPU returns user+system CPU time of pid.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ = 100
}

// procRSS returns the resident set size of pid in bytes.
func procRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// latencies collects one-way delays.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
	on atomic.Bool
}

func (l *latencies) add(payload []byte) {
	if !l.on.Load() || len(payload) < 8 {
		return
	}
	sent := int64(binary.BigEndian.Uint64(payload))
	d := time.Duration(time.Now().UnixNano() - sent)
	if d < 0 || d > 10*time.Second {
		return
	}
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) pct(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	return l.d[int(float64(len(l.d)-1)*p)]
}

func (l *latencies) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

type result struct {
	calls              int
	cpuPerCall         float64 // share of one core
	rssPerCall         float64 // bytes
	p50, p99           time.Duration
	setupP50, setupP99 time.Duration
	packets            int
	established        int
	toDesk, toAgent    float64 // fraction of the packets sent that arrived
	genCPU             float64 // the load generator's own CPU, in cores
	rate               float64 // share of the nominal packet rate sent
}

// valid says whether the run carried (almost) all its packets: when the
// machine cannot keep up, CPU figures measure the shortage, not the work.
func (r result) valid() bool {
	return r.toDesk >= minDelivered && r.toAgent >= minDelivered && r.rate >= minDelivered
}

const minDelivered = 0.95

func drive(list string, window time.Duration) error {
	la, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("%s, load average %s", time.Now().UTC().Format(time.DateTime), la)
	fmt.Printf("%-10s %-7s %-12s %-12s %-10s %-10s %-10s %-10s %-23s %s\n", "path", "calls", "cpu/call", "rss/call", "lat p50", "lat p99", "setup p50", "setup p99", "sent,delivered a→d/d→a", "latency samples")
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad -calls %q", s)
		}
		floor, err := runFloor(n, window)
		if err != nil {
			return fmt.Errorf("floor %d: %w", n, err)
		}
		printResult("forwarder", floor)
		kaz, err := runKaz(n, window)
		if err != nil {
			return fmt.Errorf("kaz %d: %w", n, err)
		}
		printResult("kaz", kaz)
		if !floor.valid() || !kaz.valid() {
			fmt.Printf("NO FIGURE at %d calls: under %.0f%% of the nominal packets were sent, or delivered in one path (the machine did not keep up)\n\n", n, 100*minDelivered)
			continue
		}
		if floor.cpuPerCall > 0 {
			fmt.Printf("ratio kaz/forwarder CPU per call at %d calls: %.1fx; added latency p50 %v p99 %v\n\n", n,
				kaz.cpuPerCall/floor.cpuPerCall, kaz.p50-floor.p50, kaz.p99-floor.p99)
		}
	}
	return nil
}

func printResult(path string, r result) {
	fmt.Printf("%-10s %-7d %-12s %-12s %-10v %-10v %-10v %-10v %-23s %d (%d calls up; generator %.2f cores)\n", path, r.calls,
		fmt.Sprintf("%.3f%%", 100*r.cpuPerCall), fmt.Sprintf("%.0f KiB", r.rssPerCall/1024),
		r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.setupP50.Round(time.Millisecond), r.setupP99.Round(time.Millisecond),
		fmt.Sprintf("%.0f%%,%.1f%%/%.1f%%", 100*r.rate, 100*r.toDesk, 100*r.toAgent), r.packets, r.established, r.genCPU)
}

// runFloor streams n call pairs through the bare forwarder: agents from
// one socket each, desk phones from the generator's shared socket.
func runFloor(n int, window time.Duration) (result, error) {
	cmd, ports, err := child("-role", "forwarder", "-n", strconv.Itoa(n))
	if err != nil {
		return result{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lat := &latencies{}
	cnt := &counters{}
	gen, err := newGenerator(lat, cnt)
	if err != nil {
		return result{}, err
	}
	var wg sync.WaitGroup
	var conns []*net.UDPConn
	baseRSS := procRSS(cmd.Process.Pid)
	for _, pair := range strings.Split(ports, ",") {
		pa, pb, _ := strings.Cut(pair, "/")
		a, _ := strconv.Atoi(pa)
		b, _ := strconv.Atoi(pb)
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return result{}, err
		}
		conns = append(conns, c)
		gen.addAgent(c, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(a)), nil, uint32(a))
		gen.addDesk(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: b})
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1500)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				gen.agentReceived(buf[:n])
			}
		}()
	}
	time.Sleep(time.Second)
	lat.on.Store(true)
	cnt.start()
	c0, g0 := procCPU(cmd.Process.Pid), procCPU(os.Getpid())
	time.Sleep(window)
	cpu, gcpu := procCPU(cmd.Process.Pid)-c0, procCPU(os.Getpid())-g0
	rss := procRSS(cmd.Process.Pid)
	lat.on.Store(false)
	cnt.stop()
	toDesk, toAgent := cnt.fraction()
	rate := cnt.rate(n, window)
	gen.close()
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	return result{calls: n, cpuPerCall: cpu.Seconds() / window.Seconds() / float64(n), rssPerCall: float64(rss-baseRSS) / float64(n),
		p50: lat.pct(0.5), p99: lat.pct(0.99), packets: lat.count(), established: n, toDesk: toDesk, toAgent: toAgent, rate: rate, genCPU: gcpu.Seconds() / window.Seconds()}, nil
}
