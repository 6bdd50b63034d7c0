package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
)

// otherProcess runs SQL on the store's database from another connection
// pool, as kaz admin in another process would: only SQLite's data_version
// shows its commits to the store.
func otherProcess(t *testing.T, s *Store, query string, args ...any) {
	t.Helper()
	other, err := sqldb.OpenSQLite(context.Background(), s.db.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

func putString(s *Store, path, body string) error {
	_, _, err := s.Put(context.Background(), editor, "docs", path, strings.NewReader(body), PutOptions{Size: int64(len(body))})
	return err
}

// Put's checks of the library, folder and locks come from memory (checkCache)
// once warm. A change committed by another process must still refuse every
// Put after it — the first one (the committer sees data_version move) and
// the next ones (the cache's epoch ended with that batch; without the epoch
// the second Put would take the stale entry and its pre-check be trusted).
func TestPutCacheSeesAnotherProcessesCommits(t *testing.T) {
	now := time.Now().UTC()
	for _, c := range []struct {
		name   string
		change func(t *testing.T, s *Store)
		path   string
		want   error
	}{
		{"the editor's grant revoked", func(t *testing.T, s *Store) {
			otherProcess(t, s, `DELETE FROM docs_grants WHERE subject = 'group:team'`)
		}, "/d/new.txt", ErrNotFound},
		{"the library's root locked", func(t *testing.T, s *Store) {
			otherProcess(t, s, `INSERT INTO docs_locks (token, library_id, path, exclusive, deep, user_name, timeout_s, created, expires)
				SELECT 'urn:uuid:other', id, '/', 1, 1, 'alice', 60, ?, ? FROM docs_libraries WHERE name = 'docs'`,
				sqldb.FormatTime(now), sqldb.FormatTime(now.Add(time.Hour)))
		}, "/d/new.txt", ErrLocked},
		{"the folder deleted", func(t *testing.T, s *Store) {
			otherProcess(t, s, `UPDATE docs_items SET trash = 99 WHERE path = '/d'`)
		}, "/d/new.txt", ErrConflict},
		{"a case twin of the file written", func(t *testing.T, s *Store) {
			otherProcess(t, s, `INSERT INTO docs_items (library_id, trash, parent, name, path, is_dir, created, modified, name_key)
				SELECT id, 0, '/d', 'NEW.txt', '/d/NEW.txt', 0, ?, ?, ? FROM docs_libraries WHERE name = 'docs'`,
				sqldb.FormatTime(now), sqldb.FormatTime(now), nameKey("NEW.txt"))
		}, "/d/new.txt", ErrCaseClash},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newTestStore(t, DefaultConfig(), nil)
			ctx := t.Context()
			if _, err := s.Mkdir(ctx, editor, "docs", "/d", WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			// Warm: the library, /d and the locks are cached, the
			// committer knows data_version.
			for i := range 3 {
				if err := putString(s, fmt.Sprintf("/d/warm%d.txt", i), "w"); err != nil {
					t.Fatal(err)
				}
			}
			c.change(t, s)
			for i := range 3 {
				if err := putString(s, c.path, "x"); !errors.Is(err, c.want) {
					t.Fatalf("Put %d after %s = %v, want %v", i+1, c.name, err, c.want)
				}
			}
		})
	}
}

// The cache never refuses on its own: what it remembers is only a reason
// to go on, and a refusal is always the database's. A grant given and a
// lock removed by another process let the very next Put through.
func TestPutCacheNeverRefusesWhatTheDatabaseAllows(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	ctx := t.Context()
	if err := putString(s, "/a.txt", "a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Lock(ctx, owner, "docs", "/b.txt", LockRequest{Exclusive: true, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := putString(s, "/b.txt", "b"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Put on a locked file = %v", err)
	}
	otherProcess(t, s, `DELETE FROM docs_locks`)
	if err := putString(s, "/b.txt", "b"); err != nil {
		t.Fatalf("Put once the lock was removed elsewhere: %v", err)
	}
	// A principal with no grant yet.
	carol := *editor
	carol.User, carol.Groups = "carol", nil
	put := func() error {
		_, _, err := s.Put(ctx, &carol, "docs", "/c.txt", strings.NewReader("c"), PutOptions{Size: 1})
		return err
	}
	if err := put(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Put without a grant = %v", err)
	}
	otherProcess(t, s, `INSERT INTO docs_grants (library_id, subject, role) SELECT id, 'user:carol', 'editor' FROM docs_libraries WHERE name = 'docs'`)
	if err := put(); err != nil {
		t.Fatalf("Put once granted elsewhere: %v", err)
	}
}

