package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

var libNameRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$`)

// ValidLibraryName reports whether s can name a library: a letter or digit,
// then letters, digits, '.', '-', '_', at most 64 characters (it appears in
// WebDAV URLs).
func ValidLibraryName(s string) bool { return libNameRE.MatchString(s) }

// ParseSubject checks a grant subject, "group:NAME" or "user:NAME". A bare
// NAME means a group.
func ParseSubject(s string) (string, error) {
	s = strings.TrimSpace(s)
	kind, name, ok := strings.Cut(s, ":")
	if !ok {
		kind, name = "group", s
	}
	if (kind != "group" && kind != "user") || !directory.ValidName(name) {
		return "", fmt.Errorf("%w: subject %q (want group:NAME or user:NAME)", ErrInvalidName, s)
	}
	return kind + ":" + name, nil
}

func requireAdmin(p *auth.Principal) error {
	if p == nil || !p.Admin {
		return fmt.Errorf("docstore: administrators only: %w", ErrPermission)
	}
	return nil
}

// CreateLibrary creates a library (administrators only) and records the
// grants in spec. ErrExists when the name is taken.
func (s *Store) CreateLibrary(ctx context.Context, p *auth.Principal, spec LibrarySpec) (Library, error) {
	if err := requireAdmin(p); err != nil {
		return Library{}, err
	}
	if !ValidLibraryName(spec.Name) {
		return Library{}, fmt.Errorf("%w: library name %q (letters, digits, '.', '-', '_', up to 64)", ErrInvalidName, spec.Name)
	}
	quota := spec.Quota
	switch {
	case quota == 0:
		quota = s.cfg.DefaultQuota
	case quota < 0:
		quota = 0
	}
	maxv := spec.MaxVersions
	if maxv <= 0 {
		maxv = s.cfg.MaxVersions
	}
	grants := make([]Grant, 0, len(spec.Grants))
	for _, g := range spec.Grants {
		sub, err := ParseSubject(g.Subject)
		if err != nil {
			return Library{}, err
		}
		if !g.Role.Valid() {
			return Library{}, fmt.Errorf("%w: role %q (owner, editor or reader)", ErrInvalidName, g.Role)
		}
		grants = append(grants, Grant{Role: g.Role, Subject: sub})
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.loadLib(ctx, tx, spec.Name); err == nil {
			return fmt.Errorf("docstore: library %q: %w", spec.Name, ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		// RETURNING, not LastInsertId: PostgreSQL drivers have no
		// LastInsertId.
		var id int64
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO docs_libraries (name, description, quota, max_versions, created, created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			spec.Name, spec.Description, quota, maxv, s.nowText(), p.User).Scan(&id); err != nil {
			return fmt.Errorf("docstore: create library: %w", err)
		}
		for _, g := range grants {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO docs_grants (library_id, subject, role) VALUES (?, ?, ?)
				ON CONFLICT (library_id, subject) DO UPDATE SET role = excluded.role`), id, g.Subject, string(g.Role)); err != nil {
				return fmt.Errorf("docstore: grant: %w", err)
			}
		}
		if err := s.audit(ctx, tx, spec.Name, p, "library_create", "/", ""); err != nil {
			return err
		}
		return s.change(ctx, tx, ChangeACL, spec.Name, "/", "", true)
	})
	if err != nil {
		return Library{}, err
	}
	return s.libraryView(ctx, s.db, p, spec.Name, true)
}

