package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
)

// Group commit. Concurrent Puts hand their written (not yet synced) content
// and their metadata transaction to a single committer goroutine, which
// takes the jobs waiting and, in order:
//  1. syncs every content it took in parallel (the file system makes them
//     durable in one journal commit instead of one each);
//  2. names each content by its hash (link or rename), only once synced;
//  3. syncs each blob folder it named into, once;
//  4. runs the jobs at once in the batch's open transaction (openBatch): a
//     job refused by its checks (before writing anything) drops out
//     alone, any other failure gives the batch up and each job then runs
//     in its own transaction;
//  5. on SQLite, commits the batch when it is time (hold), hands its jobs
//     to the WAL syncer and opens the next batch as jobs arrive: the
//     syncer fsyncs the write-ahead log once for every batch committed
//     meanwhile, then lets their Puts return.
// The commit itself runs with synchronous=NORMAL (no fsync under SQLite's
// writer lock); the syncer's fsync, which covers every frame written to the
// log so far, makes the batch durable against an OS crash or a power cut
// before any of its Puts returns — while the next batch's SQL already runs.
// That overlap is what lets small Puts go faster than one fsync each.
// The committer does not commit as soon as it can, though: while the
// syncer's fsync runs, it lets the Puts arriving join the open batch,
// running each as it comes, until just in time for the next fsync (hold),
// so that they share one transaction and only its commit is left on their
// way.

// walCheckpointPages is how many pages of write-ahead log the committer
// lets grow before it checkpoints them into the database (SQLite's
// automatic checkpoint, run by the commit that crosses it). A checkpoint
// copies each page once however often it changed since the last one, and
// syncs the database file: with small Puts (a few pages each, the same
// index and table leaves again and again) fewer, larger checkpoints copy
// fewer pages. 16 MiB of log at most; readers are not slowed.
const walCheckpointPages = 4000

// maxBatch bounds the jobs of one transaction.
const maxBatch = 128

// committerIdle is how long the committer keeps its connection without work.
const committerIdle = 2 * time.Second

type commitJob struct {
	// ctx carries the request's values (client address for the audit) but
	// not its cancellation: a client leaving must not abort a batch that
	// holds other clients' writes.
	ctx context.Context
	// fn runs the job in tx. trusted tells it that the checks it made
	// before queueing (see prechecked) still hold: nothing was committed
	// since, by anyone, that they depend on.
	// w gathers the batch's inserts (batchWrites): a job that reads
	// flushes it first.
	fn func(ctx context.Context, tx *sql.Tx, w *batchWrites, trusted bool) error
	// pre is the job's pre-check (nil: none, fn checks everything).
	pre *prechecked
	// blob is the job's content to sync and name (nil for none).
	blob stagedBlob
	dir  string // the blob's folder, once named
	err  error
	done chan struct{}
}

type committer struct {
	s       *Store
	mu      sync.Mutex
	queue   []*commitJob
	running bool
	wake    chan struct{}
	closed  bool
	// stopped is closed when the running goroutine exits.
	stopped chan struct{}
	// batches counts the batches committed; hist remembers, for the last
	// histSize of them, the keys each wrote and the committer connection's
	// PRAGMA data_version then. Only the committer goroutine touches hist.
	batches atomic.Uint64
	hist    [histSize]batchRecord
	// trusted counts the jobs that ran on their pre-check (for tests).
	trusted atomic.Uint64
	// inOpen counts the jobs run in the open batch, not yet committed
	// (for tests).
	inOpen atomic.Int64
	// epoch changes, before a batch is counted, whenever the batch may
	// follow a commit by another connection (see checkCache); lastDV is the
	// previous batch's data_version (-1: unknown; committer goroutine).
	epoch  atomic.Uint64
	lastDV int64
	// beforeSync, for tests, runs in the syncer before each fsync.
	beforeSync func()
	// syncStart is when the fsync in flight started (UnixNano, 0: none);
	// syncTime and commitTime are the fsync's and a batch commit's usual
	// durations (moving averages), for hold.
	syncStart  atomic.Int64
	syncTime   atomic.Int64
	commitTime time.Duration // committer goroutine only
	// stats counts what the committer did, for benchmarks.
	stats struct {
		batches, jobs, syncs atomic.Int64
		commitNs, syncNs     atomic.Int64
		twinQueries          atomic.Int64 // prefetchTwins' queries
	}
}

