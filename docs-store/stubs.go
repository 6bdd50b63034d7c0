package docstore

import (
	"context"
	"io"
	"time"

	"github.com/kazhq/kaz/server/auth"
)

// ---- libraries ----

// CreateLibrary creates a library (administrators only) and records the
// grants in spec.
func (s *Store) CreateLibrary(ctx context.Context, p *auth.Principal, spec LibrarySpec) (Library, error) {
	return Library{}, ErrNotImplemented
}

// DeleteLibrary removes a library with all its content (administrators
// only); a library_delete change is emitted.
func (s *Store) DeleteLibrary(ctx context.Context, p *auth.Principal, name string) error {
	return ErrNotImplemented
}

// UpdateLibrary changes a library's settings (administrators; owners may
// change the description).
func (s *Store) UpdateLibrary(ctx context.Context, p *auth.Principal, name string, u LibraryUpdate) (Library, error) {
	return Library{}, ErrNotImplemented
}

// Libraries lists the libraries p may read, by name, with p's role.
func (s *Store) Libraries(ctx context.Context, p *auth.Principal) ([]Library, error) {
	return nil, ErrNotImplemented
}

// AllLibraries lists every library with its grants (administrators only).
func (s *Store) AllLibraries(ctx context.Context, p *auth.Principal) ([]Library, error) {
	return nil, ErrNotImplemented
}

// Library returns one library p may read (or administer).
func (s *Store) Library(ctx context.Context, p *auth.Principal, name string) (Library, error) {
	return Library{}, ErrNotImplemented
}

// Grant gives role to subject ("group:NAME" or "user:NAME"), replacing
// the subject's previous role (owners and administrators).
func (s *Store) Grant(ctx context.Context, p *auth.Principal, lib string, role Role, subject string) error {
	return ErrNotImplemented
}

// Revoke removes subject's role (owners and administrators). Removing the
// last owner grant is refused with ErrConflict unless p is an
// administrator.
func (s *Store) Revoke(ctx context.Context, p *auth.Principal, lib string, subject string) error {
	return ErrNotImplemented
}

// RoleOf returns p's role in lib (RoleNone when none; ErrNotFound for an
// unknown library).
func (s *Store) RoleOf(ctx context.Context, p *auth.Principal, lib string) (Role, error) {
	return RoleNone, ErrNotImplemented
}

// Quota returns lib's usage (readers).
func (s *Store) Quota(ctx context.Context, p *auth.Principal, lib string) (QuotaInfo, error) {
	return QuotaInfo{}, ErrNotImplemented
}

// ---- items ----

// Stat returns the item at path ("/" is the library root).
func (s *Store) Stat(ctx context.Context, p *auth.Principal, lib, path string) (Item, error) {
	return Item{}, ErrNotImplemented
}

// List calls fn for each child of the folder at path, sorted by name, in
// one query, streaming. fn returning an error stops the listing with it.
func (s *Store) List(ctx context.Context, p *auth.Principal, lib, path string, opts ListOptions, fn func(Item) error) error {
	return ErrNotImplemented
}

// OpenFile opens the content of the file at path for reading (Range via
// Seek). The caller closes it. A read is audited.
func (s *Store) OpenFile(ctx context.Context, p *auth.Principal, lib, path string) (io.ReadSeekCloser, Item, error) {
	return nil, Item{}, ErrNotImplemented
}

// Put writes the file at path from r (see the package doc). created
// reports a new file.
func (s *Store) Put(ctx context.Context, p *auth.Principal, lib, path string, r io.Reader, opts PutOptions) (Item, bool, error) {
	return Item{}, false, ErrNotImplemented
}

// Mkdir creates the folder at path; ErrExists when path is mapped,
// ErrConflict when the parent is missing.
func (s *Store) Mkdir(ctx context.Context, p *auth.Principal, lib, path string, opts WriteOptions) (Item, error) {
	return Item{}, ErrNotImplemented
}

// Delete sends the item at path (a folder with its subtree) to the recycle
// bin and removes the locks rooted in it.
func (s *Store) Delete(ctx context.Context, p *auth.Principal, lib, path string, opts WriteOptions) error {
	return ErrNotImplemented
}

// Move moves (renames) an item, within or across libraries. created
// reports that the destination did not exist.
func (s *Store) Move(ctx context.Context, p *auth.Principal, srcLib, srcPath, dstLib, dstPath string, opts MoveOptions) (bool, error) {
	return false, ErrNotImplemented
}

// Copy copies an item, within or across libraries. created reports that
// the destination did not exist.
func (s *Store) Copy(ctx context.Context, p *auth.Principal, srcLib, srcPath, dstLib, dstPath string, opts CopyOptions) (bool, error) {
	return false, ErrNotImplemented
}

// Props returns the dead properties of the item at path.
func (s *Store) Props(ctx context.Context, p *auth.Principal, lib, path string) ([]Property, error) {
	return nil, ErrNotImplemented
}

// PatchProps sets and removes dead properties atomically (all or none).
func (s *Store) PatchProps(ctx context.Context, p *auth.Principal, lib, path string, set []Property, remove []PropName, opts WriteOptions) error {
	return ErrNotImplemented
}

// ---- locks ----

