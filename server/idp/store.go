package idp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/sqldb"
)

// Errors returned by Store.
var (
	// ErrBadCredentials: wrong user name, password or code.
	ErrBadCredentials = errors.New("idp: invalid credentials")
	// ErrLocked: too many recent failures for the user or the address.
	ErrLocked = errors.New("idp: too many failed attempts")
	// ErrDisabled: the account is disabled.
	ErrDisabled = errors.New("idp: account disabled")
	// ErrNotFound: no such credential.
	ErrNotFound = errors.New("idp: not found")
	// ErrLastFactor: removing the only second factor while MFA is required.
	ErrLastFactor = errors.New("idp: the last second factor cannot be removed")
)

var migrations = []string{
	`CREATE TABLE idp_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL, created TEXT NOT NULL)`,
	`CREATE TABLE idp_clients (id TEXT PRIMARY KEY, secret TEXT NOT NULL, redirect_uris TEXT NOT NULL,
		post_logout_uris TEXT NOT NULL, backchannel_uri TEXT NOT NULL DEFAULT '', dev_mode INTEGER NOT NULL DEFAULT 0)`,
	`CREATE TABLE idp_passwords (user_name TEXT PRIMARY KEY, hash TEXT NOT NULL, updated TEXT NOT NULL)`,
	`CREATE TABLE idp_totp (user_name TEXT PRIMARY KEY, secret TEXT NOT NULL, last_step INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL)`,
	`CREATE TABLE idp_handles (user_name TEXT PRIMARY KEY, handle TEXT NOT NULL UNIQUE)`,
	`CREATE TABLE idp_webauthn (id TEXT PRIMARY KEY, user_name TEXT NOT NULL, name TEXT NOT NULL,
		credential TEXT NOT NULL, created TEXT NOT NULL, last_used TEXT NOT NULL DEFAULT '')`,
	`CREATE INDEX idp_webauthn_user ON idp_webauthn(user_name)`,
	`CREATE TABLE idp_recovery (user_name TEXT NOT NULL, hash TEXT NOT NULL, used TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (user_name, hash))`,
	`CREATE TABLE idp_failures (key TEXT NOT NULL, at TEXT NOT NULL)`,
	`CREATE INDEX idp_failures_key ON idp_failures(key, at)`,
	`CREATE TABLE idp_pending (user_name TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL, created TEXT NOT NULL,
		PRIMARY KEY (user_name, kind))`,
	`CREATE TABLE idp_auth_requests (id TEXT PRIMARY KEY, data TEXT NOT NULL, code TEXT UNIQUE, created TEXT NOT NULL)`,
	`CREATE TABLE idp_tokens (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, subject TEXT NOT NULL, sid TEXT NOT NULL DEFAULT '',
		refresh_id TEXT NOT NULL DEFAULT '', audience TEXT NOT NULL, scopes TEXT NOT NULL, expires TEXT NOT NULL)`,
	`CREATE TABLE idp_refresh_tokens (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, subject TEXT NOT NULL, sid TEXT NOT NULL,
		audience TEXT NOT NULL, scopes TEXT NOT NULL, amr TEXT NOT NULL, acr TEXT NOT NULL, auth_time TEXT NOT NULL,
		access_id TEXT NOT NULL, expires TEXT NOT NULL)`,
	`CREATE TABLE idp_sessions (sid TEXT PRIMARY KEY, user_name TEXT NOT NULL, client_id TEXT NOT NULL,
		amr TEXT NOT NULL, created TEXT NOT NULL, ended TEXT NOT NULL DEFAULT '')`,
	`CREATE INDEX idp_sessions_user ON idp_sessions(user_name)`,
}

// Store keeps the provider's credentials and protocol state in the
// metadata database. The server, the admin commands and the tests share it.
type Store struct {
	db  *sqldb.DB
	dir *directory.Directory
	cfg Config
	now func() time.Time
	hc  *http.Client
}

