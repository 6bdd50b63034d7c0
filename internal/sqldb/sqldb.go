// Package sqldb opens Kaz's metadata database and runs each component's
// schema migrations. SQLite (modernc.org/sqlite, pure Go, WAL mode) is the
// embedded default; the SQL written against it stays portable (placeholders
// are written as ? and rebound per dialect) so that PostgreSQL can implement
// the same stores.
//
// Security: DSNs may hold passwords; they are never logged by this package.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names the SQL flavour behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a database handle with its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
	// Path is the SQLite database file ("" otherwise): its write-ahead
	// log is Path+"-wal".
	Path string
}

// OpenSQLite opens (creating if needed) the SQLite database at path in WAL
// mode with foreign keys on and a busy timeout, so that admin commands can
// write while the server runs.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqldb: create folder: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(15000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqldb: open %s: %w", path, err)
	}
	// SQLite has one writer; a small pool avoids SQLITE_BUSY storms while
	// still letting readers proceed under WAL.
	db.SetMaxOpenConns(8)
	// Keep them all: database/sql keeps only 2 idle connections by
	// default, so under load connections were closed and reopened (PRAGMAs
	// and every prepared statement again) — 27% of a small PUT's CPU.
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqldb: open %s: %w", path, err)
	}
	return &DB{DB: db, Dialect: SQLite, Path: path}, nil
}

// Open opens a database by driver name. "sqlite" takes a file path;
// "postgres" is reserved for the scaled-out deployment.
func Open(ctx context.Context, driver, dsn string) (*DB, error) {
	switch driver {
	case "", "sqlite":
		return OpenSQLite(ctx, dsn)
	case "postgres":
		return nil, errors.New("sqldb: the postgres driver is not built into this binary yet")
	default:
		return nil, fmt.Errorf("sqldb: unknown driver %q (want sqlite or postgres)", driver)
	}
}

// Rebind turns ? placeholders into the dialect's form ($1, $2… for
// PostgreSQL). Question marks inside single-quoted literals are kept.
func (db *DB) Rebind(q string) string {
	if db.Dialect != Postgres {
		return q
	}
	var b strings.Builder
	n, inStr := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Migrate applies, in order, the steps of component that have not been
// applied yet. Each step runs in its own transaction with its version
// record. Steps are append-only: never edit one that has shipped.
func (db *DB) Migrate(ctx context.Context, component string, steps []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("sqldb: migrations table: %w", err)
	}
	for i, step := range steps {
		v := i + 1
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, db.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE component = ? AND version = ?`), component, v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, step); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)`), component, v, time.Now().UTC().Format(time.RFC3339))
			return err
		})
		if err != nil {
			return fmt.Errorf("sqldb: migrate %s to version %d: %w", component, v, err)
		}
	}
	return nil
}

// Tx runs fn in a transaction, committing when it returns nil.
func (db *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// IsFull reports whether err says the database's disk is full: SQLite's
// SQLITE_FULL ("database or disk is full", which it also returns for
// ENOSPC), PostgreSQL's SQLSTATE 53100 (disk_full) from any driver whose
// errors tell their SQLSTATE, or ENOSPC/EDQUOT themselves.
func IsFull(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqliteFull {
		return true
	}
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) && pe.SQLState() == "53100" {
		return true
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// sqliteFull is SQLITE_FULL, the primary result code of a full disk.
const sqliteFull = 13

// Now is the time format stored in TEXT columns: RFC 3339 in UTC with
// nanoseconds, which sorts as text.
func Now() string { return FormatTime(time.Now()) }

// FormatTime formats t as stored in TEXT columns.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// ParseTime parses a time stored by FormatTime; the zero time for "".
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
