package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/search/extract"
)

var migrations = []string{
	`CREATE TABLE search_cursors (
		name TEXT PRIMARY KEY,
		seq INTEGER NOT NULL,
		updated_at TEXT NOT NULL)`,
	`CREATE TABLE search_failures (
		library TEXT NOT NULL,
		path TEXT NOT NULL,
		reason TEXT NOT NULL,
		at TEXT NOT NULL,
		PRIMARY KEY (library, path))`,
	// Reindex requests from "kaz admin reindex" while a server holds the
	// embedded index: see reindexreq.go.
	`CREATE TABLE search_reindex_requests (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		library TEXT NOT NULL DEFAULT '',
		requested_at TEXT NOT NULL,
		requested_by TEXT NOT NULL,
		started_at TEXT NOT NULL DEFAULT '',
		finished_at TEXT NOT NULL DEFAULT '',
		done INTEGER NOT NULL DEFAULT 0,
		total INTEGER NOT NULL DEFAULT 0,
		error TEXT NOT NULL DEFAULT '')`,
}

// Indexer follows the source's change outbox from a cursor persisted in
// the database and keeps an Index up to date. The cursor advances only
// after the index has durably applied a batch, so a crash or restart
// replays changes (upserts and deletions are idempotent) and never loses
// one.
type Indexer struct {
	db     *sqldb.DB
	idx    Index
	src    Source
	cfg    Config
	log    *slog.Logger
	cursor string // row name in search_cursors

	notify chan struct{}
	runMu  sync.Mutex // one batch or reindex at a time
	// flight holds the batches started and not yet landed, oldest first
	// (runMu held): while one is being written, the next is read and
	// extracted. Only a landed batch moves the cursor.
	flight []*started

	mu        sync.Mutex
	lastBatch time.Time
	lastErr   string
	indexed   atomic.Int64
}

// NewIndexer prepares an indexer of idx from src. cursorName identifies
// the index (an engine and its location), so that a new index starts
// from the beginning of the outbox.
func NewIndexer(ctx context.Context, db *sqldb.DB, idx Index, src Source, cursorName string, cfg Config, log *slog.Logger) (*Indexer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := db.Migrate(ctx, "search", migrations); err != nil {
		return nil, err
	}
	return &Indexer{db: db, idx: idx, src: src, cfg: cfg.withDefaults(), log: log.With("component", "search"),
		cursor: cursorName, notify: make(chan struct{}, 1)}, nil
}

// Notify wakes the indexer up (after a write), without waiting.
func (ix *Indexer) Notify() {
	select {
	case ix.notify <- struct{}{}:
	default:
	}
}

// Cursor returns the sequence number of the last change indexed.
func (ix *Indexer) Cursor(ctx context.Context) (int64, error) {
	var seq int64
	err := ix.db.QueryRowContext(ctx, ix.db.Rebind(`SELECT seq FROM search_cursors WHERE name = ?`), ix.cursor).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("search: read cursor: %w", err)
	}
	return seq, nil
}

func (ix *Indexer) setCursor(ctx context.Context, seq int64) error {
	_, err := ix.db.ExecContext(ctx, ix.db.Rebind(`INSERT INTO search_cursors (name, seq, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`), ix.cursor, seq, sqldb.Now())
	if err != nil {
		return fmt.Errorf("search: save cursor: %w", err)
	}
	return nil
}

// Run indexes changes until ctx ends, polling every PollInterval or when
// notified. Errors are logged and retried with a growing pause; the
// cursor stays where it was.
func (ix *Indexer) Run(ctx context.Context) error {
	backoff := time.Duration(0)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-ix.notify:
		}
		for {
			ix.runMu.Lock()
			n, err := ix.runOnce(ctx, true)
			ix.runMu.Unlock()
			if ctx.Err() != nil {
				ix.settle(ctx)
				return nil
			}
			if err != nil {
				backoff = min(max(2*backoff, time.Second), 30*time.Second)
				ix.log.Error("indexing failed; will retry", "err", err, "retry_in", backoff)
				break
			}
			backoff = 0
			if n < ix.cfg.BatchSize {
				break
			}
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(max(backoff, ix.cfg.PollInterval))
	}
}