// OpenStore migrates the provider's tables in db and returns its store.
func OpenStore(ctx context.Context, db *sqldb.DB, dir *directory.Directory, cfg Config) (*Store, error) {
	if err := db.Migrate(ctx, "idp", migrations); err != nil {
		return nil, err
	}
	return &Store{db: db, dir: dir, cfg: cfg.withDefaults(), now: time.Now}, nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// secret returns the named persisted secret, creating it with gen once.
func (s *Store) secret(ctx context.Context, name string, gen func() (string, error)) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT value FROM idp_secrets WHERE name = ?`), name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("idp: read secret %s: %w", name, err)
	}
	nv, err := gen()
	if err != nil {
		return "", err
	}
	// Two processes may race: keep whichever was stored first.
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_secrets (name, value, created) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`), name, nv, sqldb.Now()); err != nil {
		return "", fmt.Errorf("idp: store secret %s: %w", name, err)
	}
	if err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT value FROM idp_secrets WHERE name = ?`), name).Scan(&v); err != nil {
		return "", fmt.Errorf("idp: read secret %s: %w", name, err)
	}
	return v, nil
}

// ---- users

// activeUser returns the directory user, refusing disabled ones.
func (s *Store) activeUser(ctx context.Context, name string) (directory.User, error) {
	u, err := s.dir.Get(ctx, name)
	if errors.Is(err, directory.ErrNotFound) {
		return u, ErrBadCredentials
	}
	if err != nil {
		return u, err
	}
	if u.Disabled {
		return u, ErrDisabled
	}
	return u, nil
}

// ---- passwords

// SetPassword stores an argon2id hash of password for user.
func (s *Store) SetPassword(ctx context.Context, user, password string) error {
	if err := checkPasswordPolicy(password); err != nil {
		return err
	}
	if _, err := s.dir.Get(ctx, user); err != nil {
		return err
	}
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_passwords (user_name, hash, updated) VALUES (?, ?, ?)
		ON CONFLICT (user_name) DO UPDATE SET hash = excluded.hash, updated = excluded.updated`), user, h, sqldb.Now())
	if err != nil {
		return fmt.Errorf("idp: set password of %q: %w", user, err)
	}
	return nil
}

// ErrWeakPassword: the password does not meet the policy.
var ErrWeakPassword = errors.New("idp: password too short (at least 10 characters) or too long (at most 256)")

func checkPasswordPolicy(p string) error {
	if n := len([]rune(p)); n < 10 || len(p) > 256 {
		return ErrWeakPassword
	}
	return nil
}

// dummyHash is verified when the user does not exist, so that timing does
// not reveal which user names exist.
var dummyHash, _ = hashPassword("kaz-dummy-password-for-timing")

// checkPassword verifies user's password (no lock-out logic here).
func (s *Store) checkPassword(ctx context.Context, user, password string) error {
	var h string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT hash FROM idp_passwords WHERE user_name = ?`), user).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		verifyPassword(dummyHash, password)
		return ErrBadCredentials
	}
	if err != nil {
		return fmt.Errorf("idp: read password: %w", err)
	}
	if !verifyPassword(h, password) {
		return ErrBadCredentials
	}
	return nil
}

// ---- lock-out

func (s *Store) failureKeys(user string, ip netip.Addr) []struct {
	key string
	max int
} {
	keys := []struct {
		key string
		max int
	}{}
	if user != "" {
		keys = append(keys, struct {
			key string
			max int
		}{"u:" + strings.ToLower(user), s.cfg.MaxFailures})
	}
	if ip.IsValid() {
		keys = append(keys, struct {
			key string
			max int
		}{"a:" + ip.String(), s.cfg.MaxFailuresPerAddress})
	}
	return keys
}

// Locked reports how long user (or address ip) stays locked out; 0 when
// not locked.
func (s *Store) Locked(ctx context.Context, user string, ip netip.Addr) (time.Duration, error) {
	now := s.now()
	since := sqldb.FormatTime(now.Add(-s.cfg.LockoutDuration))
	var wait time.Duration
	for _, k := range s.failureKeys(user, ip) {
		var n int
		var last sql.NullString
		if err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT COUNT(*), MAX(at) FROM idp_failures WHERE key = ? AND at > ?`), k.key, since).Scan(&n, &last); err != nil {
			return 0, fmt.Errorf("idp: read failures: %w", err)
		}
		if n >= k.max && last.Valid {
			if w := sqldb.ParseTime(last.String).Add(s.cfg.LockoutDuration).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait, nil
}

// recordFailure counts one failed attempt for user and ip.
func (s *Store) recordFailure(ctx context.Context, user string, ip netip.Addr) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_failures WHERE at < ?`), sqldb.FormatTime(now.Add(-s.cfg.LockoutDuration))); err != nil {
			return err
		}
		for _, k := range s.failureKeys(user, ip) {
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_failures (key, at) VALUES (?, ?)`), k.key, sqldb.FormatTime(now)); err != nil {
				return err
			}
		}
		return nil
	})
}

