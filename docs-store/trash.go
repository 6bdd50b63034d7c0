package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

const trashCols = `id, path, name, is_dir, size, deleted, deleted_by`

func scanTrash(sc scanner, lib string) (TrashEntry, error) {
	var e TrashEntry
	var del string
	if err := sc.Scan(&e.ID, &e.Path, &e.Name, &e.IsDir, &e.Size, &del, &e.DeletedBy); err != nil {
		return e, err
	}
	e.Library = lib
	e.Deleted = sqldb.ParseTime(del)
	return e, nil
}

// Trash lists lib's recycle bin, newest first (readers).
func (s *Store) Trash(ctx context.Context, p *auth.Principal, lib string) ([]TrashEntry, error) {
	l, _, err := s.access(ctx, s.db, p, lib, RoleReader)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+trashCols+` FROM docs_trash WHERE library_id = ? ORDER BY deleted DESC, id DESC`), l.id)
	if err != nil {
		return nil, fmt.Errorf("docstore: recycle bin: %w", err)
	}
	defer rows.Close()
	var out []TrashEntry
	for rows.Next() {
		e, err := scanTrash(rows, l.name)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// restoredName returns "name (restauré N).ext" for the nth clash.
func restoredName(name string, n int, isDir bool) string {
	ext := ""
	if !isDir {
		ext = path.Ext(name)
		if ext == name {
			ext = ""
		}
	}
	stem := strings.TrimSuffix(name, ext)
	if n == 1 {
		return stem + " (restauré)" + ext
	}
	return fmt.Sprintf("%s (restauré %d)%s", stem, n, ext)
}

// RestoreTrash puts entry id back at its original path, or beside it with
// a suffix ("name (restauré).ext", "name (restauré 2).ext") on a name
// clash; missing parent folders are recreated. A parent folder whose name
// is now taken by a file is recreated beside that file in the same way
// ("/Rapports (restauré)/2026/budget.odt" when "/Rapports" is a file).
// Editors restore what they deleted, owners anything.
func (s *Store) RestoreTrash(ctx context.Context, p *auth.Principal, lib string, id int64) (Item, error) {
	var l libRow
	var target string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var role Role
		var err error
		if l, role, err = s.access(ctx, tx, p, lib, RoleEditor); err != nil {
			return err
		}
		e, err := scanTrash(tx.QueryRowContext(ctx, s.q(`SELECT `+trashCols+` FROM docs_trash WHERE id = ? AND library_id = ?`), id, l.id), l.name)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("docstore: recycle bin entry %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("docstore: recycle bin: %w", err)
		}
		if role != RoleOwner && e.DeletedBy != p.User {
			return fmt.Errorf("docstore: editors restore what they deleted; ask an owner: %w", ErrPermission)
		}
		parent, err := s.restoreParent(ctx, tx, p, l, parentOf(e.Path))
		if err != nil {
			return err
		}
		target = joinPath(parent, e.Name)
		for n := 1; ; n++ {
			cur, err := s.lookup(ctx, tx, l, target)
			if err != nil {
				return err
			}
			if cur == nil {
				if err := s.caseClash(ctx, tx, l, target, 0); err == nil {
					break
				} else if !errors.Is(err, ErrCaseClash) {
					return err
				}
			}
			if n > 100 {
				return fmt.Errorf("docstore: restore %s: %w", e.Path, ErrExists)
			}
			target = joinPath(parent, restoredName(e.Name, n, e.IsDir))
			if _, err := CleanPath(target); err != nil {
				return err
			}
		}
		if err := s.checkLocks(ctx, tx, l, p, nil, target, lockScope{membership: true}); err != nil {
			return err
		}
		if err := s.checkQuota(ctx, tx, l, 0); err != nil {
			return err
		}
		if err := s.relocate(ctx, tx, l, e.Path, e.ID, l, target, 0); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_trash WHERE id = ?`), e.ID); err != nil {
			return fmt.Errorf("docstore: restore: %w", err)
		}
		if err := s.audit(ctx, tx, l.name, p, "restore", target, "from the recycle bin"); err != nil {
			return err
		}
		return s.change(ctx, tx, ChangeRestore, l.name, target, "", e.IsDir)
	})
	if err != nil {
		return Item{}, err
	}
	return s.getItem(ctx, s.db, l, target)
}

// restoreParent returns the folder a restored item goes into: dir, its
// missing folders recreated, except that a folder of the chain whose name
// is now taken by a file (or by a case twin) is replaced by the first
// "name (restauré N)" beside it that is free (created) or already a folder
// (reused, so that the items restored from one folder gather again).
func (s *Store) restoreParent(ctx context.Context, tx *sql.Tx, p *auth.Principal, l libRow, dir string) (string, error) {
	got := "/"
	if dir == "/" {
		return got, nil
	}
	for _, name := range strings.Split(dir[1:], "/") {
		cand := joinPath(got, name)
		for n := 1; ; n++ {
			cur, err := s.lookup(ctx, tx, l, cand)
			if err != nil {
				return "", err
			}
			if cur != nil && cur.IsDir {
				break
			}
			if cur == nil {
				err := s.caseClash(ctx, tx, l, cand, 0)
				if err == nil {
					if err := s.mkdirTx(ctx, tx, p, l, cand, nil); err != nil {
						return "", err
					}
					break
				}
				if !errors.Is(err, ErrCaseClash) {
					return "", err
				}
			}
			if n > 100 {
				return "", fmt.Errorf("docstore: restore under %s: %w", joinPath(got, name), ErrExists)
			}
			cand = joinPath(got, restoredName(name, n, true))
			if _, err := CleanPath(cand); err != nil {
				return "", err
			}
		}
		got = cand
	}
	return got, nil
}

// purgeEntries deletes recycle bin entries for good.
func (s *Store) purgeEntries(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_items WHERE trash = ?`), id); err != nil {
			return fmt.Errorf("docstore: purge: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_trash WHERE id = ?`), id); err != nil {
			return fmt.Errorf("docstore: purge: %w", err)
		}
	}
	return nil
}

