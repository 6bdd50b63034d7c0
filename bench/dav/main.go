// Command davbench compares Kaz's WebDAV handler with Apache mod_dav_fs on
// loopback, on the same data: PROPFIND Depth 1 allprop on a folder of
// 10,000 files, one 1 GiB PUT and GET, and 4 KiB PUTs from 8 parallel
// clients. It reports times, ratios and the servers' peak memory (RSS).
//
// Run it by hand (see README.md); it is not part of the test command:
//
//	go run ./bench/dav            # needs apache2 with mod_dav_fs, run as root
//	go run ./bench/dav -big 256   # a smaller big file, in MiB
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sys/unix"
	"io"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/docs-store/dav"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

var (
	flagServe     = flag.String("serve-kaz", "", "internal: serve Kaz's WebDAV on this data folder")
	flagFiles     = flag.Int("files", 10000, "files in the PROPFIND folder")
	flagBig       = flag.Int("big", 1024, "size of the big PUT/GET in MiB")
	flagSmall     = flag.Int("small", 4000, "number of 4 KiB PUTs")
	flagPar       = flag.Int("parallel", 8, "parallel clients for the 4 KiB PUTs")
	flagRuns      = flag.Int("runs", 5, "PROPFIND repetitions (the median is reported)")
	flagRounds    = flag.Int("rounds", 3, "rounds of the PUT, GET and 4 KiB PUT phases, Kaz and Apache alternated (medians reported)")
	flagKeep      = flag.Bool("keep", false, "keep the temporary folder")
	flagProf      = flag.String("kaz-profile", "", "write a CPU profile of the Kaz server during its 4 KiB PUTs of the last round to this file")
	flagSmallOnly = flag.Bool("small-only", false, "run only the 4 KiB PUTs (no folder to fill, no PROPFIND, no big PUT and GET)")
	flagVs        = flag.String("against", "", "compare Kaz, instead of with Apache, with the Kaz of this other build of the benchmark (a binary built from another commit), or with \"floor\": the least a durable server can do (see serveFloor), in the same rounds")
	flagFloor     = flag.String("serve-floor", "", "internal: serve the durable floor (serveFloor) on this data folder")
)

const benchUser, benchPass = "bench", "bench-secret"

