package docstore

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

// Changes returns up to limit (default 1000) change events with
// Seq > after, in order (system).
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]Change, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT seq, time, kind, library, path, old_path, is_dir FROM docs_changes WHERE seq > ? ORDER BY seq LIMIT ?`), after, limit)
	if err != nil {
		return nil, fmt.Errorf("docstore: changes: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var t string
		if err := rows.Scan(&c.Seq, &t, &c.Kind, &c.Library, &c.Path, &c.OldPath, &c.IsDir); err != nil {
			return nil, err
		}
		c.Time = sqldb.ParseTime(t)
		out = append(out, c)
	}
	return out, rows.Err()
}

// OpenSystem opens a file's content without a principal (indexer).
func (s *Store) OpenSystem(ctx context.Context, lib, path string) (io.ReadCloser, Item, error) {
	cp, err := CleanPath(path)
	if err != nil {
		return nil, Item{}, err
	}
	l, err := s.loadLib(ctx, s.db, lib)
	if err != nil {
		return nil, Item{}, err
	}
	it, err := s.getItem(ctx, s.db, l, cp)
	if err != nil {
		return nil, Item{}, err
	}
	if it.IsDir {
		return nil, it, fmt.Errorf("docstore: open %s%s: %w", lib, cp, ErrIsDir)
	}
	f, err := s.openBlob(ctx, it.Hash, it.Size)
	if err != nil {
		return nil, it, err
	}
	return f, it, nil
}

// Walk calls fn for the item at path and every item below it, parents
// before children, hidden items included (system walk for reindex).
func (s *Store) Walk(ctx context.Context, lib, path string, fn func(Item) error) error {
	cp, err := CleanPath(path)
	if err != nil {
		return err
	}
	l, err := s.loadLib(ctx, s.db, lib)
	if err != nil {
		return err
	}
	return s.walk(ctx, s.db, l, cp, fn)
}

// walk calls fn for the live item at cp and everything below, parents
// first.
func (s *Store) walk(ctx context.Context, q querier, l libRow, cp string, fn func(Item) error) error {
	root, err := s.getItem(ctx, q, l, cp)
	if err != nil {
		return err
	}
	if err := fn(root); err != nil {
		return err
	}
	if !root.IsDir {
		return nil
	}
	lo, hi := subtreeRange(cp)
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+itemCols+` FROM docs_items WHERE library_id = ? AND trash = 0 AND path >= ? AND path < ? ORDER BY path`), l.id, lo, hi)
	if err != nil {
		return fmt.Errorf("docstore: walk: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows, l.name)
		if err != nil {
			return err
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CollectGarbage deletes blobs referenced by no item or version and
// untouched for Config.BlobGrace, and the small contents in the database
// referenced by none (system task). It returns how many went.
func (s *Store) CollectGarbage(ctx context.Context) (int, error) {
	small, err := s.collectSmall(ctx)
	if err != nil {
		return 0, err
	}
	n, err := s.collectBlobs(ctx)
	return small + n, err
}

func (s *Store) collectBlobs(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-s.cfg.BlobGrace)
	var dead []string
	err := s.blobs.Walk(ctx, func(hash string, mod time.Time) error {
		if !mod.Before(cutoff) {
			return nil
		}
		used, err := s.blobReferenced(ctx, hash)
		if err != nil {
			return err
		}
		if !used {
			dead = append(dead, hash)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, h := range dead {
		ok, err := s.removeIfUnreferenced(ctx, h)
		if err != nil {
			return removed, err
		}
		if ok {
			removed++
		}
	}
	return removed, nil
}

// removeIfUnreferenced re-checks and removes one blob while no upload is
// between its blob write and its commit. It gives up (false) when uploads
// keep it busy; the next round retries.
func (s *Store) removeIfUnreferenced(ctx context.Context, hash string) (bool, error) {
	for try := 0; !s.gcMu.TryLock(); try++ {
		if try >= 100 {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer s.gcMu.Unlock()
	if used, err := s.blobReferenced(ctx, hash); err != nil || used {
		return false, err
	}
	if err := s.blobs.Remove(ctx, hash); err != nil {
		return false, err
	}
	return true, nil
}

// blobRefsQuery counts the items bigger than smallBlobMax (read off the
// partial index docs_items_blob, whose condition the query repeats word
// for word) and the versions that use a content.
var blobRefsQuery = `SELECT (SELECT COUNT(*) FROM docs_items WHERE hash = ? AND size > ` + strconv.Itoa(smallBlobMax) + `) +
	(SELECT COUNT(*) FROM docs_versions WHERE hash = ?)`

// blobReferenced reports whether the blob file hash is still needed.
//
// Items are looked up by hash only among those bigger than smallBlobMax
// (docs_items_blob): a smaller content is kept in docs_small_blobs, and a
// content's size goes with its hash, so no small item can need a blob file
// of more than smallBlobMax bytes. A blob file of at most smallBlobMax
// bytes was written before small contents went into the database; it is
// not needed when its content is there, or when no item uses it — which
// only then is read without an index (such files are few, and fewer after
// each collection).
func (s *Store) blobReferenced(ctx context.Context, hash string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, s.q(blobRefsQuery), hash, hash).Scan(&n); err != nil {
		return true, fmt.Errorf("docstore: blob references: %w", err)
	}
	if n > 0 {
		return true, nil
	}
	f, err := s.blobs.Open(ctx, hash)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil // gone already: nothing to remove
	}
	if err != nil {
		return true, fmt.Errorf("docstore: blob size: %w", err)
	}
	size, err := f.Seek(0, io.SeekEnd)
	f.Close()
	if err != nil {
		return true, fmt.Errorf("docstore: blob size: %w", err)
	}
	if size > smallBlobMax {
		return false, nil
	}
	err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM docs_small_blobs WHERE hash = ?`), hash).Scan(&n)
	if err == nil && n == 0 {
		err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM docs_items WHERE hash = ?`), hash).Scan(&n)
	} else if err == nil {
		n = 0 // the database holds the content: the file is a spare copy
	}
	if err != nil {
		return true, fmt.Errorf("docstore: blob references: %w", err)
	}
	return n > 0, nil
}

// MaintainOnce runs one round of maintenance: purge the recycle bin, drop
// expired locks, collect unreferenced blobs.
func (s *Store) MaintainOnce(ctx context.Context) error {
	var errs []error
	days := s.cfg.TrashDays
	if n, err := s.PurgeTrash(ctx, s.now().AddDate(0, 0, -days)); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		s.log.Info("recycle bin purged", "entries", n, "days", days)
	}
	if _, err := s.purgeExpiredLocks(ctx); err != nil {
		errs = append(errs, err)
	}
	if n, err := s.CollectGarbage(ctx); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		s.log.Info("unreferenced contents removed", "blobs", n)
	}
	return errors.Join(errs...)
}

// Maintain runs MaintainOnce now and every Config.MaintenanceInterval
// until ctx ends, for the server's background tasks.
func (s *Store) Maintain(ctx context.Context) error {
	t := time.NewTicker(s.cfg.MaintenanceInterval)
	defer t.Stop()
	for {
		if err := s.MaintainOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("maintenance failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Store) auditQuery(ctx context.Context, p *auth.Principal, lib string, q AuditQuery) (string, []any, error) {
	l, _, err := s.access(ctx, s.db, p, lib, RoleOwner)
	if err != nil {
		return "", nil, err
	}
	query := `SELECT id, time, library, user_name, ip, action, path, detail FROM docs_audit WHERE library = ?`
	args := []any{l.name}
	if q.Before > 0 {
		query += ` AND id < ?`
		args = append(args, q.Before)
	}
	if !q.Since.IsZero() {
		query += ` AND time >= ?`
		args = append(args, sqldb.FormatTime(q.Since))
	}
	if !q.Until.IsZero() {
		query += ` AND time < ?`
		args = append(args, sqldb.FormatTime(q.Until))
	}
	if q.User != "" {
		query += ` AND user_name = ?`
		args = append(args, q.User)
	}
	if q.Path != "" {
		cp, err := CleanPath(q.Path)
		if err != nil {
			return "", nil, err
		}
		lo, hi := subtreeRange(cp)
		query += ` AND (path = ? OR (path >= ? AND path < ?))`
		args = append(args, cp, lo, hi)
	}
	query += ` ORDER BY id DESC`
	return s.q(query), args, nil
}

func scanAudit(sc scanner) (AuditEntry, error) {
	var e AuditEntry
	var t string
	err := sc.Scan(&e.ID, &t, &e.Library, &e.User, &e.IP, &e.Action, &e.Path, &e.Detail)
	e.Time = sqldb.ParseTime(t)
	return e, err
}

// Audit lists lib's audit log, newest first (owners).
func (s *Store) Audit(ctx context.Context, p *auth.Principal, lib string, q AuditQuery) ([]AuditEntry, error) {
	query, args, err := s.auditQuery(ctx, p, lib, q)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 200
	}
	limit = min(limit, 10000)
	rows, err := s.db.QueryContext(ctx, query+` LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("docstore: audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// csvSafe defuses spreadsheet formulas in a cell.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// WriteAuditCSV writes lib's audit log as CSV (owners), streaming. Cells
// that a spreadsheet would read as formulas are prefixed with a quote.
func (s *Store) WriteAuditCSV(ctx context.Context, p *auth.Principal, lib string, q AuditQuery, w io.Writer) error {
	query, args, err := s.auditQuery(ctx, p, lib, q)
	if err != nil {
		return err
	}
	if q.Limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("docstore: audit: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "time", "library", "user", "ip", "action", "path", "detail"})
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return err
		}
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339), csvSafe(e.Library), csvSafe(e.User), e.IP, e.Action, csvSafe(e.Path), csvSafe(e.Detail)})
		if cw.Error() != nil {
			return cw.Error()
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return rows.Err()
}
