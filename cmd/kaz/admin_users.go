package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/server/auth"
	"github.com/kazhq/kaz/server/idp"
)

const userUsage = `Usage:
  kaz admin user add NAME [--group G]... [--email E] [--display-name D] --password-stdin
  kaz admin user list
  kaz admin user disable NAME      sign NAME out everywhere and refuse every sign-in
  kaz admin user enable NAME
  kaz admin user reset-mfa NAME    remove NAME's second factors (they enrol again at next sign-in)
  kaz admin user passwd NAME --password-stdin
`

const groupUsage = `Usage:
  kaz admin group list
`

func init() {
	adminTopics["user"] = adminTopic{summary: "accounts of the built-in provider (add, list, disable, reset-mfa…)", run: runUser}
	adminTopics["group"] = adminTopic{summary: "groups (list)", run: runGroup}
}

// readPassword reads one line from r (the rest is ignored).
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on standard input (echo 'the password' | kaz admin user … --password-stdin)")
	}
	return pw, nil
}

func runUser(ctx context.Context, e *adminEnv, args []string) error {
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(e.stdout, userUsage)
		if len(args) == 0 {
			return usageError("user: no command given")
		}
		return nil
	}
	fs := flag.NewFlagSet("kaz admin user "+args[0], flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var groups multiFlag
	fs.Var(&groups, "group", "group of the user (repeat for several)")
	email := fs.String("email", "", "e-mail address")
	display := fs.String("display-name", "", "name shown in the interface (default: NAME)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	dir, err := e.Dir(ctx)
	if err != nil {
		return err
	}
	db, err := e.DB(ctx)
	if err != nil {
		return err
	}
	store, err := idp.OpenStore(ctx, db, dir, e.cfg.IDP)
	if err != nil {
		return err
	}
	needName := func() (string, error) {
		if len(pos) != 1 {
			fmt.Fprint(e.stderr, userUsage)
			return "", usageError(fmt.Sprintf("user %s: give exactly one user name", args[0]))
		}
		return pos[0], nil
	}
	known := func(name string, err error) error {
		if errors.Is(err, directory.ErrNotFound) {
			return fmt.Errorf("no user %q (kaz admin user list)", name)
		}
		return err
	}
	switch args[0] {
	case "add":
		name, err := needName()
		if err != nil {
			return err
		}
		if !*pwStdin {
			return usageError("user add: give the password on standard input with --password-stdin")
		}
		pw, err := readPassword(e.stdin)
		if err != nil {
			return err
		}
		if err := idpPasswordOK(pw); err != nil {
			return err
		}
		err = dir.Add(ctx, directory.User{Name: name, DisplayName: *display, Email: *email, Groups: groups})
		switch {
		case errors.Is(err, directory.ErrExists):
			return fmt.Errorf("user %q already exists", name)
		case errors.Is(err, directory.ErrBadName):
			return fmt.Errorf("%q: a name uses letters, digits, '.', '-', '_' or '@' (1 to 64 characters)", name)
		case err != nil:
			return err
		}
		if err := store.SetPassword(ctx, name, pw); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "User %s added. At first sign-in they enrol a second factor.\n", name)
		return nil
	case "passwd":
		name, err := needName()
		if err != nil {
			return err
		}
		if !*pwStdin {
			return usageError("user passwd: give the password on standard input with --password-stdin")
		}
		pw, err := readPassword(e.stdin)
		if err != nil {
			return err
		}
		if err := idpPasswordOK(pw); err != nil {
			return err
		}
		if err := store.SetPassword(ctx, name, pw); err != nil {
			return known(name, err)
		}
		fmt.Fprintf(e.stdout, "Password of %s changed.\n", name)
		return nil
	case "list":
		users, err := dir.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tDISPLAY NAME\tE-MAIL\tGROUPS\tSTATUS\tSECOND FACTORS")
		for _, u := range users {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			f, err := store.Factors(ctx, u.Name)
			if err != nil {
				return err
			}
			var fs []string
			if f.TOTP {
				fs = append(fs, "app")
			}
			if n := len(f.Keys); n > 0 {
				fs = append(fs, fmt.Sprintf("%d key(s)", n))
			}
			if u.External {
				fs = []string{"(external provider)"}
			} else if len(fs) == 0 {
				fs = []string{"none yet"}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.DisplayName, dash(u.Email), dash(strings.Join(u.Groups, ",")), status, strings.Join(fs, ", "))
		}
		return tw.Flush()
	case "disable":
		name, err := needName()
		if err != nil {
			return err
		}
		if err := dir.SetDisabled(ctx, name, true); err != nil {
			return known(name, err)
		}
		if err := auth.RevokeUser(ctx, db, name); err != nil {
			return fmt.Errorf("user %s is disabled, but ending their sessions failed: %w", name, err)
		}
		n, err := store.LogoutUser(ctx, nil, strings.TrimRight(e.cfg.Server.PublicURL, "/")+"/idp", name)
		if err != nil {
			return fmt.Errorf("user %s is disabled, but ending their provider sessions failed: %w", name, err)
		}
		fmt.Fprintf(e.stdout, "User %s disabled: sessions, app passwords and %d provider session(s) ended.\n", name, n)
		return nil
	case "enable":
		name, err := needName()
		if err != nil {
			return err
		}
		if err := dir.SetDisabled(ctx, name, false); err != nil {
			return known(name, err)
		}
		fmt.Fprintf(e.stdout, "User %s enabled.\n", name)
		return nil
	case "reset-mfa":
		name, err := needName()
		if err != nil {
			return err
		}
		if err := store.ResetMFA(ctx, name); err != nil {
			return known(name, err)
		}
		if _, err := store.LogoutUser(ctx, nil, strings.TrimRight(e.cfg.Server.PublicURL, "/")+"/idp", name); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Second factors of %s removed: they enrol a new one at their next sign-in.\n", name)
		return nil
	default:
		fmt.Fprint(e.stderr, userUsage)
		return usageError(fmt.Sprintf("user: unknown command %q", args[0]))
	}
}

func idpPasswordOK(pw string) error {
	if n := len([]rune(pw)); n < 10 || len(pw) > 256 {
		return errors.New("the password must have at least 10 characters (and at most 256)")
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runGroup(ctx context.Context, e *adminEnv, args []string) error {
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(e.stdout, groupUsage)
		if len(args) == 0 {
			return usageError("group: no command given")
		}
		return nil
	}
	if args[0] != "list" || len(args) > 1 {
		fmt.Fprint(e.stderr, groupUsage)
		return usageError(fmt.Sprintf("group: unknown command %q", strings.Join(args, " ")))
	}
	dir, err := e.Dir(ctx)
	if err != nil {
		return err
	}
	gs, err := dir.Groups(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tMEMBERS")
	for _, g := range gs {
		fmt.Fprintf(tw, "%s\t%d\n", g.Name, g.Members)
	}
	return tw.Flush()
}
