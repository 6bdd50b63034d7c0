// Package docstore owns Kaz's document libraries: libraries and their
// grants, folders and files, version history, the recycle bin, WebDAV locks,
// dead properties, the content-addressed blob store, the audit log and the
// change outbox that search follows.
//
// # Model
//
// A library has a name, a description, a quota and a version limit, and
// grants a role (owner, editor or reader) to subjects "group:NAME" or
// "user:NAME". Items are addressed by (library, path), where path is a
// cleaned absolute path such as "/Rapports/2026/budget.odt" ("/" is the
// library's root folder, which always exists and is not stored).
//
// # Path rules
//
// CleanPath accepts "/"-separated paths and refuses, with ErrInvalidName:
// invalid UTF-8; NUL and control characters (U+0000–U+001F, U+007F); the
// characters Windows forbids in names (< > : " | ? * \); "." and ".."
// segments (no traversal, not even harmless ones); names ending in a dot or
// a space; the reserved Windows device names (CON, PRN, AUX, NUL, COM1–9,
// LPT1–9, with or without an extension, in any case); names longer than
// MaxNameBytes (255 bytes); paths longer than MaxPathBytes (1024 bytes); and
// more than MaxDepth (64) levels. Empty segments ("a//b") and a trailing
// slash are folded. Names are stored byte for byte (no Unicode
// normalization), so that clients find back exactly what they wrote.
//
// # Writes
//
// Put streams the body into a temporary file of the blob store, hashing it
// (sha256), syncs it, checks the announced size (a short body is
// ErrIncomplete and changes nothing), renames it to its content-addressed
// place (identical contents are stored once), and only then commits, in one
// transaction, the item's metadata, the previous content as a version, the
// audit record and a change event. Blobs no longer referenced by any item or
// version are collected by CollectGarbage after a grace period.
//
// # Locks
//
// Locks live in the database and survive restarts. A LOCK on an unmapped
// path follows RFC 4918 §9.10.4 (the newer "locked empty resource"
// behaviour, not RFC 2518's lock-null resources): it creates an empty file,
// flagged Item.LockedEmpty until its first write, which stays after UNLOCK.
// Every write method takes the lock tokens the client submitted and refuses
// with ErrLocked when a lock covering the target (on it, or a depth-infinity
// lock on an ancestor; for changes of a folder's membership, also a lock on
// the parent folder) is not matched by a submitted token held by the same
// user. Timeouts are capped by Config.MaxLockTimeout; expired locks are
// ignored and purged.
//
// # Security
//
// Every method that takes a *auth.Principal checks its role inside the
// store: reader = read, list, versions; editor = also write, delete, move,
// copy, lock, restore versions and deleted items; owner = also grants,
// force-unlock, the audit log and emptying the recycle bin. A nil principal
// or a library without a grant for the principal gets ErrPermission (or
// ErrNotFound when even the library's existence must not leak — we return
// ErrNotFound for libraries the principal cannot read). Administrators
// (Principal.Admin) create, delete and configure libraries and grant roles,
// but read content only through a grant like everyone else.
//
// The methods without a principal (Changes, OpenSystem, Walk,
// LibraryNames, PurgeTrash, CollectGarbage) are for trusted system
// components (the search indexer, background tasks) and must never be
// reachable from a request without a permission check of the caller.
package docstore
