// Package meili is the search engine for larger deployments: one
// Meilisearch index reached through meilisearch-go. Kaz pushes the index
// settings at start-up (searchable, filterable and sortable attributes,
// typo rules — one typo from five letters, none below —, French and
// English stop words). It implements search.Index.
//
// Differences with the embedded engine: Meilisearch folds case and
// accents and tolerates typos natively but does not stem words; exclusion
// (-word) and phrases ("…") use Meilisearch's own syntax. The conformance
// suite runs against a real server when KAZ_TEST_MEILI_URL is set.
//
// Security: the API key is sent only to the configured URL and never
// logged; every search carries a library filter built from the libraries
// the principal may read; snippets are HTML-escaped by Kaz (Meilisearch
// returns raw text).
package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	ms "github.com/meilisearch/meilisearch-go"

	"github.com/kazhq/kaz/search"
)

var _ search.Index = (*Engine)(nil)

// Config of the engine.
type Config = search.MeiliConfig

// Engine is a Meilisearch-backed search.Index.
type Engine struct {
	client ms.ServiceManager
	index  ms.IndexManager
	uid    string
	cfg    Config
	log    *slog.Logger
}

// record is one document as stored in Meilisearch.
type record struct {
	ID       string   `json:"id"`
	Library  string   `json:"library"`
	Path     string   `json:"path"`
	Folders  []string `json:"folders"`
	Name     string   `json:"name"`
	Title    string   `json:"title,omitempty"`
	Author   string   `json:"author,omitempty"`
	Type     string   `json:"type"`
	Size     int64    `json:"size"`
	Modified int64    `json:"modified"` // Unix seconds, filterable and sortable
	Content  string   `json:"content"`
}

// Open connects to Meilisearch, creates the index if needed and pushes the
// settings, waiting for them to apply.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Engine, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Index == "" {
		cfg.Index = "kaz_documents"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	opts := []ms.Option{ms.WithCustomClient(&http.Client{Timeout: cfg.Timeout})}
	if cfg.Key != "" {
		opts = append(opts, ms.WithAPIKey(cfg.Key))
	}
	client := ms.New(cfg.URL, opts...)
	e := &Engine{client: client, uid: cfg.Index, cfg: cfg, log: log.With("component", "search")}
	if _, err := client.Health(ctx); err != nil {
		return nil, fmt.Errorf("meili: %s unreachable: %w", cfg.URL, err)
	}
	if _, err := client.GetIndex(ctx, cfg.Index); err != nil {
		task, err := client.CreateIndex(ctx, &ms.IndexConfig{Uid: cfg.Index, PrimaryKey: "id"})
		if err != nil {
			return nil, fmt.Errorf("meili: create index: %w", err)
		}
		if err := e.wait(ctx, task); err != nil {
			return nil, fmt.Errorf("meili: create index: %w", err)
		}
	}
	e.index = client.Index(cfg.Index)
	task, err := e.index.UpdateSettings(ctx, settings())
	if err != nil {
		return nil, fmt.Errorf("meili: push settings: %w", err)
	}
	if err := e.wait(ctx, task); err != nil {
		return nil, fmt.Errorf("meili: push settings: %w", err)
	}
	return e, nil
}

func stopWords() []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]byte{fr.FrenchStopWords, en.EnglishStopWords} {
		for _, line := range strings.Split(string(list), "\n") {
			line, _, _ = strings.Cut(line, "|")
			for _, w := range strings.Fields(line) {
				if !seen[w] {
					seen[w] = true
					out = append(out, w)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func settings() *ms.Settings {
	return &ms.Settings{
		SearchableAttributes: []string{"name", "title", "content", "author"},
		DisplayedAttributes:  []string{"id", "library", "path", "name", "title", "author", "type", "size", "modified", "content"},
		FilterableAttributes: []string{"library", "folders", "type", "author", "modified"},
		SortableAttributes:   []string{"modified"},
		StopWords:            stopWords(),
		SeparatorTokens:      []string{"_"},
		TypoTolerance: &ms.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: ms.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 255},
			DisableOnWords:      []string{},
			DisableOnAttributes: []string{},
		},
		LocalizedAttributes: []*ms.LocalizedAttributes{{AttributePatterns: []string{"*"}, Locales: []string{"fra", "eng"}}},
		Pagination:          &ms.Pagination{MaxTotalHits: search.MaxOffset + search.MaxLimit},
		Faceting:            &ms.Faceting{MaxValuesPerFacet: 100},
	}
}

// wait blocks until task is processed and reports its failure.
func (e *Engine) wait(ctx context.Context, info *ms.TaskInfo) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	t, err := e.client.WaitForTask(ctx, info.TaskUID, 20*time.Millisecond)
	if err != nil {
		return err
	}
	if t.Status != ms.TaskStatusSucceeded {
		return fmt.Errorf("task %d %s: %s", t.UID, t.Status, t.Error.Message)
	}
	return nil
}

// quote renders a filter string literal.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func inList(attr string, values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = quote(v)
	}
	return attr + " IN [" + strings.Join(q, ", ") + "]"
}