// DeleteLibrary removes a library with all its content (administrators
// only); a library_delete change is emitted.
func (s *Store) DeleteLibrary(ctx context.Context, p *auth.Principal, name string) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.loadLib(ctx, tx, name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_libraries WHERE id = ?`), l.id); err != nil {
			return fmt.Errorf("docstore: delete library: %w", err)
		}
		if err := s.audit(ctx, tx, name, p, "library_delete", "/", ""); err != nil {
			return err
		}
		return s.change(ctx, tx, ChangeLibraryDelete, name, "/", "", true)
	})
}

// UpdateLibrary changes a library's settings (administrators; owners may
// change the description only).
func (s *Store) UpdateLibrary(ctx context.Context, p *auth.Principal, name string, u LibraryUpdate) (Library, error) {
	if p == nil {
		return Library{}, ErrPermission
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var l libRow
		var err error
		if p.Admin {
			l, err = s.loadLib(ctx, tx, name)
		} else {
			l, _, err = s.access(ctx, tx, p, name, RoleOwner)
			if err == nil && (u.Quota != nil || u.MaxVersions != nil) {
				err = fmt.Errorf("docstore: quota and versions are set by administrators: %w", ErrPermission)
			}
		}
		if err != nil {
			return err
		}
		if u.Description != nil {
			l.description = *u.Description
		}
		if u.Quota != nil {
			l.quota = max(*u.Quota, 0)
		}
		if u.MaxVersions != nil {
			if *u.MaxVersions <= 0 {
				return fmt.Errorf("%w: versions kept must be at least 1", ErrInvalidName)
			}
			l.maxVersions = *u.MaxVersions
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE docs_libraries SET description = ?, quota = ?, max_versions = ? WHERE id = ?`),
			l.description, l.quota, l.maxVersions, l.id); err != nil {
			return fmt.Errorf("docstore: update library: %w", err)
		}
		return s.audit(ctx, tx, name, p, "library_update", "/", fmt.Sprintf("quota=%d max_versions=%d", l.quota, l.maxVersions))
	})
	if err != nil {
		return Library{}, err
	}
	return s.libraryView(ctx, s.db, p, name, true)
}

// libraryView builds the Library seen by p.
func (s *Store) libraryView(ctx context.Context, q querier, p *auth.Principal, name string, adminOK bool) (Library, error) {
	l, err := s.loadLib(ctx, q, name)
	if err != nil {
		return Library{}, err
	}
	role, err := s.roleIn(ctx, q, p, l.id)
	if err != nil {
		return Library{}, err
	}
	isAdmin := p != nil && p.Admin && adminOK
	if role == RoleNone && !isAdmin {
		return Library{}, fmt.Errorf("docstore: library %q: %w", name, ErrNotFound)
	}
	used, err := s.usage(ctx, q, l.id)
	if err != nil {
		return Library{}, err
	}
	lib := Library{
		Name: l.name, Description: l.description, Quota: l.quota, Used: used, MaxVersions: l.maxVersions,
		Created: sqldb.ParseTime(l.created), CreatedBy: l.createdBy, Role: role,
	}
	if role == RoleOwner || isAdmin {
		if lib.Grants, err = s.grants(ctx, q, l.id); err != nil {
			return Library{}, err
		}
	}
	return lib, nil
}

func (s *Store) grants(ctx context.Context, q querier, libID int64) ([]Grant, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT role, subject FROM docs_grants WHERE library_id = ? ORDER BY subject`), libID)
	if err != nil {
		return nil, fmt.Errorf("docstore: grants: %w", err)
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var g Grant
		if err := rows.Scan(&g.Role, &g.Subject); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Libraries lists the libraries p may read, by name, with p's role.
func (s *Store) Libraries(ctx context.Context, p *auth.Principal) ([]Library, error) {
	names, err := s.ReadableLibraries(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]Library, 0, len(names))
	for _, n := range names {
		l, err := s.libraryView(ctx, s.db, p, n, false)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// AllLibraries lists every library with its grants (administrators only).
func (s *Store) AllLibraries(ctx context.Context, p *auth.Principal) ([]Library, error) {
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	names, err := s.LibraryNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Library, 0, len(names))
	for _, n := range names {
		l, err := s.libraryView(ctx, s.db, p, n, true)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// Library returns one library p may read (or administer).
func (s *Store) Library(ctx context.Context, p *auth.Principal, name string) (Library, error) {
	if p == nil {
		return Library{}, ErrPermission
	}
	return s.libraryView(ctx, s.db, p, name, true)
}

// Grant gives role to subject ("group:NAME" or "user:NAME"; a bare NAME
// is a group), replacing the subject's previous role (owners and
// administrators). Audited; emits an acl change.
func (s *Store) Grant(ctx context.Context, p *auth.Principal, lib string, role Role, subject string) error {
	if !role.Valid() {
		return fmt.Errorf("%w: role %q (owner, editor or reader)", ErrInvalidName, role)
	}
	sub, err := ParseSubject(subject)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.manage(ctx, tx, p, lib)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO docs_grants (library_id, subject, role) VALUES (?, ?, ?)
			ON CONFLICT (library_id, subject) DO UPDATE SET role = excluded.role`), l.id, sub, string(role)); err != nil {
			return fmt.Errorf("docstore: grant: %w", err)
		}
		if err := s.audit(ctx, tx, lib, p, "grant", "/", string(role)+" "+sub); err != nil {
			return err
		}
		return s.change(ctx, tx, ChangeACL, lib, "/", "", true)
	})
}

