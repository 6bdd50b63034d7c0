package docstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

// Stat returns the item at path ("/" is the library root), with the locks
// covering it.
func (s *Store) Stat(ctx context.Context, p *auth.Principal, lib, path string) (Item, error) {
	cp, err := CleanPath(path)
	if err != nil {
		return Item{}, err
	}
	l, _, err := s.access(ctx, s.db, p, lib, RoleReader)
	if err != nil {
		return Item{}, err
	}
	it, err := s.getItem(ctx, s.db, l, cp)
	if err != nil {
		return Item{}, err
	}
	if it.Locks, err = s.coverLocks(ctx, s.db, l, cp); err != nil {
		return Item{}, err
	}
	return it, nil
}

// List calls fn for each child of the folder at path, sorted by name
// case-insensitively ("a", "B", "c"), in one query, streaming; hidden (macOS metadata) items only with
// opts.IncludeHidden. fn returning an error stops the listing with it.
// ErrNotDir on a file.
func (s *Store) List(ctx context.Context, p *auth.Principal, lib, path string, opts ListOptions, fn func(Item) error) error {
	cp, err := CleanPath(path)
	if err != nil {
		return err
	}
	l, _, err := s.access(ctx, s.db, p, lib, RoleReader)
	if err != nil {
		return err
	}
	return s.list(ctx, l, cp, opts, fn)
}

