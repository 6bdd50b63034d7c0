package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kazhq/kaz/internal/sqldb"
)

// migrations of component "auth". Append only.
var migrations = []string{
	`CREATE TABLE auth_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	`CREATE TABLE auth_sessions (
		id_hash TEXT PRIMARY KEY,
		user_name TEXT NOT NULL,
		created TEXT NOT NULL,
		last_seen TEXT NOT NULL,
		expires TEXT NOT NULL,
		csrf TEXT NOT NULL,
		method TEXT NOT NULL DEFAULT 'session',
		amr TEXT NOT NULL DEFAULT '[]',
		issuer TEXT NOT NULL DEFAULT '',
		subject TEXT NOT NULL DEFAULT '',
		sid TEXT NOT NULL DEFAULT '',
		id_token TEXT NOT NULL DEFAULT '',
		refresh_token TEXT NOT NULL DEFAULT '',
		token_expiry TEXT NOT NULL DEFAULT '')`,
	`CREATE INDEX auth_sessions_user ON auth_sessions(user_name)`,
	`CREATE INDEX auth_sessions_sub ON auth_sessions(issuer, subject)`,
	`CREATE TABLE auth_app_passwords (
		id TEXT PRIMARY KEY,
		user_name TEXT NOT NULL,
		label TEXT NOT NULL,
		hash TEXT NOT NULL UNIQUE,
		created TEXT NOT NULL,
		last_used TEXT NOT NULL DEFAULT '',
		revoked TEXT NOT NULL DEFAULT '',
		session_hash TEXT NOT NULL DEFAULT '',
		session_sid TEXT NOT NULL DEFAULT '')`,
	`CREATE INDEX auth_app_passwords_user ON auth_app_passwords(user_name)`,
	`CREATE TABLE auth_logout_jti (
		issuer TEXT NOT NULL,
		jti TEXT NOT NULL,
		expires TEXT NOT NULL,
		PRIMARY KEY (issuer, jti))`,
	`CREATE TABLE auth_flows (
		state_hash TEXT PRIMARY KEY,
		nonce TEXT NOT NULL,
		verifier TEXT NOT NULL,
		return_to TEXT NOT NULL,
		kind TEXT NOT NULL,
		created TEXT NOT NULL)`,
	`CREATE TABLE auth_identities (
		issuer TEXT NOT NULL,
		subject TEXT NOT NULL,
		user_name TEXT NOT NULL,
		created TEXT NOT NULL,
		PRIMARY KEY (issuer, subject))`,
	`CREATE UNIQUE INDEX auth_identities_user ON auth_identities(issuer, user_name)`,
}

// Migrate creates or upgrades the tables of sign-in in db.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return db.Migrate(ctx, "auth", migrations)
}

// Store keeps sessions, app passwords and seen logout tokens in the
// metadata database, so that they survive a restart and admin commands see
// them. Secrets are stored only as keyed hashes; provider tokens kept for
// refresh and sign-out are encrypted with a key held in the database.
type Store struct {
	db   *sqldb.DB
	key  []byte // server secret: HMAC key for stored hashes
	aead cipher.AEAD
	now  func() time.Time
}

// OpenStore migrates db and loads (creating on first use) the server
// secret.
func OpenStore(ctx context.Context, db *sqldb.DB) (*Store, error) {
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	key, err := serverSecret(ctx, db)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(derive(key, "token-encryption"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Store{db: db, key: key, aead: aead, now: time.Now}, nil
}

func serverSecret(ctx context.Context, db *sqldb.DB) ([]byte, error) {
	var v string
	err := db.QueryRowContext(ctx, db.Rebind(`SELECT value FROM auth_keys WHERE name = ?`), "secret").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		fresh := hex.EncodeToString(randomBytes(32))
		// Two processes may race (server and admin command): keep the first.
		if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO auth_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`), "secret", fresh); err != nil {
			return nil, fmt.Errorf("auth: store secret: %w", err)
		}
		err = db.QueryRowContext(ctx, db.Rebind(`SELECT value FROM auth_keys WHERE name = ?`), "secret").Scan(&v)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: load secret: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 32 {
		return nil, errors.New("auth: stored secret is corrupt")
	}
	return key, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return b
}

func derive(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// hash is the keyed hash under which a secret is stored.
func (s *Store) hash(kind, secret string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Store) seal(plain string) string {
	if plain == "" {
		return ""
	}
	nonce := randomBytes(s.aead.NonceSize())
	return base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), nil))
}

