package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/kazhq/kaz/internal/directory"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/server"
)

// adminEnv is what an admin command gets: the configuration and lazily
// opened stores. Admin commands work while the server runs (SQLite WAL).
type adminEnv struct {
	cfg    server.Config
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	db     *sqldb.DB
	dir    *directory.Directory
}

// DB opens the metadata database once.
func (e *adminEnv) DB(ctx context.Context) (*sqldb.DB, error) {
	if e.db == nil {
		db, err := sqldb.Open(ctx, e.cfg.Database.Driver, e.cfg.Database.DSN)
		if err != nil {
			return nil, err
		}
		e.db = db
	}
	return e.db, nil
}

// Dir opens the user directory once.
func (e *adminEnv) Dir(ctx context.Context) (*directory.Directory, error) {
	if e.dir == nil {
		db, err := e.DB(ctx)
		if err != nil {
			return nil, err
		}
		if e.dir, err = directory.New(ctx, db); err != nil {
			return nil, err
		}
	}
	return e.dir, nil
}

type adminTopic struct {
	summary string
	run     func(ctx context.Context, e *adminEnv, args []string) error
}

// adminTopics is filled by the admin_*.go files, one topic each.
var adminTopics = map[string]adminTopic{}

func cmdAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kaz admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs, false)
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] == "help" {
		fmt.Fprint(stdout, adminUsage())
		if len(rest) == 0 {
			return usageError("no admin topic given")
		}
		return nil
	}
	topic, ok := adminTopics[rest[0]]
	if !ok {
		fmt.Fprint(stderr, adminUsage())
		return usageError(fmt.Sprintf("unknown admin topic %q", rest[0]))
	}
	cfg, err := cf.load(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	e := &adminEnv{cfg: cfg, stdin: stdin, stdout: stdout, stderr: stderr, log: newLogger(server.LogConfig{Level: "warn"}, stderr)}
	defer func() {
		if e.db != nil {
			e.db.Close()
		}
	}()
	return topic.run(ctx, e, rest[1:])
}

func adminUsage() string {
	var b strings.Builder
	b.WriteString("Usage: kaz admin [--config FILE] [--data DIR] TOPIC COMMAND [ARGS]\n\nTopics:\n")
	names := make([]string, 0, len(adminTopics))
	for n := range adminTopics {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, adminTopics[n].summary)
	}
	return b.String()
}

// parseInterleaved parses flags that may come after positional arguments
// (kaz admin user add NAME --group G), returning the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError(err.Error())
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*m = append(*m, p)
		}
	}
	return nil
}
