// Package bleve is the embedded search engine: Bleve v2 indexes on disk,
// one per library (a shard), searched together through an IndexAlias of
// the libraries the principal may read. It implements search.Index.
package bleve
