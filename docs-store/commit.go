package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
)

// Group commit. Concurrent Puts hand their written (not yet synced) content
// and their metadata transaction to a single committer goroutine, which
// takes the jobs waiting as one batch and, in order:
//  1. syncs every content of the batch in parallel (the file system makes
//     them durable in one journal commit instead of one each);
//  2. names each content by its hash (link or rename), only once synced;
//  3. syncs each blob folder the batch named into, once;
//  4. runs the jobs' transactions in one database transaction, each job in
//     its own savepoint (a job that fails rolls back alone).
// On SQLite the committer uses its own connection with synchronous=FULL, so
// that one WAL fsync per batch makes every Put of the batch durable against
// an OS crash or a power cut, not only against a crash of Kaz.

// maxBatch bounds the jobs of one transaction.
const maxBatch = 128

// committerIdle is how long the committer keeps its connection without work.
const committerIdle = 2 * time.Second

type commitJob struct {
	// ctx carries the request's values (client address for the audit) but
	// not its cancellation: a client leaving must not abort a batch that
	// holds other clients' writes.
	ctx context.Context
	fn  func(ctx context.Context, tx *sql.Tx) error
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
}

func newCommitter(s *Store) *committer {
	return &committer{s: s, wake: make(chan struct{}, 1)}
}

// do makes blob (when set) durable under its hash, then runs fn in a
// group-committed transaction, and returns once both are durable or the
// job failed (an unreferenced blob is collected later).
func (c *committer) do(ctx context.Context, blob stagedBlob, fn func(ctx context.Context, tx *sql.Tx) error) error {
	j := &commitJob{ctx: context.WithoutCancel(ctx), fn: fn, blob: blob, done: make(chan struct{})}
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
	return j.err
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

func (c *committer) take() []*commitJob {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(c.queue), maxBatch)
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
	var conn *sql.Conn
	defer func() {
		if conn != nil {
			if c.s.db.Dialect == sqldb.SQLite {
				conn.ExecContext(ctx, `PRAGMA synchronous=NORMAL`)
			}
			conn.Close()
		}
	}()
	idle := time.NewTimer(committerIdle)
	defer idle.Stop()
	for {
		batch := c.take()
		if len(batch) == 0 {
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
			continue
		}
		if conn == nil {
			var err error
			conn, err = c.s.db.Conn(ctx)
			if err == nil && c.s.db.Dialect == sqldb.SQLite {
				_, err = conn.ExecContext(ctx, `PRAGMA synchronous=FULL`)
			}
			if err != nil {
				if conn != nil {
					conn.Close()
					conn = nil
				}
				for _, j := range batch {
					j.err = fmt.Errorf("docstore: commit: %w", err)
					close(j.done)
				}
				continue
			}
		}
		c.commit(ctx, conn, batch)
	}
}

// commit runs one batch. A structural failure (begin, savepoint, commit)
// falls back to one transaction per job, so that no job fails for another.
func (c *committer) commit(ctx context.Context, conn *sql.Conn, batch []*commitJob) {
	defer func() {
		for _, j := range batch {
			close(j.done)
		}
	}()
	// Contents first, in parallel.
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
		if j.dir == "" || j.err != nil {
			continue
		}
		if err := synced[j.dir].err; err != nil {
			j.err = fmt.Errorf("docstore: sync blob folder: %w", err)
		}
	}
	var live []*commitJob
	for _, j := range batch {
		if j.err == nil {
			live = append(live, j)
		}
	}
	if len(live) == 0 {
		return
	}
	if c.s.db.Dialect == sqldb.SQLite {
		c.s.writeMu.Lock()
		defer c.s.writeMu.Unlock()
	}
	if len(live) == 1 || !c.batchTx(ctx, conn, live) {
		for _, j := range live {
			j.err = c.singleTx(ctx, conn, j)
		}
	}
}

// batchTx runs live in one transaction; false when it had to give up (the
// jobs' errors are then unset, for singleTx to retry).
func (c *committer) batchTx(ctx context.Context, conn *sql.Conn, live []*commitJob) bool {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false
	}
	fail := func() bool {
		tx.Rollback()
		for _, j := range live {
			j.err = nil
		}
		return false
	}
	for _, j := range live {
		if _, err := c.s.prepared(tx).ExecContext(ctx, `SAVEPOINT kaz_job`); err != nil {
			return fail()
		}
		if err := j.fn(j.ctx, tx); err != nil {
			j.err = err
			if _, err := c.s.prepared(tx).ExecContext(ctx, `ROLLBACK TO SAVEPOINT kaz_job`); err != nil {
				return fail()
			}
		}
		if _, err := c.s.prepared(tx).ExecContext(ctx, `RELEASE SAVEPOINT kaz_job`); err != nil {
			return fail()
		}
	}
	if err := tx.Commit(); err != nil {
		return fail()
	}
	return true
}

func (c *committer) singleTx(ctx context.Context, conn *sql.Conn, j *commitJob) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("docstore: begin: %w", err)
	}
	if err := j.fn(j.ctx, tx); err != nil {
		tx.Rollback()
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
