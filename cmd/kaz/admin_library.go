package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/server"
	"github.com/kazhq/kaz/server/auth"
)

const libraryUsage = `Usage:
  kaz admin library add NAME [--description D] [--owners G] [--editors G] [--readers G] [--quota SIZE] [--versions N]
  kaz admin library list
  kaz admin library grant NAME ROLE SUBJECT     ROLE is owner, editor or reader;
                                                SUBJECT is a group, group:G or user:U
  kaz admin library revoke NAME SUBJECT

--owners, --editors and --readers take groups (or user:NAME), comma-separated
or repeated. SIZE is like 500M, 10G, 1T or unlimited.
`

func init() {
	adminTopics["library"] = adminTopic{summary: "document libraries (add, list, grant, revoke)", run: runLibrary}
}

// cliPrincipal is who the admin command acts as (recorded in the audit log).
var cliPrincipal = &auth.Principal{User: "kaz-admin", DisplayName: "kaz admin (command line)", Admin: true, Method: "cli"}

func (e *adminEnv) docStore(ctx context.Context) (*docstore.Store, error) {
	db, err := e.DB(ctx)
	if err != nil {
		return nil, err
	}
	return docstore.Open(ctx, e.cfg.Docs, db, filepath.Join(e.cfg.Server.Data, "blobs"), e.log)
}

func runLibrary(ctx context.Context, e *adminEnv, args []string) error {
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(e.stdout, libraryUsage)
		if len(args) == 0 {
			return usageError("library: no command given")
		}
		return nil
	}
	fs := flag.NewFlagSet("kaz admin library "+args[0], flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var owners, editors, readers multiFlag
	fs.Var(&owners, "owners", "groups (or user:NAME) granted the owner role")
	fs.Var(&editors, "editors", "groups (or user:NAME) granted the editor role")
	fs.Var(&readers, "readers", "groups (or user:NAME) granted the reader role")
	quota := fs.String("quota", "", "quota, like 500M, 10G or unlimited (default: docs.default_quota)")
	desc := fs.String("description", "", "description shown to users")
	versions := fs.Int("versions", 0, "old versions kept per file (default: docs.max_versions)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	st, err := e.docStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	want := func(n int, what string) error {
		if len(pos) != n {
			return usageError(fmt.Sprintf("library %s: expected %s", args[0], what))
		}
		return nil
	}
	switch args[0] {
	case "add":
		if err := want(1, "NAME"); err != nil {
			return err
		}
		q, err := server.ParseSize(*quota)
		if err != nil {
			return usageError(err.Error())
		}
		spec := docstore.LibrarySpec{Name: pos[0], Description: *desc, Quota: q, MaxVersions: *versions}
		for _, g := range []struct {
			role docstore.Role
			subs []string
		}{{docstore.RoleOwner, owners}, {docstore.RoleEditor, editors}, {docstore.RoleReader, readers}} {
			for _, s := range g.subs {
				spec.Grants = append(spec.Grants, docstore.Grant{Role: g.role, Subject: s})
			}
		}
		l, err := st.CreateLibrary(ctx, cliPrincipal, spec)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Library %s added (quota %s, %d versions kept).\nWebDAV: %s/dav/%s/\n", l.Name, quotaText(l.Quota), l.MaxVersions, e.cfg.Server.PublicURL, l.Name)
		return nil
	case "list":
		if err := want(0, "no argument"); err != nil {
			return err
		}
		libs, err := st.AllLibraries(ctx, cliPrincipal)
		if err != nil {
			return err
		}
		if len(libs) == 0 {
			fmt.Fprintln(e.stdout, "No library yet: kaz admin library add NAME --owners GROUP")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tUSED\tQUOTA\tVERSIONS\tOWNERS\tEDITORS\tREADERS")
		for _, l := range libs {
			byRole := map[docstore.Role][]string{}
			for _, g := range l.Grants {
				byRole[g.Role] = append(byRole[g.Role], g.Subject)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", l.Name, sizeText(l.Used), quotaText(l.Quota), l.MaxVersions,
				listText(byRole[docstore.RoleOwner]), listText(byRole[docstore.RoleEditor]), listText(byRole[docstore.RoleReader]))
		}
		return tw.Flush()
	case "grant":
		if err := want(3, "NAME ROLE SUBJECT"); err != nil {
			return err
		}
		if err := st.Grant(ctx, cliPrincipal, pos[0], docstore.Role(pos[1]), pos[2]); err != nil {
			return err
		}
		sub, _ := docstore.ParseSubject(pos[2])
		fmt.Fprintf(e.stdout, "%s is now %s of %s.\n", sub, pos[1], pos[0])
		return nil
	case "revoke":
		if err := want(2, "NAME SUBJECT"); err != nil {
			return err
		}
		if err := st.Revoke(ctx, cliPrincipal, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Grant of %s removed from %s.\n", pos[1], pos[0])
		return nil
	}
	fmt.Fprint(e.stderr, libraryUsage)
	return usageError(fmt.Sprintf("library: unknown command %q", args[0]))
}

// quotaText formats a library quota, where 0 means no limit.
func quotaText(n int64) string {
	if n <= 0 {
		return "unlimited"
	}
	return sizeText(n)
}

// sizeText formats a byte count (usage) in the units ParseSize reads: 0 is
// "0B", never "unlimited".
func sizeText(n int64) string {
	for _, u := range []struct {
		unit string
		size int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n >= u.size {
			return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/float64(u.size)), ".0") + u.unit
		}
	}
	return fmt.Sprintf("%dB", n)
}

func listText(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}
