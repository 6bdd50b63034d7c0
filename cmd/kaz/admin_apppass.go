package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/server/auth"
)

const apppassUsage = `Usage:
  kaz admin apppass add NAME --label LABEL   print a new app password (only it, on stdout)
  kaz admin apppass list NAME                list NAME's app passwords
  kaz admin apppass revoke NAME LABEL        revoke NAME's app password LABEL
`

func init() {
	adminTopics["apppass"] = adminTopic{
		summary: "app passwords (device passwords for WebDAV, office suites, rclone)",
		run:     runApppass,
	}
}

func runApppass(ctx context.Context, e *adminEnv, args []string) error {
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(e.stdout, apppassUsage)
		if len(args) == 0 {
			return usageError("apppass: no command given")
		}
		return nil
	}
	fs := flag.NewFlagSet("kaz admin apppass "+args[0], flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	label := fs.String("label", "", "label of the new app password (for example \"rclone laptop\")")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	dir, err := e.Dir(ctx)
	if err != nil {
		return err
	}
	db, _ := e.DB(ctx)
	store, err := auth.OpenStore(ctx, db)
	if err != nil {
		return err
	}
	user := func() (directory.User, error) {
		u, err := dir.Get(ctx, pos[0])
		if errors.Is(err, directory.ErrNotFound) {
			return u, fmt.Errorf("apppass: no user %q (kaz admin user list)", pos[0])
		}
		return u, err
	}
	switch args[0] {
	case "add":
		if len(pos) != 1 || *label == "" {
			fmt.Fprint(e.stderr, apppassUsage)
			return usageError("apppass add: NAME and --label LABEL are required")
		}
		u, err := user()
		if err != nil {
			return err
		}
		if u.Disabled {
			return fmt.Errorf("apppass: user %q is disabled", u.Name)
		}
		_, secret, err := store.CreateAppPassword(ctx, u.Name, *label, "", "")
		switch {
		case errors.Is(err, auth.ErrBadLabel):
			return usageError("apppass add: the label must have 1 to 64 printable characters")
		case errors.Is(err, auth.ErrLabelTaken):
			return fmt.Errorf("apppass: %s already has an app password labelled %q (revoke it first)", u.Name, *label)
		case err != nil:
			return err
		}
		fmt.Fprintln(e.stdout, secret)
		return nil
	case "list":
		if len(pos) != 1 {
			fmt.Fprint(e.stderr, apppassUsage)
			return usageError("apppass list: NAME is required")
		}
		u, err := user()
		if err != nil {
			return err
		}
		aps, err := store.AppPasswords(ctx, u.Name)
		if err != nil {
			return err
		}
		if len(aps) == 0 {
			fmt.Fprintf(e.stdout, "%s has no app passwords\n", u.Name)
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LABEL\tCREATED\tLAST USED")
		for _, ap := range aps {
			used := "never"
			if !ap.LastUsed.IsZero() {
				used = ap.LastUsed.Local().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", ap.Label, ap.Created.Local().Format(time.DateTime), used)
		}
		return tw.Flush()
	case "revoke":
		if len(pos) != 2 {
			fmt.Fprint(e.stderr, apppassUsage)
			return usageError("apppass revoke: NAME and LABEL are required")
		}
		u, err := user()
		if err != nil {
			return err
		}
		if err := store.RevokeAppPasswordLabel(ctx, u.Name, pos[1]); errors.Is(err, auth.ErrNotFound) {
			return fmt.Errorf("apppass: %s has no app password labelled %q", u.Name, pos[1])
		} else if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "app password %q of %s revoked\n", pos[1], u.Name)
		return nil
	}
	fmt.Fprint(e.stderr, apppassUsage)
	return usageError(fmt.Sprintf("apppass: unknown command %q", args[0]))
}
