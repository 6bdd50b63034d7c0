package docstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"mime"
	"path"
	"strings"
	"time"

	"github.com/kazhq/kaz/internal/reqctx"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server/auth"
)

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// libRow is a library's stored row.
type libRow struct {
	id          int64
	name        string
	description string
	quota       int64
	maxVersions int
	created     string
	createdBy   string
}

func (s *Store) q(query string) string { return s.db.Rebind(query) }

func (s *Store) nowText() string { return sqldb.FormatTime(s.now()) }

// loadLib reads a library by name (ErrNotFound).
func (s *Store) loadLib(ctx context.Context, q querier, name string) (libRow, error) {
	var l libRow
	err := q.QueryRowContext(ctx, s.q(`SELECT id, name, description, quota, max_versions, created, created_by FROM docs_libraries WHERE name = ?`), name).
		Scan(&l.id, &l.name, &l.description, &l.quota, &l.maxVersions, &l.created, &l.createdBy)
	if errors.Is(err, sql.ErrNoRows) {
		return l, fmt.Errorf("docstore: library %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return l, fmt.Errorf("docstore: library %q: %w", name, err)
	}
	return l, nil
}

// subjects returns the grant subjects that apply to p.
func subjects(p *auth.Principal) []any {
	out := []any{"user:" + p.User}
	for _, g := range p.Groups {
		out = append(out, "group:"+g)
	}
	return out
}

func placeholders(n int) string {
	if n <= 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// roleIn returns p's role in library id.
func (s *Store) roleIn(ctx context.Context, q querier, p *auth.Principal, libID int64) (Role, error) {
	if p == nil || p.User == "" {
		return RoleNone, nil
	}
	subs := subjects(p)
	args := append([]any{libID}, subs...)
	rows, err := q.QueryContext(ctx, s.q(`SELECT role FROM docs_grants WHERE library_id = ? AND subject IN (`+placeholders(len(subs))+`)`), args...)
	if err != nil {
		return RoleNone, fmt.Errorf("docstore: role: %w", err)
	}
	defer rows.Close()
	best := RoleNone
	for rows.Next() {
		var r Role
		if err := rows.Scan(&r); err != nil {
			return RoleNone, err
		}
		if r.rank() > best.rank() {
			best = r
		}
	}
	return best, rows.Err()
}

// access loads lib and checks that p holds at least want, in one query. A
// principal without any role gets ErrNotFound (the library's existence does
// not leak); one with a lesser role gets ErrPermission.
func (s *Store) access(ctx context.Context, q querier, p *auth.Principal, lib string, want Role) (libRow, Role, error) {
	if p == nil {
		return libRow{}, RoleNone, fmt.Errorf("docstore: no principal: %w", ErrPermission)
	}
	if p.User == "" {
		return libRow{}, RoleNone, fmt.Errorf("docstore: library %q: %w", lib, ErrNotFound)
	}
	subs := subjects(p)
	args := append(subs, lib)
	rows, err := q.QueryContext(ctx, s.q(`SELECT l.id, l.name, l.description, l.quota, l.max_versions, l.created, l.created_by, COALESCE(g.role, '')
		FROM docs_libraries l LEFT JOIN docs_grants g ON g.library_id = l.id AND g.subject IN (`+placeholders(len(subs))+`)
		WHERE l.name = ?`), args...)
	if err != nil {
		return libRow{}, RoleNone, fmt.Errorf("docstore: library %q: %w", lib, err)
	}
	defer rows.Close()
	var l libRow
	found := false
	best := RoleNone
	for rows.Next() {
		var r Role
		if err := rows.Scan(&l.id, &l.name, &l.description, &l.quota, &l.maxVersions, &l.created, &l.createdBy, &r); err != nil {
			return libRow{}, RoleNone, fmt.Errorf("docstore: library %q: %w", lib, err)
		}
		found = true
		if r.rank() > best.rank() {
			best = r
		}
	}
	if err := rows.Err(); err != nil {
		return libRow{}, RoleNone, fmt.Errorf("docstore: library %q: %w", lib, err)
	}
	if !found {
		return l, RoleNone, fmt.Errorf("docstore: library %q: %w", lib, ErrNotFound)
	}
	if best == RoleNone {
		return l, best, fmt.Errorf("docstore: library %q: %w", lib, ErrNotFound)
	}
	if !best.AtLeast(want) {
		return l, best, fmt.Errorf("docstore: library %q needs the %s role: %w", lib, want, ErrPermission)
	}
	return l, best, nil
}

// audit records one action in q (inside the write's transaction).
func (s *Store) audit(ctx context.Context, q querier, lib string, p *auth.Principal, action, path, detail string) error {
	_, err := q.ExecContext(ctx, s.q(`INSERT INTO docs_audit (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		s.auditRow(ctx, lib, p, action, path, detail)...)
	if err != nil {
		return fmt.Errorf("docstore: audit: %w", err)
	}
	return nil
}

const auditCols = `time, library, user_name, ip, action, path, detail`

// auditRow is the values of an audit record, in auditCols order.
func (s *Store) auditRow(ctx context.Context, lib string, p *auth.Principal, action, path, detail string) []any {
	user := ""
	if p != nil {
		user = p.User
	}
	ip := ""
	if a := reqctx.ClientIP(ctx); a.IsValid() {
		ip = a.String()
	}
	return []any{s.nowText(), lib, user, ip, action, path, detail}
}

// change appends an outbox event in q.
func (s *Store) change(ctx context.Context, q querier, kind ChangeKind, lib, path, old string, isDir bool) error {
	_, err := q.ExecContext(ctx, s.q(`INSERT INTO docs_changes (`+changeCols+`) VALUES (?, ?, ?, ?, ?, ?)`),
		s.changeRow(kind, lib, path, old, isDir)...)
	if err != nil {
		return fmt.Errorf("docstore: change event: %w", err)
	}
	return nil
}

const changeCols = `time, kind, library, path, old_path, is_dir`

// changeRow is the values of a change event, in changeCols order.
func (s *Store) changeRow(kind ChangeKind, lib, path, old string, isDir bool) []any {
	return []any{s.nowText(), string(kind), lib, path, old, isDir}
}

// itemCols are scanned by scanItem, in order.
const itemCols = `id, path, name, is_dir, size, content_type, hash, version, created, modified, created_by, modified_by, hidden, locked_empty`

type scanner interface{ Scan(dest ...any) error }

func scanItem(sc scanner, lib string) (Item, error) {
	var it Item
	var created, modified string
	err := sc.Scan(&it.ID, &it.Path, &it.Name, &it.IsDir, &it.Size, &it.ContentType, &it.Hash, &it.Version,
		&created, &modified, &it.CreatedBy, &it.ModifiedBy, &it.Hidden, &it.LockedEmpty)
	if err != nil {
		return it, err
	}
	it.Library = lib
	it.Created = sqldb.ParseTime(created)
	it.Modified = sqldb.ParseTime(modified)
	it.ETag = etagOf(it)
	return it, nil
}

func etagOf(it Item) string {
	if it.IsDir {
		return fmt.Sprintf("d%x-%x", it.ID, it.Modified.UnixNano())
	}
	if len(it.Hash) >= 40 {
		return it.Hash[:40]
	}
	return it.Hash
}

// getItem reads the live item at a clean path ("/" is synthesized).
func (s *Store) getItem(ctx context.Context, q querier, l libRow, p string) (Item, error) {
	if p == "/" {
		return rootItem(l), nil
	}
	it, err := scanItem(q.QueryRowContext(ctx, s.q(`SELECT `+itemCols+` FROM docs_items WHERE library_id = ? AND trash = 0 AND path = ?`), l.id, p), l.name)
	if errors.Is(err, sql.ErrNoRows) {
		return it, fmt.Errorf("docstore: %s%s: %w", l.name, p, ErrNotFound)
	}
	if err != nil {
		return it, fmt.Errorf("docstore: stat %s%s: %w", l.name, p, err)
	}
	return it, nil
}

func rootItem(l libRow) Item {
	it := Item{ID: 0, Library: l.name, Path: "/", Name: "", IsDir: true, Created: sqldb.ParseTime(l.created), CreatedBy: l.createdBy}
	it.Modified = it.Created
	it.ModifiedBy = l.createdBy
	it.ETag = fmt.Sprintf("r%x-%x", l.id, it.Created.UnixNano())
	return it
}

// needParentDir checks that the parent of a clean path is a live folder.
func (s *Store) needParentDir(ctx context.Context, q querier, l libRow, p string) error {
	par := parentOf(p)
	if par == "/" {
		return nil
	}
	it, err := s.getItem(ctx, q, l, par)
	if errors.Is(err, ErrNotFound) || (err == nil && !it.IsDir) {
		return fmt.Errorf("docstore: parent of %s%s: %w", l.name, p, ErrConflict)
	}
	return err
}

// lookupWithParent reads, in one query, the live item at a clean path and
// its parent folder (nil when missing; the root for top-level paths).
func (s *Store) lookupWithParent(ctx context.Context, q querier, l libRow, p string) (cur, par *Item, err error) {
	pp := parentOf(p)
	if pp == "/" {
		root := rootItem(l)
		par = &root
	}
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+itemCols+` FROM docs_items WHERE library_id = ? AND trash = 0 AND path IN (?, ?)`), l.id, p, pp)
	if err != nil {
		return nil, nil, fmt.Errorf("docstore: stat %s%s: %w", l.name, p, err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows, l.name)
		if err != nil {
			return nil, nil, fmt.Errorf("docstore: stat %s%s: %w", l.name, p, err)
		}
		if it.Path == p {
			cur = &it
		} else {
			par = &it
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("docstore: stat %s%s: %w", l.name, p, err)
	}
	return cur, par, nil
}

// lookup returns the live item at a clean path, nil when unmapped.
func (s *Store) lookup(ctx context.Context, q querier, l libRow, p string) (*Item, error) {
	it, err := s.getItem(ctx, q, l, p)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &it, nil
}

// cleanTarget cleans a path that must not be the root.
func cleanTarget(p string) (string, error) {
	c, err := CleanPath(p)
	if err != nil {
		return "", err
	}
	if c == "/" {
		return "", fmt.Errorf("docstore: the library root cannot be changed this way: %w", ErrPermission)
	}
	return c, nil
}

func contentTypeFor(name, given string) string {
	if given != "" {
		return given
	}
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
		return t
	}
	return "application/octet-stream"
}

// etagMatches evaluates an If-Match / If-None-Match list against etag
// ("" for a missing resource).
func etagMatches(list, etag string) bool {
	for part := range strings.SplitSeq(list, ",") {
		t := strings.TrimSpace(part)
		if t == "" {
			continue
		}
		if t == "*" {
			return etag != ""
		}
		t = strings.TrimPrefix(t, "W/")
		t = strings.Trim(t, `"`)
		if etag != "" && t == etag {
			return true
		}
	}
	return false
}

// checkPreconditions applies If-Match / If-None-Match to the current item
// (nil when missing).
func checkPreconditions(cur *Item, ifMatch, ifNoneMatch string) error {
	etag := ""
	if cur != nil {
		etag = cur.ETag
	}
	if strings.TrimSpace(ifMatch) != "" && !etagMatches(ifMatch, etag) {
		return fmt.Errorf("docstore: If-Match: %w", ErrPrecondition)
	}
	if strings.TrimSpace(ifNoneMatch) != "" && etagMatches(ifNoneMatch, etag) {
		return fmt.Errorf("docstore: If-None-Match: %w", ErrPrecondition)
	}
	return nil
}

// usage returns the bytes stored by library id: live and deleted files and
// their old versions.
func (s *Store) usage(ctx context.Context, q querier, libID int64) (int64, error) {
	var a, b int64
	if err := q.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(size), 0) FROM docs_items WHERE library_id = ? AND is_dir = 0`), libID).Scan(&a); err != nil {
		return 0, fmt.Errorf("docstore: usage: %w", err)
	}
	if err := q.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(v.size), 0) FROM docs_versions v JOIN docs_items i ON i.id = v.item_id WHERE i.library_id = ?`), libID).Scan(&b); err != nil {
		return 0, fmt.Errorf("docstore: usage: %w", err)
	}
	return a + b, nil
}

// checkQuota refuses adding bytes beyond the library's quota.
func (s *Store) checkQuota(ctx context.Context, q querier, l libRow, adding int64) error {
	if l.quota <= 0 || adding <= 0 {
		return nil
	}
	used, err := s.usage(ctx, q, l.id)
	if err != nil {
		return err
	}
	if used+adding > l.quota {
		return fmt.Errorf("docstore: library %q: %w", l.name, ErrQuota)
	}
	return nil
}

// newToken returns a fresh lock token.
func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// runeLen is the length SQL substr counts in (characters).
func runeLen(s string) int { return len([]rune(s)) }

func (s *Store) since(t time.Time) time.Duration { return s.now().Sub(t) }

// auditRead records a read outside any transaction.
func (s *Store) auditRead(ctx context.Context, lib string, p *auth.Principal, path, detail string) error {
	if s.db.Dialect == sqldb.SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	return s.audit(ctx, s.db, lib, p, "read", path, detail)
}
