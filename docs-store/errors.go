package docstore

import (
	"errors"
	"fmt"
)

// Errors returned by the store. Callers test them with errors.Is; the
// returned errors wrap them with context.
var (
	// ErrNotImplemented: not available in this build.
	ErrNotImplemented = errors.New("docstore: not implemented")
	// ErrNotFound: no such library, item, version, lock or recycle bin entry
	// (also returned for a library the principal may not read).
	ErrNotFound = errors.New("docstore: not found")
	// ErrPermission: the principal's role does not allow the operation.
	ErrPermission = errors.New("docstore: permission denied")
	// ErrExists: the target already exists (library, MKCOL on a mapped path).
	ErrExists = errors.New("docstore: already exists")
	// ErrLocked: a lock held by someone else (or whose token was not
	// submitted) covers the target. WebDAV: 423.
	ErrLocked = errors.New("docstore: locked")
	// ErrPrecondition: If-Match / If-None-Match / Overwrite: F failed.
	// WebDAV: 412.
	ErrPrecondition = errors.New("docstore: precondition failed")
	// ErrQuota: the library's quota would be exceeded. WebDAV: 507.
	ErrQuota = errors.New("docstore: quota exceeded")
	// ErrNoSpace: the file system holding the contents is full (ENOSPC) or
	// its disk quota is reached (EDQUOT) while a content is written; nothing
	// was changed. WebDAV: 507.
	ErrNoSpace = errors.New("docstore: the server's disk is full")
	// ErrIncomplete: the body ended before the announced size, or the reader
	// failed; nothing was changed. WebDAV: 400 (or the client is gone).
	ErrIncomplete = errors.New("docstore: incomplete upload")
	// ErrTooLarge: the body is longer than the announced size.
	ErrTooLarge = errors.New("docstore: body longer than announced")
	// ErrInvalidName: the path or name breaks the path rules (see package
	// doc), or a library/subject/role name is invalid. WebDAV: 400.
	ErrInvalidName = errors.New("docstore: invalid name")
	// ErrConflict: the parent folder is missing or is a file. WebDAV: 409.
	ErrConflict = errors.New("docstore: parent folder missing")
	// ErrCaseClash: a sibling already has the name up to case ("Budget.odt"
	// beside "budget.odt"), which Windows, macOS and SharePoint would show
	// as one item. It wraps ErrConflict (WebDAV: 409); its message says
	// which name is in the way.
	ErrCaseClash = fmt.Errorf("%w: another item has the same name up to upper and lower case", ErrConflict)
	// ErrIsDir: a file operation (PUT, GET content, versions) on a folder.
	// WebDAV: 405 for PUT.
	ErrIsDir = errors.New("docstore: is a folder")
	// ErrNotDir: a folder operation (List) on a file.
	ErrNotDir = errors.New("docstore: not a folder")
	// ErrInvalidMove: the destination is the source, inside the source, an
	// ancestor of the source (replacing it would delete the source), or the
	// library root. WebDAV: 403, as Apache mod_dav answers.
	ErrInvalidMove = errors.New("docstore: destination is the source, inside it or above it")
	// ErrLockMismatch: UNLOCK or refresh with a token that does not apply to
	// the path. WebDAV: 409 with lock-token-matches-request-uri.
	ErrLockMismatch = errors.New("docstore: lock token does not apply to this path")
)
