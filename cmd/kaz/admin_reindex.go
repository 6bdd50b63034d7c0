package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/search"
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
      progress bar and the time left. The embedded index is locked by a
      running server: stop it first, or use the Reindex button of the
      search administration page.
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
	engine, cursor, _, err := server.OpenEngine(ctx, e.cfg.Search, filepath.Join(e.cfg.Server.Data, "index"), e.log)
	if err != nil {
		return fmt.Errorf("open the search index (stop the running server first): %w", err)
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
	what := "every library"
	if *library != "" {
		what = "library " + *library
	}
	fmt.Fprintf(e.stdout, "Search index rebuilt for %s: %d documents in %s.\n", what, bar.total, time.Since(start).Round(time.Millisecond))
	if _, n, err := ix.Failures(ctx, 1); err == nil && n > 0 {
		fmt.Fprintf(e.stdout, "%d documents could not be read and are findable by name only (see the search administration page).\n", n)
	}
	return nil
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
