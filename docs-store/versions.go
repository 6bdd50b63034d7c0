package docstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

func (s *Store) fileAt(ctx context.Context, q querier, p *auth.Principal, lib, path string, want Role) (libRow, Item, error) {
	cp, err := CleanPath(path)
	if err != nil {
		return libRow{}, Item{}, err
	}
	l, _, err := s.access(ctx, q, p, lib, want)
	if err != nil {
		return l, Item{}, err
	}
	it, err := s.getItem(ctx, q, l, cp)
	if err != nil {
		return l, it, err
	}
	if it.IsDir {
		return l, it, fmt.Errorf("docstore: versions of a folder: %w", ErrIsDir)
	}
	return l, it, nil
}

func (s *Store) versions(ctx context.Context, q querier, it Item) ([]Version, error) {
	out := []Version{{Version: it.Version, Size: it.Size, Hash: it.Hash, ContentType: it.ContentType, Modified: it.Modified, ModifiedBy: it.ModifiedBy, Current: true}}
	rows, err := q.QueryContext(ctx, s.q(`SELECT version, size, hash, content_type, modified, modified_by FROM docs_versions WHERE item_id = ? ORDER BY version DESC`), it.ID)
	if err != nil {
		return nil, fmt.Errorf("docstore: versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v Version
		var mod string
		if err := rows.Scan(&v.Version, &v.Size, &v.Hash, &v.ContentType, &mod, &v.ModifiedBy); err != nil {
			return nil, err
		}
		v.Modified = sqldb.ParseTime(mod)
		out = append(out, v)
	}
	return out, rows.Err()
}

// Versions lists the versions of the file at path, newest (current)
// first.
func (s *Store) Versions(ctx context.Context, p *auth.Principal, lib, path string) ([]Version, error) {
	_, it, err := s.fileAt(ctx, s.db, p, lib, path, RoleReader)
	if err != nil {
		return nil, err
	}
	return s.versions(ctx, s.db, it)
}

func findVersion(vs []Version, n int64) (Version, error) {
	for _, v := range vs {
		if v.Version == n {
			return v, nil
		}
	}
	return Version{}, fmt.Errorf("docstore: version %d: %w", n, ErrNotFound)
}

// OpenVersion opens one version's content (audited as a read).
func (s *Store) OpenVersion(ctx context.Context, p *auth.Principal, lib, path string, version int64) (io.ReadSeekCloser, Version, error) {
	l, it, err := s.fileAt(ctx, s.db, p, lib, path, RoleReader)
	if err != nil {
		return nil, Version{}, err
	}
	vs, err := s.versions(ctx, s.db, it)
	if err != nil {
		return nil, Version{}, err
	}
	v, err := findVersion(vs, version)
	if err != nil {
		return nil, Version{}, err
	}
	f, err := s.openBlob(ctx, v.Hash, v.Size)
	if err != nil {
		return nil, v, err
	}
	if !s.cfg.NoAuditReads {
		if err := s.auditRead(ctx, l.name, p, it.Path, fmt.Sprintf("version %d", version)); err != nil {
			f.Close()
			return nil, v, err
		}
	}
	return f, v, nil
}

// RestoreVersion makes version the current content again, as a new
// version (the replaced content is kept as a version too).
func (s *Store) RestoreVersion(ctx context.Context, p *auth.Principal, lib, path string, version int64, opts WriteOptions) (Item, error) {
	var l libRow
	var cp string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var it Item
		var err error
		l, it, err = s.fileAt(ctx, tx, p, lib, path, RoleEditor)
		if err != nil {
			return err
		}
		cp = it.Path
		if err := checkPreconditions(&it, opts.IfMatch, ""); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, l, p, opts.LockTokens, cp, lockScope{}); err != nil {
			return err
		}
		vs, err := s.versions(ctx, tx, it)
		if err != nil {
			return err
		}
		v, err := findVersion(vs, version)
		if err != nil {
			return err
		}
		if v.Current {
			return fmt.Errorf("docstore: version %d is already the current one: %w", version, ErrConflict)
		}
		if err := s.checkQuota(ctx, tx, l, v.Size); err != nil {
			return err
		}
		_, err = s.writeContent(ctx, tx, p, l, cp, &it, v.Hash, v.Size, v.ContentType, s.now(), "restore")
		return err
	})
	if err != nil {
		return Item{}, err
	}
	return s.getItem(ctx, s.db, l, cp)
}
