package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/sqldb"
	"github.com/kazhq/kaz/search"
	"github.com/kazhq/kaz/search/bleve"
	"github.com/kazhq/kaz/search/meili"
	"github.com/kazhq/kaz/server/auth"
)

// docStore returns the document store wired by wire_docs.go, or nil.
func (s *Server) docStore() *docstore.Store { return s.docsp.Store() }

// searchPart is the search engine, its indexer and what the API needs.
type searchPart struct {
	engine search.Index
	ix     *search.Indexer
	// libraries returns the libraries p may read (security trimming).
	libraries func(ctx context.Context, p *auth.Principal) ([]string, error)

	mu       sync.Mutex
	reindex  *reindexState
	reindexW sync.WaitGroup
	// bg is the context of background reindexes, cancelled on Close.
	bg       context.Context
	bgCancel context.CancelFunc
}

// reindexState is the progress of a reindex started from the admin page.
type reindexState struct {
	Library string `json:"library,omitempty"`
	Done    int    `json:"done"`
	Total   int    `json:"total"`
	Running bool   `json:"running"`
	// By is who asked: "admin page" or "cli".
	By    string `json:"requested_by,omitempty"`
	Error string `json:"error,omitempty"`
}

// docSource adapts docstore to search.Source (search does not import
// docstore).
type docSource struct{ st *docstore.Store }

func (d docSource) Changes(ctx context.Context, after int64, limit int) ([]search.Change, error) {
	cs, err := d.st.Changes(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]search.Change, len(cs))
	for i, c := range cs {
		out[i] = search.Change{Seq: c.Seq, Time: c.Time, Kind: search.ChangeKind(c.Kind), Library: c.Library,
			Path: c.Path, OldPath: c.OldPath, IsDir: c.IsDir}
	}
	return out, nil
}

func searchItem(it docstore.Item) search.Item {
	return search.Item{Library: it.Library, Path: it.Path, Name: it.Name, IsDir: it.IsDir, Size: it.Size,
		ContentType: it.ContentType, Modified: it.Modified, ModifiedBy: it.ModifiedBy, CreatedBy: it.CreatedBy, Hidden: it.Hidden}
}

func notFound(err error) error {
	if errors.Is(err, docstore.ErrNotFound) {
		return fmt.Errorf("%w: %w", search.ErrNotFound, err)
	}
	return err
}

func (d docSource) Open(ctx context.Context, lib, path string) (io.ReadCloser, search.Item, error) {
	rc, it, err := d.st.OpenSystem(ctx, lib, path)
	if err != nil {
		return nil, searchItem(it), notFound(err)
	}
	return rc, searchItem(it), nil
}

func (d docSource) Walk(ctx context.Context, lib, path string, fn func(search.Item) error) error {
	return notFound(d.st.Walk(ctx, lib, path, func(it docstore.Item) error { return fn(searchItem(it)) }))
}

func (d docSource) LibraryNames(ctx context.Context) ([]string, error) { return d.st.LibraryNames(ctx) }

// NewSearchSource adapts a docstore to the search indexer (used by the
// admin reindex command).
func NewSearchSource(st *docstore.Store) search.Source { return docSource{st: st} }

func (s *Server) initSearch(ctx context.Context) error {
	s.searchp = &searchPart{}
	st := s.docStore()
	if st == nil {
		s.log.Warn("search disabled: the document store is not available", "component", "search")
		return nil
	}
	cfg := s.cfg.Search.WithDefaults()
	engine, cursorName, fresh, err := OpenEngine(ctx, cfg, s.dataPath("index"), s.log)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, engine.Close)
	ix, err := search.NewIndexer(ctx, s.db, engine, docSource{st: st}, cursorName, cfg, s.log)
	if err != nil {
		return err
	}
	s.searchp.engine, s.searchp.ix = engine, ix
	s.metrics.MustRegister(searchMetrics{ix})
	s.searchp.libraries = func(ctx context.Context, p *auth.Principal) ([]string, error) {
		return st.ReadableLibraries(ctx, p)
	}
	sp := s.searchp
	sp.bg, sp.bgCancel = context.WithCancel(context.WithoutCancel(ctx))
	s.closers = append(s.closers, func() error { sp.bgCancel(); sp.reindexW.Wait(); return nil })
	s.tasks = append(s.tasks, func(ctx context.Context) error {
		if cur, err := ix.Cursor(ctx); err == nil && fresh && cur > 0 {
			// The index folder was removed or is new while the outbox has
			// moved on: rebuild it from the store, then follow.
			s.log.Info("search index missing: rebuilding it", "component", "search")
			if err := ix.Reindex(ctx, "", nil); err != nil && ctx.Err() == nil {
				s.log.Error("search index rebuild failed", "component", "search", "err", err)
			}
		}
		return ix.Run(ctx)
	})
	s.tasks = append(s.tasks, func(ctx context.Context) error { return sp.serveReindexRequests(ctx, s.db, s.log) })
	return nil
}

