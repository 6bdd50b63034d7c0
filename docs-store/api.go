package docstore

import (
	"context"
	"io"
	"time"
)

// Role is a principal's role in a library. Roles are ordered:
// RoleReader < RoleEditor < RoleOwner.
type Role string

const (
	RoleNone   Role = ""
	RoleReader Role = "reader"
	RoleEditor Role = "editor"
	RoleOwner  Role = "owner"
)

// rank orders roles.
func (r Role) rank() int {
	switch r {
	case RoleReader:
		return 1
	case RoleEditor:
		return 2
	case RoleOwner:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r grants at least what want grants.
func (r Role) AtLeast(want Role) bool { return r.rank() >= want.rank() && r.rank() > 0 }

// Grant gives Role to Subject, "group:NAME" or "user:NAME".
type Grant struct {
	Role    Role   `json:"role"`
	Subject string `json:"subject"`
}

// Library is one document library.
type Library struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Quota in bytes; 0 is unlimited.
	Quota int64 `json:"quota"`
	// Used is the bytes stored: current files, old versions and the
	// recycle bin (identical contents are counted once per reference).
	Used int64 `json:"used"`
	// MaxVersions is the number of old versions kept per file.
	MaxVersions int       `json:"max_versions"`
	Created     time.Time `json:"created"`
	CreatedBy   string    `json:"created_by"`
	// Grants is filled for owners and administrators only.
	Grants []Grant `json:"grants,omitempty"`
	// Role is the asking principal's role (RoleNone for an administrator
	// without a grant).
	Role Role `json:"role"`
}

// LibrarySpec describes a library to create.
type LibrarySpec struct {
	Name        string
	Description string
	// Quota in bytes; 0 takes Config.DefaultQuota; -1 is unlimited.
	Quota int64
	// MaxVersions: 0 takes Config.MaxVersions.
	MaxVersions int
	Grants      []Grant
}

// LibraryUpdate changes a library's settings; nil fields are kept.
type LibraryUpdate struct {
	Description *string
	Quota       *int64
	MaxVersions *int
}

// QuotaInfo is a library's usage, for RFC 4331's quota-used-bytes and
// quota-available-bytes.
type QuotaInfo struct {
	Used int64 `json:"used"`
	// Limit is the quota in bytes; 0 is unlimited.
	Limit int64 `json:"limit"`
	// Available is Limit-Used (never negative); -1 when unlimited.
	Available int64 `json:"available"`
}

// Depth is a lock or copy depth.
type Depth int

const (
	DepthZero     Depth = 0
	DepthInfinity Depth = -1
)

// Lock is one WebDAV lock.
type Lock struct {
	// Token is the lock token, "urn:uuid:…".
	Token   string `json:"token"`
	Library string `json:"library"`
	// Path is the lock root.
	Path      string `json:"path"`
	Exclusive bool   `json:"exclusive"`
	Depth     Depth  `json:"depth"`
	// User holds the lock; only they may use its token.
	User string `json:"user"`
	// OwnerXML is the DAV:owner element the client sent, raw.
	OwnerXML string `json:"owner_xml,omitempty"`
	// Timeout is the granted (capped) timeout.
	Timeout time.Duration `json:"timeout"`
	Created time.Time     `json:"created"`
	Expires time.Time     `json:"expires"`
}

// LockRequest asks for a new lock.
type LockRequest struct {
	Exclusive bool
	Depth     Depth
	OwnerXML  string
	// Timeout: 0 or negative asks for the default (also for "Infinite").
	Timeout time.Duration
	// LockTokens submitted with the request (for locking under an
	// existing shared lock of the same user, or creating the empty
	// resource in a locked folder).
	LockTokens []string
}

// Property is one dead property (PROPPATCH), its value the raw inner XML.
type Property struct {
	Space string `json:"space"`
	Local string `json:"local"`
	// XML is the property element's inner XML as sent (namespace
	// declarations the value needs included), or its text.
	XML string `json:"xml"`
}

// PropName names a property.
type PropName struct {
	Space, Local string
}

// Item is a file or a folder.
type Item struct {
	ID      int64  `json:"id"`
	Library string `json:"library"`
	Path    string `json:"path"`
	Name    string `json:"name"`
	IsDir   bool   `json:"is_dir"`
	Size    int64  `json:"size"`
	// ContentType is the stored media type (empty for folders).
	ContentType string `json:"content_type,omitempty"`
	// Hash is the hex sha256 of the content ("" for folders).
	Hash string `json:"hash,omitempty"`
	// ETag is unquoted; content-hash based for files (identical contents
	// give identical ETags), id and change based for folders.
	ETag       string    `json:"etag"`
	Version    int64     `json:"version"`
	Created    time.Time `json:"created"`
	Modified   time.Time `json:"modified"`
	CreatedBy  string    `json:"created_by"`
	ModifiedBy string    `json:"modified_by"`
	// Hidden marks macOS metadata files ("._*", ".DS_Store"): stored, but
	// left out of listings unless ListOptions.IncludeHidden, and of search.
	Hidden bool `json:"hidden"`
	// LockedEmpty marks the empty file created by a LOCK on an unmapped
	// path (RFC 4918 §9.10.4), until its first write.
	LockedEmpty bool `json:"locked_empty,omitempty"`
	// Locks are the active locks covering the item (on it, or depth
	// infinity on an ancestor). Filled by Stat and List.
	Locks []Lock `json:"locks,omitempty"`
	// Props are the dead properties, filled by List with
	// ListOptions.WithProps only.
	Props []Property `json:"props,omitempty"`
}

// ListOptions tunes List.
type ListOptions struct {
	// IncludeHidden lists macOS metadata files too (for macOS clients).
	IncludeHidden bool
	// WithProps fills Item.Props (one more query for the whole folder).
	WithProps bool
}

// PutOptions tunes Put.
type PutOptions struct {
	// ContentType; empty guesses from the name's extension.
	ContentType string
	// Size is the announced length (Content-Length); -1 when unknown
	// (chunked). A body shorter than Size is ErrIncomplete, longer is
	// ErrTooLarge; nothing changes in either case.
	Size int64
	// IfMatch: "*" requires the file to exist; otherwise an unquoted ETag
	// (or several, comma-separated, each possibly quoted) the current one
	// must equal. Failure is ErrPrecondition.
	IfMatch string
	// IfNoneMatch: "*" requires the file not to exist; otherwise ETags the
	// current one must not equal.
	IfNoneMatch string
	// LockTokens submitted with the request.
	LockTokens []string
	// Modified, when set, is kept as the modification time (clients that
	// preserve times: rclone, Win32LastModifiedTime).
	Modified time.Time
}

// WriteOptions carries what every write takes: the submitted lock tokens
// and an optional If-Match.
type WriteOptions struct {
	LockTokens []string
	IfMatch    string
}

// MoveOptions tunes Move.
type MoveOptions struct {
	// Overwrite allows replacing an existing destination (a file over a
	// file becomes a new version of the destination; anything else sends
	// the destination to the recycle bin). Without it, an existing
	// destination is ErrPrecondition.
	Overwrite  bool
	LockTokens []string
}

// CopyOptions tunes Copy.
type CopyOptions struct {
	Overwrite bool
	// Depth: DepthInfinity copies a folder with its contents, DepthZero the
	// folder and its properties only.
	Depth      Depth
	LockTokens []string
}

// Version is one version of a file. The current content is the highest
// Version and has Current set.
type Version struct {
	Version     int64     `json:"version"`
	Size        int64     `json:"size"`
	Hash        string    `json:"hash"`
	ContentType string    `json:"content_type"`
	Modified    time.Time `json:"modified"`
	ModifiedBy  string    `json:"modified_by"`
	Current     bool      `json:"current"`
}

// TrashEntry is one deleted item (a file, or a folder with its subtree) in
// a library's recycle bin.
type TrashEntry struct {
	ID        int64     `json:"id"`
	Library   string    `json:"library"`
	Path      string    `json:"path"` // original path
	Name      string    `json:"name"`
	IsDir     bool      `json:"is_dir"`
	Size      int64     `json:"size"` // total bytes of the subtree
	Deleted   time.Time `json:"deleted"`
	DeletedBy string    `json:"deleted_by"`
}

// ChangeKind is the kind of a change event.
type ChangeKind string

const (
	ChangeCreate        ChangeKind = "create"
	ChangeUpdate        ChangeKind = "update"
	ChangeDelete        ChangeKind = "delete"
	ChangeMove          ChangeKind = "move"
	ChangeRestore       ChangeKind = "restore"
	ChangeACL           ChangeKind = "acl"
	ChangeLibraryDelete ChangeKind = "library_delete"
)

// Change is one event of the outbox. A move of a folder is one event with
// OldPath (consumers re-walk the new path); a delete of a folder is one
// event for the folder; a restore is one event for the restored root.
type Change struct {
	Seq     int64
	Time    time.Time
	Kind    ChangeKind
	Library string
	Path    string
	OldPath string
	IsDir   bool
}

// AuditEntry is one record of the audit log.
type AuditEntry struct {
	ID      int64     `json:"id"`
	Time    time.Time `json:"time"`
	Library string    `json:"library"`
	User    string    `json:"user"`
	// IP is the client's address ("" for system actions).
	IP     string `json:"ip"`
	Action string `json:"action"` // read, write, mkdir, delete, move, copy, restore, props, lock, lock_refresh, unlock, force_unlock, grant, revoke, …
	Path   string `json:"path"`
	Detail string `json:"detail,omitempty"`
}

// AuditQuery filters Audit.
type AuditQuery struct {
	// Before, when > 0, returns entries with ID < Before (paging, newest
	// first).
	Before int64
	Since  time.Time
	Until  time.Time
	User   string
	Path   string // exact path or prefix folder
	// Limit: 0 means 200; at most 10000.
	Limit int
}

// ReadSeekCloser is the content of a file or version.
type ReadSeekCloser = io.ReadSeekCloser

// contextKey guards against misuse of contexts; unused.
var _ context.Context
