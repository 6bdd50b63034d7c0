package softphone

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
)

// ErrNoAccount is returned when a user has no phone account.
var ErrNoAccount = errors.New("softphone: no phone account")

// Account is an agent's SIP account at the PBX. Password is only filled by
// SetAccount's callers; Account and Accounts never return it.
type Account struct {
	User      string `json:"user"`
	Extension string `json:"extension"`
	// AuthUser is the digest user name; defaults to Extension.
	AuthUser string `json:"auth_user"`
	Password string `json:"-"`
	// HasPassword reports whether a password is stored.
	HasPassword bool      `json:"has_password"`
	Updated     time.Time `json:"updated"`
}

var migrations = []string{
	`CREATE TABLE phone_accounts (
		user TEXT PRIMARY KEY,
		extension TEXT NOT NULL,
		auth_user TEXT NOT NULL,
		password_enc TEXT NOT NULL,
		updated TEXT NOT NULL
	)`,
	`CREATE TABLE phone_calls (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		user TEXT NOT NULL,
		call_id TEXT NOT NULL,
		direction TEXT NOT NULL,
		number TEXT NOT NULL,
		name TEXT NOT NULL,
		started TEXT NOT NULL,
		duration_ms INTEGER NOT NULL,
		outcome TEXT NOT NULL,
		missed INTEGER NOT NULL,
		seen INTEGER NOT NULL DEFAULT 0
	)`,
	`CREATE INDEX phone_calls_user ON phone_calls (user, started)`,
}

// Store keeps phone accounts (passwords encrypted with AES-256-GCM) and
// call history.
type Store struct {
	db   *sqldb.DB
	aead cipher.AEAD
}

// OpenStore migrates the softphone tables and loads (creating it 0600 on
// first use) the key that encrypts passwords at rest.
func OpenStore(ctx context.Context, db *sqldb.DB, keyPath string) (*Store, error) {
	if err := db.Migrate(ctx, "softphone", migrations); err != nil {
		return nil, err
	}
	key, err := loadKey(keyPath)
	if err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("softphone: key: %w", err)
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, fmt.Errorf("softphone: key: %w", err)
	}
	return &Store{db: db, aead: aead}, nil
}

func loadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("softphone: key folder: %w", err)
		}
		enc := base64.StdEncoding.EncodeToString(key) + "\n"
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return loadKey(path) // another process created it first
		}
		if err != nil {
			return nil, fmt.Errorf("softphone: create key: %w", err)
		}
		if _, err := f.WriteString(enc); err != nil {
			f.Close()
			return nil, fmt.Errorf("softphone: write key: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
		return key, f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("softphone: read key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("softphone: key file %s is not 32 bytes of base64", path)
	}
	return key, nil
}

func (s *Store) seal(user, plain string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	// The user is bound as additional data: a row's ciphertext cannot be
	// moved to another user.
	ct := s.aead.Seal(nonce, nonce, []byte(plain), []byte(user))
	return base64.StdEncoding.EncodeToString(ct), nil
}

func (s *Store) open(user, enc string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("softphone: stored password is damaged")
	}
	n := s.aead.NonceSize()
	pt, err := s.aead.Open(nil, b[:n], b[n:], []byte(user))
	if err != nil {
		return "", errors.New("softphone: stored password cannot be decrypted (wrong key file?)")
	}
	return string(pt), nil
}

// SetAccount creates or replaces user's account. An empty Password keeps
// the stored one (when there is one).
func (s *Store) SetAccount(ctx context.Context, user string, a Account) error {
	if user == "" || a.Extension == "" {
		return errors.New("softphone: user and extension are required")
	}
	if a.AuthUser == "" {
		a.AuthUser = a.Extension
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		enc := ""
		if a.Password != "" {
			var err error
			if enc, err = s.seal(user, a.Password); err != nil {
				return err
			}
		} else {
			err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT password_enc FROM phone_accounts WHERE user = ?`), user).Scan(&enc)
			if errors.Is(err, sql.ErrNoRows) {
				return errors.New("softphone: a password is required for a new account")
			}
			if err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO phone_accounts (user, extension, auth_user, password_enc, updated) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user) DO UPDATE SET extension = excluded.extension, auth_user = excluded.auth_user, password_enc = excluded.password_enc, updated = excluded.updated`),
			user, a.Extension, a.AuthUser, enc, sqldb.Now())
		return err
	})
}

