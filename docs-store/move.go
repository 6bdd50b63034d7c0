package docstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/kazhq/kaz/server/auth"
)

// transfer holds what Move and Copy share.
type transfer struct {
	src, dst   libRow
	srcP, dstP string
	it         Item  // the source item
	cur        *Item // the destination, when mapped
}

func (s *Store) prepareTransfer(ctx context.Context, tx *sql.Tx, p *auth.Principal, srcLib, srcPath, dstLib, dstPath string, srcRole Role, overwrite bool, tokens []string, moving bool) (*transfer, error) {
	sp, err := cleanTarget(srcPath)
	if err != nil {
		return nil, err
	}
	dp, err := CleanPath(dstPath)
	if err != nil {
		return nil, err
	}
	if dp == "/" {
		return nil, fmt.Errorf("docstore: destination is a library root: %w", ErrInvalidMove)
	}
	t := &transfer{srcP: sp, dstP: dp}
	if t.src, _, err = s.access(ctx, tx, p, srcLib, srcRole); err != nil {
		return nil, err
	}
	if t.dst, _, err = s.access(ctx, tx, p, dstLib, RoleEditor); err != nil {
		return nil, err
	}
	if t.it, err = s.getItem(ctx, tx, t.src, sp); err != nil {
		return nil, err
	}
	if t.src.id == t.dst.id && within(dp, sp) {
		return nil, fmt.Errorf("docstore: %s to %s: %w", sp, dp, ErrInvalidMove)
	}
	if t.src.id == t.dst.id && within(sp, dp) {
		// The destination is an ancestor of the source: replacing it
		// (Overwrite) would send the source to the recycle bin with it.
		// Refused whatever Overwrite says, before anything changes; Apache
		// mod_dav answers 403 too ("Destination collection contains the
		// Source").
		return nil, fmt.Errorf("docstore: %s to %s, a folder that contains it: %w", sp, dp, ErrInvalidMove)
	}
	if err := s.needParentDir(ctx, tx, t.dst, dp); err != nil {
		return nil, err
	}
	if t.cur, err = s.lookup(ctx, tx, t.dst, dp); err != nil {
		return nil, err
	}
	if t.cur != nil && !overwrite {
		return nil, fmt.Errorf("docstore: %s%s exists: %w", t.dst.name, dp, ErrPrecondition)
	}
	if t.cur == nil {
		// A new name may not clash, up to case, with a sibling; renaming
		// an item to another case of its own name is allowed.
		self := int64(0)
		if moving && t.src.id == t.dst.id {
			self = t.it.ID
		}
		if err := s.caseClash(ctx, tx, t.dst, dp, self); err != nil {
			return nil, err
		}
	}
	if moving {
		if err := s.checkLocks(ctx, tx, t.src, p, tokens, sp, lockScope{subtree: true, membership: true}); err != nil {
			return nil, err
		}
	}
	if err := s.checkLocks(ctx, tx, t.dst, p, tokens, dp, lockScope{subtree: t.cur != nil, membership: t.cur == nil}); err != nil {
		return nil, err
	}
	return t, nil
}

// subtreeSize is the bytes of files at or below a live path.
func (s *Store) subtreeSize(ctx context.Context, q querier, l libRow, p string) (int64, error) {
	lo, hi := subtreeRange(p)
	var n int64
	err := q.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(size), 0) FROM docs_items WHERE library_id = ? AND trash = 0 AND (path = ? OR (path >= ? AND path < ?))`),
		l.id, p, lo, hi).Scan(&n)
	return n, err
}

// Move moves (renames) an item, within or across libraries. created
// reports that the destination did not exist. The source's locks are
// dropped; the destination's locks stay (and need their tokens).
func (s *Store) Move(ctx context.Context, p *auth.Principal, srcLib, srcPath, dstLib, dstPath string, opts MoveOptions) (bool, error) {
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t, err := s.prepareTransfer(ctx, tx, p, srcLib, srcPath, dstLib, dstPath, RoleEditor, opts.Overwrite, opts.LockTokens, true)
		if err != nil {
			return err
		}
		created = t.cur == nil
		if t.src.id != t.dst.id {
			n, err := s.subtreeSize(ctx, tx, t.src, t.srcP)
			if err != nil {
				return err
			}
			if err := s.checkQuota(ctx, tx, t.dst, n); err != nil {
				return err
			}
		}
		if t.cur != nil && !t.cur.IsDir && !t.it.IsDir {
			// A file over a file (Office's save: temporary file moved over
			// the original): the destination keeps its identity and
			// history, and the source's content becomes its new version.
			if _, err := s.writeContent(ctx, tx, p, t.dst, t.dstP, t.cur, t.it.Hash, t.it.Size, t.it.ContentType, t.it.Modified, "move_over"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_items WHERE id = ?`), t.it.ID); err != nil {
				return fmt.Errorf("docstore: move: %w", err)
			}
			if err := s.dropLocks(ctx, tx, t.src, t.srcP); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, t.src.name, p, "move", t.srcP, "to "+t.dst.name+t.dstP); err != nil {
				return err
			}
			return s.change(ctx, tx, ChangeDelete, t.src.name, t.srcP, "", false)
		}
		if t.cur != nil {
			if _, err := s.trashTx(ctx, tx, p, t.dst, *t.cur); err != nil {
				return err
			}
			if err := s.change(ctx, tx, ChangeDelete, t.dst.name, t.dstP, "", t.cur.IsDir); err != nil {
				return err
			}
		}
		if err := s.relocate(ctx, tx, t.src, t.srcP, 0, t.dst, t.dstP, 0); err != nil {
			return err
		}
		if err := s.dropLocks(ctx, tx, t.src, t.srcP); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, t.src.name, p, "move", t.srcP, "to "+t.dst.name+t.dstP); err != nil {
			return err
		}
		if t.src.id != t.dst.id {
			if err := s.audit(ctx, tx, t.dst.name, p, "move", t.dstP, "from "+t.src.name+t.srcP); err != nil {
				return err
			}
			if err := s.change(ctx, tx, ChangeDelete, t.src.name, t.srcP, "", t.it.IsDir); err != nil {
				return err
			}
			return s.change(ctx, tx, ChangeCreate, t.dst.name, t.dstP, "", t.it.IsDir)
		}
		return s.change(ctx, tx, ChangeMove, t.dst.name, t.dstP, t.srcP, t.it.IsDir)
	})
	return created, err
}

