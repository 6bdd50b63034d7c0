package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

const lockCols = `token, path, exclusive, deep, user_name, owner_xml, timeout_s, created, expires`

func scanLocks(rows *sql.Rows, lib string) ([]Lock, error) {
	defer rows.Close()
	var out []Lock
	for rows.Next() {
		var l Lock
		var deep bool
		var secs int64
		var created, expires string
		if err := rows.Scan(&l.Token, &l.Path, &l.Exclusive, &deep, &l.User, &l.OwnerXML, &secs, &created, &expires); err != nil {
			return nil, err
		}
		l.Library = lib
		if deep {
			l.Depth = DepthInfinity
		}
		l.Timeout = time.Duration(secs) * time.Second
		l.Created = sqldb.ParseTime(created)
		l.Expires = sqldb.ParseTime(expires)
		out = append(out, l)
	}
	return out, rows.Err()
}

// coverLocks returns the active locks covering a clean path: rooted on it,
// or depth infinity on an ancestor.
func (s *Store) coverLocks(ctx context.Context, q querier, l libRow, p string) ([]Lock, error) {
	anc := ancestors(p)
	args := []any{l.id, s.nowText(), p}
	for _, a := range anc {
		args = append(args, a)
	}
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+lockCols+` FROM docs_locks WHERE library_id = ? AND expires > ?
		AND (path = ? OR (deep = 1 AND path IN (`+placeholders(len(anc))+`)))`), args...)
	if err != nil {
		return nil, fmt.Errorf("docstore: locks: %w", err)
	}
	return scanLocks(rows, l.name)
}

// subtreeLocks returns the active locks rooted strictly below a clean path.
func (s *Store) subtreeLocks(ctx context.Context, q querier, l libRow, p string) ([]Lock, error) {
	lo, hi := subtreeRange(p)
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+lockCols+` FROM docs_locks WHERE library_id = ? AND expires > ? AND path >= ? AND path < ?`),
		l.id, s.nowText(), lo, hi)
	if err != nil {
		return nil, fmt.Errorf("docstore: locks: %w", err)
	}
	return scanLocks(rows, l.name)
}

// lockScope says what a write touches, for checkLocks.
type lockScope struct {
	subtree    bool // the write changes the whole subtree (delete, move)
	membership bool // the write adds or removes the path in its parent
}

// checkLocks refuses with ErrLocked when a lock applying to the write is
// not matched by a token p submitted. Exclusive locks each need their
// token; among shared locks one submitted token suffices.
func (s *Store) checkLocks(ctx context.Context, q querier, l libRow, p *auth.Principal, tokens []string, path string, sc lockScope) error {
	var set []Lock
	var err error
	if sc.membership && path != "/" {
		// The locks covering the path and those covering its parent, in
		// one query: on the path or the parent, or deep on an ancestor.
		anc := ancestors(path)
		args := []any{l.id, s.nowText(), path, parentOf(path)}
		for _, a := range anc {
			args = append(args, a)
		}
		rows, err := q.QueryContext(ctx, s.q(`SELECT `+lockCols+` FROM docs_locks WHERE library_id = ? AND expires > ?
			AND (path IN (?, ?) OR (deep = 1 AND path IN (`+placeholders(len(anc))+`)))`), args...)
		if err != nil {
			return fmt.Errorf("docstore: locks: %w", err)
		}
		if set, err = scanLocks(rows, l.name); err != nil {
			return err
		}
	} else if set, err = s.coverLocks(ctx, q, l, path); err != nil {
		return err
	}
	if sc.subtree {
		sub, err := s.subtreeLocks(ctx, q, l, path)
		if err != nil {
			return err
		}
		set = append(set, sub...)
	}
	return evalLocks(l, p, tokens, path, set)
}

// evalLocks is checkLocks' verdict on the locks set that apply to a write
// of path.
func evalLocks(l libRow, p *auth.Principal, tokens []string, path string, set []Lock) error {
	if len(set) == 0 {
		return nil
	}
	held := func(lk Lock) bool {
		return p != nil && lk.User == p.User && slices.Contains(tokens, lk.Token)
	}
	seen := map[string]bool{}
	sharedSeen, sharedHeld := false, false
	for _, lk := range set {
		if seen[lk.Token] {
			continue
		}
		seen[lk.Token] = true
		if lk.Exclusive {
			if !held(lk) {
				return fmt.Errorf("docstore: %s%s is locked by %s: %w", l.name, lk.Path, lk.User, ErrLocked)
			}
			continue
		}
		sharedSeen = true
		if held(lk) {
			sharedHeld = true
		}
	}
	if sharedSeen && !sharedHeld {
		return fmt.Errorf("docstore: %s%s is locked (shared): %w", l.name, path, ErrLocked)
	}
	return nil
}