// Lock locks path. created reports that an empty file was created at an
// unmapped path (RFC 4918 §9.10.4).
func (s *Store) Lock(ctx context.Context, p *auth.Principal, lib, path string, req LockRequest) (Lock, bool, error) {
	return Lock{}, false, ErrNotImplemented
}

// Refresh extends the lock token, which must cover path and belong to p.
func (s *Store) Refresh(ctx context.Context, p *auth.Principal, lib, path, token string, timeout time.Duration) (Lock, error) {
	return Lock{}, ErrNotImplemented
}

// Unlock removes the lock token, which must cover path (ErrLockMismatch)
// and belong to p (ErrPermission).
func (s *Store) Unlock(ctx context.Context, p *auth.Principal, lib, path, token string) error {
	return ErrNotImplemented
}

// ForceUnlock removes any lock of lib by token (owners; audited).
func (s *Store) ForceUnlock(ctx context.Context, p *auth.Principal, lib, token string) error {
	return ErrNotImplemented
}

// LocksAt returns the active locks covering path (on it, and depth-infinity
// locks of its ancestors).
func (s *Store) LocksAt(ctx context.Context, p *auth.Principal, lib, path string) ([]Lock, error) {
	return nil, ErrNotImplemented
}

// Locks lists every active lock of lib (readers).
func (s *Store) Locks(ctx context.Context, p *auth.Principal, lib string) ([]Lock, error) {
	return nil, ErrNotImplemented
}

// ---- versions ----

// Versions lists the versions of the file at path, newest (current) first.
func (s *Store) Versions(ctx context.Context, p *auth.Principal, lib, path string) ([]Version, error) {
	return nil, ErrNotImplemented
}

// OpenVersion opens one version's content.
func (s *Store) OpenVersion(ctx context.Context, p *auth.Principal, lib, path string, version int64) (io.ReadSeekCloser, Version, error) {
	return nil, Version{}, ErrNotImplemented
}

// RestoreVersion makes version the current content again, as a new
// version.
func (s *Store) RestoreVersion(ctx context.Context, p *auth.Principal, lib, path string, version int64, opts WriteOptions) (Item, error) {
	return Item{}, ErrNotImplemented
}

// ---- recycle bin ----

// Trash lists lib's recycle bin, newest first (readers see everything;
// editors restore).
func (s *Store) Trash(ctx context.Context, p *auth.Principal, lib string) ([]TrashEntry, error) {
	return nil, ErrNotImplemented
}

// RestoreTrash puts entry id back at its original path, or beside it with
// a suffix (" (restauré 1)") on a name clash; missing parent folders are
// recreated.
func (s *Store) RestoreTrash(ctx context.Context, p *auth.Principal, lib string, id int64) (Item, error) {
	return Item{}, ErrNotImplemented
}

// EmptyTrash deletes lib's recycle bin for good (owners).
func (s *Store) EmptyTrash(ctx context.Context, p *auth.Principal, lib string) (int, error) {
	return 0, ErrNotImplemented
}

// PurgeTrash deletes for good the entries deleted before olderThan, in
// every library (system task).
func (s *Store) PurgeTrash(ctx context.Context, olderThan time.Time) (int, error) {
	return 0, ErrNotImplemented
}

// CollectGarbage deletes blobs referenced by no item or version and older
// than Config.BlobGrace (system task).
func (s *Store) CollectGarbage(ctx context.Context) (int, error) {
	return 0, ErrNotImplemented
}

// Maintain runs PurgeTrash (Config.TrashDays), expired-lock cleanup and
// CollectGarbage every Config.MaintenanceInterval until ctx ends. It is
// meant for the server's background tasks.
func (s *Store) Maintain(ctx context.Context) error {
	return ErrNotImplemented
}

// ---- audit ----

// Audit lists lib's audit log, newest first (owners).
func (s *Store) Audit(ctx context.Context, p *auth.Principal, lib string, q AuditQuery) ([]AuditEntry, error) {
	return nil, ErrNotImplemented
}

// WriteAuditCSV writes lib's audit log as CSV (owners), streaming.
func (s *Store) WriteAuditCSV(ctx context.Context, p *auth.Principal, lib string, q AuditQuery, w io.Writer) error {
	return ErrNotImplemented
}

// ---- system (search, tasks) ----

// Changes returns up to limit change events with Seq > after, in order.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]Change, error) {
	return nil, ErrNotImplemented
}

// OpenSystem opens a file's content without a principal (indexer).
func (s *Store) OpenSystem(ctx context.Context, lib, path string) (io.ReadCloser, Item, error) {
	return nil, Item{}, ErrNotImplemented
}

// Walk calls fn for the item at path and every item below it, parents
// before children, hidden items included (system walk for reindex).
func (s *Store) Walk(ctx context.Context, lib, path string, fn func(Item) error) error {
	return ErrNotImplemented
}

// ReadableLibraries returns the names of the libraries p may read.
func (s *Store) ReadableLibraries(ctx context.Context, p *auth.Principal) ([]string, error) {
	return nil, ErrNotImplemented
}

// LibraryNames returns every library's name (system).
func (s *Store) LibraryNames(ctx context.Context) ([]string, error) {
	return nil, ErrNotImplemented
}
