// Package bleve is the embedded search engine: Bleve v2 indexes on disk,
// one per library (a shard), searched together through an IndexAlias of
// the libraries the principal may read. It implements search.Index.
//
// Matching: text is analyzed French-first (elision, accent and case
// folding, French and English stop words, French light stemming; '_' and
// '.' separate words so that file names are words too). A word matches
// exactly, as a prefix when it is being typed (the last word without a
// space after it) or long (8+ letters: télétravail finds
// télétravailleurs), and — only when nothing matches otherwise — with one
// typo for words of 5+ letters. Phrases use positions. Snippets are cut
// by Kaz (snippet.go) from the stored text around the densest group of
// match locations, escaped around <mark> tags; the locations and stored
// fields are read only for the page's hits, by a second search restricted
// to their ids (reading term vectors for every match was the cost of
// two-word queries).
//
// Security: a shard holds only its library's documents (documents are
// routed by Document.Library), and a search opens only the shards of the
// query's scope, so trimming happens before scoring and paging. Shard
// folders are named from a hash of the library name: any name is safe.
//
// Durability: Bleve's scorch returns from a batch once it is persisted,
// which lets the indexer move its cursor right after Apply. Apply writes
// the libraries of a batch in parallel, each as one Bleve batch.
package bleve
