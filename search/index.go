package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path"
	"strings"
	"time"
)

// Index is a full-text search engine. Implementations: search/bleve (the
// embedded default) and search/meili. Every implementation passes
// searchtest.Run.
type Index interface {
	// Apply writes a batch of upserts and deletions. When it returns nil
	// the batch is durable: the indexer advances its cursor after it.
	Apply(ctx context.Context, b *Batch) error
	// Search runs q, restricted to q.Libraries inside the query.
	Search(ctx context.Context, q Query) (*Result, error)
	// Suggest returns up to limit document names and terms starting with
	// what the agent is typing, restricted to libraries.
	Suggest(ctx context.Context, libraries []string, prefix string, limit int) ([]Suggestion, error)
	// Stats counts the documents per library.
	Stats(ctx context.Context) (Stats, error)
	// Close releases the engine.
	Close() error
}

// Starter is an Index that can begin a batch before the previous one has
// ended: Start returns at once, and its wait returns what Apply would.
// Batches started one after the other are applied to each library in
// that order. The indexer uses it to read and extract the next batch
// while the engine finishes this one.
type Starter interface {
	Start(ctx context.Context, b *Batch) (wait func() error)
}

// start begins b on idx: Start when idx has it, else Apply at once.
func start(ctx context.Context, idx Index, b *Batch) (wait func() error) {
	if s, ok := idx.(Starter); ok {
		return s.Start(ctx, b)
	}
	err := idx.Apply(ctx, b)
	return func() error { return err }
}

// ErrBadCursor is returned by Search for a cursor that does not belong to
// the query (or was forged).
var ErrBadCursor = errors.New("search: invalid cursor")

// Document is what an engine indexes: one file of a library.
type Document struct {
	Library  string
	Path     string // absolute inside the library, "/a/b.docx"
	Name     string
	Title    string
	Author   string
	Type     string // short kind: docx, pdf, txt… (see TypeOf)
	Size     int64
	Modified time.Time
	Content  string
	// Failed is true when the content could not be extracted (the
	// document stays findable by name and path).
	Failed bool
}

// ID is the document's engine identifier: a hash of library and path, made
// of the characters every engine accepts.
func (d *Document) ID() string { return DocID(d.Library, d.Path) }

// Folders lists the ancestor folders of the document's path ("/a", "/a/b"
// for "/a/b/c.txt"), used to delete or move a whole folder.
func (d *Document) Folders() []string { return Ancestors(d.Path) }

// DocID returns the engine identifier of library/path.
func DocID(library, p string) string {
	h := sha256.Sum256([]byte(library + "\x00" + p))
	return hex.EncodeToString(h[:16])
}

// Ancestors returns the folders above p, outermost first.
func Ancestors(p string) []string {
	p = path.Clean("/" + p)
	var out []string
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}

// Ref names a document or a folder.
type Ref struct {
	Library string
	Path    string
}

// Batch is a set of changes applied together. Deletions apply before
// upserts, so a batch can move a folder (delete the old folder, put the
// documents at their new paths).
type Batch struct {
	Put           []Document
	Delete        []Ref    // documents
	DeleteFolders []Ref    // every document under Path
	DropLibraries []string // every document of the library
}

// Len counts the operations in b.
func (b *Batch) Len() int {
	return len(b.Put) + len(b.Delete) + len(b.DeleteFolders) + len(b.DropLibraries)
}

// Sort orders of a query.
const (
	SortRelevance = "relevance"
	SortModified  = "modified"
)

// MaxLimit bounds Query.Limit; MaxOffset bounds how deep a cursor pages.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	MaxOffset    = 10000
)

// Query is one search.
type Query struct {
	// Text is what the agent typed (see Parse).
	Text string
	// Libraries are the libraries the principal may read. Required: an
	// empty list finds nothing (deny by default).
	Libraries []string
	// Filters, each optional. Library narrows to some of Libraries.
	Library        []string
	Types          []string
	Author         string
	ModifiedAfter  time.Time
	ModifiedBefore time.Time
	// Sort is SortRelevance (default) or SortModified (newest first).
	Sort string
	// Limit per page (DefaultLimit when 0, at most MaxLimit).
	Limit int
	// Cursor is Result.Next of the previous page.
	Cursor string
	// Facets asks for counts per library, type, author and date range.
	Facets bool
}

// Scope returns the libraries q may search: Libraries, narrowed by
// Library when set. Empty means nothing may be searched.
func (q *Query) Scope() []string {
	if len(q.Library) == 0 {
		return dedupe(q.Libraries)
	}
	allowed := make(map[string]bool, len(q.Libraries))
	for _, l := range q.Libraries {
		allowed[l] = true
	}
	var out []string
	for _, l := range q.Library {
		if allowed[l] {
			out = append(out, l)
		}
	}
	return dedupe(out)
}

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// PageLimit returns the effective page size of q.
func (q *Query) PageLimit() int {
	switch {
	case q.Limit <= 0:
		return DefaultLimit
	case q.Limit > MaxLimit:
		return MaxLimit
	}
	return q.Limit
}

// Result is one page of hits.
type Result struct {
	Hits   []Hit              `json:"results"`
	Total  uint64             `json:"total"`
	Facets map[string][]Facet `json:"facets,omitempty"`
	Next   string             `json:"next,omitempty"`
}

// Hit is one found document.
type Hit struct {
	Library  string    `json:"library"`
	Path     string    `json:"path"`
	Name     string    `json:"name"`
	Snippet  string    `json:"snippet"` // HTML: escaped text with <mark>…</mark>
	Modified time.Time `json:"modified"`
	Author   string    `json:"author"`
	Size     int64     `json:"size"`
	Type     string    `json:"type"`
}

// Facet is a count for one value of a facet.
type Facet struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facet names and the date ranges of the "modified" facet.
const (
	FacetLibrary  = "library"
	FacetType     = "type"
	FacetAuthor   = "author"
	FacetModified = "modified"
)

// DateRange is one bucket of the modified facet.
type DateRange struct {
	Name  string
	Since time.Duration // modified within this long before now
}

// DateRanges are the buckets of the modified facet, newest first.
var DateRanges = []DateRange{
	{"day", 24 * time.Hour},
	{"week", 7 * 24 * time.Hour},
	{"month", 31 * 24 * time.Hour},
	{"year", 366 * 24 * time.Hour},
}

// Suggestion is one as-you-type proposal.
type Suggestion struct {
	Text    string `json:"text"`
	Library string `json:"library,omitempty"`
	Path    string `json:"path,omitempty"` // set when the suggestion is a document
}

// Stats describes an index.
type Stats struct {
	Engine    string            `json:"engine"`
	Documents uint64            `json:"documents"`
	Libraries map[string]uint64 `json:"libraries"`
}

// TypeOf returns the short type of a file name: its lower-case extension
// ("docx", "pdf"), or "" when it has none.
func TypeOf(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if len(ext) < 2 || len(ext) > 10 {
		return ""
	}
	return ext[1:]
}
