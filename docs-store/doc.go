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
// slash are folded.
//
// # Unicode and case
//
// Every name and path is normalized to Unicode NFC at the store's boundary
// (CleanPath, used by every method, system ones included): macOS sends
// "Résumé.docx" decomposed ("e" + U+0301), Windows and Linux composed
// (U+00E9); both spell the same item, which is stored, listed, reported in
// change events and walked by search in NFC. Lookups are otherwise exact:
// "/Rapports" does not find "/rapports".
//
// Windows, macOS and SharePoint treat names case-insensitively, so two
// siblings may not differ only by case: creating one (Put of a new file,
// Mkdir, LOCK on an unmapped name, Copy, or Move to a new name) next to an
// item whose name folds to the same key is ErrCaseClash, which wraps
// ErrConflict (WebDAV 409) and names the item in the way. The key is a
// simple, character by character case folding of the NFC name, as Windows'
// upper-case table ("RÉSUMÉ.DOCX" clashes with "Résumé.docx"; "STRASSE"
// does not with "Straße"). Renaming an item to another case of its own name
// (Move "Budget" to "budget") is allowed; restoring from the recycle bin
// next to a case twin restores beside it, as on any name clash.
//
// # Writes
//
// Put streams the body into a temporary file of the blob store, hashing it
// (sha256), and checks the announced size (a short body is ErrIncomplete and
// changes nothing). A body of at most 32 KiB is read into memory instead and
// stored in the database by the Put's own transaction (smallblob.go): no
// file, no file system sync. The target's checks (permission, folder,
// locks, conditions, case clash, quota) run first, before the body is
// read, so that a refused upload is not sent for nothing; the library,
// the role, the folder and the locks come from a cache that any commit by
// another connection invalidates (checkcache.go), and a small body without
// conditions leaves the item itself to be read by the committer. Put then hands
// the content and its transaction (the item's metadata, the previous
// content as a version, the audit record and a change event) to the
// store's committer, which groups the Puts waiting at that moment: it syncs
// their contents (in parallel), names each by its hash in the blob store
// (identical contents are stored once; a content gets its name only once
// synced, so a stored blob is always whole), syncs each blob folder once,
// then commits all the transactions in one database transaction. Inside it
// each Put's checks are run again, unless the committer can prove that
// nothing they read has changed since (commit.go, prechecked: SQLite's
// data_version and the names the batches since have written); a Put
// refused there drops out alone. The batch's new items, small contents,
// audit records and change events are written with one multi-row INSERT
// per table (batchwrites.go), and while the write-ahead log's fsync of the
// previous batch runs, the committer lets the next Puts gather instead of
// committing them one by one (commit.go, hold). Blobs no longer referenced by any item or
// version (including those of refused uploads) are collected by
// CollectGarbage after a grace period.
//
// # Durability
//
// A Put that returned (WebDAV 201 or 204) survives a crash of Kaz, of the
// operating system or a power cut: its content was fsynced, its name in the
// blob folder fsynced, and its transaction committed and the database's
// write-ahead log fsynced (one fsync for every group committed meanwhile,
// made outside SQLite's write lock so that the next group's SQL overlaps
// it) before Put returns. A Put that failed or was cut off changes nothing
// visible. The other writes (folders, moves, deletes, locks, properties)
// commit with the database's default, WAL with synchronous=NORMAL: they
// survive a crash of Kaz; after a power cut the last of them may be rolled
// back (never half-applied), and any later Put's commit makes them durable
// too, the WAL being sequential.
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
