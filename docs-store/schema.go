package docstore

// migrations of component "docstore". Append only: never edit a step that
// has shipped. The SQL is portable (SQLite and PostgreSQL): TEXT times in
// sqldb.FormatTime form, INTEGER booleans, ? placeholders rebound.
var migrations = []string{
	`CREATE TABLE docs_libraries (
		id INTEGER PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		description TEXT NOT NULL DEFAULT '',
		quota INTEGER NOT NULL DEFAULT 0,
		max_versions INTEGER NOT NULL DEFAULT 100,
		created TEXT NOT NULL,
		created_by TEXT NOT NULL DEFAULT '')`,
	`CREATE TABLE docs_grants (
		library_id INTEGER NOT NULL REFERENCES docs_libraries(id) ON DELETE CASCADE,
		subject TEXT NOT NULL,
		role TEXT NOT NULL,
		PRIMARY KEY (library_id, subject))`,
	// trash is 0 for live items, else the docs_trash entry the item was
	// deleted with (the whole subtree shares it).
	`CREATE TABLE docs_items (
		id INTEGER PRIMARY KEY,
		library_id INTEGER NOT NULL REFERENCES docs_libraries(id) ON DELETE CASCADE,
		trash INTEGER NOT NULL DEFAULT 0,
		parent TEXT NOT NULL,
		name TEXT NOT NULL,
		path TEXT NOT NULL,
		is_dir INTEGER NOT NULL,
		size INTEGER NOT NULL DEFAULT 0,
		content_type TEXT NOT NULL DEFAULT '',
		hash TEXT NOT NULL DEFAULT '',
		version INTEGER NOT NULL DEFAULT 1,
		created TEXT NOT NULL,
		modified TEXT NOT NULL,
		created_by TEXT NOT NULL DEFAULT '',
		modified_by TEXT NOT NULL DEFAULT '',
		hidden INTEGER NOT NULL DEFAULT 0,
		locked_empty INTEGER NOT NULL DEFAULT 0,
		UNIQUE (library_id, trash, path))`,
	`CREATE INDEX docs_items_parent ON docs_items(library_id, trash, parent, name)`,
	`CREATE INDEX docs_items_hash ON docs_items(hash)`,
	`CREATE TABLE docs_versions (
		id INTEGER PRIMARY KEY,
		item_id INTEGER NOT NULL REFERENCES docs_items(id) ON DELETE CASCADE,
		version INTEGER NOT NULL,
		size INTEGER NOT NULL,
		hash TEXT NOT NULL,
		content_type TEXT NOT NULL DEFAULT '',
		modified TEXT NOT NULL,
		modified_by TEXT NOT NULL DEFAULT '',
		UNIQUE (item_id, version))`,
	`CREATE INDEX docs_versions_hash ON docs_versions(hash)`,
	`CREATE TABLE docs_trash (
		id INTEGER PRIMARY KEY,
		library_id INTEGER NOT NULL REFERENCES docs_libraries(id) ON DELETE CASCADE,
		path TEXT NOT NULL,
		name TEXT NOT NULL,
		is_dir INTEGER NOT NULL,
		size INTEGER NOT NULL DEFAULT 0,
		deleted TEXT NOT NULL,
		deleted_by TEXT NOT NULL DEFAULT '')`,
	`CREATE INDEX docs_trash_lib ON docs_trash(library_id, deleted)`,
	`CREATE TABLE docs_props (
		item_id INTEGER NOT NULL REFERENCES docs_items(id) ON DELETE CASCADE,
		space TEXT NOT NULL,
		local TEXT NOT NULL,
		value TEXT NOT NULL,
		PRIMARY KEY (item_id, space, local))`,
	`CREATE TABLE docs_locks (
		token TEXT PRIMARY KEY,
		library_id INTEGER NOT NULL REFERENCES docs_libraries(id) ON DELETE CASCADE,
		path TEXT NOT NULL,
		exclusive INTEGER NOT NULL,
		deep INTEGER NOT NULL,
		user_name TEXT NOT NULL,
		owner_xml TEXT NOT NULL DEFAULT '',
		timeout_s INTEGER NOT NULL,
		created TEXT NOT NULL,
		expires TEXT NOT NULL)`,
	`CREATE INDEX docs_locks_path ON docs_locks(library_id, path)`,
	`CREATE TABLE docs_changes (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		time TEXT NOT NULL,
		kind TEXT NOT NULL,
		library TEXT NOT NULL,
		path TEXT NOT NULL,
		old_path TEXT NOT NULL DEFAULT '',
		is_dir INTEGER NOT NULL DEFAULT 0)`,
	`CREATE TABLE docs_audit (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		time TEXT NOT NULL,
		library TEXT NOT NULL,
		user_name TEXT NOT NULL,
		ip TEXT NOT NULL DEFAULT '',
		action TEXT NOT NULL,
		path TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT '')`,
	`CREATE INDEX docs_audit_lib ON docs_audit(library, id)`,
	// name_key is the case-folded name (nameKey), so that a sibling that
	// differs only by case is refused in one indexed query. Filled by Open
	// for rows written before.
	`ALTER TABLE docs_items ADD COLUMN name_key TEXT NOT NULL DEFAULT ''`,
	`CREATE INDEX docs_items_name_key ON docs_items(library_id, trash, parent, name_key)`,
	// Small contents (smallblob.go). BYTEA is PostgreSQL's binary type;
	// SQLite gives the column NUMERIC affinity, which stores []byte values
	// as BLOBs unchanged.
	`CREATE TABLE docs_small_blobs (
		hash TEXT PRIMARY KEY,
		data BYTEA NOT NULL)`,
	// A folder's children are listed off docs_items_name_key, in
	// case-insensitive name order (case twins are refused, so the key is
	// unique in its folder): the index by exact name was one more to
	// update for every new item, a few percent of a small PUT.
	`DROP INDEX docs_items_parent`,
	// Blob files hold the contents bigger than smallBlobMax (32 KiB); the
	// smaller ones are in docs_small_blobs. Only garbage collection looks
	// items up by hash, for blob files: a partial index spares every small
	// PUT an insert at a random place of an index of hashes (1.10 x on
	// small PUTs). blobReferenced says why that is enough. 32768 is
	// smallBlobMax (TestGarbageCollectionReadsTheBlobIndex).
	`DROP INDEX docs_items_hash`,
	`CREATE INDEX docs_items_blob ON docs_items(hash) WHERE size > 32768`,
}