// Account returns user's account without its password.
func (s *Store) Account(ctx context.Context, user string) (Account, error) {
	a, err := s.accountWithSecret(ctx, user)
	a.Password = ""
	return a, err
}

// accountWithSecret returns the account with its decrypted password, for
// the SIP client only.
func (s *Store) accountWithSecret(ctx context.Context, user string) (Account, error) {
	var a Account
	var enc, upd string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT user, extension, auth_user, password_enc, updated FROM phone_accounts WHERE user = ?`), user).
		Scan(&a.User, &a.Extension, &a.AuthUser, &enc, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrNoAccount
	}
	if err != nil {
		return Account{}, fmt.Errorf("softphone: read account: %w", err)
	}
	a.Updated = sqldb.ParseTime(upd)
	a.HasPassword = enc != ""
	if a.Password, err = s.open(user, enc); err != nil {
		return a, err
	}
	return a, nil
}

// DeleteAccount removes user's account (a missing one is not an error).
func (s *Store) DeleteAccount(ctx context.Context, user string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM phone_accounts WHERE user = ?`), user)
	return err
}

// Accounts lists every account, without passwords, by user.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user, extension, auth_user, password_enc <> '', updated FROM phone_accounts ORDER BY user`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		var upd string
		if err := rows.Scan(&a.User, &a.Extension, &a.AuthUser, &a.HasPassword, &upd); err != nil {
			return nil, err
		}
		a.Updated = sqldb.ParseTime(upd)
		out = append(out, a)
	}
	return out, rows.Err()
}

// CallRecord is one line of an agent's call history.
type CallRecord struct {
	CallID    string        `json:"call_id"`
	Direction string        `json:"direction"` // "in" or "out"
	Number    string        `json:"number"`
	Name      string        `json:"name"`
	Started   time.Time     `json:"started"`
	Duration  time.Duration `json:"duration_ns"`
	Seconds   int64         `json:"duration"`
	// Outcome is "answered", "missed", "declined", "busy", "unreachable",
	// "rejected", "no-answer", "cancelled", "failed" or "echo".
	Outcome string `json:"outcome"`
	Missed  bool   `json:"missed"`
}

func (s *Store) addCall(ctx context.Context, user string, r CallRecord) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO phone_calls (user, call_id, direction, number, name, started, duration_ms, outcome, missed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		user, r.CallID, r.Direction, r.Number, r.Name, sqldb.FormatTime(r.Started), r.Duration.Milliseconds(), r.Outcome, r.Missed)
	return err
}

// History returns user's latest calls, newest first.
func (s *Store) History(ctx context.Context, user string, limit int) ([]CallRecord, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT call_id, direction, number, name, started, duration_ms, outcome, missed FROM phone_calls WHERE user = ? ORDER BY started DESC, id DESC LIMIT ?`), user, limit)
	if err != nil {
		return nil, fmt.Errorf("softphone: history: %w", err)
	}
	defer rows.Close()
	out := []CallRecord{}
	for rows.Next() {
		var r CallRecord
		var st string
		var ms int64
		if err := rows.Scan(&r.CallID, &r.Direction, &r.Number, &r.Name, &st, &ms, &r.Outcome, &r.Missed); err != nil {
			return nil, err
		}
		r.Started = sqldb.ParseTime(st)
		r.Duration = time.Duration(ms) * time.Millisecond
		r.Seconds = ms / 1000
		out = append(out, r)
	}
	return out, rows.Err()
}

// MissedCount returns how many missed calls user has not seen yet.
func (s *Store) MissedCount(ctx context.Context, user string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT COUNT(*) FROM phone_calls WHERE user = ? AND missed = 1 AND seen = 0`), user).Scan(&n)
	return n, err
}

// MarkSeen clears user's missed-call badge.
func (s *Store) MarkSeen(ctx context.Context, user string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE phone_calls SET seen = 1 WHERE user = ? AND seen = 0`), user)
	return err
}
