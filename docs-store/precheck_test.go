package docstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
)

// Put checks before queueing and the committer trusts those checks only
// when nothing was committed since (prechecked). Each case commits a
// change between the checks and the commit: the Put must see it.
func TestPutRechecksWhatChangedAfterItsChecks(t *testing.T) {
	for _, c := range []struct {
		name    string
		between func(t *testing.T, s *Store)
		want    error
	}{
		{"a lock taken by someone else", func(t *testing.T, s *Store) {
			if _, _, err := s.Lock(context.Background(), owner, "docs", "/a.txt", LockRequest{Exclusive: true, Timeout: time.Minute}); err != nil {
				t.Fatal(err)
			}
		}, ErrLocked},
		{"the editor's grant revoked", func(t *testing.T, s *Store) {
			if err := s.Revoke(context.Background(), admin, "docs", "group:team"); err != nil {
				t.Fatal(err)
			}
		}, ErrNotFound},
		{"a lock written by another process (kaz admin)", func(t *testing.T, s *Store) {
			// Another connection pool on the same file, as a second
			// process would have: only SQLite's data_version shows it.
			other, err := sqldb.OpenSQLite(context.Background(), s.db.Path)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			now := time.Now().UTC()
			if _, err := other.Exec(`INSERT INTO docs_locks (token, library_id, path, exclusive, deep, user_name, timeout_s, created, expires)
				SELECT 'urn:uuid:other', id, '/a.txt', 1, 0, 'alice', 60, ?, ? FROM docs_libraries WHERE name = 'docs'`,
				sqldb.FormatTime(now), sqldb.FormatTime(now.Add(time.Minute))); err != nil {
				t.Fatal(err)
			}
		}, ErrLocked},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newTestStore(t, DefaultConfig(), nil)
			ctx := t.Context()
			// A first Put so that the committer has a connection and a
			// data_version to compare with.
			if _, _, err := s.Put(ctx, editor, "docs", "/a.txt", strings.NewReader("v1"), PutOptions{Size: 2}); err != nil {
				t.Fatal(err)
			}
			s.afterPrecheck = func() { c.between(t, s) }
			_, _, err := s.Put(ctx, editor, "docs", "/a.txt", strings.NewReader("v2"), PutOptions{Size: 2})
			s.afterPrecheck = nil
			if !errors.Is(err, c.want) {
				t.Fatalf("Put after %s = %v, want %v", c.name, err, c.want)
			}
			if got := readFileAs(t, s, owner, "/a.txt"); got != "v1" {
				t.Errorf("content = %q, want v1", got)
			}
		})
	}
}

// TestPutTrustsItsChecksWhenNothingChanged: consecutive Puts with no
// other write in between take the fast path (no re-check in the commit).
func TestPutTrustsItsChecksWhenNothingChanged(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	ctx := t.Context()
	for i := range 4 {
		if _, _, err := s.Put(ctx, editor, "docs", "/b.txt", strings.NewReader("x"), PutOptions{Size: 1}); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	// The first Put opens the committer's connection (no data_version
	// known yet); the following ones are trusted.
	if got := s.commits.trusted.Load(); got < 2 {
		t.Errorf("trusted pre-checks = %d of 4 quiet Puts, want at least 2", got)
	}
	before := s.commits.trusted.Load()
	if _, err := s.Mkdir(ctx, editor, "docs", "/d", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, editor, "docs", "/b.txt", strings.NewReader("z"), PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	if s.commits.trusted.Load() != before {
		t.Error("a Put after another write (Mkdir) trusted its pre-check")
	}
}

// TestPutPrecheckSpansOtherPuts: a Put of another name committed between
// a Put's checks and its commit leaves its checks trusted; a Put of the
// same name (here, another case of it) forces the re-check, which refuses.
func TestPutPrecheckSpansOtherPuts(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	ctx := t.Context()
	put := func(path, body string) error {
		_, _, err := s.Put(ctx, editor, "docs", path, strings.NewReader(body), PutOptions{Size: int64(len(body))})
		return err
	}
	for _, p := range []string{"/warm1", "/warm2"} {
		if err := put(p, "w"); err != nil {
			t.Fatal(err)
		}
	}
	between := func(path string) func() {
		return func() {
			s.afterPrecheck = nil
			if err := put(path, "other"); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := s.commits.trusted.Load()
	s.afterPrecheck = between("/autre.txt")
	if err := put("/rapport.txt", "r"); err != nil {
		t.Fatalf("Put with another name committed in between: %v", err)
	}
	if got := s.commits.trusted.Load() - before; got != 2 {
		t.Errorf("trusted pre-checks = %d, want 2 (both Puts)", got)
	}
	s.afterPrecheck = between("/NOTE.txt")
	if err := put("/note.txt", "n"); !errors.Is(err, ErrCaseClash) {
		t.Fatalf("Put after its case twin was committed in between = %v, want ErrCaseClash", err)
	}
	if got := readFileAs(t, s, owner, "/NOTE.txt"); got != "other" {
		t.Errorf("/NOTE.txt = %q", got)
	}
}

// TestBatchWithoutSavepoints: a job refused by its checks drops out alone;
// a job failing after it wrote gives the batch up, and each job then runs
// alone, so that only the failing one loses its writes.
func TestBatchWithoutSavepoints(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	ctx := t.Context()
	if _, err := s.db.Exec(`CREATE TABLE t_jobs (name TEXT)`); err != nil {
		t.Fatal(err)
	}
	job := func(name string, fail error, beforeWrite bool) *commitJob {
		return &commitJob{ctx: ctx, done: make(chan struct{}), fn: func(ctx context.Context, tx *sql.Tx, _ *batchWrites, _ bool) error {
			if fail != nil && beforeWrite {
				return refused(fail)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO t_jobs (name) VALUES (?)`, name); err != nil {
				return err
			}
			return fail
		}}
	}
	errBoom, errNo := errors.New("boom"), errors.New("no")
	batch := []*commitJob{job("ok1", nil, false), job("refused", errNo, true), job("broken", errBoom, false), job("ok2", nil, false)}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	check := func(committed []*commitJob) {
		t.Helper()
		if len(committed) != 2 || !errors.Is(batch[1].err, errNo) || !errors.Is(batch[2].err, errBoom) {
			t.Fatalf("committed %d; errors %v, %v", len(committed), batch[1].err, batch[2].err)
		}
		var names []string
		rows, err := s.db.Query(`SELECT name FROM t_jobs ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, n)
		}
		rows.Close()
		if strings.Join(names, ",") != "ok1,ok2" {
			t.Errorf("rows = %v, want ok1,ok2", names)
		}
	}
	check(s.commits.commit(ctx, conn, batch))

	// The same when the jobs join an open batch at different times: the
	// failing one gives up the whole batch, the earlier steps included,
	// and each job then runs alone.
	if _, err := s.db.Exec(`DELETE FROM t_jobs`); err != nil {
		t.Fatal(err)
	}
	batch = []*commitJob{job("ok1", nil, false), job("refused", errNo, true), job("broken", errBoom, false), job("ok2", nil, false)}
	ob := s.commits.begin(ctx, conn)
	s.commits.step(ctx, ob, batch[:1])
	s.commits.step(ctx, ob, batch[1:])
	check(s.commits.end(ctx, conn, ob))
}