// clearFailures forgets user's failures after a complete sign-in.
func (s *Store) clearFailures(ctx context.Context, user string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_failures WHERE key = ?`), "u:"+strings.ToLower(user))
	return err
}

// LockedError carries the remaining lock-out time.
type LockedError struct{ Wait time.Duration }

func (e *LockedError) Error() string {
	return fmt.Sprintf("idp: locked out for %s", e.Wait.Round(time.Second))
}
func (e *LockedError) Unwrap() error { return ErrLocked }

// guard runs check under the lock-out rules: refused while locked, a
// failure (ErrBadCredentials) is counted.
func (s *Store) guard(ctx context.Context, user string, ip netip.Addr, check func() error) error {
	wait, err := s.Locked(ctx, user, ip)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &LockedError{Wait: wait}
	}
	err = check()
	if errors.Is(err, ErrBadCredentials) {
		if ferr := s.recordFailure(ctx, user, ip); ferr != nil {
			return ferr
		}
		if wait, lerr := s.Locked(ctx, user, ip); lerr == nil && wait > 0 {
			return &LockedError{Wait: wait}
		}
	}
	return err
}

// Authenticate checks user's password under the lock-out rules, and that
// the account is enabled.
func (s *Store) Authenticate(ctx context.Context, user, password string, ip netip.Addr) error {
	return s.guard(ctx, user, ip, func() error {
		if err := s.checkPassword(ctx, user, password); err != nil {
			return err
		}
		_, err := s.activeUser(ctx, user)
		return err
	})
}

// ---- second factors: summary

// Factors describes a user's second factors.
type Factors struct {
	TOTP         bool      `json:"totp"`
	Keys         []KeyInfo `json:"keys"`
	RecoveryLeft int       `json:"recovery_codes_left"`
	RequireMFA   bool      `json:"require_mfa"`
	TOTPCreated  string    `json:"totp_created,omitempty"`
	External     bool      `json:"external"`
	// KeysAvailable is false when security keys cannot work (Kaz reached
	// by IP address).
	KeysAvailable bool `json:"keys_available"`
}

// KeyInfo describes one security key.
type KeyInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Created  string `json:"created"`
	LastUsed string `json:"last_used,omitempty"`
}

// Has reports whether the user has any second factor.
func (f Factors) Has() bool { return f.TOTP || len(f.Keys) > 0 }

// Factors returns user's second factors.
func (s *Store) Factors(ctx context.Context, user string) (Factors, error) {
	f := Factors{Keys: []KeyInfo{}, RequireMFA: s.cfg.RequireMFA}
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT created FROM idp_totp WHERE user_name = ?`), user).Scan(&f.TOTPCreated)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("idp: read factors: %w", err)
	}
	f.TOTP = err == nil
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT id, name, created, last_used FROM idp_webauthn WHERE user_name = ? ORDER BY created`), user)
	if err != nil {
		return f, fmt.Errorf("idp: read factors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k KeyInfo
		if err := rows.Scan(&k.ID, &k.Name, &k.Created, &k.LastUsed); err != nil {
			return f, err
		}
		f.Keys = append(f.Keys, k)
	}
	if err := rows.Err(); err != nil {
		return f, err
	}
	err = s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT COUNT(*) FROM idp_recovery WHERE user_name = ? AND used = ''`), user).Scan(&f.RecoveryLeft)
	return f, err
}

// ResetMFA removes every second factor and recovery code of user: they
// enrol again at their next sign-in.
func (s *Store) ResetMFA(ctx context.Context, user string) error {
	if _, err := s.dir.Get(ctx, user); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM idp_totp WHERE user_name = ?`, `DELETE FROM idp_webauthn WHERE user_name = ?`,
			`DELETE FROM idp_recovery WHERE user_name = ?`, `DELETE FROM idp_pending WHERE user_name = ?`,
		} {
			if _, err := tx.ExecContext(ctx, s.db.Rebind(q), user); err != nil {
				return err
			}
		}
		return nil
	})
}

// ---- pending enrolments (account page)

func (s *Store) setPending(ctx context.Context, user, kind string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_pending (user_name, kind, data, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_name, kind) DO UPDATE SET data = excluded.data, created = excluded.created`), user, kind, string(b), sqldb.Now())
	return err
}