func (s *Store) list(ctx context.Context, l libRow, cp string, opts ListOptions, fn func(Item) error) error {
	dir, err := s.getItem(ctx, s.db, l, cp)
	if err != nil {
		return err
	}
	if !dir.IsDir {
		return fmt.Errorf("docstore: list %s%s: %w", l.name, cp, ErrNotDir)
	}
	// Locks that may cover children: deep ones above or on the folder, and
	// those rooted on a child.
	cover, err := s.coverLocks(ctx, s.db, l, cp)
	if err != nil {
		return err
	}
	var deep []Lock
	for _, lk := range cover {
		if lk.Depth == DepthInfinity {
			deep = append(deep, lk)
		}
	}
	below, err := s.subtreeLocks(ctx, s.db, l, cp)
	if err != nil {
		return err
	}
	byChild := map[string][]Lock{}
	for _, lk := range below {
		if parentOf(lk.Path) == cp {
			byChild[lk.Path] = append(byChild[lk.Path], lk)
		}
	}
	var props map[int64][]Property
	if opts.WithProps {
		props = map[int64][]Property{}
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT p.item_id, p.space, p.local, p.value FROM docs_props p JOIN docs_items i ON i.id = p.item_id
			WHERE i.library_id = ? AND i.trash = 0 AND i.parent = ?`), l.id, cp)
		if err != nil {
			return fmt.Errorf("docstore: list props: %w", err)
		}
		for rows.Next() {
			var id int64
			var pr Property
			if err := rows.Scan(&id, &pr.Space, &pr.Local, &pr.XML); err != nil {
				rows.Close()
				return err
			}
			props[id] = append(props[id], pr)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	rows, err := s.db.QueryContext(ctx, s.q(listQuery(opts.IncludeHidden)), l.id, cp)
	if err != nil {
		return fmt.Errorf("docstore: list %s%s: %w", l.name, cp, err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows, l.name)
		if err != nil {
			return fmt.Errorf("docstore: list: %w", err)
		}
		if len(deep) > 0 || len(byChild[it.Path]) > 0 {
			it.Locks = append(append([]Lock(nil), deep...), byChild[it.Path]...)
		}
		if props != nil {
			it.Props = props[it.ID]
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return rows.Err()
}

// listQuery reads a folder's children (library id, folder path) in
// case-insensitive name order, off the docs_items_name_key index: no sort,
// the rows stream (TestFolderQueriesReadTheFolderIndex). Names that differ
// only by case cannot share a folder (ErrCaseClash), so name_key orders
// them all.
func listQuery(includeHidden bool) string {
	q := `SELECT ` + itemCols + ` FROM docs_items WHERE library_id = ? AND trash = 0 AND parent = ?`
	if !includeHidden {
		q += ` AND hidden = 0`
	}
	return q + ` ORDER BY name_key`
}

// OpenFile opens the content of the file at path for reading (Range via
// Seek). The caller closes it. A read is audited.
func (s *Store) OpenFile(ctx context.Context, p *auth.Principal, lib, path string) (io.ReadSeekCloser, Item, error) {
	cp, err := CleanPath(path)
	if err != nil {
		return nil, Item{}, err
	}
	l, _, err := s.access(ctx, s.db, p, lib, RoleReader)
	if err != nil {
		return nil, Item{}, err
	}
	it, err := s.getItem(ctx, s.db, l, cp)
	if err != nil {
		return nil, Item{}, err
	}
	if it.IsDir {
		return nil, it, fmt.Errorf("docstore: open %s%s: %w", l.name, cp, ErrIsDir)
	}
	f, err := s.openBlob(ctx, it.Hash, it.Size)
	if err != nil {
		return nil, it, err
	}
	if !s.cfg.NoAuditReads {
		if err := s.auditRead(ctx, l.name, p, cp, ""); err != nil {
			f.Close()
			return nil, it, err
		}
	}
	return f, it, nil
}

// putCheck is what Put verifies before streaming and again inside its
// transaction. The item and its parent folder are read in one query.
func (s *Store) putCheck(ctx context.Context, q querier, p *auth.Principal, l libRow, cp string, opts PutOptions) (*Item, error) {
	cur, par, err := s.lookupWithParent(ctx, q, l, cp)
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.IsDir {
		return nil, fmt.Errorf("docstore: put %s%s: %w", l.name, cp, ErrIsDir)
	}
	if cur == nil {
		if par == nil || !par.IsDir {
			return nil, fmt.Errorf("docstore: parent of %s%s: %w", l.name, cp, ErrConflict)
		}
		if err := s.caseClash(ctx, q, l, cp, 0); err != nil {
			return nil, err
		}
	}
	if err := checkPreconditions(cur, opts.IfMatch, opts.IfNoneMatch); err != nil {
		return nil, err
	}
	if err := s.checkLocks(ctx, q, l, p, opts.LockTokens, cp, lockScope{membership: cur == nil}); err != nil {
		return nil, err
	}
	return cur, nil
}

// Put writes the file at path from r (see the package doc): nothing
// changes unless the whole body arrived and every check passed. created
// reports a new file (or the first write of a locked empty file).
func (s *Store) Put(ctx context.Context, p *auth.Principal, lib, path string, r io.Reader, opts PutOptions) (Item, bool, error) {
	cp, err := CleanPath(path)
	if err != nil {
		return Item{}, false, err
	}
	if cp == "/" {
		return Item{}, false, fmt.Errorf("docstore: put on the library root: %w", ErrIsDir)
	}
	// The checks run first, here, in parallel with other uploads: a refused
	// upload is not streamed, and the committer (one writer for all) skips
	// them when nothing they read has changed since (prechecked).
	pool := s.prepared(nil)
	pre := s.commits.precheck(lib + "\x00" + parentOf(cp) + "\x00" + nameKey(baseOf(cp)))
	// A small body without conditions is read whatever the item at the
	// path: its check can wait for the committer (putPre.deferred).
	deferItem := opts.Size >= 0 && opts.Size <= smallBlobMax &&
		strings.TrimSpace(opts.IfMatch) == "" && strings.TrimSpace(opts.IfNoneMatch) == ""
	pc, err := s.putPrecheck(ctx, p, lib, cp, opts, deferItem)
	if err != nil {
		return Item{}, false, err
	}
	l, preCur := pc.l, pc.cur
	if pc.deferred {
		pre.twins = &twinRead{lib: l, parent: parentOf(cp), nameKey: nameKey(baseOf(cp))}
	}
	if err := s.checkQuota(ctx, pool, l, opts.Size); err != nil {
		return Item{}, false, err
	}
	if s.afterPrecheck != nil {
		s.afterPrecheck()
	}
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	var (
		hash   string
		staged stagedBlob
	)
	small, rest, n, err := readSmall(ctx, r, opts.Size)
	switch {
	case err != nil:
	case small != nil:
		// Stored by the commit's transaction itself (smallblob.go).
		staged, hash = small, small.hash()
		defer small.release()
	default:
		// rest is r, or what was read of a body of unknown length and the
		// rest of it: opts.Size (-1) still holds.
		size := opts.Size
		if st, ok := s.blobs.(stager); ok {
			// The committer syncs and names the content with its batch.
			staged, n, err = st.stage(ctx, rest, size)
			if err == nil {
				hash = staged.hash()
			}
		} else {
			hash, n, err = s.blobs.Write(ctx, rest, size)
		}
	}
	if err != nil {
		return Item{}, false, fmt.Errorf("docstore: put %s%s: %w", l.name, cp, err)
	}
	var (
		created bool
		written Item
	)
	err = s.commits.do(ctx, staged, pre, func(ctx context.Context, sqltx *sql.Tx, w *batchWrites, trusted bool) error {
		tx := s.prepared(sqltx)
		cur := preCur
		check := func() error {
			// Read what the jobs before this one in the batch wrote.
			if err := w.flush(ctx, tx); err != nil {
				return err
			}
			var err error
			if l, _, err = s.access(ctx, tx, p, lib, RoleEditor); err != nil {
				return refused(err)
			}
			if cur, err = s.putCheck(ctx, tx, p, l, cp, opts); err != nil {
				return refused(err)
			}
			if err := s.checkQuota(ctx, tx, l, n); err != nil {
				return refused(err)
			}
			return nil
		}
		switch {
		case !trusted || l.quota > 0:
			// A quota depends on every write to the library: always
			// re-checked.
			if err := check(); err != nil {
				return err
			}
		case pc.deferred:
			// The library, folder and locks checked before hold (trusted);
			// the item and its case twins are read here, where no job of
			// the batch before this one wrote them (else it would not be
			// trusted). Anything but a plain write: the full check says.
			var clash bool
			var err error
			if cur, clash, err = s.itemAndTwinsIn(ctx, tx, w, pre.key, l, cp); err != nil {
				return err
			}
			if (cur != nil && cur.IsDir) || (cur == nil && clash) ||
				evalLocks(l, p, opts.LockTokens, cp, locksFor(pc.locks, cp, cur == nil, s.now())) != nil {
				if err := check(); err != nil {
					return err
				}
			}
		}
		created = cur == nil || cur.LockedEmpty
		if small != nil {
			w.addSmall(small)
		}
		return s.writeItem(ctx, tx, w, &written, p, l, cp, cur, hash, n, contentTypeFor(baseOf(cp), opts.ContentType), opts.Modified, "write")
	})
	if err != nil {
		return Item{}, false, err
	}
	return written, created, nil
}

// writeContent makes (hash, size) the current content at cp inside tx: a
// new file, or a new version of cur (whose content becomes a version). It
// returns the item as written, so that callers need not read it again.
func (s *Store) writeContent(ctx context.Context, tx querier, p *auth.Principal, l libRow, cp string, cur *Item, hash string, size int64, ctype string, modified time.Time, action string) (Item, error) {
	var it Item
	err := s.writeItem(ctx, tx, nil, &it, p, l, cp, cur, hash, size, ctype, modified, action)
	return it, err
}

// writeItem is writeContent writing into *it; with w, the new item, its
// audit record and its change event are added to w (their rows are
// written, and it.ID set, when w is flushed).
func (s *Store) writeItem(ctx context.Context, tx querier, w *batchWrites, it *Item, p *auth.Principal, l libRow, cp string, cur *Item, hash string, size int64, ctype string, modified time.Time, action string) error {
	now := s.nowText()
	mod := now
	if !modified.IsZero() {
		mod = sqldb.FormatTime(modified)
	}
	name := baseOf(cp)
	*it = Item{Library: l.name, Path: cp, Name: name, Size: size, ContentType: ctype, Hash: hash,
		Modified: sqldb.ParseTime(mod), ModifiedBy: p.User, Hidden: isHiddenName(name)}
	audit := func(detail string) error {
		if w != nil {
			w.addAudit(s.auditRow(ctx, l.name, p, action, cp, detail))
			return nil
		}
		return s.audit(ctx, tx, l.name, p, action, cp, detail)
	}
	change := func(kind ChangeKind) error {
		if w != nil {
			w.addChange(s.changeRow(kind, l.name, cp, "", false))
			return nil
		}
		return s.change(ctx, tx, kind, l.name, cp, "", false)
	}
	if cur == nil {
		row := []any{l.id, parentOf(cp), name, cp, size, ctype, hash, now, mod, p.User, p.User, isHiddenName(name), nameKey(name)}
		if w != nil {
			w.addItem(row, it)
		} else if err := tx.QueryRowContext(ctx, s.q(newItemHead+` VALUES `+newItemRow+` RETURNING id`), row...).Scan(&it.ID); err != nil {
			// RETURNING: SQLite 3.35+ and PostgreSQL alike.
			return fmt.Errorf("docstore: insert %s%s: %w", l.name, cp, err)
		}
		it.Version, it.Created, it.CreatedBy = 1, sqldb.ParseTime(now), p.User
		it.ETag = etagOf(*it)
		if err := audit(fmt.Sprintf("%d bytes", size)); err != nil {
			return err
		}
		return change(ChangeCreate)
	}
	version := cur.Version + 1
	if cur.LockedEmpty {
		// The empty placeholder of a LOCK is not a version worth keeping.
		version = cur.Version
	} else {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO docs_versions (item_id, version, size, hash, content_type, modified, modified_by) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			cur.ID, cur.Version, cur.Size, cur.Hash, cur.ContentType, sqldb.FormatTime(cur.Modified), cur.ModifiedBy); err != nil {
			return fmt.Errorf("docstore: keep version of %s%s: %w", l.name, cp, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE docs_items SET size = ?, content_type = ?, hash = ?, version = ?, modified = ?, modified_by = ?, locked_empty = 0 WHERE id = ?`),
		size, ctype, hash, version, mod, p.User, cur.ID); err != nil {
		return fmt.Errorf("docstore: update %s%s: %w", l.name, cp, err)
	}
	it.ID, it.Version, it.Created, it.CreatedBy = cur.ID, version, cur.Created, cur.CreatedBy
	it.ETag = etagOf(*it)
	if err := s.pruneVersions(ctx, tx, l, cur.ID); err != nil {
		return err
	}
	if err := audit(fmt.Sprintf("version %d, %d bytes", version, size)); err != nil {
		return err
	}
	kind := ChangeUpdate
	if cur.LockedEmpty {
		kind = ChangeCreate
	}
	return change(kind)
}