func (s *Store) open(sealed string) string {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return ""
	}
	p, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], nil)
	if err != nil {
		return ""
	}
	return string(p)
}

// Session is one server-side sign-in session.
type Session struct {
	IDHash       string
	Method       string // "session", or "ofba" for an Office sign-in
	User         string
	Created      time.Time
	LastSeen     time.Time
	Expires      time.Time // absolute end
	CSRF         string
	AMR          []string
	Issuer       string
	Subject      string
	SID          string // the provider's session id, for back-channel logout
	IDToken      string
	RefreshToken string
	TokenExpiry  time.Time
}

// sessionTokenPrefix starts every session cookie value.
const sessionTokenPrefix = "s1."

// parseSessionToken checks the shape of a session cookie value: the prefix
// and 32 random bytes in unpadded base64url.
func parseSessionToken(v string) (string, bool) {
	if len(v) != len(sessionTokenPrefix)+43 || !strings.HasPrefix(v, sessionTokenPrefix) {
		return "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(v[len(sessionTokenPrefix):])
	if err != nil || len(b) != 32 {
		return "", false
	}
	return v, true
}

// CreateSession stores a new session for sess.User and returns the cookie
// value, which is not stored (only its hash is).
func (s *Store) CreateSession(ctx context.Context, sess *Session, maxAge time.Duration) (string, error) {
	token := sessionTokenPrefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
	now := s.now()
	sess.IDHash = s.hash("session", token)
	sess.Created, sess.LastSeen, sess.Expires = now, now, now.Add(maxAge)
	sess.CSRF = base64.RawURLEncoding.EncodeToString(randomBytes(24))
	if sess.Method == "" {
		sess.Method = "session"
	}
	amr, _ := json.Marshal(nonNil(sess.AMR))
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO auth_sessions
		(id_hash, user_name, created, last_seen, expires, csrf, method, amr, issuer, subject, sid, id_token, refresh_token, token_expiry)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		sess.IDHash, sess.User, sqldb.FormatTime(now), sqldb.FormatTime(now), sqldb.FormatTime(sess.Expires), sess.CSRF, sess.Method, string(amr),
		sess.Issuer, sess.Subject, sess.SID, s.seal(sess.IDToken), s.seal(sess.RefreshToken), formatOptTime(sess.TokenExpiry))
	if err != nil {
		return "", fmt.Errorf("auth: create session: %w", err)
	}
	return token, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func formatOptTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return sqldb.FormatTime(t)
}

// Session returns the live session of cookie value token, ending it when
// idle for longer than idle or past its absolute end. It records use at
// most once a minute.
func (s *Store) Session(ctx context.Context, token string, idle time.Duration) (*Session, error) {
	if _, ok := parseSessionToken(token); !ok {
		return nil, ErrBadCredentials
	}
	h := s.hash("session", token)
	var sess Session
	var created, lastSeen, expires, amr, idt, rt, texp string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT id_hash, user_name, created, last_seen, expires, csrf, method, amr, issuer, subject, sid, id_token, refresh_token, token_expiry
		FROM auth_sessions WHERE id_hash = ?`), h).
		Scan(&sess.IDHash, &sess.User, &created, &lastSeen, &expires, &sess.CSRF, &sess.Method, &amr, &sess.Issuer, &sess.Subject, &sess.SID, &idt, &rt, &texp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read session: %w", err)
	}
	sess.Created, sess.LastSeen, sess.Expires = sqldb.ParseTime(created), sqldb.ParseTime(lastSeen), sqldb.ParseTime(expires)
	sess.TokenExpiry = sqldb.ParseTime(texp)
	sess.IDToken, sess.RefreshToken = s.open(idt), s.open(rt)
	_ = json.Unmarshal([]byte(amr), &sess.AMR)
	now := s.now()
	if !now.Before(sess.Expires) || (idle > 0 && now.Sub(sess.LastSeen) > idle) {
		_ = s.DeleteSession(ctx, h)
		return nil, ErrBadCredentials
	}
	if now.Sub(sess.LastSeen) > time.Minute {
		sess.LastSeen = now
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE auth_sessions SET last_seen = ? WHERE id_hash = ?`), sqldb.FormatTime(now), h); err != nil {
			return nil, fmt.Errorf("auth: touch session: %w", err)
		}
	}
	return &sess, nil
}