// Apply writes b and waits until Meilisearch has processed it.
func (e *Engine) Apply(ctx context.Context, b *search.Batch) error {
	var tasks []*ms.TaskInfo
	for _, lib := range b.DropLibraries {
		t, err := e.index.DeleteDocumentsByFilter(ctx, "library = "+quote(lib), nil)
		if err != nil {
			return fmt.Errorf("meili: drop library: %w", err)
		}
		tasks = append(tasks, t)
	}
	for _, f := range b.DeleteFolders {
		t, err := e.index.DeleteDocumentsByFilter(ctx, "library = "+quote(f.Library)+" AND folders = "+quote(strings.TrimRight(f.Path, "/")), nil)
		if err != nil {
			return fmt.Errorf("meili: delete folder: %w", err)
		}
		tasks = append(tasks, t)
	}
	if len(b.Delete) > 0 {
		ids := make([]string, len(b.Delete))
		for i, r := range b.Delete {
			ids[i] = search.DocID(r.Library, r.Path)
		}
		t, err := e.index.DeleteDocuments(ctx, ids, nil)
		if err != nil {
			return fmt.Errorf("meili: delete: %w", err)
		}
		tasks = append(tasks, t)
	}
	if len(b.Put) > 0 {
		recs := make([]record, len(b.Put))
		for i := range b.Put {
			d := &b.Put[i]
			recs[i] = record{ID: d.ID(), Library: d.Library, Path: d.Path, Folders: d.Folders(), Name: d.Name, Title: d.Title,
				Author: d.Author, Type: d.Type, Size: d.Size, Modified: d.Modified.Unix(), Content: d.Content}
			if recs[i].Folders == nil {
				recs[i].Folders = []string{}
			}
		}
		pk := "id"
		t, err := e.index.AddDocuments(ctx, recs, &ms.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return fmt.Errorf("meili: add documents: %w", err)
		}
		tasks = append(tasks, t)
	}
	for _, t := range tasks {
		if err := e.wait(ctx, t); err != nil {
			return fmt.Errorf("meili: apply: %w", err)
		}
	}
	return nil
}

// queryString renders the parsed query in Meilisearch's syntax.
func queryString(text string) (string, bool) {
	p := search.Parse(text)
	var parts []string
	positive := false
	for _, t := range p.Terms {
		s := t.Text
		if t.Phrase {
			s = `"` + s + `"`
		}
		if t.Exclude {
			s = "-" + s
		} else {
			positive = true
		}
		parts = append(parts, s)
	}
	q := strings.Join(parts, " ")
	if len(p.Terms) > 0 && !p.Terms[len(p.Terms)-1].Prefix {
		q += " " // no prefix search on a finished word
	}
	return q, positive || len(p.Terms) == 0
}

func (e *Engine) filter(q *search.Query, scope []string) []string {
	f := []string{inList("library", scope)}
	if len(q.Types) > 0 {
		f = append(f, inList("type", q.Types))
	}
	if q.Author != "" {
		f = append(f, "author = "+quote(q.Author))
	}
	if !q.ModifiedAfter.IsZero() {
		f = append(f, fmt.Sprintf("modified >= %d", q.ModifiedAfter.Unix()))
	}
	if !q.ModifiedBefore.IsZero() {
		f = append(f, fmt.Sprintf("modified <= %d", q.ModifiedBefore.Unix()))
	}
	return f
}

const (
	preTag  = "\x02"
	postTag = "\x03"
)

// snippet escapes Meilisearch's raw text and turns its markers into
// <mark> tags.
func snippet(s string) string {
	s = strings.NewReplacer(preTag, "", postTag, "").Replace(s) // never trust markers in content
	return s
}

func markSnippet(formatted string) string {
	esc := html.EscapeString(formatted)
	return strings.NewReplacer(preTag, "<mark>", postTag, "</mark>").Replace(esc)
}

