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
	"github.com/kazhq/kaz/server"
	"github.com/kazhq/kaz/softphone"
)

func init() {
	adminTopics["phone"] = adminTopic{
		summary: "agents' phone accounts (extension, SIP password): set, list, remove",
		run:     adminPhone,
	}
}

const phoneUsage = `Usage:
  kaz admin phone set NAME --extension EXT [--auth-user U] [--password-stdin]
      create or change NAME's phone account; the SIP password is read from
      standard input (first line). A new account needs a password; without
      --password-stdin an existing account keeps its password.
  kaz admin phone list
  kaz admin phone remove NAME
`

func adminPhone(ctx context.Context, e *adminEnv, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(e.stdout, phoneUsage)
		if len(args) == 0 {
			return usageError("no phone command given")
		}
		return nil
	}
	store, err := openPhoneStore(ctx, e)
	if err != nil {
		return err
	}
	switch args[0] {
	case "set":
		return adminPhoneSet(ctx, e, store, args[1:])
	case "list":
		return adminPhoneList(ctx, e, store, args[1:])
	case "remove", "rm", "delete":
		return adminPhoneRemove(ctx, e, store, args[1:])
	default:
		fmt.Fprint(e.stderr, phoneUsage)
		return usageError(fmt.Sprintf("unknown phone command %q", args[0]))
	}
}

func openPhoneStore(ctx context.Context, e *adminEnv) (*softphone.Store, error) {
	db, err := e.DB(ctx)
	if err != nil {
		return nil, err
	}
	return softphone.OpenStore(ctx, db, server.PhoneKeyPath(e.cfg))
}

func adminPhoneSet(ctx context.Context, e *adminEnv, store *softphone.Store, args []string) error {
	fs := flag.NewFlagSet("kaz admin phone set", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	ext := fs.String("extension", "", "the extension (phone number at the PBX)")
	authUser := fs.String("auth-user", "", "the SIP digest user name (default: the extension)")
	pwStdin := fs.Bool("password-stdin", false, "read the SIP password from standard input")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("phone set takes exactly one user NAME")
	}
	name := pos[0]
	if !directory.ValidName(name) {
		return usageError(fmt.Sprintf("%q is not a valid user name", name))
	}
	*ext = strings.TrimSpace(*ext)
	if !server.ExtensionRE.MatchString(*ext) {
		return usageError("--extension is required: 1 to 32 digits or letters (for example 1001)")
	}
	if *authUser != "" && !server.ExtensionRE.MatchString(*authUser) {
		return usageError("--auth-user must be 1 to 32 digits or letters")
	}
	password := ""
	if *pwStdin {
		if password, err = readSecretLine(e.stdin); err != nil {
			return err
		}
		if password == "" {
			return errors.New("the password read from standard input is empty")
		}
	} else if _, err := store.Account(ctx, name); errors.Is(err, softphone.ErrNoAccount) {
		return usageError("a new phone account needs a password: pass --password-stdin and type it on standard input")
	}
	if dir, err := e.Dir(ctx); err == nil {
		if _, err := dir.Get(ctx, name); errors.Is(err, directory.ErrNotFound) {
			fmt.Fprintf(e.stderr, "warning: %s is not (yet) a Kaz user; the account is used once they sign in\n", name)
		}
	}
	if err := store.SetAccount(ctx, name, softphone.Account{Extension: *ext, AuthUser: *authUser, Password: password}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "phone account of %s set: extension %s\n", name, *ext)
	return nil
}

// readSecretLine reads the first line of r, without its line ending.
func readSecretLine(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no standard input to read the password from")
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func adminPhoneList(ctx context.Context, e *adminEnv, store *softphone.Store, args []string) error {
	if len(args) != 0 {
		return usageError("phone list takes no arguments")
	}
	accts, err := store.Accounts(ctx)
	if err != nil {
		return err
	}
	if len(accts) == 0 {
		fmt.Fprintln(e.stdout, "no phone accounts")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tEXTENSION\tAUTH USER\tPASSWORD\tUPDATED")
	for _, a := range accts {
		pw := "set"
		if !a.HasPassword {
			pw = "missing"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.User, a.Extension, a.AuthUser, pw, a.Updated.UTC().Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

func adminPhoneRemove(ctx context.Context, e *adminEnv, store *softphone.Store, args []string) error {
	if len(args) != 1 {
		return usageError("phone remove takes exactly one user NAME")
	}
	if _, err := store.Account(ctx, args[0]); errors.Is(err, softphone.ErrNoAccount) {
		return fmt.Errorf("%s has no phone account", args[0])
	} else if err != nil {
		return err
	}
	if err := store.DeleteAccount(ctx, args[0]); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "phone account of %s removed\n", args[0])
	return nil
}
