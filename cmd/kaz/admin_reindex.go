package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/search/bleve"
	"github.com/kazhq/kaz/server"
)

func init() {
	adminTopics["reindex"] = adminTopic{
		summary: "rebuild the search index (all libraries, or --library NAME)",
		run:     adminReindex,
	}
}

const reindexUsage = `Usage:
  kaz admin reindex [--library NAME]
      rebuild the search index from the document libraries, showing a
      progress bar and the time left. While a server runs (it holds the
      embedded index), the command asks it to rebuild and follows its
      progress; interrupting the command leaves that rebuild running.
`

// docsBlobDir is where the document store keeps contents (as the server
// wires it).
func docsBlobDir(cfg server.Config) string { return filepath.Join(cfg.Server.Data, "blobs") }

func adminReindex(ctx context.Context, e *adminEnv, args []string) error {
	fs := flag.NewFlagSet("kaz admin reindex", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	library := fs.String("library", "", "rebuild only this library")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		if pos[0] == "help" {
			fmt.Fprint(e.stdout, reindexUsage)
			return nil
		}
		fmt.Fprint(e.stderr, reindexUsage)
		return usageError(fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	db, err := e.DB(ctx)
	if err != nil {
		return err
	}
	st, err := docstore.Open(ctx, e.cfg.Docs, db, docsBlobDir(e.cfg), e.log)
	if err != nil {
		return err
	}
	defer st.Close()
	if *library != "" {
		names, err := st.LibraryNames(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, n := range names {
			found = found || n == *library
		}
		if !found {
			return fmt.Errorf("no library named %q", *library)
		}
	}
	what := "every library"
	if *library != "" {
		what = "library " + *library
	}
	engine, cursor, _, err := server.OpenEngine(ctx, e.cfg.Search, filepath.Join(e.cfg.Server.Data, "index"), e.log)
	if errors.Is(err, bleve.ErrInUse) {
		return reindexThroughServer(ctx, e, db, *library, what)
	}
	if err != nil {
		return fmt.Errorf("open the search index: %w", err)
	}
	defer engine.Close()
	ix, err := search.NewIndexer(ctx, db, engine, server.NewSearchSource(st), cursor, e.cfg.Search, e.log)
	if err != nil {
		return err
	}
	bar := newProgressBar(e.stderr, time.Now)
	start := time.Now()
	if err := ix.Reindex(ctx, *library, bar.update); err != nil {
		bar.finish()
		return err
	}
	bar.finish()
	fmt.Fprintf(e.stdout, "Search index rebuilt for %s: %d documents in %s.\n", what, bar.total, time.Since(start).Round(time.Millisecond))
	if _, n, err := ix.Failures(ctx, 1); err == nil && n > 0 {
		fmt.Fprintf(e.stdout, "%d documents could not be read and are findable by name only (see the search administration page).\n", n)
	}
	return nil
}

// reindexPoll is how often the command reads the progress of a rebuild
// the server runs for it.
var reindexPoll = 250 * time.Millisecond

// reindexThroughServer asks the running server, which holds the embedded
// index, to rebuild it (a request row in the shared database), then
// follows the progress the server records in that row. Interrupting the
// command leaves the server's rebuild running.
func reindexThroughServer(ctx context.Context, e *adminEnv, db *sqldb.DB, library, what string) error {
	if err := search.MigrateDB(ctx, db); err != nil {
		return err
	}
	id, err := search.RequestReindex(ctx, db, library, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "A running Kaz server holds the search index: it will rebuild %s (request %d).\n", what, id)
	var bar *progressBar
	waiting := false
	indexDir := filepath.Join(e.cfg.Server.Data, "index")
	if e.cfg.Search.Path != "" {
		indexDir = e.cfg.Search.Path
	}
	lastCheck := time.Now()
	t := time.NewTicker(reindexPoll)
	defer t.Stop()
	for {
		// WithoutCancel: the last read after Ctrl-C still says where the
		// rebuild stands.
		req, err := search.GetReindexRequest(context.WithoutCancel(ctx), db, id)
		if err != nil {
			if bar != nil {
				bar.finish()
			}
			return err
		}
		switch {
		case req.Pending() && !waiting:
			fmt.Fprintln(e.stderr, "Waiting for the server to start the rebuild…")
			waiting = true
		case !req.Started.IsZero():
			if bar == nil {
				bar = newProgressBar(e.stderr, time.Now)
				bar.start = req.Started
			}
			bar.update(req.Done, req.Total)
		}
		if req.Finished.IsZero() && time.Since(lastCheck) > 2*time.Second {
			// A server that stops leaves the request unanswered: say so
			// rather than wait for ever.
			lastCheck = time.Now()
			if !bleve.InUse(indexDir) {
				msg := "the server stopped before the rebuild finished; run the command again"
				if req.Pending() {
					msg = "the server stopped before it started the rebuild; run the command again"
				}
				if err := search.FinishReindexRequest(context.WithoutCancel(ctx), db, id, msg); err != nil {
					return err
				}
				continue
			}
		}
		if !req.Finished.IsZero() {
			if bar != nil {
				bar.finish()
			}
			if req.Error != "" {
				return fmt.Errorf("the server could not rebuild the search index: %s", req.Error)
			}
			fmt.Fprintf(e.stdout, "Search index rebuilt by the running server for %s: %d documents in %s.\n", what, req.Total, req.Finished.Sub(req.Started).Round(time.Millisecond))
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_failures`).Scan(&n); err == nil && n > 0 {
				fmt.Fprintf(e.stdout, "%d documents could not be read and are findable by name only (see the search administration page).\n", n)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			if bar != nil {
				bar.finish()
			}
			if req.Pending() {
				fmt.Fprintf(e.stderr, "Stopped following; the server will still rebuild the index when it is free (request %d). Follow it on the search administration page.\n", id)
			} else {
				fmt.Fprintf(e.stderr, "Stopped following; the server goes on rebuilding the index (request %d). Follow it on the search administration page.\n", id)
			}
			return errors.New("interrupted; the server's rebuild goes on")
		case <-t.C:
		}
	}
}

// progressBar draws "[#####-----]  45%  4500/10000  1200 docs/s  ETA 4s"
// on one line of w, at most every 100 ms.
type progressBar struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	mu    sync.Mutex
	last  time.Time
	done  int
	total int
	drawn bool
}

func newProgressBar(w io.Writer, now func() time.Time) *progressBar {
	return &progressBar{w: w, now: now, start: now()}
}

func (p *progressBar) update(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = done, total
	t := p.now()
	if done < total && t.Sub(p.last) < 100*time.Millisecond && p.drawn {
		return
	}
	p.last = t
	p.draw(t)
}

func (p *progressBar) draw(t time.Time) {
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = float64(p.done) / float64(p.total)
	}
	n := int(frac * width)
	elapsed := t.Sub(p.start).Seconds()
	rate, eta := 0.0, "?"
	if elapsed > 0 && p.done > 0 {
		rate = float64(p.done) / elapsed
		left := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		eta = left.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %d/%d  %.0f docs/s  ETA %s   ", strings.Repeat("#", n), strings.Repeat("-", width-n), frac*100, p.done, p.total, rate, eta)
	p.drawn = true
}

func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(p.now())
	fmt.Fprintln(p.w)
}