func (s *Store) pruneVersions(ctx context.Context, tx querier, l libRow, itemID int64) error {
	keep := l.maxVersions
	if keep <= 0 {
		keep = s.cfg.MaxVersions
	}
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_versions WHERE item_id = ? AND id NOT IN
		(SELECT id FROM docs_versions WHERE item_id = ? ORDER BY version DESC LIMIT ?)`), itemID, itemID, keep)
	if err != nil {
		return fmt.Errorf("docstore: prune versions: %w", err)
	}
	return nil
}

// Mkdir creates the folder at path; ErrExists when path is mapped,
// ErrConflict when the parent is missing.
func (s *Store) Mkdir(ctx context.Context, p *auth.Principal, lib, path string, opts WriteOptions) (Item, error) {
	cp, err := CleanPath(path)
	if err != nil {
		return Item{}, err
	}
	if cp == "/" {
		return Item{}, fmt.Errorf("docstore: mkdir /: %w", ErrExists)
	}
	var l libRow
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if l, _, err = s.access(ctx, tx, p, lib, RoleEditor); err != nil {
			return err
		}
		return s.mkdirTx(ctx, tx, p, l, cp, opts.LockTokens)
	})
	if err != nil {
		return Item{}, err
	}
	return s.getItem(ctx, s.db, l, cp)
}

func (s *Store) mkdirTx(ctx context.Context, tx *sql.Tx, p *auth.Principal, l libRow, cp string, tokens []string) error {
	cur, err := s.lookup(ctx, tx, l, cp)
	if err != nil {
		return err
	}
	if cur != nil {
		return fmt.Errorf("docstore: mkdir %s%s: %w", l.name, cp, ErrExists)
	}
	if err := s.needParentDir(ctx, tx, l, cp); err != nil {
		return err
	}
	if err := s.caseClash(ctx, tx, l, cp, 0); err != nil {
		return err
	}
	if err := s.checkLocks(ctx, tx, l, p, tokens, cp, lockScope{membership: true}); err != nil {
		return err
	}
	now := s.nowText()
	name := baseOf(cp)
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO docs_items (library_id, trash, parent, name, path, is_dir, size, content_type, hash, version, created, modified, created_by, modified_by, hidden, locked_empty, name_key)
		VALUES (?, 0, ?, ?, ?, 1, 0, '', '', 1, ?, ?, ?, ?, ?, 0, ?)`),
		l.id, parentOf(cp), name, cp, now, now, p.User, p.User, isHiddenName(name), nameKey(name)); err != nil {
		return fmt.Errorf("docstore: mkdir %s%s: %w", l.name, cp, err)
	}
	if err := s.audit(ctx, tx, l.name, p, "mkdir", cp, ""); err != nil {
		return err
	}
	return s.change(ctx, tx, ChangeCreate, l.name, cp, "", true)
}

