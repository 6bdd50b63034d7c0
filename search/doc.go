// Package search owns Kaz's full-text search: the Index interface that the
// engines implement (embedded Bleve in search/bleve, Meilisearch in
// search/meili), the parser for what agents type, and the Indexer that
// follows docstore's change outbox from a cursor persisted in the database
// and feeds text extracted by search/extract to the engine.
//
// Security: every Query carries the libraries its principal may read
// (Query.Libraries, from docstore's ReadableLibraries); engines restrict the
// search to those libraries inside the query, before sorting and paging, and
// an empty list finds nothing. Snippets are HTML-escaped except for the
// <mark> tags around matches. Documents are untrusted: extraction runs with
// limits on size, time and decompression, and a document that cannot be
// read is still indexed by name and path, with the reason recorded for the
// admin view.
//
// search does not import docstore: it consumes docstore's change events
// through the Source interface, which server adapts.
package search