// locksFor picks the locks the SQL of checkLocks reads.
func TestLocksForMatchesCheckLocks(t *testing.T) {
	now := time.Now()
	live, dead := now.Add(time.Minute), now.Add(-time.Second)
	all := []Lock{
		{Token: "on", Path: "/a/b/c", Expires: live},
		{Token: "parent", Path: "/a/b", Expires: live},
		{Token: "deep-anc", Path: "/a", Depth: DepthInfinity, Expires: live},
		{Token: "deep-root", Path: "/", Depth: DepthInfinity, Expires: live},
		{Token: "shallow-anc", Path: "/a", Expires: live},
		{Token: "expired", Path: "/a/b/c", Expires: dead},
		{Token: "sibling-prefix", Path: "/a/b/cd", Depth: DepthInfinity, Expires: live},
		{Token: "child", Path: "/a/b/c/d", Expires: live},
	}
	tokens := func(ls []Lock) string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Token)
		}
		return strings.Join(out, ",")
	}
	if got := tokens(locksFor(all, "/a/b/c", true, now)); got != "on,parent,deep-anc,deep-root" {
		t.Errorf("membership: %s", got)
	}
	if got := tokens(locksFor(all, "/a/b/c", false, now)); got != "on,deep-anc,deep-root" {
		t.Errorf("content only: %s", got)
	}
}

