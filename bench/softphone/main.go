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
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/softphone"
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
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.ServeWS(w, r, r.URL.Query().Get("user"))
	}))
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
}

func drive(list string, window time.Duration) error {
	fmt.Printf("%-10s %-7s %-12s %-12s %-10s %-10s %-10s %-10s %s\n", "path", "calls", "cpu/call", "rss/call", "lat p50", "lat p99", "setup p50", "setup p99", "packets")
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
		if floor.cpuPerCall > 0 {
			fmt.Printf("ratio kaz/forwarder CPU per call at %d calls: %.1fx; added latency p50 %v p99 %v\n\n", n,
				kaz.cpuPerCall/floor.cpuPerCall, kaz.p50-floor.p50, kaz.p99-floor.p99)
		}
	}
	return nil
}

func printResult(path string, r result) {
	fmt.Printf("%-10s %-7d %-12s %-12s %-10v %-10v %-10v %-10v %d (%d calls up)\n", path, r.calls,
		fmt.Sprintf("%.3f%%", 100*r.cpuPerCall), fmt.Sprintf("%.0f KiB", r.rssPerCall/1024),
		r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.setupP50.Round(time.Millisecond), r.setupP99.Round(time.Millisecond), r.packets, r.established)
}

// stream sends 50 packets/s of 172-byte G.711 RTP on conn to dst (or the
// connected peer) until stop closes, the first 8 payload bytes being the
// send time.
func stream(stop chan struct{}, write func([]byte) error) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, 0
	ssrc := uint32(time.Now().UnixNano())
	binary.BigEndian.PutUint32(pkt[8:], ssrc)
	var seq uint16
	var ts uint32
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		seq++
		ts += 160
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], ts)
		for i := 20; i < len(pkt); i++ {
			pkt[i] = 0xff
		}
		binary.BigEndian.PutUint64(pkt[12:], uint64(time.Now().UnixNano()))
		if write(pkt) != nil {
			return
		}
	}
}

// runFloor streams n call pairs through the bare forwarder.
func runFloor(n int, window time.Duration) (result, error) {
	cmd, ports, err := child("-role", "forwarder", "-n", strconv.Itoa(n))
	if err != nil {
		return result{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lat := &latencies{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var conns []*net.UDPConn
	baseRSS := procRSS(cmd.Process.Pid)
	for _, pair := range strings.Split(ports, ",") {
		pa, pb, _ := strings.Cut(pair, "/")
		for _, p := range []string{pa, pb} {
			port, _ := strconv.Atoi(p)
			c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
			if err != nil {
				return result{}, err
			}
			conns = append(conns, c)
			wg.Add(2)
			go func() { defer wg.Done(); stream(stop, func(b []byte) error { _, err := c.Write(b); return err }) }()
			go func() {
				defer wg.Done()
				buf := make([]byte, 1500)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if n > 20 {
						lat.add(buf[12:n])
					}
				}
			}()
		}
	}
	time.Sleep(time.Second)
	lat.on.Store(true)
	c0 := procCPU(cmd.Process.Pid)
	time.Sleep(window)
	cpu := procCPU(cmd.Process.Pid) - c0
	rss := procRSS(cmd.Process.Pid)
	lat.on.Store(false)
	close(stop)
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	return result{calls: n, cpuPerCall: cpu.Seconds() / window.Seconds() / float64(n), rssPerCall: float64(rss-baseRSS) / float64(n),
		p50: lat.pct(0.5), p99: lat.pct(0.99), packets: lat.count(), established: n}, nil
}