// dropLocks removes the locks rooted at a clean path or below it.
func (s *Store) dropLocks(ctx context.Context, q querier, l libRow, p string) error {
	lo, hi := subtreeRange(p)
	_, err := q.ExecContext(ctx, s.q(`DELETE FROM docs_locks WHERE library_id = ? AND (path = ? OR (path >= ? AND path < ?))`), l.id, p, lo, hi)
	if err != nil {
		return fmt.Errorf("docstore: drop locks: %w", err)
	}
	return nil
}

func (s *Store) capTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		d = s.cfg.DefaultLockTimeout
	}
	if d > s.cfg.MaxLockTimeout {
		d = s.cfg.MaxLockTimeout
	}
	if d < time.Second {
		d = time.Second
	}
	return d.Truncate(time.Second)
}

// emptyHash is the sha256 of no bytes.
const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Lock locks path. created reports that an empty file was created at an
// unmapped path (RFC 4918 §9.10.4). ErrLocked on a conflicting lock,
// ErrConflict when the parent folder is missing.
func (s *Store) Lock(ctx context.Context, p *auth.Principal, lib, path string, req LockRequest) (Lock, bool, error) {
	cp, err := CleanPath(path)
	if err != nil {
		return Lock{}, false, err
	}
	if _, _, err := s.access(ctx, s.db, p, lib, RoleEditor); err != nil {
		return Lock{}, false, err
	}
	if req.Depth != DepthInfinity {
		req.Depth = DepthZero
	}
	var lk Lock
	created := false
	err = s.tx(ctx, func(tx *sql.Tx) error {
		l, _, err := s.access(ctx, tx, p, lib, RoleEditor)
		if err != nil {
			return err
		}
		conflicts, err := s.coverLocks(ctx, tx, l, cp)
		if err != nil {
			return err
		}
		if req.Depth == DepthInfinity {
			sub, err := s.subtreeLocks(ctx, tx, l, cp)
			if err != nil {
				return err
			}
			conflicts = append(conflicts, sub...)
		}
		for _, c := range conflicts {
			if req.Exclusive || c.Exclusive {
				return fmt.Errorf("docstore: %s%s is already locked by %s: %w", l.name, c.Path, c.User, ErrLocked)
			}
		}
		cur, err := s.lookup(ctx, tx, l, cp)
		if err != nil {
			return err
		}
		if cur == nil {
			// RFC 4918 §9.10.4: a LOCK on an unmapped URL creates an empty
			// resource, which stays after UNLOCK.
			if err := s.needParentDir(ctx, tx, l, cp); err != nil {
				return err
			}
			if err := s.caseClash(ctx, tx, l, cp, 0); err != nil {
				return err
			}
			if err := s.checkLocks(ctx, tx, l, p, req.LockTokens, cp, lockScope{membership: true}); err != nil {
				return err
			}
			now := s.nowText()
			name := baseOf(cp)
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO docs_items (library_id, trash, parent, name, path, is_dir, size, content_type, hash, version, created, modified, created_by, modified_by, hidden, locked_empty, name_key)
				VALUES (?, 0, ?, ?, ?, 0, 0, ?, ?, 1, ?, ?, ?, ?, ?, 1, ?)`),
				l.id, parentOf(cp), name, cp, contentTypeFor(name, ""), emptyHash, now, now, p.User, p.User, isHiddenName(name), nameKey(name)); err != nil {
				return fmt.Errorf("docstore: create locked empty file: %w", err)
			}
			if err := s.change(ctx, tx, ChangeCreate, l.name, cp, "", false); err != nil {
				return err
			}
			created = true
		}
		to := s.capTimeout(req.Timeout)
		now := s.now()
		lk = Lock{
			Token: newToken(), Library: l.name, Path: cp, Exclusive: req.Exclusive, Depth: req.Depth,
			User: p.User, OwnerXML: req.OwnerXML, Timeout: to, Created: now, Expires: now.Add(to),
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO docs_locks (token, library_id, path, exclusive, deep, user_name, owner_xml, timeout_s, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			lk.Token, l.id, cp, lk.Exclusive, lk.Depth == DepthInfinity, lk.User, lk.OwnerXML, int64(to/time.Second),
			sqldb.FormatTime(lk.Created), sqldb.FormatTime(lk.Expires)); err != nil {
			return fmt.Errorf("docstore: lock: %w", err)
		}
		scope := "shared"
		if lk.Exclusive {
			scope = "exclusive"
		}
		return s.audit(ctx, tx, l.name, p, "lock", cp, scope)
	})
	if err != nil {
		return Lock{}, false, err
	}
	return lk, created, nil
}

// lockByToken reads an active lock of l.
func (s *Store) lockByToken(ctx context.Context, q querier, l libRow, token string) (Lock, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+lockCols+` FROM docs_locks WHERE token = ? AND library_id = ? AND expires > ?`), token, l.id, s.nowText())
	if err != nil {
		return Lock{}, fmt.Errorf("docstore: lock: %w", err)
	}
	ls, err := scanLocks(rows, l.name)
	if err != nil {
		return Lock{}, err
	}
	if len(ls) == 0 {
		return Lock{}, fmt.Errorf("docstore: lock %s: %w", token, ErrNotFound)
	}
	return ls[0], nil
}

func lockCovers(lk Lock, p string) bool {
	return lk.Path == p || (lk.Depth == DepthInfinity && within(p, lk.Path))
}

// Refresh extends the lock token, which must cover path
// (ErrLockMismatch) and belong to p (ErrLocked otherwise). Audited
// ("lock_refresh", with the new timeout).
func (s *Store) Refresh(ctx context.Context, p *auth.Principal, lib, path, token string, timeout time.Duration) (Lock, error) {
	cp, err := CleanPath(path)
	if err != nil {
		return Lock{}, err
	}
	var lk Lock
	err = s.tx(ctx, func(tx *sql.Tx) error {
		l, _, err := s.access(ctx, tx, p, lib, RoleEditor)
		if err != nil {
			return err
		}
		lk, err = s.lockByToken(ctx, tx, l, token)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("docstore: refresh: %w", ErrLockMismatch)
		}
		if err != nil {
			return err
		}
		if !lockCovers(lk, cp) {
			return fmt.Errorf("docstore: refresh %s: %w", cp, ErrLockMismatch)
		}
		if lk.User != p.User {
			return fmt.Errorf("docstore: lock held by %s: %w", lk.User, ErrLocked)
		}
		lk.Timeout = s.capTimeout(timeout)
		lk.Expires = s.now().Add(lk.Timeout)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE docs_locks SET timeout_s = ?, expires = ? WHERE token = ?`),
			int64(lk.Timeout/time.Second), sqldb.FormatTime(lk.Expires), token); err != nil {
			return fmt.Errorf("docstore: refresh lock: %w", err)
		}
		return s.audit(ctx, tx, l.name, p, "lock_refresh", lk.Path, fmt.Sprintf("timeout %d s", int64(lk.Timeout/time.Second)))
	})
	if err != nil {
		return Lock{}, err
	}
	return lk, nil
}

