package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
)

// Store is the document store. It is safe for concurrent use.
type Store struct {
	cfg   Config
	db    *sqldb.DB
	blobs BlobStore
	log   *slog.Logger
	now   func() time.Time
	// gcMu: uploads hold it shared from the blob write to the commit that
	// references the blob; the collector takes it exclusively (TryLock,
	// never blocking uploads) to re-check and remove one blob.
	gcMu sync.RWMutex
	// writeMu serializes this process's write transactions on SQLite,
	// which has one writer: waiting here is immediate, while SQLITE_BUSY
	// retries sleep. The committer holds it for a whole batch of Puts.
	writeMu sync.Mutex
	// commits batches Put's transactions (see commit.go).
	commits *committer
	stmts   stmtCache
	// checks keeps what Put checks besides the item (checkcache.go).
	checks checkCache
	// afterPrecheck, for tests, runs between Put's checks and its commit.
	afterPrecheck func()
}

// Open opens the store on db (running its migrations, component
// "docstore") with blobs on disk under blobDir. log nil discards logs.
func Open(ctx context.Context, cfg Config, db *sqldb.DB, blobDir string, log *slog.Logger) (*Store, error) {
	blobs, err := NewDiskBlobs(blobDir)
	if err != nil {
		return nil, err
	}
	return OpenWithBlobs(ctx, cfg, db, blobs, log)
}

// OpenWithBlobs opens the store with another blob store (S3 later, or a
// failing one in tests).
func OpenWithBlobs(ctx context.Context, cfg Config, db *sqldb.DB, blobs BlobStore, log *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("docstore: config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := db.Migrate(ctx, "docstore", migrations); err != nil {
		return nil, fmt.Errorf("docstore: %w", err)
	}
	s := &Store{
		cfg:   cfg.withDefaults(),
		db:    db,
		blobs: blobs,
		log:   log.With("component", "docstore"),
		now:   time.Now,
	}
	s.commits = newCommitter(s)
	if err := s.backfillNameKeys(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close waits for the writes being committed and releases the store's
// database connection. It does not close db, which the caller owns.
func (s *Store) Close() error {
	s.commits.close()
	s.closeStmts()
	return nil
}

// Config returns the effective configuration (defaults filled).
func (s *Store) Config() Config { return s.cfg }

// tx runs fn in a write transaction.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.db.Dialect == sqldb.SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	return dbErr(s.db.Tx(ctx, fn))
}

// dbErr marks a database error that says the disk is full with
// ErrNoSpace, so that clients hear "the disk is full" (507), not a bare
// 500; SQLite has rolled the transaction back, nothing changed.
func dbErr(err error) error {
	if err != nil && !errors.Is(err, ErrNoSpace) && sqldb.IsFull(err) {
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}
