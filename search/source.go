package search

import (
	"context"
	"errors"
	"io"
	"time"
)

// ChangeKind is the kind of a docstore change event.
type ChangeKind string

// The change kinds of docstore's outbox.
const (
	ChangeCreate        ChangeKind = "create"
	ChangeUpdate        ChangeKind = "update"
	ChangeDelete        ChangeKind = "delete"
	ChangeMove          ChangeKind = "move"
	ChangeRestore       ChangeKind = "restore"
	ChangeACL           ChangeKind = "acl"
	ChangeLibraryDelete ChangeKind = "library_delete"
)

// Change is one event of the outbox. A folder move is one event with
// OldPath; the indexer re-walks the new folder.
type Change struct {
	Seq     int64
	Time    time.Time
	Kind    ChangeKind
	Library string
	Path    string
	OldPath string
	IsDir   bool
}

// Item is a file or folder as the source describes it.
type Item struct {
	Library     string
	Path        string
	Name        string
	IsDir       bool
	Size        int64
	ContentType string
	Modified    time.Time
	ModifiedBy  string
	CreatedBy   string
	Hidden      bool
}

// ErrNotFound is what a Source returns (wrapped) for an item that no
// longer exists: the indexer then removes it from the index.
var ErrNotFound = errors.New("search: item not found")

// Source is where documents come from: docstore, adapted by server.
type Source interface {
	// Changes returns up to limit events with Seq > after, in order.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// Open opens a file's content, without a principal.
	Open(ctx context.Context, library, path string) (io.ReadCloser, Item, error)
	// Walk calls fn for the item at path and everything below it.
	Walk(ctx context.Context, library, path string, fn func(Item) error) error
	// LibraryNames lists every library.
	LibraryNames(ctx context.Context) ([]string, error)
}