func collectIDs(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// EmptyTrash deletes lib's recycle bin for good (owners), returning the
// number of entries removed. Contents go at the next CollectGarbage.
func (s *Store) EmptyTrash(ctx context.Context, p *auth.Principal, lib string) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		l, _, err := s.access(ctx, tx, p, lib, RoleOwner)
		if err != nil {
			return err
		}
		ids, err := collectIDs(ctx, tx, s.q(`SELECT id FROM docs_trash WHERE library_id = ?`), l.id)
		if err != nil {
			return fmt.Errorf("docstore: empty recycle bin: %w", err)
		}
		n = len(ids)
		if err := s.purgeEntries(ctx, tx, ids); err != nil {
			return err
		}
		return s.audit(ctx, tx, l.name, p, "empty_trash", "/", fmt.Sprintf("%d entries", n))
	})
	return n, err
}

// PurgeTrash deletes for good the entries deleted before olderThan, in
// every library (system task).
func (s *Store) PurgeTrash(ctx context.Context, olderThan time.Time) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT t.id, l.name FROM docs_trash t JOIN docs_libraries l ON l.id = t.library_id WHERE t.deleted < ?`), sqldb.FormatTime(olderThan))
		if err != nil {
			return fmt.Errorf("docstore: purge: %w", err)
		}
		var ids []int64
		libs := map[string]int{}
		for rows.Next() {
			var id int64
			var lib string
			if err := rows.Scan(&id, &lib); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			libs[lib]++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n = len(ids)
		if err := s.purgeEntries(ctx, tx, ids); err != nil {
			return err
		}
		for lib, c := range libs {
			if err := s.audit(ctx, tx, lib, nil, "purge_trash", "/", fmt.Sprintf("%d entries older than %s", c, olderThan.UTC().Format(time.DateOnly))); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
