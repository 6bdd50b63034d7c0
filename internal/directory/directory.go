// Package directory keeps Kaz's users and groups: the accounts of the
// built-in identity provider, and the users first seen through an external
// provider (their groups then come from its groups claim).
//
// Security: a disabled user authenticates by no means at all; callers check
// User.Disabled (auth does, for sessions and app passwords).
package directory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kazhq/kaz/internal/sqldb"
)

// Errors returned by Directory.
var (
	ErrNotFound = errors.New("directory: no such user")
	ErrExists   = errors.New("directory: user already exists")
	ErrBadName  = errors.New("directory: invalid name (use letters, digits, '.', '-', '_', '@', 1 to 64 characters)")
)

// User is one account.
type User struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"display_name"`
	Email       string   `json:"email,omitempty"`
	Disabled    bool     `json:"disabled"`
	Groups      []string `json:"groups"`
	// External is true for users created from an external provider's claims.
	External bool   `json:"external"`
	Created  string `json:"created"`
}

// Group is one group with its member count.
type Group struct {
	Name    string `json:"name"`
	Members int    `json:"members"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ValidName reports whether s is an acceptable user or group name.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// Directory is the user and group store.
type Directory struct {
	db *sqldb.DB
}

var migrations = []string{
	`CREATE TABLE users (
		name TEXT PRIMARY KEY,
		display_name TEXT NOT NULL DEFAULT '',
		email TEXT NOT NULL DEFAULT '',
		disabled INTEGER NOT NULL DEFAULT 0,
		external INTEGER NOT NULL DEFAULT 0,
		created TEXT NOT NULL)`,
	`CREATE TABLE group_members (
		group_name TEXT NOT NULL,
		user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
		PRIMARY KEY (group_name, user_name))`,
	`CREATE INDEX group_members_user ON group_members(user_name)`,
}

// New opens the directory in db, creating its tables.
func New(ctx context.Context, db *sqldb.DB) (*Directory, error) {
	if err := db.Migrate(ctx, "directory", migrations); err != nil {
		return nil, err
	}
	return &Directory{db: db}, nil
}

// Add creates u. Groups are created implicitly.
func (d *Directory) Add(ctx context.Context, u User) error {
	if !ValidName(u.Name) {
		return ErrBadName
	}
	for _, g := range u.Groups {
		if !ValidName(g) {
			return fmt.Errorf("directory: group %q: %w", g, ErrBadName)
		}
	}
	if u.DisplayName == "" {
		u.DisplayName = u.Name
	}
	return d.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, d.db.Rebind(`SELECT COUNT(*) FROM users WHERE name = ?`), u.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrExists
		}
		if _, err := tx.ExecContext(ctx, d.db.Rebind(`INSERT INTO users (name, display_name, email, disabled, external, created) VALUES (?, ?, ?, ?, ?, ?)`),
			u.Name, u.DisplayName, u.Email, u.Disabled, u.External, sqldb.Now()); err != nil {
			return err
		}
		return setGroups(ctx, d.db, tx, u.Name, u.Groups)
	})
}

func setGroups(ctx context.Context, db *sqldb.DB, tx *sql.Tx, user string, groups []string) error {
	if _, err := tx.ExecContext(ctx, db.Rebind(`DELETE FROM group_members WHERE user_name = ?`), user); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, g := range groups {
		if g == "" || seen[g] {
			continue
		}
		seen[g] = true
		if _, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO group_members (group_name, user_name) VALUES (?, ?)`), g, user); err != nil {
			return err
		}
	}
	return nil
}

// SetGroups replaces the groups of user.
func (d *Directory) SetGroups(ctx context.Context, user string, groups []string) error {
	return d.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, d.db.Rebind(`SELECT COUNT(*) FROM users WHERE name = ?`), user).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		return setGroups(ctx, d.db, tx, user, groups)
	})
}

// Get returns the user called name.
func (d *Directory) Get(ctx context.Context, name string) (User, error) {
	var u User
	err := d.db.QueryRowContext(ctx, d.db.Rebind(`SELECT name, display_name, email, disabled, external, created FROM users WHERE name = ?`), name).
		Scan(&u.Name, &u.DisplayName, &u.Email, &u.Disabled, &u.External, &u.Created)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("directory: get %q: %w", name, err)
	}
	u.Groups, err = d.groupsOf(ctx, name)
	return u, err
}

func (d *Directory) groupsOf(ctx context.Context, name string) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, d.db.Rebind(`SELECT group_name FROM group_members WHERE user_name = ? ORDER BY group_name`), name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	gs := []string{}
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return gs, rows.Err()
}

// List returns every user, by name.
func (d *Directory) List(ctx context.Context) ([]User, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, display_name, email, disabled, external, created FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var us []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.Name, &u.DisplayName, &u.Email, &u.Disabled, &u.External, &u.Created); err != nil {
			rows.Close()
			return nil, err
		}
		us = append(us, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range us {
		if us[i].Groups, err = d.groupsOf(ctx, us[i].Name); err != nil {
			return nil, err
		}
	}
	return us, nil
}

// SetDisabled disables or re-enables user. Callers revoke the user's
// sessions and app passwords (auth does this through its own hook).
func (d *Directory) SetDisabled(ctx context.Context, user string, disabled bool) error {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE users SET disabled = ? WHERE name = ?`), disabled, user)
	if err != nil {
		return fmt.Errorf("directory: disable %q: %w", user, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Update changes the display name and e-mail of user.
func (d *Directory) Update(ctx context.Context, user, displayName, email string) error {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE users SET display_name = ?, email = ? WHERE name = ?`), displayName, email, user)
	if err != nil {
		return fmt.Errorf("directory: update %q: %w", user, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// EnsureExternal creates or refreshes a user seen through an external
// provider, replacing its groups with those of the claim. It returns the
// stored user; a disabled user stays disabled.
func (d *Directory) EnsureExternal(ctx context.Context, u User) (User, error) {
	if !ValidName(u.Name) {
		return User{}, ErrBadName
	}
	var groups []string
	for _, g := range u.Groups {
		g = strings.TrimPrefix(g, "/") // Keycloak's full group paths
		if ValidName(g) {
			groups = append(groups, g)
		}
	}
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, d.db.Rebind(`SELECT COUNT(*) FROM users WHERE name = ?`), u.Name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if u.DisplayName == "" {
				u.DisplayName = u.Name
			}
			if _, err := tx.ExecContext(ctx, d.db.Rebind(`INSERT INTO users (name, display_name, email, disabled, external, created) VALUES (?, ?, ?, 0, 1, ?)`),
				u.Name, u.DisplayName, u.Email, sqldb.Now()); err != nil {
				return err
			}
		} else if u.DisplayName != "" {
			if _, err := tx.ExecContext(ctx, d.db.Rebind(`UPDATE users SET display_name = ?, email = ? WHERE name = ?`), u.DisplayName, u.Email, u.Name); err != nil {
				return err
			}
		}
		return setGroups(ctx, d.db, tx, u.Name, groups)
	})
	if err != nil {
		return User{}, fmt.Errorf("directory: ensure %q: %w", u.Name, err)
	}
	return d.Get(ctx, u.Name)
}

// Groups lists every group with its member count.
func (d *Directory) Groups(ctx context.Context) ([]Group, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT group_name, COUNT(*) FROM group_members GROUP BY group_name ORDER BY group_name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gs []Group
	for rows.Next() {
		var g Group
		if err := rows.Scan(&g.Name, &g.Members); err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].Name < gs[j].Name })
	return gs, rows.Err()
}
