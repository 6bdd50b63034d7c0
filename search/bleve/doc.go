// Package bleve is the embedded search engine: Bleve v2 indexes on disk,
// one per library (a shard), searched together (fanout.go: in parallel,
// merged by rank, ties ordered by library then index order) over the
// libraries the principal may read. It implements search.Index.
//
// Matching: text is analyzed French-first (elision, accent and case
// folding, French and English stop words, French light stemming; '_' and
// '.' separate words so that file names are words too). A word matches
// exactly, as a prefix when it is being typed (the last word without a
// space after it) or long (8+ letters: télétravail finds
// télétravailleurs), and — only when nothing matches otherwise — with one
// typo for words of 5+ letters. Words are searched in one field, "match"
// (text, name, title and author: index format 2, format.go, which also
// upgrades older shards on Open); words in the name or title rank higher
// through optional clauses. A query of plain words ranked by relevance,
// with or without facets, runs on the segments' postings directly
// (fastpath.go, fastfacets.go), scored as Bleve would; other queries go
// through Bleve's searchers. The analyzer (fastanalysis.go) gives
// Bleve's tokens faster. The index keeps no term vectors (match.go):
// phrases are checked on the stored text of the documents holding all
// their words, and snippets are cut by Kaz (snippet.go) from the stored
// text of the page's hits, analyzed again to find the query's words,
// around the densest group of matches, escaped around <mark> tags; the
// stored fields are read only for the page's hits, by a second search
// restricted to their ids.
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