// serveFloor is the child process of -against floor: the least a server
// can do to answer small PUTs only once they are durable. It appends each
// body to one file and makes it durable by group commit (the first waiter
// fdatasyncs the file for every write before its own; the others wait for
// that sync, or the next), without names, metadata or checks; other
// methods just succeed. Measured against it, Kaz's small PUTs show what
// its metadata costs, apart from what durability costs.
func serveFloor(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, "log"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	var (
		mu              sync.Mutex
		cond            = sync.NewCond(&mu)
		off             int64
		written, synced uint64
		syncing         bool
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("http://" + ln.Addr().String())
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			w.WriteHeader(http.StatusCreated)
			return
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		at := off
		off += int64(len(b))
		mu.Unlock()
		if _, err := f.WriteAt(b, at); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		mu.Lock()
		written++
		seq := written
		for synced < seq {
			if syncing {
				cond.Wait()
				continue
			}
			syncing = true
			upto := written
			mu.Unlock()
			err = unix.Fdatasync(int(f.Fd()))
			mu.Lock()
			syncing = false
			if err == nil {
				synced = max(synced, upto)
			}
			cond.Broadcast()
			if err != nil {
				break
			}
		}
		mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	if *flagServe != "" {
		if err := serveKaz(*flagServe); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *flagFloor != "" {
		if err := serveFloor(*flagFloor); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *flagVs == "floor" && !*flagSmallOnly {
		log.Fatal("-against floor answers small PUTs only: add -small-only")
	}
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

// serveKaz is the child process: Kaz's handler on a fresh store, behind a
// Basic-auth check standing in for app passwords. It prints its URL.
func serveKaz(dir string) error {
	ctx := context.Background()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "kaz.db"))
	if err != nil {
		return err
	}
	st, err := docstore.Open(ctx, docstore.DefaultConfig(), db, filepath.Join(dir, "blobs"), nil)
	if err != nil {
		return err
	}
	admin := &auth.Principal{User: "admin", Admin: true}
	if _, err := st.CreateLibrary(ctx, admin, docstore.LibrarySpec{Name: "lib", Quota: -1,
		Grants: []docstore.Grant{{Role: docstore.RoleEditor, Subject: "user:" + benchUser}}}); err != nil {
		return err
	}
	p := &auth.Principal{User: benchUser}
	h := dav.New(st, dav.Options{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(st.Collectors()...)
	// The time PUTs spend in the server, from the request read to the
	// response written: with the client's rate, it splits an upload's
	// latency between the server and the rest (client, HTTP, scheduling).
	var putNs, puts atomic.Int64
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kaz_docs_bench_put_seconds_total"}, func() float64 { return time.Duration(putNs.Load()).Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kaz_docs_bench_puts_total"}, func() float64 { return float64(puts.Load()) }))
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/debug/pprof/") && os.Getenv("KAZ_BENCH_PPROF") != "" {
			http.DefaultServeMux.ServeHTTP(w, r) // profiling the child: see the README
			return
		}
		if r.URL.Path == "/debug/kaz-metrics" {
			metrics.ServeHTTP(w, r) // the store's counters: see smallPuts
			return
		}
		if u, pw, ok := r.BasicAuth(); !ok || u != benchUser || pw != benchPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="bench"`)
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		t0 := time.Now()
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
		if r.Method == http.MethodPut {
			putNs.Add(int64(time.Since(t0)))
			puts.Add(1)
		}
	})}
	fmt.Printf("http://%s/dav/lib\n", ln.Addr())
	return srv.Serve(ln)
}

type target struct {
	name string
	base string // URL of the collection to work in, no trailing slash
	user string
	pid  int
	rss  func() int64         // current RSS in bytes of the whole server
	cpu  func() time.Duration // CPU time used so far by the whole server
	// files is the folder behind base, when the server keeps plain files
	// (Apache).
	files string
}

func run() error {
	tmp, err := os.MkdirTemp("", "davbench-")
	if err != nil {
		return err
	}
	if !*flagKeep {
		defer os.RemoveAll(tmp)
	}
	os.Chmod(tmp, 0o755)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	kaz, stopKaz, err := startKaz(ctx, tmp, "")
	if err != nil {
		return fmt.Errorf("start kaz: %w", err)
	}
	defer stopKaz()
	// The reference: Apache, or another build of Kaz (-against), which
	// takes Apache's place in every phase and round.
	var (
		apache     *target
		stopApache func()
	)
	if *flagVs != "" {
		apache, stopApache, err = startKaz(ctx, tmp, *flagVs)
	} else {
		apache, stopApache, err = startApache(ctx, tmp)
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", cmp.Or(*flagVs, "apache"), err)
	}
	defer stopApache()

	targets := []*target{kaz, apache}
	for _, t := range targets {
		if *flagSmallOnly {
			break
		}
		fmt.Fprintf(os.Stderr, "%s: filling a folder of %d files…\n", t.name, *flagFiles)
		if err := fill(t, *flagFiles); err != nil {
			return fmt.Errorf("%s: fill: %w", t.name, err)
		}
	}
	type row struct {
		name         string
		kaz, apache  float64
		unit         string
		higherBetter bool
		rssK, rssA   int64
		ratios       []float64
		cpuK, cpuA   time.Duration // summed over the rounds
	}
	var rows []row
	// measure runs fn on t; ops, when above 0, is how many requests fn
	// makes, for the server's CPU time per request.
	measure := func(t *target, ops int, fn func() (float64, error)) (float64, int64, time.Duration, error) {
		cpu0 := t.cpu()
		var peak atomic.Int64
		done := make(chan struct{})
		go func() {
			tk := time.NewTicker(20 * time.Millisecond)
			defer tk.Stop()
			for {
				if r := t.rss(); r > peak.Load() {
					peak.Store(r)
				}
				select {
				case <-done:
					return
				case <-tk.C:
				}
			}
		}()
		busy0, all0 := machineTicks()
		v, err := fn()
		close(done)
		busy1, all1 := machineTicks()
		cpu := t.cpu() - cpu0
		if all1 > all0 {
			// Whether the machine had cores to spare: a phase bound by
			// latency leaves them idle, one bound by CPU does not.
			// The server's CPU per request tells a server working harder
			// for the same work (Apache's slow spells, see the README).
			perOp := ""
			if ops > 0 {
				perOp = fmt.Sprintf(", server CPU %.0f µs per request", float64(cpu.Microseconds())/float64(ops))
			}
			fmt.Fprintf(os.Stderr, "  %s: %.4g, machine %.0f%% busy (of %d cores)%s\n", t.name, v,
				100*float64(busy1-busy0)/float64(all1-all0), runtime.NumCPU(), perOp)
		}
		return v, peak.Load(), cpu, err
	}
	// The phases after PROPFIND (which takes its own median) run in
	// rounds, Kaz then Apache in each, so that both meet the same moments
	// of a noisy machine; the medians and each round's ratio are printed.
	phases := []struct {
		name         string
		unit         string
		higherBetter bool
		rounds       int
		fn           func(t *target, round int) (float64, error)
		ops          int // requests per measure (0: not counted)
	}{
		{"PROPFIND Depth 1 allprop, " + strconv.Itoa(*flagFiles) + " files", "ms", false, 1, func(t *target, _ int) (float64, error) { return propfindBench(t) }, 0},
		{fmt.Sprintf("PUT %d MiB", *flagBig), "MiB/s", true, *flagRounds, func(t *target, _ int) (float64, error) { return bigPut(t) }, 0},
		{fmt.Sprintf("GET %d MiB", *flagBig), "MiB/s", true, *flagRounds, func(t *target, _ int) (float64, error) { return bigGet(t) }, 0},
		{fmt.Sprintf("4 KiB PUTs, %d clients", *flagPar), "files/s", true, *flagRounds, smallPuts, *flagSmall},
	}
	if *flagSmallOnly {
		phases = phases[len(phases)-1:]
	}
	for _, ph := range phases {
		r := row{name: ph.name, unit: ph.unit, higherBetter: ph.higherBetter}
		var ks, as []float64
		for round := range max(1, ph.rounds) {
			// Who goes first alternates, so that neither always meets the
			// disk right after the other's writes.
			order := targets
			if round%2 == 1 {
				order = []*target{targets[1], targets[0]}
			}
			for _, t := range order {
				fmt.Fprintf(os.Stderr, "%s: %s (round %d)…\n", t.name, ph.name, round+1)
				// Each measure starts with nothing left to write back: on
				// ext4 an fsync may have to flush what the other server
				// left in the page cache (Apache syncs nothing), which
				// would charge one server for the other's writes.
				syscall.Sync()
				v, rss, cpu, err := measure(t, ph.ops, func() (float64, error) { return ph.fn(t, round) })
				if err != nil {
					return fmt.Errorf("%s: %s: %w", t.name, ph.name, err)
				}
				if t == kaz {
					ks, r.rssK = append(ks, v), max(r.rssK, rss)
					r.cpuK += cpu
				} else {
					as, r.rssA = append(as, v), max(r.rssA, rss)
					r.cpuA += cpu
				}
			}
			r.ratios = append(r.ratios, ks[round]/as[round])
		}
		r.kaz, r.apache = median(ks), median(as)
		rows = append(rows, r)
	}
	ref := "Apache"
	if *flagVs != "" {
		ref = apache.name
	}
	fmt.Printf("\n| measure | Kaz | %[1]s | Kaz / %[1]s | ratio of each round | peak RSS Kaz | peak RSS %[1]s | server CPU Kaz / %[1]s |\n|---|---|---|---|---|---|---|---|\n", ref)
	for _, r := range rows {
		var each []string
		for _, x := range r.ratios {
			each = append(each, fmt.Sprintf("%.2f", x))
		}
		cpu := "—"
		if r.cpuA > 0 {
			cpu = fmt.Sprintf("%.2f (%.2f s / %.2f s)", r.cpuK.Seconds()/r.cpuA.Seconds(), r.cpuK.Seconds(), r.cpuA.Seconds())
		}
		fmt.Printf("| %s | %.1f %s | %.1f %s | %.2f | %s | %d MiB | %d MiB | %s |\n", r.name, r.kaz, r.unit, r.apache, r.unit, r.kaz/r.apache, strings.Join(each, ", "), r.rssK>>20, r.rssA>>20, cpu)
	}
	if apacheNoSync > 0 {
		fmt.Printf("\nApache's PUT rate before its fsync (mod_dav_fs does not sync): %.1f MiB/s; Kaz / that: %.2f\n", apacheNoSync, rows[1].kaz/apacheNoSync)
	}
	return nil
}

// startKaz starts exe (this benchmark's binary when empty) serving Kaz
// on a data folder of its own under tmp; exe "floor" starts this binary
// serving the durable floor instead (serveFloor).
func startKaz(ctx context.Context, tmp, exe string) (*target, func(), error) {
	name, mode := "Kaz", "-serve-kaz"
	switch exe {
	case "":
	case "floor":
		name, mode, exe = "floor", "-serve-floor", ""
	default:
		name = "Kaz@" + filepath.Base(exe)
	}
	dir := filepath.Join(tmp, name)
	os.MkdirAll(dir, 0o700)
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, nil, err
		}
	}
	cmd := exec.CommandContext(ctx, exe, mode, dir)
	if *flagProf != "" {
		cmd.Env = append(os.Environ(), "KAZ_BENCH_PPROF=1")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, nil, fmt.Errorf("no URL from the kaz child: %w", err)
	}
	pid := cmd.Process.Pid
	t := &target{name: name, base: strings.TrimSpace(line), user: benchUser, pid: pid, rss: func() int64 { return rssOf(pid) }, cpu: func() time.Duration { return cpuOf(pid, true) }}
	return t, func() { cmd.Process.Kill(); cmd.Wait() }, nil
}

const apacheConf = `ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/httpd.pid"
ErrorLog "{root}/error.log"
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule dav_module /usr/lib/apache2/modules/mod_dav.so
LoadModule dav_fs_module /usr/lib/apache2/modules/mod_dav_fs.so
TypesConfig /etc/mime.types
DavLockDB "{root}/var/DavLock"
DocumentRoot "{root}/htdocs"
LimitRequestBody 0
KeepAlive On
MaxKeepAliveRequests 0
<Directory "{root}/htdocs">
  Dav On
  Require all granted
</Directory>
`

func startApache(ctx context.Context, tmp string) (*target, func(), error) {
	bin, err := exec.LookPath("apache2")
	if err != nil {
		bin = "/usr/sbin/apache2"
	}
	root := filepath.Join(tmp, "apache")
	for _, d := range []string{"htdocs/lib", "var"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := strings.NewReplacer("{root}", root, "{port}", strconv.Itoa(port)).Replace(apacheConf)
	confPath := filepath.Join(root, "httpd.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, nil, err
	}
	exec.Command("chown", "-R", "www-data:www-data", filepath.Join(root, "htdocs"), filepath.Join(root, "var")).Run()
	cmd := exec.CommandContext(ctx, bin, "-d", root, "-f", confPath, "-DFOREGROUND")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d/lib", port)
	for i := 0; ; i++ {
		res, err := http.Get(base + "/")
		if err == nil {
			res.Body.Close()
			break
		}
		if i > 100 {
			cmd.Process.Kill()
			return nil, nil, fmt.Errorf("apache did not start: %w (see %s/error.log)", err, root)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pid := cmd.Process.Pid
	t := &target{name: "Apache", base: base, pid: pid, rss: func() int64 { return groupRSS(pid) }, cpu: func() time.Duration { return groupCPU(pid) }, files: filepath.Join(root, "htdocs", "lib")}
	stop := func() {
		syscall.Kill(-pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-pid, syscall.SIGKILL)
			<-done
		}
	}
	return t, stop, nil
}

// cpuOf is the user+system CPU time of pid, plus that of its children it
// has waited for when children is set, from /proc/PID/stat (in clock ticks
// of 10 ms: compare long phases only).
func cpuOf(pid int, children bool) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (in parentheses, may hold spaces).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	last := 13 // utime, stime are fields 14, 15 (f[11], f[12]); cutime, cstime f[13], f[14]
	if children {
		last = 15
	}
	for _, v := range f[11:last] {
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// groupCPU is the CPU time of Apache's process group: every live process,
// plus the exited workers the parent (the group leader) has reaped.
func groupCPU(pgid int) time.Duration {
	ents, _ := os.ReadDir("/proc")
	var total time.Duration
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid {
			total += cpuOf(pid, pid == pgid)
		}
	}
	return total
}

// rssOf returns the resident set size of pid in bytes.
func rssOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

// groupRSS sums the RSS of every process in pid's process group (Apache's
// parent and its worker children).
func groupRSS(pgid int) int64 {
	ents, _ := os.ReadDir("/proc")
	var total int64
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid {
			total += rssOf(pid)
		}
	}
	return total
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}

func do(t *target, method, path string, body io.Reader, size int64, hdr map[string]string) (*http.Response, error) {
	req, err := http.NewRequest(method, t.base+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	if t.user != "" {
		req.SetBasicAuth(benchUser, benchPass)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return client.Do(req)
}

// doExpect sends a request and checks its status, discarding the body.
func doExpect(t *target, method, path string, body io.Reader, size int64, codes ...int) error {
	res, err := do(t, method, path, body, size, nil)
	return expect(res, err, codes...)
}

func expect(res *http.Response, err error, codes ...int) error {
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	for _, c := range codes {
		if res.StatusCode == c {
			return nil
		}
	}
	return fmt.Errorf("status %d", res.StatusCode)
}

// fill creates /big with n small files, 8 at a time.
func fill(t *target, n int) error {
	res, err := do(t, "MKCOL", "/big", nil, 0, nil)
	if err := expect(res, err, 201); err != nil {
		return err
	}
	return parallel(8, n, func(i int) error {
		body := fmt.Sprintf("file %d\n", i)
		return doExpect(t, "PUT", fmt.Sprintf("/big/f%05d.txt", i), strings.NewReader(body), int64(len(body)), 201, 204)
	})
}

func parallel(workers, n int, fn func(int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

const allprop = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`

func propfindBench(t *target) (float64, error) {
	var times []float64
	for range *flagRuns {
		start := time.Now()
		res, err := do(t, "PROPFIND", "/big/", strings.NewReader(allprop), int64(len(allprop)), map[string]string{"Depth": "1", "Content-Type": "application/xml"})
		if err != nil {
			return 0, err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 207 {
			return 0, fmt.Errorf("status %d", res.StatusCode)
		}
		if n := bytes.Count(b, []byte("</D:response>")); n != *flagFiles+1 {
			return 0, fmt.Errorf("%d responses, want %d", n, *flagFiles+1)
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
	}
	sort.Float64s(times)
	return times[len(times)/2], nil
}

// patternReader yields n bytes of a repeating pattern without touching disk.
type patternReader struct{ left int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	for i := range b {
		b[i] = byte(i * 7)
	}
	p.left -= int64(len(b))
	return len(b), nil
}

// apacheNoSync is Apache's PUT rate before the fsync, in MiB/s.
var apacheNoSync float64

func bigPut(t *target) (float64, error) {
	size := int64(*flagBig) << 20
	start := time.Now()
	if err := doExpect(t, "PUT", "/big.bin", &patternReader{left: size}, size, 201, 204); err != nil {
		return 0, err
	}
	if t.files != "" {
		// mod_dav_fs does not sync on PUT; Kaz answers only once the
		// content is durable. Count Apache's fsync too, for a fair figure,
		// and note the rate without it.
		apacheNoSync = float64(*flagBig) / time.Since(start).Seconds()
		f, err := os.Open(filepath.Join(t.files, "big.bin"))
		if err != nil {
			return 0, err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return 0, err
		}
	}
	return float64(*flagBig) / time.Since(start).Seconds(), nil
}

func bigGet(t *target) (float64, error) {
	start := time.Now()
	res, err := do(t, "GET", "/big.bin", nil, 0, nil)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return 0, err
	}
	if n != int64(*flagBig)<<20 {
		return 0, fmt.Errorf("got %d bytes", n)
	}
	return float64(*flagBig) / time.Since(start).Seconds(), nil
}

// median of xs (sorted in place).
func median(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

func smallPuts(t *target, round int) (float64, error) {
	dir := fmt.Sprintf("/small%d", round)
	if err := doExpect(t, "MKCOL", dir, nil, 0, 201); err != nil {
		return 0, err
	}
	body := bytes.Repeat([]byte("k"), 4096)
	var profiled chan error
	if *flagProf != "" && t.name == "Kaz" && round == max(1, *flagRounds)-1 {
		profiled = make(chan error, 1)
		go func() { profiled <- profileKaz(t, *flagProf) }()
	}
	var c0 map[string]float64
	if strings.HasPrefix(t.name, "Kaz") {
		c0 = kazCounters(t)
	}
	start := time.Now()
	err := parallel(*flagPar, *flagSmall, func(i int) error {
		b := append([]byte(strconv.Itoa(i)), body[:4096-len(strconv.Itoa(i))]...)
		return doExpect(t, "PUT", fmt.Sprintf("%s/s%05d.bin", dir, i), bytes.NewReader(b), int64(len(b)), 201, 204)
	})
	if err != nil {
		return 0, err
	}
	rate := float64(*flagSmall) / time.Since(start).Seconds()
	if c0 != nil {
		// The group commit as the server saw it: uploads per transaction,
		// and the usual commit and log sync times.
		c1 := kazCounters(t)
		d := func(k string) float64 { return c1["kaz_docs_"+k] - c0["kaz_docs_"+k] }
		if d("commits_total") > 0 && d("log_syncs_total") > 0 && d("bench_puts_total") > 0 {
			fmt.Fprintf(os.Stderr, "  Kaz store: %.2f uploads per commit, commit %.0f µs, log sync %.0f µs; a PUT %.0f µs in the handler, %.0f µs seen by a client (averages)\n",
				d("committed_writes_total")/d("commits_total"), 1e6*d("commit_seconds_total")/d("commits_total"), 1e6*d("log_sync_seconds_total")/d("log_syncs_total"),
				1e6*d("bench_put_seconds_total")/d("bench_puts_total"), 1e6*float64(*flagPar)/rate)
		}
	}
	if profiled != nil {
		if err := <-profiled; err != nil {
			return 0, fmt.Errorf("profile: %w", err)
		}
	}
	return rate, nil
}

// profileKaz writes a CPU profile of the Kaz child (started with
// KAZ_BENCH_PPROF=1) to file, for about the time the small PUTs take:
// -small 12000 keeps them busy for the 3 seconds profiled.
func profileKaz(t *target, file string) error {
	res, err := debugGet(t, "/debug/pprof/profile?seconds=3")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// debugGet gets path from the Kaz child's debug endpoints (200 only).
func debugGet(t *target, path string) (*http.Response, error) {
	u, err := url.Parse(t.base)
	if err != nil {
		return nil, err
	}
	res, err := http.Get("http://" + u.Host + path)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("%s: status %d", path, res.StatusCode)
	}
	return res, nil
}

// machineTicks reads the machine's CPU time from /proc/stat: the ticks
// spent busy (neither idle nor waiting for I/O) and in all.
func machineTicks() (busy, all uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, x := range f[1:] {
		n, _ := strconv.ParseUint(x, 10, 64)
		all += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, all
}

// kazCounters reads the Kaz child's store counters (kaz_docs_*).
func kazCounters(t *target) map[string]float64 {
	out := map[string]float64{}
	res, err := debugGet(t, "/debug/kaz-metrics")
	if err != nil {
		return out
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && strings.HasPrefix(k, "kaz_docs_") {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				out[k] = f
			}
		}
	}
	return out
}