// UpdateTokens stores the provider tokens of a refreshed session.
func (s *Store) UpdateTokens(ctx context.Context, idHash, idToken, refreshToken string, expiry time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE auth_sessions SET id_token = ?, refresh_token = ?, token_expiry = ? WHERE id_hash = ?`),
		s.seal(idToken), s.seal(refreshToken), formatOptTime(expiry), idHash)
	if err != nil {
		return fmt.Errorf("auth: update session tokens: %w", err)
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM auth_sessions WHERE id_hash = ?`), idHash); err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}

// EndProviderSessions ends the sessions of issuer matching the back-channel
// logout's sid and/or sub (both must match when both are given), and, when
// revokeAppPasswords is set, the app passwords created from them. It
// returns how many sessions ended.
func (s *Store) EndProviderSessions(ctx context.Context, issuer, sub, sid string, revokeAppPasswords bool) (int, error) {
	if sub == "" && sid == "" {
		return 0, errors.New("auth: logout names neither sid nor sub")
	}
	where, args := `issuer = ?`, []any{issuer}
	if sub != "" {
		where += ` AND subject = ?`
		args = append(args, sub)
	}
	if sid != "" {
		where += ` AND sid = ?`
		args = append(args, sid)
	}
	n := 0
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.db.Rebind(`SELECT id_hash, sid FROM auth_sessions WHERE `+where), args...)
		if err != nil {
			return err
		}
		type ended struct{ hash, sid string }
		var es []ended
		for rows.Next() {
			var e ended
			if err := rows.Scan(&e.hash, &e.sid); err != nil {
				rows.Close()
				return err
			}
			es = append(es, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := sqldb.FormatTime(s.now())
		for _, e := range es {
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM auth_sessions WHERE id_hash = ?`), e.hash); err != nil {
				return err
			}
			if revokeAppPasswords {
				if _, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE auth_app_passwords SET revoked = ? WHERE revoked = '' AND (session_hash = ? OR (session_sid <> '' AND session_sid = ?))`), now, e.hash, e.sid); err != nil {
					return err
				}
			}
		}
		if revokeAppPasswords && sid != "" {
			// Also the app passwords of this provider session whose Kaz session
			// already ended by timeout.
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE auth_app_passwords SET revoked = ? WHERE revoked = '' AND session_sid = ?`), now, sid); err != nil {
				return err
			}
		}
		n = len(es)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("auth: end provider sessions: %w", err)
	}
	return n, nil
}

// SeenLogoutToken records the jti of a logout token of issuer and reports
// whether it had already been seen (a replay). Records are kept until exp.
func (s *Store) SeenLogoutToken(ctx context.Context, issuer, jti string, exp time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO auth_logout_jti (issuer, jti, expires) VALUES (?, ?, ?) ON CONFLICT (issuer, jti) DO NOTHING`),
		issuer, jti, sqldb.FormatTime(exp))
	if err != nil {
		return false, fmt.Errorf("auth: record logout token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 0, nil
}

// ErrIdentityTaken: the user name is already bound to another subject of
// the same provider.
var ErrIdentityTaken = errors.New("auth: user name bound to another identity")

// BindIdentity ties the provider identity (issuer, subject) to a Kaz user
// name at its first sign-in and returns the bound name afterwards, so that
// a user name claim that changes, or that another account of the provider
// takes, never moves an identity onto someone else's account.
func (s *Store) BindIdentity(ctx context.Context, issuer, subject, name string) (string, error) {
	var bound string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT user_name FROM auth_identities WHERE issuer = ? AND subject = ?`), issuer, subject).Scan(&bound)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT COUNT(*) FROM auth_identities WHERE issuer = ? AND user_name = ?`), issuer, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrIdentityTaken
		}
		bound = name
		_, err = tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO auth_identities (issuer, subject, user_name, created) VALUES (?, ?, ?, ?)`), issuer, subject, name, sqldb.Now())
		return err
	})
	if errors.Is(err, ErrIdentityTaken) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("auth: bind identity: %w", err)
	}
	return bound, nil
}

// IdentityUser returns the Kaz user bound to (issuer, subject), or
// ErrNotFound when that identity never signed in.
func (s *Store) IdentityUser(ctx context.Context, issuer, subject string) (string, error) {
	var name string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT user_name FROM auth_identities WHERE issuer = ? AND subject = ?`), issuer, subject).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("auth: identity: %w", err)
	}
	return name, nil
}

// flow is one sign-in in progress, between /auth/login and the callback.
type flow struct {
	Nonce, Verifier, ReturnTo, Kind string
	Created                         time.Time
}

// flowLifetime bounds the time between /auth/login and the callback.
const flowLifetime = 15 * time.Minute

