package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
)

// Reindex requests let "kaz admin reindex" rebuild the index while a
// server runs and holds the embedded index: the command inserts a request
// in search_reindex_requests, the server's indexer picks pending requests
// up, runs the rebuild and records its progress in the same row, which the
// command polls to draw its progress bar.

// ReindexRequest is one row of search_reindex_requests.
type ReindexRequest struct {
	ID          int64
	Library     string // "" for every library
	RequestedAt time.Time
	RequestedBy string
	Started     time.Time // zero while pending
	Finished    time.Time // zero until done or failed
	Done, Total int
	Error       string // plain-language reason of a failure
}

// Pending reports a request no server has picked up yet.
func (r ReindexRequest) Pending() bool { return r.Started.IsZero() && r.Finished.IsZero() }

// Running reports a request a server is working on.
func (r ReindexRequest) Running() bool { return !r.Started.IsZero() && r.Finished.IsZero() }

// ErrNoReindexRequest is returned for an unknown request id.
var ErrNoReindexRequest = errors.New("search: no such reindex request")

// MigrateDB brings the search tables of db up to date (the indexer does it
// too; the admin command needs it before it inserts a request).
func MigrateDB(ctx context.Context, db *sqldb.DB) error {
	return db.Migrate(ctx, "search", migrations)
}

// RequestReindex records a request to rebuild library ("" for all) and
// returns its id.
func RequestReindex(ctx context.Context, db *sqldb.DB, library, by string) (int64, error) {
	// RETURNING, not LastInsertId: PostgreSQL drivers have no LastInsertId.
	var id int64
	if err := db.QueryRowContext(ctx, db.Rebind(`INSERT INTO search_reindex_requests (library, requested_at, requested_by) VALUES (?, ?, ?) RETURNING id`),
		library, sqldb.Now(), by).Scan(&id); err != nil {
		return 0, fmt.Errorf("search: record reindex request: %w", err)
	}
	return id, nil
}

const reindexCols = `id, library, requested_at, requested_by, started_at, finished_at, done, total, error`

func scanReindex(row interface{ Scan(...any) error }) (ReindexRequest, error) {
	var r ReindexRequest
	var req, started, finished string
	err := row.Scan(&r.ID, &r.Library, &req, &r.RequestedBy, &started, &finished, &r.Done, &r.Total, &r.Error)
	r.RequestedAt, r.Started, r.Finished = sqldb.ParseTime(req), sqldb.ParseTime(started), sqldb.ParseTime(finished)
	return r, err
}

// GetReindexRequest reads request id.
func GetReindexRequest(ctx context.Context, db *sqldb.DB, id int64) (ReindexRequest, error) {
	r, err := scanReindex(db.QueryRowContext(ctx, db.Rebind(`SELECT `+reindexCols+` FROM search_reindex_requests WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNoReindexRequest
	}
	if err != nil {
		return r, fmt.Errorf("search: read reindex request: %w", err)
	}
	return r, nil
}

// ClaimReindexRequest marks the oldest pending request as started and
// returns it; ok is false when none is pending.
func ClaimReindexRequest(ctx context.Context, db *sqldb.DB) (r ReindexRequest, ok bool, err error) {
	for range 5 { // another claimer may win the race for a row: try the next
		r, err = scanReindex(db.QueryRowContext(ctx, `SELECT `+reindexCols+` FROM search_reindex_requests
			WHERE started_at = '' AND finished_at = '' ORDER BY id LIMIT 1`))
		if errors.Is(err, sql.ErrNoRows) {
			return r, false, nil
		}
		if err != nil {
			return r, false, fmt.Errorf("search: read reindex requests: %w", err)
		}
		now := sqldb.Now()
		res, err := db.ExecContext(ctx, db.Rebind(`UPDATE search_reindex_requests SET started_at = ? WHERE id = ? AND started_at = ''`), now, r.ID)
		if err != nil {
			return r, false, fmt.Errorf("search: claim reindex request: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			r.Started = sqldb.ParseTime(now)
			return r, true, nil
		}
	}
	return r, false, nil
}

// ReindexProgress records the progress of request id.
func ReindexProgress(ctx context.Context, db *sqldb.DB, id int64, done, total int) error {
	_, err := db.ExecContext(ctx, db.Rebind(`UPDATE search_reindex_requests SET done = ?, total = ? WHERE id = ?`), done, total, id)
	if err != nil {
		return fmt.Errorf("search: record reindex progress: %w", err)
	}
	return nil
}

// FinishReindexRequest records the end of request id: failed with the
// plain-language reason msg, or done when msg is "". A request already
// finished keeps its first outcome.
func FinishReindexRequest(ctx context.Context, db *sqldb.DB, id int64, msg string) error {
	_, err := db.ExecContext(ctx, db.Rebind(`UPDATE search_reindex_requests SET finished_at = ?, error = ? WHERE id = ? AND finished_at = ''`), sqldb.Now(), msg, id)
	if err != nil {
		return fmt.Errorf("search: record end of reindex: %w", err)
	}
	return nil
}

// AbandonReindexRequests marks the requests started but never finished
// (the server stopped during the rebuild) as failed with msg. A server
// calls it when it starts, before it claims requests.
func AbandonReindexRequests(ctx context.Context, db *sqldb.DB, msg string) error {
	_, err := db.ExecContext(ctx, db.Rebind(`UPDATE search_reindex_requests SET finished_at = ?, error = ? WHERE started_at <> '' AND finished_at = ''`), sqldb.Now(), msg)
	if err != nil {
		return fmt.Errorf("search: close abandoned reindexes: %w", err)
	}
	return nil
}