// manage checks that p administers lib (owner or administrator).
func (s *Store) manage(ctx context.Context, q querier, p *auth.Principal, lib string) (libRow, error) {
	if p != nil && p.Admin {
		return s.loadLib(ctx, q, lib)
	}
	l, _, err := s.access(ctx, q, p, lib, RoleOwner)
	return l, err
}

// Revoke removes subject's role (owners and administrators). Removing the
// last owner grant is refused with ErrConflict unless p is an
// administrator.
func (s *Store) Revoke(ctx context.Context, p *auth.Principal, lib string, subject string) error {
	sub, err := ParseSubject(subject)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.manage(ctx, tx, p, lib)
		if err != nil {
			return err
		}
		gs, err := s.grants(ctx, tx, l.id)
		if err != nil {
			return err
		}
		owners, found := 0, false
		for _, g := range gs {
			if g.Role == RoleOwner && g.Subject != sub {
				owners++
			}
			if g.Subject == sub {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("docstore: no grant for %s: %w", sub, ErrNotFound)
		}
		if owners == 0 && !p.Admin {
			return fmt.Errorf("docstore: a library keeps at least one owner: %w", ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM docs_grants WHERE library_id = ? AND subject = ?`), l.id, sub); err != nil {
			return fmt.Errorf("docstore: revoke: %w", err)
		}
		if err := s.audit(ctx, tx, lib, p, "revoke", "/", sub); err != nil {
			return err
		}
		return s.change(ctx, tx, ChangeACL, lib, "/", "", true)
	})
}

// RoleOf returns p's role in lib (RoleNone when none; ErrNotFound for an
// unknown library).
func (s *Store) RoleOf(ctx context.Context, p *auth.Principal, lib string) (Role, error) {
	l, err := s.loadLib(ctx, s.db, lib)
	if err != nil {
		return RoleNone, err
	}
	return s.roleIn(ctx, s.db, p, l.id)
}

// Quota returns lib's usage (readers), for RFC 4331.
func (s *Store) Quota(ctx context.Context, p *auth.Principal, lib string) (QuotaInfo, error) {
	l, _, err := s.access(ctx, s.db, p, lib, RoleReader)
	if err != nil {
		return QuotaInfo{}, err
	}
	used, err := s.usage(ctx, s.db, l.id)
	if err != nil {
		return QuotaInfo{}, err
	}
	qi := QuotaInfo{Used: used, Limit: l.quota, Available: -1}
	if l.quota > 0 {
		qi.Available = max(l.quota-used, 0)
	}
	return qi, nil
}

// ReadableLibraries returns the names of the libraries p may read.
func (s *Store) ReadableLibraries(ctx context.Context, p *auth.Principal) ([]string, error) {
	if p == nil || p.User == "" {
		return nil, nil
	}
	subs := subjects(p)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT l.name FROM docs_libraries l JOIN docs_grants g ON g.library_id = l.id
		WHERE g.subject IN (`+placeholders(len(subs))+`) ORDER BY l.name`), subs...)
	if err != nil {
		return nil, fmt.Errorf("docstore: readable libraries: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// LibraryNames returns every library's name (system).
func (s *Store) LibraryNames(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM docs_libraries ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("docstore: library names: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out, rows.Err()
}