// saveFlow stores f under the hash of its state.
func (s *Store) saveFlow(ctx context.Context, state string, f flow) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO auth_flows (state_hash, nonce, verifier, return_to, kind, created) VALUES (?, ?, ?, ?, ?, ?)`),
		s.hash("state", state), f.Nonce, s.seal(f.Verifier), f.ReturnTo, f.Kind, sqldb.FormatTime(s.now()))
	if err != nil {
		return fmt.Errorf("auth: save sign-in flow: %w", err)
	}
	return nil
}

// takeFlow returns and deletes the flow of state: a state is usable once.
func (s *Store) takeFlow(ctx context.Context, state string) (flow, bool, error) {
	h := s.hash("state", state)
	var f flow
	var created, verifier string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT nonce, verifier, return_to, kind, created FROM auth_flows WHERE state_hash = ?`), h).
		Scan(&f.Nonce, &verifier, &f.ReturnTo, &f.Kind, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return flow{}, false, nil
	}
	if err != nil {
		return flow{}, false, fmt.Errorf("auth: read sign-in flow: %w", err)
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM auth_flows WHERE state_hash = ?`), h)
	if err != nil {
		return flow{}, false, fmt.Errorf("auth: delete sign-in flow: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return flow{}, false, nil // used concurrently
	}
	f.Verifier, f.Created = s.open(verifier), sqldb.ParseTime(created)
	if s.now().Sub(f.Created) > flowLifetime {
		return flow{}, false, nil
	}
	return f, true, nil
}

// Cleanup deletes ended sessions and expired logout-token records.
func (s *Store) Cleanup(ctx context.Context, idle time.Duration) error {
	now := s.now()
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM auth_sessions WHERE expires <= ? OR last_seen < ?`),
		sqldb.FormatTime(now), sqldb.FormatTime(now.Add(-idle)))
	if err != nil {
		return fmt.Errorf("auth: clean sessions: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM auth_flows WHERE created < ?`), sqldb.FormatTime(now.Add(-flowLifetime))); err != nil {
		return fmt.Errorf("auth: clean sign-in flows: %w", err)
	}
	// A logout token's record must outlive its expiry plus clock skew.
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM auth_logout_jti WHERE expires < ?`), sqldb.FormatTime(now.Add(-time.Hour))); err != nil {
		return fmt.Errorf("auth: clean logout tokens: %w", err)
	}
	return nil
}

// EndSessions ends every browser session of user (their password was
// replaced); app passwords stay valid.
func EndSessions(ctx context.Context, db *sqldb.DB, user string) error {
	if err := Migrate(ctx, db); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, db.Rebind(`DELETE FROM auth_sessions WHERE user_name = ?`), user); err != nil {
		return fmt.Errorf("auth: end sessions of %q: %w", user, err)
	}
	return nil
}

// RevokeUser ends every session and revokes every app password of user
// (called when the user is disabled).
func RevokeUser(ctx context.Context, db *sqldb.DB, user string) error {
	if err := Migrate(ctx, db); err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.Rebind(`DELETE FROM auth_sessions WHERE user_name = ?`), user); err != nil {
			return fmt.Errorf("auth: revoke sessions of %q: %w", user, err)
		}
		if _, err := tx.ExecContext(ctx, db.Rebind(`UPDATE auth_app_passwords SET revoked = ? WHERE user_name = ? AND revoked = ''`), sqldb.Now(), user); err != nil {
			return fmt.Errorf("auth: revoke app passwords of %q: %w", user, err)
		}
		return nil
	})
}

// AppPassword is one device password, without its secret.
type AppPassword struct {
	ID       string    `json:"id"`
	User     string    `json:"-"`
	Label    string    `json:"label"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used,omitzero"`
	// FromSession is true when it was created from a web session (and may
	// be revoked with it).
	FromSession bool `json:"from_session"`
}

// Errors of app passwords.
var (
	ErrLabelTaken = errors.New("auth: an app password with this label already exists")
	ErrBadLabel   = errors.New("auth: label must be 1 to 64 printable characters")
	ErrNotFound   = errors.New("auth: no such app password")
)

// appPasswordAlphabet avoids characters that clients mangle in Basic
// credentials or that look alike.
var appPasswordEncoding = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// newAppPassword returns 150 random bits as six groups of five characters.
func newAppPassword() string {
	s := appPasswordEncoding.EncodeToString(randomBytes(19))[:30]
	var b strings.Builder
	for i := 0; i < 30; i += 5 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i : i+5])
	}
	return b.String()
}