// settle lands the batches Run left in flight when it stops, so that
// their cursor is saved (runMu not held).
func (ix *Indexer) settle(ctx context.Context) {
	ix.runMu.Lock()
	defer ix.runMu.Unlock()
	if err := ix.land(context.WithoutCancel(ctx)); err != nil {
		ix.log.Warn("indexing stopped; the last batch will be indexed again", "err", err)
	}
}

// pending is the net effect of a run of changes on the index.
type pending struct {
	puts    map[Ref]bool
	deletes map[Ref]bool
	folders []Ref
	drops   []string
	walks   []Ref // folders whose files must all be (re)indexed
}

func newPending() *pending {
	return &pending{puts: map[Ref]bool{}, deletes: map[Ref]bool{}}
}

func under(p, folder string) bool {
	return folder == "/" || p == folder || strings.HasPrefix(p, strings.TrimRight(folder, "/")+"/")
}

func (p *pending) put(r Ref) {
	delete(p.deletes, r)
	p.puts[r] = true
}

func (p *pending) del(r Ref) {
	delete(p.puts, r)
	p.deletes[r] = true
}

// dropUnder forgets pending puts and walks inside folder (a later folder
// deletion wins over them).
func (p *pending) dropUnder(lib, folder string) {
	for r := range p.puts {
		if r.Library == lib && under(r.Path, folder) {
			delete(p.puts, r)
		}
	}
	for r := range p.deletes {
		if r.Library == lib && under(r.Path, folder) {
			delete(p.deletes, r)
		}
	}
	walks := p.walks[:0]
	for _, w := range p.walks {
		if !(w.Library == lib && under(w.Path, folder)) {
			walks = append(walks, w)
		}
	}
	p.walks = walks
}

func (p *pending) add(c Change) {
	r := Ref{Library: c.Library, Path: c.Path}
	switch c.Kind {
	case ChangeCreate, ChangeUpdate, ChangeRestore:
		if c.IsDir {
			if c.Kind == ChangeRestore {
				p.walks = append(p.walks, r)
			}
			return
		}
		p.put(r)
	case ChangeDelete:
		if c.IsDir {
			p.dropUnder(c.Library, c.Path)
			p.folders = append(p.folders, r)
			return
		}
		p.del(r)
	case ChangeMove:
		if c.IsDir {
			p.dropUnder(c.Library, c.OldPath)
			p.folders = append(p.folders, Ref{Library: c.Library, Path: c.OldPath})
			p.walks = append(p.walks, r)
			return
		}
		if c.OldPath != "" {
			p.del(Ref{Library: c.Library, Path: c.OldPath})
		}
		p.put(r)
	case ChangeLibraryDelete:
		p.dropUnder(c.Library, "/")
		folders := p.folders[:0]
		for _, f := range p.folders {
			if f.Library != c.Library {
				folders = append(folders, f)
			}
		}
		p.folders = folders
		p.drops = append(p.drops, c.Library)
	case ChangeACL:
		// Trimming happens at query time from the libraries the principal
		// may read now: nothing to re-index.
	}
}

// RunOnce indexes the next batch of changes and returns how many changes
// it consumed; they are durable in the index, and the cursor moved, when
// it returns.
func (ix *Indexer) RunOnce(ctx context.Context) (int, error) {
	ix.runMu.Lock()
	defer ix.runMu.Unlock()
	return ix.runOnce(ctx, false)
}

// started is a batch the index is writing (Starter), and what to do once
// it is durable.
type started struct {
	wait     func() error
	b        *Batch
	failures map[Ref]string
	seq      int64 // the cursor to save once landed (0: none)
	docs     int
	progress func() // reindex: once landed
}