// takePending reads and deletes a pending enrolment younger than 10 minutes.
func (s *Store) takePending(ctx context.Context, user, kind string, v any) error {
	var data, created string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT data, created FROM idp_pending WHERE user_name = ? AND kind = ?`), user, kind).Scan(&data, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_pending WHERE user_name = ? AND kind = ?`), user, kind); err != nil {
		return err
	}
	if s.now().Sub(sqldb.ParseTime(created)) > 10*time.Minute {
		return ErrNotFound
	}
	return json.Unmarshal([]byte(data), v)
}

// peekPending reads a pending enrolment without deleting it.
func (s *Store) peekPending(ctx context.Context, user, kind string, v any) error {
	var data, created string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT data, created FROM idp_pending WHERE user_name = ? AND kind = ?`), user, kind).Scan(&data, &created)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && s.now().Sub(sqldb.ParseTime(created)) > 10*time.Minute) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(data), v)
}

// ---- WebAuthn credentials

// waUser adapts a directory user to webauthn.User.
type waUser struct {
	name, display string
	handle        []byte
	creds         []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.handle }
func (u *waUser) WebAuthnName() string                       { return u.name }
func (u *waUser) WebAuthnDisplayName() string                { return u.display }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (s *Store) webauthnUser(ctx context.Context, name string) (*waUser, error) {
	u, err := s.dir.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	handle, err := s.userHandle(ctx, name)
	if err != nil {
		return nil, err
	}
	wu := &waUser{name: u.Name, display: u.DisplayName, handle: handle}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT credential FROM idp_webauthn WHERE user_name = ? ORDER BY created`), name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, fmt.Errorf("idp: decode credential: %w", err)
		}
		wu.creds = append(wu.creds, c)
	}
	return wu, rows.Err()
}

func (s *Store) userHandle(ctx context.Context, name string) ([]byte, error) {
	var h string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT handle FROM idp_handles WHERE user_name = ?`), name).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		h = randomToken(32)
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_handles (user_name, handle) VALUES (?, ?) ON CONFLICT (user_name) DO NOTHING`), name, h); err != nil {
			return nil, err
		}
		err = s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT handle FROM idp_handles WHERE user_name = ?`), name).Scan(&h)
	}
	if err != nil {
		return nil, fmt.Errorf("idp: user handle: %w", err)
	}
	return base64.RawURLEncoding.DecodeString(h)
}

func credID(c *webauthn.Credential) string { return base64.RawURLEncoding.EncodeToString(c.ID) }

func (s *Store) addKey(ctx context.Context, user, name string, c *webauthn.Credential) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Clé de sécurité"
	}
	if len([]rune(name)) > 64 {
		name = string([]rune(name)[:64])
	}
	_, err = s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_webauthn (id, user_name, name, credential, created) VALUES (?, ?, ?, ?, ?)`),
		credID(c), user, name, string(b), sqldb.Now())
	if err != nil {
		return fmt.Errorf("idp: add security key: %w", err)
	}
	return nil
}

// keyUsed updates the stored credential (sign count, flags) after a login.
func (s *Store) keyUsed(ctx context.Context, user string, c *webauthn.Credential) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.db.Rebind(`UPDATE idp_webauthn SET credential = ?, last_used = ? WHERE id = ? AND user_name = ?`),
		string(b), sqldb.Now(), credID(c), user)
	return err
}

// RemoveKey deletes one of user's security keys.
func (s *Store) RemoveKey(ctx context.Context, user, id string) error {
	return s.removeFactor(ctx, user, `DELETE FROM idp_webauthn WHERE user_name = ? AND id = ?`, user, id)
}

// RemoveTOTP deletes user's authenticator app.
func (s *Store) RemoveTOTP(ctx context.Context, user string) error {
	return s.removeFactor(ctx, user, `DELETE FROM idp_totp WHERE user_name = ?`, user)
}

func (s *Store) removeFactor(ctx context.Context, user, q string, args ...any) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.db.Rebind(q), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		var left int
		if err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT (SELECT COUNT(*) FROM idp_totp WHERE user_name = ?) + (SELECT COUNT(*) FROM idp_webauthn WHERE user_name = ?)`), user, user).Scan(&left); err != nil {
			return err
		}
		if left == 0 && s.cfg.RequireMFA {
			return ErrLastFactor
		}
		if left == 0 {
			_, err = tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_recovery WHERE user_name = ?`), user)
		}
		return err
	})
}

func constantEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