// ValidLabel reports whether label is acceptable for an app password.
func ValidLabel(label string) bool {
	if label == "" || len(label) > 64 {
		return false
	}
	for _, r := range label {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return strings.TrimSpace(label) == label
}

// CreateAppPassword makes a new app password for user and returns it with
// its secret, which is not stored (only its keyed hash is). sessionHash and
// sid tie it to the session it was created from ("" for none).
func (s *Store) CreateAppPassword(ctx context.Context, user, label, sessionHash, sid string) (AppPassword, string, error) {
	if !ValidLabel(label) {
		return AppPassword{}, "", ErrBadLabel
	}
	secret := newAppPassword()
	ap := AppPassword{ID: hex.EncodeToString(randomBytes(8)), User: user, Label: label, Created: s.now().UTC().Truncate(time.Second), FromSession: sessionHash != ""}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT COUNT(*) FROM auth_app_passwords WHERE user_name = ? AND label = ? AND revoked = ''`), user, label).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrLabelTaken
		}
		_, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO auth_app_passwords (id, user_name, label, hash, created, session_hash, session_sid) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			ap.ID, user, label, s.hash("apppassword", secret), sqldb.FormatTime(ap.Created), sessionHash, sid)
		return err
	})
	if errors.Is(err, ErrLabelTaken) {
		return AppPassword{}, "", err
	}
	if err != nil {
		return AppPassword{}, "", fmt.Errorf("auth: create app password: %w", err)
	}
	return ap, secret, nil
}

// AppPasswords lists the live app passwords of user, newest first.
func (s *Store) AppPasswords(ctx context.Context, user string) ([]AppPassword, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT id, label, created, last_used, session_hash FROM auth_app_passwords WHERE user_name = ? AND revoked = '' ORDER BY created DESC, label`), user)
	if err != nil {
		return nil, fmt.Errorf("auth: list app passwords: %w", err)
	}
	defer rows.Close()
	aps := []AppPassword{}
	for rows.Next() {
		var ap AppPassword
		var created, used, sh string
		if err := rows.Scan(&ap.ID, &ap.Label, &created, &used, &sh); err != nil {
			return nil, err
		}
		ap.User, ap.Created, ap.LastUsed, ap.FromSession = user, sqldb.ParseTime(created), sqldb.ParseTime(used), sh != ""
		aps = append(aps, ap)
	}
	return aps, rows.Err()
}

// RevokeAppPassword revokes the app password id of user.
func (s *Store) RevokeAppPassword(ctx context.Context, user, id string) error {
	return s.revoke(ctx, `id = ?`, user, id)
}

// RevokeAppPasswordLabel revokes the live app password of user labelled label.
func (s *Store) RevokeAppPasswordLabel(ctx context.Context, user, label string) error {
	return s.revoke(ctx, `label = ?`, user, label)
}

func (s *Store) revoke(ctx context.Context, cond, user, v string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE auth_app_passwords SET revoked = ? WHERE user_name = ? AND revoked = '' AND `+cond), sqldb.Now(), user, v)
	if err != nil {
		return fmt.Errorf("auth: revoke app password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// VerifyAppPassword checks secret for user and records its use (at most
// once a minute). It returns ErrBadCredentials when it does not match a
// live app password of user.
func (s *Store) VerifyAppPassword(ctx context.Context, user, secret string) (AppPassword, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" || len(secret) > 128 {
		return AppPassword{}, ErrBadCredentials
	}
	var ap AppPassword
	var owner, created, used, sh string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT id, user_name, label, created, last_used, session_hash FROM auth_app_passwords WHERE hash = ? AND revoked = ''`),
		s.hash("apppassword", secret)).Scan(&ap.ID, &owner, &ap.Label, &created, &used, &sh)
	if errors.Is(err, sql.ErrNoRows) {
		return AppPassword{}, ErrBadCredentials
	}
	if err != nil {
		return AppPassword{}, fmt.Errorf("auth: verify app password: %w", err)
	}
	if !hmac.Equal([]byte(owner), []byte(user)) {
		return AppPassword{}, ErrBadCredentials
	}
	ap.User, ap.Created, ap.LastUsed, ap.FromSession = owner, sqldb.ParseTime(created), sqldb.ParseTime(used), sh != ""
	now := s.now()
	if now.Sub(ap.LastUsed) > time.Minute {
		ap.LastUsed = now
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE auth_app_passwords SET last_used = ? WHERE id = ?`), sqldb.FormatTime(now), ap.ID); err != nil {
			return AppPassword{}, fmt.Errorf("auth: record app password use: %w", err)
		}
	}
	return ap, nil
}