// startReindexLocked starts, in the background, the rebuild of lib (""
// for every library) that the admin page's button and "kaz admin reindex"
// run; sp.mu is held and no reindex runs. progress (may be nil) follows
// it; end (may be nil) is called with its outcome.
func (sp *searchPart) startReindexLocked(log *slog.Logger, lib, by string, progress search.Progress, end func(error)) {
	state := &reindexState{Library: lib, Running: true, By: by}
	sp.reindex = state
	sp.reindexW.Add(1)
	go func() {
		defer sp.reindexW.Done()
		ctx, cancel := context.WithTimeout(sp.bg, 6*time.Hour)
		defer cancel()
		log.Info("search index rebuild started", "component", "search", "library", lib, "requested_by", by)
		err := sp.ix.Reindex(ctx, lib, func(done, total int) {
			sp.mu.Lock()
			state.Done, state.Total = done, total
			sp.mu.Unlock()
			if progress != nil {
				progress(done, total)
			}
		})
		sp.mu.Lock()
		state.Running = false
		if err != nil {
			state.Error = "the reindex failed: see the server log"
			log.Error("reindex failed", "component", "search", "library", lib, "requested_by", by, "err", err)
		} else {
			log.Info("search index rebuild finished", "component", "search", "library", lib, "documents", state.Total)
		}
		sp.mu.Unlock()
		if end != nil {
			end(err)
		}
	}()
}

// reindexRequestPoll is how often the server looks for reindex requests
// from "kaz admin reindex".
const reindexRequestPoll = time.Second

// serveReindexRequests runs the reindexes that "kaz admin reindex" asks
// for through the database while this server holds the index, recording
// their progress in the request's row.
func (sp *searchPart) serveReindexRequests(ctx context.Context, db *sqldb.DB, log *slog.Logger) error {
	if err := search.AbandonReindexRequests(ctx, db, "the server stopped before the rebuild finished; run the command again"); err != nil {
		log.Error("search: close abandoned reindex requests", "component", "search", "err", err)
	}
	t := time.NewTicker(reindexRequestPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		sp.mu.Lock()
		if sp.reindex != nil && sp.reindex.Running {
			sp.mu.Unlock()
			continue // the request waits for the running rebuild to end
		}
		req, ok, err := search.ClaimReindexRequest(ctx, db)
		if err != nil || !ok {
			sp.mu.Unlock()
			if err != nil && ctx.Err() == nil {
				log.Error("search: read reindex requests", "component", "search", "err", err)
			}
			continue
		}
		var last time.Time
		progress := func(done, total int) {
			if done < total && time.Since(last) < 200*time.Millisecond {
				return
			}
			last = time.Now()
			if err := search.ReindexProgress(context.WithoutCancel(ctx), db, req.ID, done, total); err != nil {
				log.Warn("search: record reindex progress", "component", "search", "err", err)
			}
		}
		end := func(err error) {
			msg := ""
			switch {
			case err == nil:
			case sp.bg.Err() != nil:
				msg = "the server stopped before the rebuild finished; run the command again"
			default:
				msg = "the rebuild failed: " + err.Error()
			}
			if err := search.FinishReindexRequest(context.WithoutCancel(ctx), db, req.ID, msg); err != nil {
				log.Error("search: record end of reindex", "component", "search", "err", err)
			}
		}
		sp.startReindexLocked(log, req.Library, req.RequestedBy, progress, end)
		sp.mu.Unlock()
	}
}

// OpenEngine opens the engine cfg selects. dataIndex is the default folder
// of the embedded indexes. It returns the engine, the name of its outbox
// cursor and whether an embedded index was just created.
func OpenEngine(ctx context.Context, cfg search.Config, dataIndex string, log *slog.Logger) (search.Index, string, bool, error) {
	cfg = cfg.WithDefaults()
	switch cfg.Engine {
	case search.EngineMeilisearch:
		e, err := meili.Open(ctx, cfg.Meilisearch, log)
		if err != nil {
			return nil, "", false, err
		}
		return e, "meilisearch:" + cfg.Meilisearch.URL + "/" + cfg.Meilisearch.Index, false, nil
	default:
		dir := cfg.Path
		if dir == "" {
			dir = dataIndex
		}
		_, statErr := os.Stat(dir)
		e, err := bleve.Open(ctx, dir, log)
		if err != nil {
			return nil, "", false, err
		}
		return e, "bleve", errors.Is(statErr, os.ErrNotExist), nil
	}
}

// searchMetrics exports the indexer's state at each scrape, from one
// Status (a scrape that cannot read it exports nothing).
type searchMetrics struct{ ix *search.Indexer }

var (
	descSearchDocuments = prometheus.NewDesc("kaz_search_documents", "Documents in the search index.", nil, nil)
	descSearchPending   = prometheus.NewDesc("kaz_search_pending_changes", "Document changes not yet indexed (counted up to 10,000).", nil, nil)
	descSearchLag       = prometheus.NewDesc("kaz_search_lag_seconds", "How long the oldest change not yet indexed has waited (0 when none).", nil, nil)
	descSearchFailures  = prometheus.NewDesc("kaz_search_unreadable_documents", "Documents whose text could not be read (findable by name only; listed on the admin page).", nil, nil)
	descSearchIndexed   = prometheus.NewDesc("kaz_search_indexed_changes_total", "Documents written to the index since the server started, reindexing included.", nil, nil)
)

func (m searchMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSearchDocuments, descSearchPending, descSearchLag, descSearchFailures, descSearchIndexed} {
		ch <- d
	}
}

func (m searchMetrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := m.ix.Status(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descSearchDocuments, prometheus.GaugeValue, float64(st.Documents))
	ch <- prometheus.MustNewConstMetric(descSearchPending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(descSearchLag, prometheus.GaugeValue, st.LagSeconds)
	ch <- prometheus.MustNewConstMetric(descSearchFailures, prometheus.GaugeValue, float64(st.Failures))
	ch <- prometheus.MustNewConstMetric(descSearchIndexed, prometheus.CounterValue, float64(st.Indexed))
}
