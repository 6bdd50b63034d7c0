package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kazhq/kaz/server/auth"
)

// Put's checks from memory.
//
// Put checks, before reading the body, the library and the caller's role
// in it, the parent folder, the item and its case twins, and the locks
// covering the path (putCheck: four queries). All but the item change
// only through writes other than Puts — grants, MKCOL, DELETE, MOVE, LOCK,
// kaz admin — so checkCache keeps them in memory, and Put's check reads
// only the item and its case twins (one query). A small body without
// If-Match / If-None-Match does not even need that before it is read:
// the committer reads the item in its transaction (putPre.deferred).
//
// Every entry carries the committer's epoch it was read in, and is used
// only while the epoch has not changed. The committer moves to a new
// epoch, before it counts the batch done, whenever its batch's PRAGMA
// data_version differs from the previous batch's, or is unknown (a new
// connection, a failed batch, PostgreSQL): that is, after any commit by
// any other connection, of this process or another (kaz admin). Puts, the
// only writes the committer makes, never change what is cached: they write
// files only, never folders, grants or locks.
//
// The cache never decides alone:
//   - a refusal is never taken from it: a check that fails on cached data
//     is made again from the database (putCheckFresh), so a stale entry
//     cannot refuse a Put that the database allows;
//   - an acceptance is the pre-check the committer already verifies
//     (prechecked): it trusts a pre-check only when no other connection
//     committed since batch seq, taken before the epoch was read. An entry
//     read before a commit that the committer saw by batch seq belongs to
//     an older epoch and is not used; a commit it had not seen yet
//     changes data_version after batch seq, and the committer re-checks.
//
// The cache is bounded: past its limits it is emptied, and a library with
// many locks has its locks read from the database.
type checkCache struct {
	mu    sync.Mutex
	epoch uint64            // the epoch of every entry
	libs  map[string]libRow // library and principal → library, editor or above
	dirs  map[dirKey]Item   // live folders
	locks map[int64][]Lock  // library → all its lock rows (expired included)
}

type dirKey struct {
	lib  int64
	path string
}

const (
	cacheMaxLibs  = 1024
	cacheMaxDirs  = 8192
	cacheMaxLocks = 256 // lock rows of one library
)

// at moves c to epoch e, emptied, when e is newer, and reports whether c
// is at e (c.mu held).
func (c *checkCache) at(e uint64) bool {
	if c.epoch == e {
		return true
	}
	if e < c.epoch {
		return false
	}
	c.epoch = e
	c.libs, c.dirs, c.locks = nil, nil, nil
	return true
}

func (c *checkCache) lib(e uint64, key string) (libRow, bool) {
	return cacheGet(c, e, &c.libs, key)
}

func (c *checkCache) putLib(e uint64, key string, l libRow) {
	cachePut(c, e, &c.libs, key, l, cacheMaxLibs)
}

func (c *checkCache) dir(e uint64, k dirKey) (Item, bool) {
	return cacheGet(c, e, &c.dirs, k)
}

func (c *checkCache) putDir(e uint64, k dirKey, it Item) {
	cachePut(c, e, &c.dirs, k, it, cacheMaxDirs)
}

// cacheGet reads k from one of c's maps (read under c.mu: the at and
// cachePut replace them) while c is at epoch e.
func cacheGet[K comparable, V any](c *checkCache, e uint64, m *map[K]V, k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	if c.epoch != e {
		return zero, false
	}
	v, ok := (*m)[k]
	return v, ok
}

// cachePut stores v under k in one of c's maps (read at epoch e), emptying
// the map past limit entries.
func cachePut[K comparable, V any](c *checkCache, e uint64, m *map[K]V, k K, v V, limit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at(e) {
		return
	}
	if *m == nil || len(*m) >= limit {
		*m = map[K]V{}
	}
	(*m)[k] = v
}

func (c *checkCache) libLocks(e uint64, lib int64) ([]Lock, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != e {
		return nil, false
	}
	ls, ok := c.locks[lib]
	return ls, ok
}

func (c *checkCache) putLocks(e uint64, lib int64, ls []Lock) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at(e) {
		return
	}
	if c.locks == nil || len(c.locks) >= cacheMaxLibs {
		c.locks = map[int64][]Lock{}
	}
	c.locks[lib] = ls
}

// libKey names a library as seen by a principal (its grant subjects).
func libKey(lib string, p *auth.Principal) string {
	var b strings.Builder
	b.WriteString(lib)
	b.WriteByte(0)
	b.WriteString(p.User)
	for _, g := range p.Groups {
		b.WriteByte(0)
		b.WriteString(g)
	}
	return b.String()
}

// putPre is what Put's check before the body found.
type putPre struct {
	l   libRow
	cur *Item // the current item (nil: a new file, or deferred)
	// deferred: the item and its case twins were not read (a small body
	// without conditions); the committer reads them in its transaction
	// and checks them, and the locks, against locks (the library's, from
	// the cache) — see Put.
	deferred bool
	locks    []Lock
}