// Delete sends the item at path (a folder with its subtree) to the recycle
// bin and removes the locks rooted in it. Locks on the item, its subtree
// and its parent need their tokens.
func (s *Store) Delete(ctx context.Context, p *auth.Principal, lib, path string, opts WriteOptions) error {
	cp, err := cleanTarget(path)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, _, err := s.access(ctx, tx, p, lib, RoleEditor)
		if err != nil {
			return err
		}
		cur, err := s.getItem(ctx, tx, l, cp)
		if err != nil {
			return err
		}
		if err := checkPreconditions(&cur, opts.IfMatch, ""); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, l, p, opts.LockTokens, cp, lockScope{subtree: true, membership: true}); err != nil {
			return err
		}
		if _, err := s.trashTx(ctx, tx, p, l, cur); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, l.name, p, "delete", cp, ""); err != nil {
			return err
		}
		return s.change(ctx, tx, ChangeDelete, l.name, cp, "", cur.IsDir)
	})
}

// trashTx moves a live item (with its subtree) to the recycle bin and drops
// the locks rooted in it.
func (s *Store) trashTx(ctx context.Context, tx *sql.Tx, p *auth.Principal, l libRow, it Item) (int64, error) {
	lo, hi := subtreeRange(it.Path)
	var size int64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(size), 0) FROM docs_items WHERE library_id = ? AND trash = 0 AND (path = ? OR (path >= ? AND path < ?))`),
		l.id, it.Path, lo, hi).Scan(&size); err != nil {
		return 0, fmt.Errorf("docstore: trash: %w", err)
	}
	var id int64
	if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO docs_trash (library_id, path, name, is_dir, size, deleted, deleted_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		l.id, it.Path, it.Name, it.IsDir, size, s.nowText(), p.User).Scan(&id); err != nil {
		return 0, fmt.Errorf("docstore: trash: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE docs_items SET trash = ? WHERE library_id = ? AND trash = 0 AND (path = ? OR (path >= ? AND path < ?))`),
		id, l.id, it.Path, lo, hi); err != nil {
		return 0, fmt.Errorf("docstore: trash: %w", err)
	}
	return id, s.dropLocks(ctx, tx, l, it.Path)
}