// prechecked is a job's check made before queueing, on another connection,
// once the committer had committed seq batches, for the item key (library,
// folder and case-folded name). Put's checks read the library's grants,
// the item at the path, its folder, the locks covering it and the siblings
// of the same case-folded name; other Puts change only the items at their
// own keys (quotas are always re-checked).
//
// The committer trusts a pre-check — the job skips re-reading what it
// checked — only when, inside the batch's write transaction (which holds
// SQLite's write lock, so nothing else commits until it ends):
//   - no other connection, of this process or another (kaz admin), has
//     committed since batch seq (the committer connection's PRAGMA
//     data_version is what it was then: it changes with every commit but
//     the connection's own);
//   - no batch since seq, and no earlier job of this batch, wrote the key.
//
// Then everything the check read is, for this job, as the check saw it.
type prechecked struct {
	seq uint64
	key string
	// twins, when set, is the item the job will read in the transaction
	// (a deferred Put): the committer reads those of a batch together
	// (prefetchTwins).
	twins *twinRead
}

// histSize bounds how many batches a pre-check may span.
const histSize = 64

// batchRecord is what the committer remembers of one batch.
type batchRecord struct {
	seq  uint64
	dv   int64           // data_version in the batch (-1: unknown)
	keys map[string]bool // keys written (nil: unknown, trusts nothing)
}

func (r batchRecord) known() bool { return r.keys != nil && r.dv >= 0 }

// stillHolds reports whether pre can be trusted at the current batch,
// whose transaction reads data_version dv (committer goroutine only).
func (c *committer) stillHolds(pre *prechecked, dv int64) bool {
	now := c.batches.Load()
	if pre == nil || dv < 0 || pre.seq == 0 || pre.seq > now || now-pre.seq >= histSize {
		return false
	}
	if h := c.hist[pre.seq%histSize]; h.seq != pre.seq || !h.known() || h.dv != dv {
		return false
	}
	for b := pre.seq + 1; b <= now; b++ {
		if h := c.hist[b%histSize]; h.seq != b || !h.known() || h.keys[pre.key] {
			return false
		}
	}
	return true
}

// precheck starts a pre-check for key: take it before reading.
func (c *committer) precheck(key string) *prechecked {
	return &prechecked{seq: c.batches.Load(), key: key}
}

func newCommitter(s *Store) *committer {
	return &committer{s: s, wake: make(chan struct{}, 1), lastDV: -1}
}

// do makes blob (when set) durable under its hash, then runs fn in a
// group-committed transaction, and returns once both are durable or the
// job failed (an unreferenced blob is collected later).
func (c *committer) do(ctx context.Context, blob stagedBlob, pre *prechecked, fn func(ctx context.Context, tx *sql.Tx, w *batchWrites, trusted bool) error) error {
	j := &commitJob{ctx: context.WithoutCancel(ctx), fn: fn, pre: pre, blob: blob, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		if blob != nil {
			blob.discard()
		}
		return errClosed
	}
	c.queue = append(c.queue, j)
	if !c.running {
		c.running = true
		c.stopped = make(chan struct{})
		go c.run(c.stopped)
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	<-j.done
	return dbErr(j.err)
}

// close stops accepting jobs and waits for the queued ones.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	stopped := c.stopped
	running := c.running
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	if running {
		<-stopped
	}
}

func (c *committer) take(limit int) []*commitJob {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(c.queue), limit)
	if n == 0 {
		return nil
	}
	batch := c.queue[:n:n]
	c.queue = append([]*commitJob(nil), c.queue[n:]...)
	return batch
}

