package idp

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"math/big"
	"net/netip"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/skip2/go-qrcode"

	"github.com/kazhq/kaz/internal/sqldb"
)

const totpPeriod = 30

// TOTPEnrolment is a new, not yet confirmed authenticator-app secret.
type TOTPEnrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
	// QR is a data: URL of a PNG QR code of URL.
	QR string `json:"qr"`
}

// newTOTP generates a secret for user (RFC 6238: SHA-1, 6 digits, 30 s,
// which every authenticator app supports).
func newTOTP(user string) (TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: "Kaz", AccountName: user, Period: totpPeriod, SecretSize: 20,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("idp: generate totp: %w", err)
	}
	return enrolmentFor(key.Secret(), key.URL())
}

func enrolmentFor(secret, url string) (TOTPEnrolment, error) {
	qr, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("idp: qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, qr.Image(256)); err != nil {
		return TOTPEnrolment{}, fmt.Errorf("idp: qr code: %w", err)
	}
	return TOTPEnrolment{Secret: secret, URL: url, QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// normalizeCode keeps the digits of a typed code ("123 456" → "123456").
func normalizeCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if r != ' ' && r != '-' && r != '\u00a0' {
			return ""
		}
	}
	return b.String()
}

// matchStep returns the time step (±1 for clock skew) whose code equals
// code, or 0.
func matchStep(secret, code string, now time.Time) int64 {
	code = normalizeCode(code)
	if len(code) != 6 {
		return 0
	}
	cur := now.Unix() / totpPeriod
	var found int64
	for _, step := range []int64{cur - 1, cur, cur + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		if err == nil && constantEqual(want, code) {
			found = step
		}
	}
	return found
}

// confirmTOTP stores secret for user once code proves the app has it.
func (s *Store) confirmTOTP(ctx context.Context, user, secret, code string) error {
	step := matchStep(secret, code, s.now())
	if step == 0 {
		return ErrBadCredentials
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_totp (user_name, secret, last_step, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_name) DO UPDATE SET secret = excluded.secret, last_step = excluded.last_step, created = excluded.created`),
		user, secret, step, sqldb.Now())
	if err != nil {
		return fmt.Errorf("idp: store totp: %w", err)
	}
	return nil
}

// SetTOTP stores secret as user's authenticator app without a code (admin
// and test use).
func (s *Store) SetTOTP(ctx context.Context, user, secret string) error {
	if _, err := s.dir.Get(ctx, user); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_totp (user_name, secret, last_step, created) VALUES (?, ?, 0, ?)
		ON CONFLICT (user_name) DO UPDATE SET secret = excluded.secret, last_step = 0, created = excluded.created`), user, secret, sqldb.Now())
	return err
}

// LastTOTPStep returns the last accepted time step of user (codes of that
// step or earlier are refused: RFC 6238 §5.2, no replay).
func (s *Store) LastTOTPStep(ctx context.Context, user string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT last_step FROM idp_totp WHERE user_name = ?`), user).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return n, err
}

// verifyTOTP checks code for user, refusing a code already used.
func (s *Store) verifyTOTP(ctx context.Context, user, code string) error {
	var secret string
	var last int64
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT secret, last_step FROM idp_totp WHERE user_name = ?`), user).Scan(&secret, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrBadCredentials
	}
	if err != nil {
		return fmt.Errorf("idp: read totp: %w", err)
	}
	step := matchStep(secret, code, s.now())
	if step == 0 || step <= last {
		return ErrBadCredentials
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE idp_totp SET last_step = ? WHERE user_name = ? AND last_step < ?`), step, user, step)
	if err != nil {
		return fmt.Errorf("idp: update totp: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrBadCredentials // raced with another use of the same code
	}
	return nil
}

// VerifyTOTP checks a code for user under the lock-out rules.
func (s *Store) VerifyTOTP(ctx context.Context, user, code string, ip netip.Addr) error {
	return s.guard(ctx, user, ip, func() error { return s.verifyTOTP(ctx, user, code) })
}

// ---- recovery codes

const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// normalizeRecovery lower-cases a typed recovery code and drops spaces and
// dashes.
func normalizeRecovery(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == ' ' || r == '-' || r == '\u00a0':
		case strings.ContainsRune(recoveryAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	return b.String()
}

// NewRecoveryCodes replaces user's recovery codes with 10 fresh ones
// (about 49 bits each), returned once; only their hashes are stored.
func (s *Store) NewRecoveryCodes(ctx context.Context, user string) ([]string, error) {
	codes := make([]string, 10)
	for i := range codes {
		var b strings.Builder
		for j := 0; j < 10; j++ {
			if j == 5 {
				b.WriteByte('-')
			}
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(recoveryAlphabet))))
			if err != nil {
				return nil, err
			}
			b.WriteByte(recoveryAlphabet[n.Int64()])
		}
		codes[i] = b.String()
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM idp_recovery WHERE user_name = ?`), user); err != nil {
			return err
		}
		for _, c := range codes {
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO idp_recovery (user_name, hash) VALUES (?, ?)`), user, sha256Hex(normalizeRecovery(c))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("idp: store recovery codes: %w", err)
	}
	return codes, nil
}

// UseRecoveryCode consumes one recovery code of user (single use), under
// the lock-out rules.
func (s *Store) UseRecoveryCode(ctx context.Context, user, code string, ip netip.Addr) error {
	return s.guard(ctx, user, ip, func() error {
		c := normalizeRecovery(code)
		if len(c) != 10 {
			return ErrBadCredentials
		}
		res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE idp_recovery SET used = ? WHERE user_name = ? AND hash = ? AND used = ''`), sqldb.Now(), user, sha256Hex(c))
		if err != nil {
			return fmt.Errorf("idp: use recovery code: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrBadCredentials
		}
		return nil
	})
}