// Search runs q restricted to its libraries by a filter.
func (e *Engine) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	res := &search.Result{Hits: []search.Hit{}}
	offset, err := q.Offset()
	if err != nil {
		return nil, err
	}
	scope := q.Scope()
	if len(scope) == 0 {
		return res, nil
	}
	text, ok := queryString(q.Text)
	if !ok {
		return res, nil
	}
	req := &ms.SearchRequest{
		Offset: int64(offset), Limit: int64(q.PageLimit()),
		Filter:                e.filter(&q, scope),
		AttributesToRetrieve:  []string{"library", "path", "name", "title", "author", "type", "size", "modified"},
		AttributesToCrop:      []string{"content:30"},
		AttributesToHighlight: []string{"content"},
		HighlightPreTag:       preTag, HighlightPostTag: postTag, CropMarker: "…",
		MatchingStrategy: ms.All,
	}
	if q.SortOrder() == search.SortModified {
		req.Sort = []string{"modified:desc"}
	}
	if q.Facets {
		req.Facets = []string{"library", "type", "author"}
	}
	sr, err := e.index.Search(ctx, text, req)
	if err != nil {
		return nil, fmt.Errorf("meili: search: %w", err)
	}
	res.Total = uint64(max(sr.EstimatedTotalHits, sr.TotalHits))
	for _, h := range sr.Hits {
		var r struct {
			record
			Formatted struct {
				Content string `json:"content"`
			} `json:"_formatted"`
		}
		if err := h.DecodeInto(&r); err != nil {
			return nil, fmt.Errorf("meili: decode hit: %w", err)
		}
		hit := search.Hit{Library: r.Library, Path: r.Path, Name: r.Name, Author: r.Author, Type: r.Type, Size: r.Size,
			Modified: time.Unix(r.Modified, 0).UTC()}
		if strings.Contains(r.Formatted.Content, preTag) {
			hit.Snippet = markSnippet(r.Formatted.Content)
		} else if r.Title != "" {
			hit.Snippet = html.EscapeString(snippet(r.Title))
		}
		res.Hits = append(res.Hits, hit)
	}
	res.Next = q.NextCursor(offset, len(sr.Hits), res.Total)
	if q.Facets {
		res.Facets = map[string][]search.Facet{}
		var dist map[string]map[string]int
		if len(sr.FacetDistribution) > 0 {
			if err := json.Unmarshal(sr.FacetDistribution, &dist); err != nil {
				return nil, fmt.Errorf("meili: facets: %w", err)
			}
		}
		for _, name := range []string{search.FacetLibrary, search.FacetType, search.FacetAuthor} {
			fs := []search.Facet{}
			for v, n := range dist[name] {
				fs = append(fs, search.Facet{Value: v, Count: n})
			}
			sort.Slice(fs, func(i, j int) bool {
				if fs[i].Count != fs[j].Count {
					return fs[i].Count > fs[j].Count
				}
				return fs[i].Value < fs[j].Value
			})
			res.Facets[name] = fs
		}
		mod := []search.Facet{}
		now := time.Now()
		for _, r := range search.DateRanges {
			f := append(e.filter(&q, scope), fmt.Sprintf("modified >= %d", now.Add(-r.Since).Unix()))
			cr, err := e.index.Search(ctx, text, &ms.SearchRequest{Limit: 0, Filter: f, MatchingStrategy: ms.All})
			if err != nil {
				return nil, fmt.Errorf("meili: date facet: %w", err)
			}
			if n := max(cr.EstimatedTotalHits, cr.TotalHits); n > 0 {
				mod = append(mod, search.Facet{Value: r.Name, Count: int(n)})
			}
		}
		res.Facets[search.FacetModified] = mod
	}
	return res, nil
}

// Suggest proposes document names matching what is being typed.
func (e *Engine) Suggest(ctx context.Context, libraries []string, prefix string, limit int) ([]search.Suggestion, error) {
	out := []search.Suggestion{}
	q := search.Query{Text: prefix, Libraries: libraries}
	scope := q.Scope()
	text, ok := queryString(prefix)
	if len(scope) == 0 || strings.TrimSpace(prefix) == "" || !ok {
		return out, nil
	}
	if limit <= 0 || limit > 20 {
		limit = 8
	}
	sr, err := e.index.Search(ctx, text, &ms.SearchRequest{
		Limit: int64(limit), Filter: e.filter(&q, scope), AttributesToSearchOn: []string{"name"},
		AttributesToRetrieve: []string{"library", "path", "name"}, MatchingStrategy: ms.All,
	})
	if err != nil {
		return nil, fmt.Errorf("meili: suggest: %w", err)
	}
	for _, h := range sr.Hits {
		var r record
		if err := h.DecodeInto(&r); err != nil {
			return nil, fmt.Errorf("meili: decode hit: %w", err)
		}
		out = append(out, search.Suggestion{Text: r.Name, Library: r.Library, Path: r.Path})
	}
	return out, nil
}

// Stats counts documents per library (from the library facet).
func (e *Engine) Stats(ctx context.Context) (search.Stats, error) {
	st := search.Stats{Engine: "meilisearch", Libraries: map[string]uint64{}}
	sr, err := e.index.Search(ctx, "", &ms.SearchRequest{Limit: 0, Facets: []string{"library"}})
	if err != nil {
		return st, fmt.Errorf("meili: stats: %w", err)
	}
	var dist map[string]map[string]uint64
	if len(sr.FacetDistribution) > 0 {
		if err := json.Unmarshal(sr.FacetDistribution, &dist); err != nil {
			return st, fmt.Errorf("meili: stats: %w", err)
		}
	}
	for lib, n := range dist["library"] {
		st.Libraries[lib] = n
		st.Documents += n
	}
	return st, nil
}

// Close releases nothing: the client holds no state.
func (e *Engine) Close() error { return nil }

// ErrNotConfigured is returned by Open without a URL.
var ErrNotConfigured = errors.New("meili: no URL configured")

// DeleteIndex removes Kaz's index from Meilisearch (tests, uninstall).
func (e *Engine) DeleteIndex(ctx context.Context) error {
	t, err := e.client.DeleteIndex(ctx, e.uid)
	if err != nil {
		return fmt.Errorf("meili: delete index: %w", err)
	}
	return e.wait(ctx, t)
}
