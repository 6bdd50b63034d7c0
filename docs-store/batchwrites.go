package docstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// batchWrites gathers the rows the jobs of one committed batch insert —
// small contents, new items, audit records, change events — and writes
// each table's rows with multi-row INSERTs (a statement per table and
// power-of-two chunk, instead of one per row: with a pure-Go SQLite the
// statement, not the row, is what costs).
//
// Rows are written in the order they were added, so that audit records
// and change events keep the order of the jobs. A job that reads the
// database (a check it could not trust) flushes first, so that it reads
// the writes of the jobs before it in the batch. Any failure of a flush
// gives the batch up (the committer then runs each job alone).
type batchWrites struct {
	s       *Store
	smalls  []*smallStaged
	seen    map[string]bool // small contents already added
	items   [][]any
	itemOut []*Item // where each new item's id goes
	audits  [][]any
	changes [][]any
	// twins holds, by pre-check key, the items prefetchTwins read.
	twins map[string][]Item
}

func (s *Store) newBatchWrites() *batchWrites { return &batchWrites{s: s} }

func (w *batchWrites) addSmall(b *smallStaged) {
	if b.sum == emptyHash || w.seen[b.sum] {
		return
	}
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	w.seen[b.sum] = true
	w.smalls = append(w.smalls, b)
}

// addItem adds a new item's values (newItemRow) and where its id goes.
func (w *batchWrites) addItem(row []any, out *Item) {
	w.items = append(w.items, row)
	w.itemOut = append(w.itemOut, out)
}

func (w *batchWrites) addAudit(row []any)  { w.audits = append(w.audits, row) }
func (w *batchWrites) addChange(row []any) { w.changes = append(w.changes, row) }

// maxChunk bounds the rows of one statement (13 values a row at most:
// far below SQLite's and PostgreSQL's limits on parameters).
const maxChunk = 64

// chunks splits n rows into power-of-two statement sizes, biggest first,
// so that a few statement shapes serve every batch (and stay prepared).
func chunks(n int) []int {
	var out []int
	for n > 0 {
		k := maxChunk
		for k > n {
			k >>= 1
		}
		out = append(out, k)
		n -= k
	}
	return out
}

// multiSQL caches the statements text by shape.
var multiSQL sync.Map // string → string

// multiInsert returns "head VALUES row, row, …" for k rows, rebound for
// the dialect.
func (s *Store) multiInsert(head, row, tail string, k int) string {
	key := head + "\x00" + strconv.Itoa(k) + "\x00" + tail
	if q, ok := multiSQL.Load(key); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(" VALUES ")
	for i := range k {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(tail)
	q := s.q(b.String())
	multiSQL.Store(key, q)
	return q
}

const (
	newItemHead = `INSERT INTO docs_items (library_id, trash, parent, name, path, is_dir, size, content_type, hash, version, created, modified, created_by, modified_by, hidden, locked_empty, name_key)`
	newItemRow  = `(?, 0, ?, ?, ?, 0, ?, ?, ?, 1, ?, ?, ?, ?, ?, 0, ?)`
)

// flush writes what was added, in q (the batch's transaction), and empties w.
func (w *batchWrites) flush(ctx context.Context, q querier) error {
	if err := w.flushSmalls(ctx, q); err != nil {
		return err
	}
	if err := w.flushItems(ctx, q); err != nil {
		return err
	}
	if err := w.exec(ctx, q, `INSERT INTO docs_audit (`+auditCols+`)`, `(?, ?, ?, ?, ?, ?, ?)`, w.audits); err != nil {
		return fmt.Errorf("docstore: audit: %w", err)
	}
	w.audits = w.audits[:0]
	if err := w.exec(ctx, q, `INSERT INTO docs_changes (`+changeCols+`)`, `(?, ?, ?, ?, ?, ?)`, w.changes); err != nil {
		return fmt.Errorf("docstore: change event: %w", err)
	}
	w.changes = w.changes[:0]
	return nil
}

func (w *batchWrites) flushSmalls(ctx context.Context, q querier) error {
	rows := make([][]any, len(w.smalls))
	for i, b := range w.smalls {
		rows[i] = []any{b.sum, b.data}
	}
	if err := w.exec(ctx, q, `INSERT INTO docs_small_blobs (hash, data)`, `(?, ?)`, rows, ` ON CONFLICT (hash) DO NOTHING`); err != nil {
		return fmt.Errorf("docstore: store small content: %w", err)
	}
	w.smalls = w.smalls[:0]
	clear(w.seen)
	return nil
}

// exec inserts rows with head and row (see multiInsert).
func (w *batchWrites) exec(ctx context.Context, q querier, head, row string, rows [][]any, tail ...string) error {
	t := strings.Join(tail, "")
	for _, k := range chunks(len(rows)) {
		var args []any
		for _, r := range rows[:k] {
			args = append(args, r...)
		}
		rows = rows[k:]
		if _, err := q.ExecContext(ctx, w.s.multiInsert(head, row, t, k), args...); err != nil {
			return err
		}
	}
	return nil
}

// flushItems inserts the new items and gives each its id (RETURNING, in
// SQLite 3.35+ and PostgreSQL alike; its rows come in no promised order,
// so they are matched by library and path, unique among live items).
func (w *batchWrites) flushItems(ctx context.Context, q querier) error {
	rows, outs := w.items, w.itemOut
	for _, k := range chunks(len(rows)) {
		byKey := make(map[string]*Item, k)
		var args []any
		for i, r := range rows[:k] {
			args = append(args, r...)
			byKey[itemKey(r[0].(int64), r[3].(string))] = outs[i]
		}
		rows, outs = rows[k:], outs[k:]
		res, err := q.QueryContext(ctx, w.s.multiInsert(newItemHead, newItemRow, ` RETURNING id, library_id, path`, k), args...)
		if err != nil {
			return fmt.Errorf("docstore: insert items: %w", err)
		}
		n := 0
		for res.Next() {
			var id, lib int64
			var path string
			if err := res.Scan(&id, &lib, &path); err != nil {
				res.Close()
				return fmt.Errorf("docstore: insert items: %w", err)
			}
			if out := byKey[itemKey(lib, path)]; out != nil {
				out.ID = id
				n++
			}
		}
		res.Close()
		if err := res.Err(); err != nil {
			return fmt.Errorf("docstore: insert items: %w", err)
		}
		if n != k {
			return fmt.Errorf("docstore: insert items: %d ids for %d items", n, k)
		}
	}
	w.items, w.itemOut = w.items[:0], w.itemOut[:0]
	return nil
}

func itemKey(lib int64, path string) string { return strconv.FormatInt(lib, 10) + "\x00" + path }