// begin starts b and lands the batches before the last one: one batch is
// written while the caller prepares the next.
func (ix *Indexer) begin(ctx context.Context, s *started) error {
	s.wait = start(ctx, ix.idx, s.b)
	ix.flight = append(ix.flight, s)
	for len(ix.flight) > 1 {
		if err := ix.landOne(ctx); err != nil {
			return err
		}
	}
	return nil
}

// landOne waits for the oldest batch in flight, then records its failures
// and moves the cursor. On an error every batch in flight is given up:
// the cursor stays at the last landed one, so their changes are read
// again (upserts and deletions are idempotent).
func (ix *Indexer) landOne(ctx context.Context) error {
	s := ix.flight[0]
	ix.flight = ix.flight[1:]
	err := s.wait()
	if err != nil {
		ix.setErr(err)
		err = fmt.Errorf("search: apply batch: %w", err)
	}
	if err == nil {
		err = ix.recordFailures(ctx, s.b, s.failures)
	}
	if err == nil && s.seq > 0 {
		err = ix.setCursor(ctx, s.seq)
	}
	if err != nil {
		ix.abandon()
		return err
	}
	ix.indexed.Add(int64(s.docs))
	if s.progress != nil {
		s.progress()
	}
	if s.seq > 0 {
		ix.mu.Lock()
		ix.lastBatch = time.Now()
		ix.lastErr = ""
		ix.mu.Unlock()
	}
	return nil
}

// land lands every batch in flight.
func (ix *Indexer) land(ctx context.Context) error {
	for len(ix.flight) > 0 {
		if err := ix.landOne(ctx); err != nil {
			return err
		}
	}
	return nil
}

// abandon waits for the batches in flight and forgets them.
func (ix *Indexer) abandon() {
	for _, s := range ix.flight {
		s.wait()
	}
	ix.flight = nil
}