// putPrecheck is Put's check before the body is read: from the cache where
// it can, from the database for what it must (see checkCache). With
// deferItem it may leave the item to the committer (putPre.deferred).
func (s *Store) putPrecheck(ctx context.Context, p *auth.Principal, lib, cp string, opts PutOptions, deferItem bool) (putPre, error) {
	pool := s.prepared(nil)
	e := s.commits.epoch.Load()
	if p != nil && p.User != "" {
		key := libKey(lib, p)
		l, ok := s.checks.lib(e, key)
		if !ok {
			var err error
			if l, _, err = s.access(ctx, pool, p, lib, RoleEditor); err != nil {
				return putPre{l: l}, err
			}
			s.checks.putLib(e, key, l)
		}
		// Deferred only when the locks let the write through whether the
		// file exists or not: a locked file is refused before its body.
		if locks, err := s.parentAndLocks(ctx, e, pool, l, cp); deferItem && err == nil &&
			evalLocks(l, p, opts.LockTokens, cp, locksFor(locks, cp, true, s.now())) == nil &&
			evalLocks(l, p, opts.LockTokens, cp, locksFor(locks, cp, false, s.now())) == nil {
			return putPre{l: l, deferred: true, locks: locks}, nil
		}
		if cur, err := s.putCheckCached(ctx, e, pool, p, l, cp, opts); err == nil {
			return putPre{l: l, cur: cur}, nil
		}
	}
	l, cur, err := s.putCheckFresh(ctx, pool, p, lib, cp, opts)
	return putPre{l: l, cur: cur}, err
}

// parentAndLocks checks from the cache (read into it when missing) that
// the parent of cp is a live folder, and returns the library's locks.
func (s *Store) parentAndLocks(ctx context.Context, e uint64, q querier, l libRow, cp string) ([]Lock, error) {
	if pp := parentOf(cp); pp != "/" {
		k := dirKey{l.id, pp}
		if _, ok := s.checks.dir(e, k); !ok {
			par, err := s.getItem(ctx, q, l, pp)
			if err != nil || !par.IsDir {
				return nil, errNotCached
			}
			s.checks.putDir(e, k, par)
		}
	}
	all, ok := s.checks.libLocks(e, l.id)
	if !ok {
		rows, err := q.QueryContext(ctx, s.q(`SELECT `+lockCols+` FROM docs_locks WHERE library_id = ? LIMIT ?`), l.id, cacheMaxLocks+1)
		if err != nil {
			return nil, err
		}
		if all, err = scanLocks(rows, l.name); err != nil {
			return nil, err
		}
		if len(all) > cacheMaxLocks {
			return nil, errNotCached
		}
		s.checks.putLocks(e, l.id, all)
	}
	return all, nil
}

// twinRead is the item, and its siblings equal up to case, a deferred
// Put reads in the committer's transaction.
type twinRead struct {
	lib     libRow
	parent  string
	nameKey string
}

// prefetchTwins reads, in one query per folder of the batch, what the
// trusted deferred Puts of live would each read alone (itemAndTwins), into
// w.twins. Read at the start of the transaction, it is what each would
// read in its turn: a trusted job's key (library, folder, name up to case)
// was written by no job before it in the batch.
func (s *Store) prefetchTwins(ctx context.Context, q querier, w *batchWrites, live []*commitJob, trust []bool) error {
	type folder struct {
		lib    int64
		parent string
	}
	groups := map[folder][]*prechecked{}
	var order []folder
	for i, j := range live {
		if !trust[i] || j.pre.twins == nil {
			continue
		}
		f := folder{j.pre.twins.lib.id, j.pre.twins.parent}
		if groups[f] == nil {
			order = append(order, f)
		}
		groups[f] = append(groups[f], j.pre)
	}
	if len(order) == 0 {
		return nil
	}
	if w.twins == nil {
		w.twins = map[string][]Item{}
	}
	for _, f := range order {
		pres := groups[f]
		byKey := make(map[string]*prechecked, len(pres))
		for _, pre := range pres {
			byKey[pre.twins.nameKey] = pre
			w.twins[pre.key] = []Item{} // read: none unless found below
		}
		libName := pres[0].twins.lib.name
		for start := 0; start < len(pres); {
			k := chunks(len(pres) - start)[0]
			args := []any{f.lib, f.parent}
			for i := range k {
				// A shorter chunk repeats its last key (IN ignores it).
				args = append(args, pres[min(start+i, len(pres)-1)].twins.nameKey)
			}
			start += k
			s.commits.stats.twinQueries.Add(1)
			rows, err := q.QueryContext(ctx, s.twinsQuery(k), args...)
			if err != nil {
				return fmt.Errorf("docstore: stat: %w", err)
			}
			its, err := scanItems(rows, libName)
			if err != nil {
				return fmt.Errorf("docstore: stat: %w", err)
			}
			for _, it := range its {
				if pre := byKey[nameKey(it.Name)]; pre != nil {
					w.twins[pre.key] = append(w.twins[pre.key], it)
				}
			}
		}
	}
	return nil
}