// relocate rewrites the paths of the subtree at (src, sp, fromTrash) to
// (dst, dp, toTrash).
func (s *Store) relocate(ctx context.Context, tx *sql.Tx, src libRow, sp string, fromTrash int64, dst libRow, dp string, toTrash int64) error {
	lo, hi := subtreeRange(sp)
	cut := runeLen(sp) + 1
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE docs_items SET library_id = ?, trash = ?, path = ? || substr(path, ?), parent = ? || substr(parent, ?)
		WHERE library_id = ? AND trash = ? AND path >= ? AND path < ?`),
		dst.id, toTrash, dp, cut, dp, cut, src.id, fromTrash, lo, hi); err != nil {
		return fmt.Errorf("docstore: move subtree: %w", err)
	}
	name := baseOf(dp)
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE docs_items SET library_id = ?, trash = ?, path = ?, parent = ?, name = ?, hidden = ?, name_key = ? WHERE library_id = ? AND trash = ? AND path = ?`),
		dst.id, toTrash, dp, parentOf(dp), name, isHiddenName(name), nameKey(name), src.id, fromTrash, sp); err != nil {
		return fmt.Errorf("docstore: move: %w", err)
	}
	return nil
}

// Copy copies an item, within or across libraries (reader on the source,
// editor on the destination). created reports that the destination did not
// exist. Dead properties are copied; versions are not.
func (s *Store) Copy(ctx context.Context, p *auth.Principal, srcLib, srcPath, dstLib, dstPath string, opts CopyOptions) (bool, error) {
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t, err := s.prepareTransfer(ctx, tx, p, srcLib, srcPath, dstLib, dstPath, RoleReader, opts.Overwrite, opts.LockTokens, false)
		if err != nil {
			return err
		}
		created = t.cur == nil
		var items []Item
		if t.it.IsDir && opts.Depth == DepthInfinity {
			if err := s.walk(ctx, tx, t.src, t.srcP, func(it Item) error { items = append(items, it); return nil }); err != nil {
				return err
			}
		} else {
			items = []Item{t.it}
		}
		var total int64
		for _, it := range items {
			total += it.Size
		}
		if err := s.checkQuota(ctx, tx, t.dst, total); err != nil {
			return err
		}
		if t.cur != nil && !t.cur.IsDir && !t.it.IsDir {
			if _, err := s.writeContent(ctx, tx, p, t.dst, t.dstP, t.cur, t.it.Hash, t.it.Size, t.it.ContentType, s.now(), "copy_over"); err != nil {
				return err
			}
			return s.copyProps(ctx, tx, t.it.ID, t.cur.ID)
		}
		if t.cur != nil {
			if _, err := s.trashTx(ctx, tx, p, t.dst, *t.cur); err != nil {
				return err
			}
			if err := s.change(ctx, tx, ChangeDelete, t.dst.name, t.dstP, "", t.cur.IsDir); err != nil {
				return err
			}
		}
		now := s.nowText()
		for _, it := range items {
			np := t.dstP + it.Path[len(t.srcP):]
			var id int64
			if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO docs_items (library_id, trash, parent, name, path, is_dir, size, content_type, hash, version, created, modified, created_by, modified_by, hidden, locked_empty, name_key)
				VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, 0, ?) RETURNING id`),
				t.dst.id, parentOf(np), baseOf(np), np, it.IsDir, it.Size, it.ContentType, it.Hash, now, now, p.User, p.User, isHiddenName(baseOf(np)), nameKey(baseOf(np))).Scan(&id); err != nil {
				return fmt.Errorf("docstore: copy %s: %w", np, err)
			}
			if err := s.copyProps(ctx, tx, it.ID, id); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, t.dst.name, p, "copy", t.dstP, "from "+t.src.name+t.srcP); err != nil {
			return err
		}
		return s.change(ctx, tx, ChangeCreate, t.dst.name, t.dstP, "", t.it.IsDir)
	})
	return created, err
}

func (s *Store) copyProps(ctx context.Context, tx *sql.Tx, from, to int64) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_props WHERE item_id = ?`), to); err != nil {
		return fmt.Errorf("docstore: copy properties: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO docs_props (item_id, space, local, value) SELECT ?, space, local, value FROM docs_props WHERE item_id = ?`), to, from); err != nil {
		return fmt.Errorf("docstore: copy properties: %w", err)
	}
	return nil
}
