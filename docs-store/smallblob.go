package docstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Small contents live in the database, not in the blob store.
//
// A content of at most smallBlobMax bytes is kept in docs_small_blobs,
// keyed by its sha256 like a blob, and written by the very transaction that
// references it. For the many small files of a synced folder (rclone,
// Finder, davfs2) that is one WAL fsync per group of Puts instead of a file
// to create, sync, link and a folder to sync per Put — the file system's
// journal commits were most of a small Put's cost — and no inode per file.
// Durability is the transaction's (the committer fsyncs the write-ahead
// log before the Put returns): a small content is durable exactly when its
// item is, and a refused Put never writes its content, leaving nothing to
// collect. Identical small contents are stored once.
//
// SQLite's own measurements put the break-even between a BLOB in the
// database and a file beside it at about 100 KB for reads; 32 KiB keeps
// every small Put's buffer small (it is held in memory until the commit)
// and overflow chains short. Bigger contents, and contents of unknown
// length that turn out bigger, stream to the blob store as before.
const smallBlobMax = 32 << 10

// smallBufPool holds the buffers small contents are read into.
var smallBufPool = sync.Pool{New: func() any { b := make([]byte, smallBlobMax+1); return &b }}

// smallStaged is a small content read into memory. It implements
// stagedBlob with nothing to sync or name: the committer's transaction
// stores it (batchWrites.addSmall: once per content; the empty content
// needs no row, openBlob knows it).
type smallStaged struct {
	sum  string
	data []byte
	buf  *[]byte // returned to smallBufPool once committed
}

func (b *smallStaged) hash() string           { return b.sum }
func (b *smallStaged) sync() error            { return nil }
func (b *smallStaged) place() (string, error) { return "", nil }
func (b *smallStaged) discard()               {}

func (b *smallStaged) release() {
	if b.buf != nil {
		smallBufPool.Put(b.buf)
		b.buf, b.data = nil, nil
	}
}

// readSmall reads a body announced as size bytes (-1: unknown) when it
// fits smallBlobMax. It returns the content (ok) or, for a bigger body, a
// reader that replays what was read followed by the rest of r, for the blob
// store. A body shorter than announced is ErrIncomplete, a longer one
// ErrTooLarge, as the blob store would say.
func readSmall(ctx context.Context, r io.Reader, size int64) (small *smallStaged, rest io.Reader, n int64, err error) {
	if size > smallBlobMax {
		return nil, r, 0, nil
	}
	bp := smallBufPool.Get().(*[]byte)
	buf := *bp
	limit := smallBlobMax + 1
	if size >= 0 {
		limit = int(size) + 1
	}
	// Not io.ReadFull: it reports a clean end after some bytes as
	// io.ErrUnexpectedEOF, which is also what a cut chunked body says.
	got, err := 0, error(nil)
	for got < limit && err == nil {
		var k int
		k, err = ctxReader{ctx, r}.Read(buf[got:limit])
		got += k
	}
	switch {
	case err == nil && size < 0:
		// More than smallBlobMax of unknown length: stream it all.
		rest := io.MultiReader(bytes.NewReader(append([]byte(nil), buf[:got]...)), r)
		smallBufPool.Put(bp)
		return nil, rest, 0, nil
	case err == nil:
		smallBufPool.Put(bp)
		return nil, nil, int64(got), fmt.Errorf("%w: more than %d bytes", ErrTooLarge, size)
	case err == io.EOF:
		if size >= 0 && int64(got) < size {
			smallBufPool.Put(bp)
			return nil, nil, int64(got), fmt.Errorf("%w: %d of %d bytes", ErrIncomplete, got, size)
		}
	default:
		smallBufPool.Put(bp)
		return nil, nil, int64(got), fmt.Errorf("%w: %v", ErrIncomplete, err)
	}
	sum := sha256.Sum256(buf[:got])
	return &smallStaged{sum: hex.EncodeToString(sum[:]), data: buf[:got], buf: bp}, nil, int64(got), nil
}

// smallContent is a small content read from the database.
type smallContent struct{ *bytes.Reader }

func (smallContent) Close() error { return nil }

// openSmall returns the small content hash, or nil when the database does
// not hold it (a bigger content, or one written before small contents
// moved to the database).
func (s *Store) openSmall(ctx context.Context, hash string) (io.ReadSeekCloser, error) {
	var data []byte
	err := s.prepared(nil).QueryRowContext(ctx, s.q(`SELECT data FROM docs_small_blobs WHERE hash = ?`), hash).Scan(&data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("docstore: read small content: %w", err)
	}
	return smallContent{bytes.NewReader(data)}, nil
}

// collectSmall deletes the small contents no item or version references.
// A small content is inserted by the transaction that references it, so
// none is ever waiting for its reference: no grace period is needed.
func (s *Store) collectSmall(ctx context.Context) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// NOT IN: each list is read once (docs_items has no index on
		// the hashes of small contents, see docs_items_blob).
		res, err := tx.ExecContext(ctx, `DELETE FROM docs_small_blobs WHERE
			hash NOT IN (SELECT hash FROM docs_items) AND
			hash NOT IN (SELECT hash FROM docs_versions)`)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("docstore: collect small contents: %w", err)
	}
	return int(n), nil
}