// Props returns the dead properties of the item at path.
func (s *Store) Props(ctx context.Context, p *auth.Principal, lib, path string) ([]Property, error) {
	cp, err := CleanPath(path)
	if err != nil {
		return nil, err
	}
	l, _, err := s.access(ctx, s.db, p, lib, RoleReader)
	if err != nil {
		return nil, err
	}
	it, err := s.getItem(ctx, s.db, l, cp)
	if err != nil {
		return nil, err
	}
	if cp == "/" {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT space, local, value FROM docs_props WHERE item_id = ? ORDER BY space, local`), it.ID)
	if err != nil {
		return nil, fmt.Errorf("docstore: props: %w", err)
	}
	defer rows.Close()
	var out []Property
	for rows.Next() {
		var pr Property
		if err := rows.Scan(&pr.Space, &pr.Local, &pr.XML); err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return out, rows.Err()
}

// Dead property limits.
const (
	MaxPropValue = 64 << 10
	MaxProps     = 256
)

func checkPropName(space, local string) error {
	if local == "" || len(local) > 255 || len(space) > 1024 || !utf8.ValidString(space+local) || strings.ContainsAny(local, " <>&\"'") {
		return fmt.Errorf("%w: property name", ErrInvalidName)
	}
	return nil
}

// win32LastModified is the property the Windows WebDAV redirector sets
// (PROPPATCH, [MS-WDV] §2.2.3.1) to give a copied file its original
// modification time.
var win32LastModified = PropName{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime"}

// win32Time parses a Win32 time property: an RFC 1123 date ("Tue, 03 Nov
// 2026 10:00:00 GMT"), as the redirector sends them.
func win32Time(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{time.RFC1123, time.RFC1123Z} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// PatchProps sets and removes dead properties atomically (all or none).
// Setting Win32LastModifiedTime to a valid date also sets the item's
// modification time (no new version), as SetModified does; the property
// is kept as well. The change is audited ("props").
func (s *Store) PatchProps(ctx context.Context, p *auth.Principal, lib, path string, set []Property, remove []PropName, opts WriteOptions) error {
	cp, err := CleanPath(path)
	if err != nil {
		return err
	}
	var modified time.Time
	for _, pr := range set {
		if err := checkPropName(pr.Space, pr.Local); err != nil {
			return err
		}
		if len(pr.XML) > MaxPropValue || !utf8.ValidString(pr.XML) {
			return fmt.Errorf("%w: property value too long or not UTF-8", ErrInvalidName)
		}
		if (PropName{Space: pr.Space, Local: pr.Local}) == win32LastModified {
			// Later instructions win; a value that is no date stays a
			// mere dead property.
			modified, _ = win32Time(pr.XML)
		}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, _, err := s.access(ctx, tx, p, lib, RoleEditor)
		if err != nil {
			return err
		}
		if cp == "/" {
			return fmt.Errorf("docstore: properties of the library root: %w", ErrPermission)
		}
		it, err := s.getItem(ctx, tx, l, cp)
		if err != nil {
			return err
		}
		if err := checkPreconditions(&it, opts.IfMatch, ""); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, l, p, opts.LockTokens, cp, lockScope{}); err != nil {
			return err
		}
		for _, r := range remove {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_props WHERE item_id = ? AND space = ? AND local = ?`), it.ID, r.Space, r.Local); err != nil {
				return fmt.Errorf("docstore: proppatch: %w", err)
			}
		}
		for _, pr := range set {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO docs_props (item_id, space, local, value) VALUES (?, ?, ?, ?)
				ON CONFLICT (item_id, space, local) DO UPDATE SET value = excluded.value`), it.ID, pr.Space, pr.Local, pr.XML); err != nil {
				return fmt.Errorf("docstore: proppatch: %w", err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM docs_props WHERE item_id = ?`), it.ID).Scan(&n); err != nil {
			return err
		}
		if n > MaxProps {
			return fmt.Errorf("docstore: more than %d properties: %w", MaxProps, ErrQuota)
		}
		if !modified.IsZero() {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE docs_items SET modified = ? WHERE id = ?`), sqldb.FormatTime(modified), it.ID); err != nil {
				return fmt.Errorf("docstore: proppatch: %w", err)
			}
		}
		return s.audit(ctx, tx, l.name, p, "props", cp, propsDetail(set, remove, modified))
	})
}

// propsDetail describes a PatchProps for the audit log: the local names
// set and removed (at most about 200 bytes of them), and the modification
// time set.
func propsDetail(set []Property, remove []PropName, modified time.Time) string {
	var sb strings.Builder
	list := func(verb string, names []string) {
		if len(names) == 0 {
			return
		}
		if sb.Len() > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(verb)
		for i, n := range names {
			if sb.Len() > 200 {
				fmt.Fprintf(&sb, " and %d more", len(names)-i)
				return
			}
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString(" " + n)
		}
	}
	var names []string
	for _, pr := range set {
		names = append(names, pr.Local)
	}
	list("set", names)
	names = names[:0]
	for _, r := range remove {
		names = append(names, r.Local)
	}
	list("removed", names)
	if !modified.IsZero() {
		sb.WriteString("; modified " + modified.UTC().Format(time.RFC3339))
	}
	return sb.String()
}

// SetModified sets the modification time of the item at path without a new
// version (clients that preserve times; PatchProps does the same for
// Win32LastModifiedTime). Editors; the item's locks apply.
func (s *Store) SetModified(ctx context.Context, p *auth.Principal, lib, path string, t time.Time, opts WriteOptions) error {
	cp, err := cleanTarget(path)
	if err != nil {
		return err
	}
	if t.IsZero() {
		return fmt.Errorf("%w: zero time", ErrInvalidName)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, _, err := s.access(ctx, tx, p, lib, RoleEditor)
		if err != nil {
			return err
		}
		it, err := s.getItem(ctx, tx, l, cp)
		if err != nil {
			return err
		}
		if err := checkPreconditions(&it, opts.IfMatch, ""); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, l, p, opts.LockTokens, cp, lockScope{}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE docs_items SET modified = ? WHERE id = ?`), sqldb.FormatTime(t), it.ID); err != nil {
			return fmt.Errorf("docstore: set modified: %w", err)
		}
		return nil
	})
}