// twinsQuery is prefetchTwins' query for k names.
func (s *Store) twinsQuery(k int) string {
	key := "twins\x00" + strconv.Itoa(k)
	if q, ok := multiSQL.Load(key); ok {
		return q.(string)
	}
	q := s.q(`SELECT ` + itemCols + ` FROM docs_items WHERE library_id = ? AND trash = 0 AND parent = ? AND name_key IN (?` + strings.Repeat(", ?", k-1) + `)`)
	multiSQL.Store(key, q)
	return q
}

// itemAndTwinsIn is itemAndTwins from what prefetchTwins read for key, if
// it did.
func (s *Store) itemAndTwinsIn(ctx context.Context, q querier, w *batchWrites, key string, l libRow, cp string) (cur *Item, clash bool, err error) {
	its, ok := w.twins[key]
	if !ok {
		return s.itemAndTwins(ctx, q, l, cp)
	}
	delete(w.twins, key) // each job reads once
	cur, clash = twinsOf(its, baseOf(cp))
	return cur, clash, nil
}

// itemAndTwins reads, in one query, the live item at cp (nil when
// missing) and whether a sibling has its name up to case.
func (s *Store) itemAndTwins(ctx context.Context, q querier, l libRow, cp string) (cur *Item, clash bool, err error) {
	name := baseOf(cp)
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+itemCols+` FROM docs_items WHERE library_id = ? AND trash = 0 AND parent = ? AND name_key = ?`), l.id, parentOf(cp), nameKey(name))
	if err != nil {
		return nil, false, fmt.Errorf("docstore: stat %s%s: %w", l.name, cp, err)
	}
	its, err := scanItems(rows, l.name)
	if err != nil {
		return nil, false, fmt.Errorf("docstore: stat %s%s: %w", l.name, cp, err)
	}
	cur, clash = twinsOf(its, name)
	return cur, clash, nil
}

// scanItems reads and closes rows of itemCols.
func scanItems(rows *sql.Rows, lib string) ([]Item, error) {
	defer rows.Close()
	var its []Item
	for rows.Next() {
		it, err := scanItem(rows, lib)
		if err != nil {
			return nil, err
		}
		its = append(its, it)
	}
	return its, rows.Err()
}

// twinsOf splits the siblings equal up to case to name: the one named
// name exactly (nil when none), and whether another is there.
func twinsOf(its []Item, name string) (cur *Item, clash bool) {
	for i := range its {
		if its[i].Name == name {
			cur = &its[i]
		} else {
			clash = true
		}
	}
	return cur, clash
}

// putCheckFresh is Put's check from the database alone.
func (s *Store) putCheckFresh(ctx context.Context, q querier, p *auth.Principal, lib, cp string, opts PutOptions) (libRow, *Item, error) {
	l, _, err := s.access(ctx, q, p, lib, RoleEditor)
	if err != nil {
		return l, nil, err
	}
	cur, err := s.putCheck(ctx, q, p, l, cp, opts)
	return l, cur, err
}

// errNotCached: the cached check could not tell (the fresh one will).
var errNotCached = errors.New("docstore: not decided from the cache")

// putCheckCached is putCheck with the folder and the locks from the cache
// (read into it when missing) and the item and its case twins read in one
// query. Any error means "ask the database" (putCheckFresh).
func (s *Store) putCheckCached(ctx context.Context, e uint64, q querier, p *auth.Principal, l libRow, cp string, opts PutOptions) (*Item, error) {
	cur, clash, err := s.itemAndTwins(ctx, q, l, cp)
	if err != nil {
		return nil, err
	}
	if (cur != nil && cur.IsDir) || (cur == nil && clash) {
		return nil, errNotCached
	}
	if err := checkPreconditions(cur, opts.IfMatch, opts.IfNoneMatch); err != nil {
		return nil, err
	}
	all, err := s.parentAndLocks(ctx, e, q, l, cp)
	if err != nil {
		return nil, err
	}
	if len(all) > 0 {
		if err := evalLocks(l, p, opts.LockTokens, cp, locksFor(all, cp, cur == nil, s.now())); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// locksFor picks from a library's locks those checkLocks reads for a write
// of the clean path cp (not the root): alive at now, and rooted on cp, or
// on its parent when the write adds or removes cp (membership), or deep on
// an ancestor.
func locksFor(all []Lock, cp string, membership bool, now time.Time) []Lock {
	var out []Lock
	pp := parentOf(cp)
	for _, lk := range all {
		if !lk.Expires.After(now) {
			continue
		}
		if lk.Path == cp || (membership && lk.Path == pp) ||
			(lk.Depth == DepthInfinity && lk.Path != cp && within(cp, lk.Path)) {
			out = append(out, lk)
		}
	}
	return out
}