// Puts committed together write their rows with multi-row statements: each
// Put still gets its own id, its audit record and its change event, in
// order, whatever the batch.
func TestConcurrentPutsKeepTheirRows(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	ctx := t.Context()
	const writers, each = 8, 12
	type result struct {
		path    string
		id      int64
		version int64
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Half new names, half the same shared names (versions).
				path := fmt.Sprintf("/w%d-%d.txt", w, i)
				if i%2 == 1 {
					path = fmt.Sprintf("/shared%d.txt", i%3)
				}
				it, _, err := s.Put(ctx, editor, "docs", path, strings.NewReader(path), PutOptions{Size: int64(len(path))})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				results = append(results, result{path, it.ID, it.Version})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, r := range results {
		var id int64
		if err := s.db.QueryRow(`SELECT id FROM docs_items WHERE trash = 0 AND path = ?`, r.path).Scan(&id); err != nil || id != r.id || r.id == 0 {
			t.Errorf("%s: Put returned id %d, stored %d (%v)", r.path, r.id, id, err)
		}
	}
	count := func(q string) int {
		var n int
		if err := s.db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM docs_audit WHERE action = 'write'`); n != writers*each {
		t.Errorf("audit records = %d, want %d", n, writers*each)
	}
	if n := count(`SELECT COUNT(*) FROM docs_changes WHERE kind IN ('create', 'update')`); n != writers*each {
		t.Errorf("change events = %d, want %d", n, writers*each)
	}
	// Each shared file's events: one create, then updates, in the order of
	// its versions (audit details name them).
	for k := range 3 {
		path := fmt.Sprintf("/shared%d.txt", k)
		rows, err := s.db.Query(`SELECT kind FROM docs_changes WHERE path = ? ORDER BY seq`, path)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for rows.Next() {
			var kind string
			rows.Scan(&kind)
			kinds = append(kinds, kind)
		}
		rows.Close()
		if len(kinds) == 0 || kinds[0] != string(ChangeCreate) || strings.Count(strings.Join(kinds, ","), string(ChangeCreate)) != 1 {
			t.Errorf("%s: events %v", path, kinds)
		}
		var versions int
		if err := s.db.QueryRow(`SELECT version FROM docs_items WHERE trash = 0 AND path = ?`, path).Scan(&versions); err != nil {
			t.Fatal(err)
		}
		if versions != len(kinds) {
			t.Errorf("%s: version %d after %d events", path, versions, len(kinds))
		}
	}
}

// batchWrites splits rows into power-of-two statements and gives each new
// item its id.
func TestBatchWritesManyRows(t *testing.T) {
	if got := fmt.Sprint(chunks(0), chunks(1), chunks(7), chunks(64), chunks(135)); got != "[] [1] [4 2 1] [64] [64 64 4 2 1]" {
		t.Fatalf("chunks = %s", got)
	}
	s, _ := newTestStore(t, DefaultConfig(), nil)
	ctx := t.Context()
	l, _, err := s.access(ctx, s.db, editor, "docs", RoleEditor)
	if err != nil {
		t.Fatal(err)
	}
	const n = 135
	items := make([]Item, n)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		w := s.newBatchWrites()
		q := s.prepared(tx)
		for i := range n {
			cp := fmt.Sprintf("/f%03d", i)
			if err := s.writeItem(ctx, q, w, &items[i], editor, l, cp, nil, emptyHash, 0, "text/plain", time.Time{}, "write"); err != nil {
				return err
			}
		}
		return w.flush(ctx, q)
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for i, it := range items {
		var id int64
		if err := s.db.QueryRow(`SELECT id FROM docs_items WHERE path = ?`, it.Path).Scan(&id); err != nil || id != it.ID || seen[id] {
			t.Fatalf("item %d %s: id %d, stored %d (%v)", i, it.Path, it.ID, id, err)
		}
		seen[id] = true
	}
	// Audit records and change events in the order they were added.
	rows, err := s.db.Query(`SELECT path FROM docs_changes WHERE path LIKE '/f%' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var p string
		rows.Scan(&p)
		if p != items[i].Path {
			t.Fatalf("change %d is %s, want %s", i, p, items[i].Path)
		}
		i++
	}
	if i != n {
		t.Errorf("%d change events, want %d", i, n)
	}
}

// holdNextSync makes the syncer's next fsync, after a first Put, wait
// until release is closed; inSync closes when it starts waiting.
func holdNextSync(t *testing.T, s *Store) (inSync, release chan struct{}) {
	t.Helper()
	inSync, release = make(chan struct{}), make(chan struct{})
	var (
		armed atomic.Bool
		once  sync.Once
	)
	s.commits.beforeSync = func() {
		if armed.Load() {
			once.Do(func() {
				close(inSync)
				<-release
			})
		}
	}
	if err := putString(s, "/warm.txt", "w"); err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	return inSync, release
}

// batchWaitingForSync holds the syncer in the fsync of a first Put's batch
// and has a second Put commit meanwhile: from then on a batch waits for
// the syncer, and the Puts arriving gather in the open batch (hold). The
// two Puts report on errs once release is closed.
func batchWaitingForSync(t *testing.T, s *Store) (before uint64, errs chan error, release chan struct{}) {
	t.Helper()
	inSync, release := holdNextSync(t, s)
	errs = make(chan error, 16)
	go func() { errs <- putString(s, "/first.txt", "1") }()
	<-inSync // the first Put's batch committed, its fsync held
	before = s.commits.batches.Load()
	go func() { errs <- putString(s, "/second.txt", "2") }()
	// The second commits at once (the syncer is free to take it next).
	waitUntil(t, "the second batch", func() bool { return s.commits.batches.Load() == before+1 })
	return before, errs, release
}

// waitUntil waits for cond, 10 seconds at most.
// putsInOpenBatch starts n small Puts (paths from pattern and 0..n-1, their
// errors to errs) and waits until they all run in the open batch.
func putsInOpenBatch(t *testing.T, s *Store, errs chan error, pattern string, n int) {
	t.Helper()
	for i := range n {
		go func() { errs <- putString(s, fmt.Sprintf(pattern, i), "p") }()
	}
	waitUntil(t, "the Puts to run in the open batch", func() bool { return s.commits.inOpen.Load() == int64(n) })
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// While a committed batch waits for the syncer (its fsync of the batch
// before in flight), the committer lets the next Puts gather: they could
// not go with an earlier fsync anyway. They run at once in the open
// batch, which commits once, in time for the next fsync. Without the hold
// each would commit as it arrives.
func TestPutsGatherWhileTheLogSyncs(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	before, errs, release := batchWaitingForSync(t, s)
	// The next Puts run in the open batch, which waits for the syncer to
	// take the one waiting.
	const n = 5
	putsInOpenBatch(t, s, errs, "/next%d.txt", n)
	if got := s.commits.batches.Load() - before; got != 1 {
		t.Fatalf("%d batches committed while one waited for the syncer", got-1)
	}
	close(release)
	for range n + 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := s.commits.batches.Load() - before; got != 2 {
		t.Errorf("%d Puts queued behind a waiting batch went in %d batches, want 1", n, got-1)
	}
}

// A content stored as a file takes an fsync of its own: it is never
// synced while an open batch holds the write lock and the Puts in it. The
// open batch commits first, and the large Put starts the next one.
func TestLargeContentDoesNotHoldTheOpenBatch(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	before, errs, release := batchWaitingForSync(t, s)
	const n = 3
	putsInOpenBatch(t, s, errs, "/petit%d.txt", n)
	go func() { errs <- putString(s, "/grand.bin", strings.Repeat("g", smallBlobMax+1)) }()
	// The open batch ends without waiting for the held sync...
	waitUntil(t, "the open batch to commit", func() bool { return s.commits.batches.Load() == before+2 })
	// ...and the large Put runs in the next one.
	waitUntil(t, "the large Put to run", func() bool { return s.commits.inOpen.Load() == 1 })
	close(release)
	for range n + 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/petit0.txt", "/grand.bin"} {
		if _, err := s.Stat(context.Background(), editor, "docs", p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// The Puts of one batch read their items and case twins together, one
// query per folder for those that arrive together (prefetchTwins), and
// each decides as it would alone: an
// overwrite makes a version, a new name a new file, a name equal up to
// case to a sibling's and a folder's name are refused.
func TestBatchedPutsReadTheirItemsTogether(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	ctx := context.Background()
	for _, d := range []string{"/a", "/b", "/a/dossier"} {
		if _, err := s.Mkdir(ctx, editor, "docs", d, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"/a/existant.txt", "/a/Budget.odt"} {
		if err := putString(s, f, "v1"); err != nil {
			t.Fatal(err)
		}
	}
	before, errs, release := batchWaitingForSync(t, s)
	paths := []string{"/a/existant.txt", "/a/nouveau.txt", "/a/BUDGET.odt", "/a/dossier", "/b/autre.txt"}
	q0 := s.commits.stats.twinQueries.Load()
	got := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = putString(s, p, "v2") }()
	}
	for deadline := time.Now().Add(10 * time.Second); s.commits.inOpen.Load() != int64(len(paths)); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the Puts to run in the open batch")
		}
	}
	close(release)
	wg.Wait()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := s.commits.batches.Load() - before; n != 2 {
		t.Fatalf("the Puts went in %d batches, want 1", n-1)
	}
	// The Puts run in the open batch as they arrive: those arriving
	// together read theirs in one query per folder.
	if n := s.commits.stats.twinQueries.Load() - q0; n < 2 || n > int64(len(paths)) {
		t.Errorf("%d item queries for %d Puts in two folders, want 2 to %d", n, len(paths), len(paths))
	}
	for i, want := range []error{nil, nil, ErrCaseClash, ErrIsDir, nil} {
		if !errors.Is(got[i], want) || (want == nil) != (got[i] == nil) {
			t.Errorf("Put %s: %v, want %v", paths[i], got[i], want)
		}
	}
	it, err := s.Stat(ctx, editor, "docs", "/a/existant.txt")
	if err != nil || it.Version != 2 {
		t.Errorf("overwritten file: version %d (%v), want 2", it.Version, err)
	}
	if vs, err := s.Versions(ctx, editor, "docs", "/a/existant.txt"); err != nil || len(vs) != 2 {
		t.Errorf("overwritten file lists %d versions (%v), want 2 (the first and the current)", len(vs), err)
	}
	for _, p := range []string{"/a/nouveau.txt", "/b/autre.txt"} {
		if it, err := s.Stat(ctx, editor, "docs", p); err != nil || it.Version != 1 {
			t.Errorf("new file %s: %+v, %v", p, it, err)
		}
	}
	if _, err := s.Stat(ctx, editor, "docs", "/a/BUDGET.odt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("refused case twin: stat gives %v, want not found", err)
	}
}