// Unlock removes the lock token, which must cover path (ErrLockMismatch)
// and belong to p (ErrPermission).
func (s *Store) Unlock(ctx context.Context, p *auth.Principal, lib, path, token string) error {
	cp, err := CleanPath(path)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, _, err := s.access(ctx, tx, p, lib, RoleReader)
		if err != nil {
			return err
		}
		lk, err := s.lockByToken(ctx, tx, l, token)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("docstore: unlock: %w", ErrLockMismatch)
		}
		if err != nil {
			return err
		}
		if !lockCovers(lk, cp) {
			return fmt.Errorf("docstore: unlock %s: %w", cp, ErrLockMismatch)
		}
		if lk.User != p.User {
			return fmt.Errorf("docstore: lock held by %s: %w", lk.User, ErrPermission)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_locks WHERE token = ?`), token); err != nil {
			return fmt.Errorf("docstore: unlock: %w", err)
		}
		return s.audit(ctx, tx, l.name, p, "unlock", lk.Path, "")
	})
}

// ForceUnlock removes any lock of lib by token (owners; audited).
func (s *Store) ForceUnlock(ctx context.Context, p *auth.Principal, lib, token string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, _, err := s.access(ctx, tx, p, lib, RoleOwner)
		if err != nil {
			return err
		}
		lk, err := s.lockByToken(ctx, tx, l, token)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_locks WHERE token = ?`), token); err != nil {
			return fmt.Errorf("docstore: force unlock: %w", err)
		}
		return s.audit(ctx, tx, l.name, p, "force_unlock", lk.Path, "held by "+lk.User)
	})
}

// LocksAt returns the active locks covering path (on it, and
// depth-infinity locks of its ancestors).
func (s *Store) LocksAt(ctx context.Context, p *auth.Principal, lib, path string) ([]Lock, error) {
	cp, err := CleanPath(path)
	if err != nil {
		return nil, err
	}
	l, _, err := s.access(ctx, s.db, p, lib, RoleReader)
	if err != nil {
		return nil, err
	}
	return s.coverLocks(ctx, s.db, l, cp)
}

// Locks lists every active lock of lib (readers).
func (s *Store) Locks(ctx context.Context, p *auth.Principal, lib string) ([]Lock, error) {
	l, _, err := s.access(ctx, s.db, p, lib, RoleReader)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+lockCols+` FROM docs_locks WHERE library_id = ? AND expires > ? ORDER BY path`), l.id, s.nowText())
	if err != nil {
		return nil, fmt.Errorf("docstore: locks: %w", err)
	}
	return scanLocks(rows, l.name)
}

// purgeExpiredLocks deletes expired locks.
func (s *Store) purgeExpiredLocks(ctx context.Context) (int64, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM docs_locks WHERE expires <= ?`), s.nowText())
	if err != nil {
		return 0, fmt.Errorf("docstore: purge locks: %w", err)
	}
	return res.RowsAffected()
}