// runOnce is RunOnce; with pipeline (Run, while changes keep coming) it
// returns with the batch still being written when a full batch was read,
// and the next call lands it once it has started the following one.
func (ix *Indexer) runOnce(ctx context.Context, pipeline bool) (int, error) {
	var after int64
	if n := len(ix.flight); n > 0 && ix.flight[n-1].seq > 0 {
		after = ix.flight[n-1].seq
	} else {
		var err error
		if after, err = ix.Cursor(ctx); err != nil {
			ix.abandon()
			return 0, err
		}
	}
	changes, err := ix.src.Changes(ctx, after, ix.cfg.BatchSize)
	if err != nil {
		ix.abandon()
		return 0, fmt.Errorf("search: read changes: %w", err)
	}
	if len(changes) == 0 {
		return 0, ix.land(ctx)
	}
	p := newPending()
	for _, c := range changes {
		p.add(c)
	}
	for _, w := range p.walks {
		err := ix.src.Walk(ctx, w.Library, w.Path, func(it Item) error {
			if !it.IsDir {
				p.put(Ref{Library: w.Library, Path: it.Path})
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrNotFound) {
			ix.abandon()
			return 0, fmt.Errorf("search: walk %s%s: %w", w.Library, w.Path, err)
		}
	}
	b := &Batch{DeleteFolders: p.folders, DropLibraries: p.drops}
	for r := range p.deletes {
		b.Delete = append(b.Delete, r)
	}
	refs := make([]Ref, 0, len(p.puts))
	for r := range p.puts {
		refs = append(refs, r)
	}
	// Deletions go with the first chunk of documents; a large folder move
	// or restore is indexed in chunks of BatchSize documents, so memory
	// stays bounded. The cursor moves only after the last chunk.
	last := changes[len(changes)-1].Seq
	for first := true; first || len(refs) > 0; first = false {
		n := min(len(refs), ix.cfg.BatchSize)
		chunk := refs[:n]
		refs = refs[n:]
		docs, failures, gone, err := ix.load(ctx, chunk)
		if err != nil {
			ix.abandon()
			return 0, err
		}
		b.Put = docs
		b.Delete = append(b.Delete, gone...)
		s := &started{b: b, failures: failures, docs: len(docs)}
		if len(refs) == 0 {
			s.seq = last
		}
		if err := ix.begin(ctx, s); err != nil {
			return 0, err
		}
		b = &Batch{}
	}
	if !pipeline || len(changes) < ix.cfg.BatchSize {
		if err := ix.land(ctx); err != nil {
			return 0, err
		}
	}
	ix.log.Debug("indexing changes", "changes", len(changes), "cursor", last)
	return len(changes), nil
}

func (ix *Indexer) setErr(err error) {
	ix.mu.Lock()
	ix.lastErr = err.Error()
	ix.mu.Unlock()
}

// load reads and extracts refs with Workers goroutines. Items gone since
// the change are returned in gone; unreadable ones are indexed by name
// with their reason in failures.
func (ix *Indexer) load(ctx context.Context, refs []Ref) (docs []Document, failures map[Ref]string, gone []Ref, err error) {
	failures = map[Ref]string{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ix.cfg.Workers)
	for _, r := range refs {
		g.Go(func() error {
			d, reason, err := ix.document(gctx, r)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrNotFound), errors.Is(err, errSkip):
				gone = append(gone, r)
			case err != nil:
				return err
			default:
				docs = append(docs, d)
				if reason != "" {
					failures[r] = reason
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, nil, err
	}
	return docs, failures, gone, nil
}

var errSkip = errors.New("search: not indexed")

// document opens and extracts one file. A reason is returned (and the
// document kept, by name) when its text cannot be read.
func (ix *Indexer) document(ctx context.Context, r Ref) (Document, string, error) {
	rc, it, err := ix.src.Open(ctx, r.Library, r.Path)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Document{}, "", ErrNotFound
		}
		if it.IsDir || it.Hidden {
			return Document{}, "", errSkip
		}
		if ctx.Err() != nil {
			return Document{}, "", ctx.Err()
		}
		// Unreadable content (a missing blob…): keep it findable by name.
		d := docFromItem(r, it)
		d.Failed = true
		return d, "contenu illisible / unreadable content", nil
	}
	defer rc.Close()
	if it.IsDir || it.Hidden {
		return Document{}, "", errSkip
	}
	d := docFromItem(r, it)
	if !extract.Supported(d.Name) && it.ContentType == "" {
		return d, "", nil
	}
	t, err := extract.Extract(ctx, d.Name, it.ContentType, rc, ix.cfg.Limits)
	switch {
	case errors.Is(err, extract.ErrUnsupported):
		return d, "", nil
	case err != nil:
		if ctx.Err() != nil {
			return Document{}, "", ctx.Err()
		}
		d.Failed = true
		ix.log.Info("document text not extracted", "library", r.Library, "path", r.Path, "err", err)
		return d, failureReason(err), nil
	}
	d.Content = t.Body
	d.Title = t.Title
	if t.Author != "" {
		d.Author = t.Author
	}
	return d, "", nil
}

func docFromItem(r Ref, it Item) Document {
	name := it.Name
	if name == "" {
		name = path.Base(r.Path)
	}
	return Document{
		Library: r.Library, Path: r.Path, Name: name, Type: TypeOf(name),
		Size: it.Size, Modified: it.Modified, Author: firstNonEmpty(it.ModifiedBy, it.CreatedBy),
	}
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// failureReason is the plain-language cause shown in the admin view.
func failureReason(err error) string {
	switch {
	case errors.Is(err, extract.ErrZipBomb):
		return "archive trop décompressée (bombe zip possible) / archive inflates too much (possible zip bomb)"
	case errors.Is(err, extract.ErrTooLarge):
		return "document trop volumineux / document too large"
	case errors.Is(err, context.DeadlineExceeded):
		return "extraction trop longue / extraction took too long"
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return "document illisible / unreadable document: " + strings.ToValidUTF8(msg, "")
}

// recordFailures stores the failures of a batch and clears those of
// documents now indexed or removed.
func (ix *Indexer) recordFailures(ctx context.Context, b *Batch, failures map[Ref]string) error {
	return ix.db.Tx(ctx, func(tx *sql.Tx) error {
		now := sqldb.Now()
		for _, lib := range b.DropLibraries {
			if _, err := tx.ExecContext(ctx, ix.db.Rebind(`DELETE FROM search_failures WHERE library = ?`), lib); err != nil {
				return err
			}
		}
		for _, f := range b.DeleteFolders {
			prefix := strings.TrimRight(f.Path, "/") + "/"
			if _, err := tx.ExecContext(ctx, ix.db.Rebind(`DELETE FROM search_failures WHERE library = ? AND substr(path, 1, ?) = ?`), f.Library, len(prefix), prefix); err != nil {
				return err
			}
		}
		for _, r := range b.Delete {
			if _, err := tx.ExecContext(ctx, ix.db.Rebind(`DELETE FROM search_failures WHERE library = ? AND path = ?`), r.Library, r.Path); err != nil {
				return err
			}
		}
		for _, d := range b.Put {
			r := Ref{Library: d.Library, Path: d.Path}
			if reason, ok := failures[r]; ok {
				_, err := tx.ExecContext(ctx, ix.db.Rebind(`INSERT INTO search_failures (library, path, reason, at) VALUES (?, ?, ?, ?)
					ON CONFLICT (library, path) DO UPDATE SET reason = excluded.reason, at = excluded.at`), r.Library, r.Path, reason, now)
				if err != nil {
					return err
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, ix.db.Rebind(`DELETE FROM search_failures WHERE library = ? AND path = ?`), r.Library, r.Path); err != nil {
				return err
			}
		}
		return nil
	})
}

// Failure is a document whose text could not be indexed.
type Failure struct {
	Library string    `json:"library"`
	Path    string    `json:"path"`
	Reason  string    `json:"reason"`
	Time    time.Time `json:"time"`
}

// Failures lists up to limit failures, newest first, and their total.
func (ix *Indexer) Failures(ctx context.Context, limit int) ([]Failure, int, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var total int
	if err := ix.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_failures`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("search: count failures: %w", err)
	}
	rows, err := ix.db.QueryContext(ctx, ix.db.Rebind(`SELECT library, path, reason, at FROM search_failures ORDER BY at DESC, library, path LIMIT ?`), limit)
	if err != nil {
		return nil, 0, fmt.Errorf("search: list failures: %w", err)
	}
	defer rows.Close()
	out := []Failure{}
	for rows.Next() {
		var f Failure
		var at string
		if err := rows.Scan(&f.Library, &f.Path, &f.Reason, &at); err != nil {
			return nil, 0, err
		}
		f.Time = sqldb.ParseTime(at)
		out = append(out, f)
	}
	return out, total, rows.Err()
}

// Status is the state of the index for the admin view.
type Status struct {
	Engine    string            `json:"engine"`
	Documents uint64            `json:"documents"`
	Libraries map[string]uint64 `json:"libraries"`
	Cursor    int64             `json:"cursor"`
	// Pending counts the changes not yet indexed (capped at 10000).
	Pending int `json:"pending"`
	// Lag is how long the oldest pending change has waited.
	LagSeconds float64   `json:"lag_seconds"`
	LastBatch  time.Time `json:"last_batch,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
	Failures   int       `json:"failures"`
	Indexed    int64     `json:"indexed_since_start"`
}

// Status reports the index state, lag and failure count.
func (ix *Indexer) Status(ctx context.Context) (Status, error) {
	var st Status
	stats, err := ix.idx.Stats(ctx)
	if err != nil {
		return st, err
	}
	st.Engine, st.Documents, st.Libraries = stats.Engine, stats.Documents, stats.Libraries
	if st.Cursor, err = ix.Cursor(ctx); err != nil {
		return st, err
	}
	changes, err := ix.src.Changes(ctx, st.Cursor, 10000)
	if err != nil {
		return st, fmt.Errorf("search: read changes: %w", err)
	}
	st.Pending = len(changes)
	if len(changes) > 0 && !changes[0].Time.IsZero() {
		st.LagSeconds = max(0, time.Since(changes[0].Time).Seconds())
	}
	if err := ix.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_failures`).Scan(&st.Failures); err != nil {
		return st, fmt.Errorf("search: count failures: %w", err)
	}
	ix.mu.Lock()
	st.LastBatch, st.LastError = ix.lastBatch, ix.lastErr
	ix.mu.Unlock()
	st.Indexed = ix.indexed.Load()
	return st, nil
}

// Progress reports reindexing: done of total documents.
type Progress func(done, total int)

// Reindex rebuilds the index of one library, or of every library when
// library is "", from a walk of the source. A full rebuild also moves the
// cursor to the outbox position read before the walk, so changes made
// during the walk are replayed afterwards.
func (ix *Indexer) Reindex(ctx context.Context, library string, progress Progress) error {
	ix.runMu.Lock()
	defer ix.runMu.Unlock()
	// What Run has in flight goes first: the cursor read below is then
	// the index's.
	if err := ix.land(ctx); err != nil {
		return err
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	var libs []string
	var startSeq int64
	if library == "" {
		seq, err := ix.Cursor(ctx)
		if err != nil {
			return err
		}
		for {
			changes, err := ix.src.Changes(ctx, seq, 10000)
			if err != nil {
				return fmt.Errorf("search: read changes: %w", err)
			}
			if len(changes) == 0 {
				break
			}
			seq = changes[len(changes)-1].Seq
		}
		startSeq = seq
		if libs, err = ix.src.LibraryNames(ctx); err != nil {
			return fmt.Errorf("search: list libraries: %w", err)
		}
		stats, err := ix.idx.Stats(ctx)
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, l := range libs {
			known[l] = true
		}
		var stale []string
		for l := range stats.Libraries {
			if !known[l] {
				stale = append(stale, l)
			}
		}
		if len(stale) > 0 {
			if err := ix.idx.Apply(ctx, &Batch{DropLibraries: stale}); err != nil {
				return err
			}
		}
	} else {
		libs = []string{library}
	}
	// Count first, for the progress bar.
	var files []Ref
	for _, lib := range libs {
		err := ix.src.Walk(ctx, lib, "/", func(it Item) error {
			if !it.IsDir && !it.Hidden {
				files = append(files, Ref{Library: lib, Path: it.Path})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("search: walk %s: %w", lib, err)
		}
	}
	total := len(files)
	progress(0, total)
	if err := ix.idx.Apply(ctx, &Batch{DropLibraries: libs}); err != nil {
		return err
	}
	if _, err := ix.db.ExecContext(ctx, ix.db.Rebind(`DELETE FROM search_failures WHERE library IN (`+placeholders(len(libs))+`)`), anySlice(libs)...); err != nil && len(libs) > 0 {
		return fmt.Errorf("search: clear failures: %w", err)
	}
	// Each chunk is read and extracted while the one before is written.
	done := 0
	for len(files) > 0 {
		n := min(len(files), ix.cfg.BatchSize)
		chunk := files[:n]
		files = files[n:]
		docs, failures, _, err := ix.load(ctx, chunk)
		if err != nil {
			ix.abandon()
			return err
		}
		s := &started{b: &Batch{Put: docs}, failures: failures, progress: func() {
			done += n
			progress(done, total)
		}}
		if err := ix.begin(ctx, s); err != nil {
			return err
		}
	}
	if err := ix.land(ctx); err != nil {
		return err
	}
	if library == "" {
		if err := ix.setCursor(ctx, startSeq); err != nil {
			return err
		}
	}
	return nil
}

func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