func (c *committer) run(stopped chan struct{}) {
	defer close(stopped)
	ctx := context.Background()
	// The WAL syncer lives as long as this run; it finishes its queue
	// before run returns.
	walSync := c.s.db.Dialect == sqldb.SQLite && c.s.db.Path != ""
	// syncq carries committed batches to this run's WAL syncer.
	var syncq chan []*commitJob
	// syncEv tells that the syncer took the committed batches, or ended
	// an fsync.
	syncEv := make(chan struct{}, 1)
	if walSync {
		syncq = make(chan []*commitJob, maxBatch)
		synced := make(chan struct{})
		go c.syncWAL(syncq, synced, syncEv)
		defer func() { close(syncq); <-synced }()
	}
	var conn *sql.Conn
	defer func() {
		if conn != nil {
			if c.s.db.Dialect == sqldb.SQLite && !walSync {
				conn.ExecContext(ctx, `PRAGMA synchronous=NORMAL`)
			}
			if walSync {
				conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint=1000`)
			}
			conn.Close()
		}
	}()
	idle := time.NewTimer(committerIdle)
	defer idle.Stop()
	holdT := time.NewTimer(time.Hour)
	holdT.Stop()
	// ob is the batch begun and not yet committed (WAL syncing only).
	var ob *openBatch
	commitOpen := func() {
		if done := c.end(ctx, conn, ob); len(done) > 0 {
			syncq <- done
		}
		ob = nil
	}
	for {
		limit := maxBatch
		if ob != nil {
			limit -= len(ob.jobs)
		}
		batch := c.take(limit)
		if len(batch) > 0 {
			if conn == nil {
				var err error
				if conn, err = c.open(ctx, walSync); err != nil {
					for _, j := range batch {
						j.err = fmt.Errorf("docstore: commit: %w", err)
						close(j.done)
					}
					continue
				}
			}
			if !walSync {
				// Without a log to sync, each batch commits at once.
				for _, j := range c.commit(ctx, conn, batch) {
					close(j.done)
				}
				continue
			}
			// A content on disk takes an fsync or more to make durable:
			// not while the open batch holds the write lock (and the Puts
			// already in it).
			if ob != nil && slices.ContainsFunc(batch, onDisk) {
				commitOpen()
			}
			// The jobs run now, in the open batch: when it is time to
			// commit, only its end is left (see openBatch).
			if live := c.syncContents(batch); len(live) > 0 {
				if ob == nil {
					ob = c.begin(ctx, conn)
				}
				c.step(ctx, ob, live)
			}
		}
		if ob != nil {
			wait, hold := c.hold(syncq, ob)
			c.mu.Lock()
			queued := len(c.queue)
			c.mu.Unlock()
			if !hold {
				// The jobs that arrived while the last ones ran join the
				// batch (once): else they would wait a whole sync more.
				if queued > 0 && !ob.last {
					ob.last = true
					continue
				}
				commitOpen()
				continue
			}
			if queued > 0 {
				continue // run them before deciding again
			}
			if wait > 0 {
				holdT.Reset(wait)
			}
			select {
			case <-syncEv:
			case <-c.wake:
			case <-holdT.C:
			}
			holdT.Stop()
			continue
		}
		if len(batch) > 0 {
			continue
		}
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if !closed {
			idle.Reset(committerIdle)
			select {
			case <-c.wake:
				continue
			case <-idle.C:
			}
		}
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

// onDisk reports whether j's content is a file to sync (not a small
// content, which its transaction stores).
func onDisk(j *commitJob) bool {
	if j.blob == nil {
		return false
	}
	_, small := j.blob.(*smallStaged)
	return !small
}

// open takes the committer's connection and sets it up.
func (c *committer) open(ctx context.Context, walSync bool) (*sql.Conn, error) {
	// data_version is per connection: nothing remembered of the
	// previous one may be compared with the new one's.
	c.hist = [histSize]batchRecord{}
	c.lastDV = -1
	conn, err := c.s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if c.s.db.Dialect == sqldb.SQLite && !walSync {
		// No file to sync ourselves: let SQLite sync each commit.
		_, err = conn.ExecContext(ctx, `PRAGMA synchronous=FULL`)
	}
	if err == nil && walSync {
		// Checkpoint (copy the log into the database) every
		// walCheckpointPages instead of SQLite's 1,000.
		_, err = conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint=`+strconv.Itoa(walCheckpointPages))
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// syncWAL makes committed batches durable: one fsync of the write-ahead
// log for all the batches waiting, then their jobs return. An fsync that
// fails fails the jobs (their data is committed but may not survive a
// power cut: the client must not be told it is safe).
func (c *committer) syncWAL(syncq chan []*commitJob, synced chan struct{}, took chan<- struct{}) {
	defer close(synced)
	var lastIno uint64
	for jobs := range syncq {
		for more := true; more; {
			select {
			case b, ok := <-syncq:
				if !ok {
					more = false
					break
				}
				jobs = append(jobs, b...)
			default:
				more = false
			}
		}
		signal := func() {
			select {
			case took <- struct{}{}:
			default:
			}
		}
		signal()
		t0 := time.Now()
		c.syncStart.Store(t0.UnixNano())
		if c.beforeSync != nil {
			c.beforeSync()
		}
		err := c.s.fsyncWAL(&lastIno)
		took := time.Since(t0)
		c.syncTime.Store(int64(ewma(time.Duration(c.syncTime.Load()), took)))
		c.stats.syncs.Add(1)
		c.stats.syncNs.Add(int64(took))
		c.syncStart.Store(0)
		signal() // a committer holding for this fsync goes on
		if err != nil {
			c.s.log.Error("syncing the database log failed", "err", err)
		}
		for _, j := range jobs {
			if err != nil {
				j.err = fmt.Errorf("docstore: sync database log: %w", err)
			}
			close(j.done)
		}
	}
}

// hold tells the committer whether to keep the open batch ob open instead
// of committing it now (ok), and for how long at most (wait, 0: until the
// syncer takes the waiting batch). A batch commits, at the latest, in time
// for the syncer's next fsync: committing earlier gains nothing, committing
// later loses an fsync's time. So the committer holds
//   - while a committed batch already waits for the syncer (whose fsync of
//     the batches before is in flight): a batch committed now would go
//     with the same next fsync;
//   - while the fsync in flight has, by the usual durations, longer to run
//     than the end of a batch takes: the jobs arriving meanwhile join it.
//
// One batch instead of several costs one transaction (pages written once
// to the log: item, index, audit and change leaves) and one fsync. A full
// batch (maxBatch) or closing goes on at once.
func (c *committer) hold(syncq chan []*commitJob, ob *openBatch) (wait time.Duration, ok bool) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed || len(ob.jobs) >= maxBatch {
		return 0, false
	}
	if len(syncq) > 0 {
		return 0, true
	}
	start := c.syncStart.Load()
	if start == 0 {
		return 0, false
	}
	left := time.Duration(c.syncTime.Load()) - time.Since(time.Unix(0, start)) - c.commitTime
	if left < 50*time.Microsecond {
		return 0, false
	}
	return left, true
}

// ewma is a moving average of durations, 1/8 weight to the new one.
func ewma(avg, d time.Duration) time.Duration {
	if avg == 0 {
		return d
	}
	return avg + (d-avg)/8
}

// fsyncWAL fsyncs the SQLite write-ahead log, which holds every frame
// committed so far. A log that does not exist was checkpointed into the
// database file and removed: that file is synced instead. When the log is
// a new file (another inode than last time), its folder is synced too, so
// that its name survives a power cut.
func (s *Store) fsyncWAL(lastIno *uint64) error {
	path := s.db.Path + "-wal"
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		path = s.db.Path
		f, err = os.OpenFile(path, os.O_RDWR, 0)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := datasync(f); err != nil {
		return err
	}
	if ino := inodeOf(f); ino == 0 || ino != *lastIno {
		if err := syncDir(filepath.Dir(path)); err != nil {
			return err
		}
		*lastIno = ino
	}
	return nil
}

// syncContents makes the contents of batch durable and named: every
// content in parallel, then their names, then each blob folder once. It
// ends the jobs that failed and returns the others.
func (c *committer) syncContents(batch []*commitJob) (live []*commitJob) {
	var wg sync.WaitGroup
	for _, j := range batch {
		if j.blob != nil {
			wg.Go(func() {
				if err := j.blob.sync(); err != nil {
					j.err = err
					j.blob.discard()
				}
			})
		}
	}
	wg.Wait()
	// Then names, once contents are durable.
	for _, j := range batch {
		if j.blob != nil && j.err == nil {
			j.dir, j.err = j.blob.place()
		}
	}
	// One fsync per blob folder makes the batch's names durable before
	// the transaction that references them.
	synced := map[string]*dirSync{}
	for _, j := range batch {
		if j.dir != "" && j.err == nil && synced[j.dir] == nil {
			ds := &dirSync{}
			synced[j.dir] = ds
			wg.Go(func() { ds.err = syncDir(j.dir) })
		}
	}
	wg.Wait()
	for _, j := range batch {
		if j.dir != "" && j.err == nil {
			if err := synced[j.dir].err; err != nil {
				j.err = fmt.Errorf("docstore: sync blob folder: %w", err)
			}
		}
		if j.err != nil {
			close(j.done)
			continue
		}
		live = append(live, j)
	}
	return live
}

// commit runs one batch at once (without a log to sync ourselves) and
// returns the committed jobs, which the caller ends; it ends the others.
func (c *committer) commit(ctx context.Context, conn *sql.Conn, batch []*commitJob) []*commitJob {
	live := c.syncContents(batch)
	if len(live) == 0 {
		return nil
	}
	ob := c.begin(ctx, conn)
	c.step(ctx, ob, live)
	return c.end(ctx, conn, ob)
}

// openBatch is a batch's transaction, begun by the committer and kept
// open while it holds for the fsync in flight (hold): the jobs arriving
// meanwhile run in it at once (step), so that when it is time to commit
// only the end of the batch (end: its last rows and the commit) is left
// on their way. SQLite's write lock is held meanwhile (writeMu for this
// process), for about one fsync.
//
// A failure other than a refusal (begin, a write, the commit) gives the
// batch up: its jobs then run each in its own transaction, so that no job
// fails for another.
type openBatch struct {
	tx   *sql.Tx // nil: given up
	w    *batchWrites
	rec  batchRecord
	jobs []*commitJob // every job run in tx, refused ones included
	// unknown: a job did not say what it writes (trusts nothing after).
	unknown bool
	busy    time.Duration // time spent running the batch's statements
	// last: the jobs queued when it was time to commit were taken in.
	last bool
}

// begin opens a batch on conn.
func (c *committer) begin(ctx context.Context, conn *sql.Conn) *openBatch {
	t0 := time.Now()
	ob := &openBatch{w: c.s.newBatchWrites(), rec: batchRecord{dv: -1, keys: map[string]bool{}}}
	if c.s.db.Dialect == sqldb.SQLite {
		c.s.writeMu.Lock()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return ob // given up: step and end run the jobs alone
	}
	ob.tx = tx
	// Which pre-checks hold (see prechecked)?
	if c.s.db.Dialect == sqldb.SQLite {
		if err := tx.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&ob.rec.dv); err != nil {
			ob.rec.dv = -1
		}
	}
	ob.busy += time.Since(t0)
	return ob
}

// step runs live in ob, now: their checks, reads and writes.
func (c *committer) step(ctx context.Context, ob *openBatch, live []*commitJob) {
	t0 := time.Now()
	defer func() {
		ob.busy += time.Since(t0)
		c.inOpen.Store(int64(len(ob.jobs)))
	}()
	ob.jobs = append(ob.jobs, live...)
	if ob.tx == nil {
		return
	}
	trust := make([]bool, len(live))
	for i, j := range live {
		trust[i] = j.pre != nil && !ob.rec.keys[j.pre.key] && c.stillHolds(j.pre, ob.rec.dv)
		if j.pre != nil {
			ob.rec.keys[j.pre.key] = true
		} else {
			ob.unknown = true
		}
		if trust[i] {
			c.trusted.Add(1)
		}
	}
	if err := c.s.prefetchTwins(ctx, c.s.prepared(ob.tx), ob.w, live, trust); err != nil {
		c.giveUp(ob)
		return
	}
	for i, j := range live {
		// No savepoint: a job refused by its checks has written nothing
		// (refused); any other failure gives the batch up.
		if err := j.fn(j.ctx, ob.tx, ob.w, trust[i]); err != nil {
			var r refusedErr
			if !errors.As(err, &r) {
				c.giveUp(ob)
				return
			}
			j.err = r.error
		}
	}
	// The rows are written now too, while the batch is held.
	if err := ob.w.flush(ctx, c.s.prepared(ob.tx)); err != nil {
		c.giveUp(ob)
	}
}

// giveUp rolls ob back: its jobs will run alone.
func (c *committer) giveUp(ob *openBatch) {
	ob.tx.Rollback()
	ob.tx = nil
	for _, j := range ob.jobs {
		j.err = nil
	}
}

// end commits ob (or, given up, runs its jobs alone), ends the refused and
// failed jobs and returns the committed ones, which the caller ends (after
// the WAL sync on SQLite).
func (c *committer) end(ctx context.Context, conn *sql.Conn, ob *openBatch) (committed []*commitJob) {
	t0 := time.Now()
	if ob.tx != nil {
		if err := ob.w.flush(ctx, c.s.prepared(ob.tx)); err != nil {
			c.giveUp(ob)
		} else if err := ob.tx.Commit(); err != nil {
			c.giveUp(ob)
		}
	}
	rec := ob.rec
	if ob.tx == nil {
		rec = batchRecord{dv: -1} // unknown: trusts nothing across it
		for _, j := range ob.jobs {
			j.err = c.singleTx(ctx, conn, j)
		}
	} else if ob.unknown {
		rec.keys = nil
	}
	if c.s.db.Dialect == sqldb.SQLite {
		c.s.writeMu.Unlock()
	}
	// A commit by another connection since the previous batch (or not
	// knowing) ends the epoch of the cached checks.
	if !rec.known() || c.lastDV < 0 || rec.dv != c.lastDV {
		c.epoch.Add(1)
	}
	c.lastDV = rec.dv
	rec.seq = c.batches.Load() + 1
	c.hist[rec.seq%histSize] = rec
	c.batches.Add(1)
	c.inOpen.Store(0)
	took := time.Since(t0)
	c.commitTime = ewma(c.commitTime, took)
	c.stats.batches.Add(1)
	c.stats.jobs.Add(int64(len(ob.jobs)))
	c.stats.commitNs.Add(int64(ob.busy + took))
	for _, j := range ob.jobs {
		if j.err == nil {
			committed = append(committed, j)
		} else {
			close(j.done)
		}
	}
	return committed
}

func (c *committer) singleTx(ctx context.Context, conn *sql.Conn, j *commitJob) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("docstore: begin: %w", err)
	}
	w := c.s.newBatchWrites()
	err = j.fn(j.ctx, tx, w, false)
	if err == nil {
		err = w.flush(ctx, c.s.prepared(tx))
	}
	if err != nil {
		tx.Rollback()
		if r, ok := err.(refusedErr); ok {
			return r.error
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("docstore: commit: %w", err)
	}
	return nil
}

// dirSync is the outcome of one folder's fsync.
type dirSync struct{ err error }

var errClosed = errors.New("docstore: store closed")

// refusedErr marks a job's error raised by its checks, before it wrote
// anything: the batch goes on without it.
type refusedErr struct{ error }

func (e refusedErr) Unwrap() error { return e.error }

// refused wraps a check's error (nil stays nil).
func refused(err error) error {
	if err == nil {
		return nil
	}
	return refusedErr{err}
}
