package docstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// BlobStore keeps contents by their sha256. Implementations: disk (here),
// S3-compatible storage later.
type BlobStore interface {
	// Write streams r into a new blob. When size >= 0, a shorter body is
	// ErrIncomplete and a longer one ErrTooLarge, and nothing is kept. On
	// return the blob is durable (synced) under the returned hex hash.
	Write(ctx context.Context, r io.Reader, size int64) (hash string, n int64, err error)
	// Open opens a blob for reading.
	Open(ctx context.Context, hash string) (io.ReadSeekCloser, error)
	// Remove deletes a blob; a missing blob is not an error.
	Remove(ctx context.Context, hash string) error
	// Walk calls fn for every blob with its last write (or reuse) time.
	Walk(ctx context.Context, fn func(hash string, mod time.Time) error) error
}

// DiskBlobs stores blobs as files dir/ab/cd/abcd…, written to dir/tmp,
// synced, then renamed.
type DiskBlobs struct {
	dir string
}

var _ BlobStore = (*DiskBlobs)(nil)

// NewDiskBlobs opens (creating) a blob folder.
func NewDiskBlobs(dir string) (*DiskBlobs, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("docstore: blob folder: %w", err)
	}
	// Leftovers of a crash are never referenced.
	if ents, err := os.ReadDir(filepath.Join(dir, "tmp")); err == nil {
		for _, e := range ents {
			os.Remove(filepath.Join(dir, "tmp", e.Name()))
		}
	}
	return &DiskBlobs{dir: dir}, nil
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (d *DiskBlobs) path(hash string) string {
	return filepath.Join(d.dir, hash[:2], hash[2:4], hash)
}

// ctxReader fails reads once ctx ends, so that a cancelled request stops
// an upload.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (d *DiskBlobs) Write(ctx context.Context, r io.Reader, size int64) (string, int64, error) {
	f, err := os.CreateTemp(filepath.Join(d.dir, "tmp"), "up-*")
	if err != nil {
		return "", 0, fmt.Errorf("docstore: blob temp file: %w", err)
	}
	tmp := f.Name()
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	src := io.Reader(ctxReader{ctx, r})
	if size >= 0 {
		src = io.LimitReader(src, size+1)
	}
	buf := make([]byte, 256<<10)
	n, err := io.CopyBuffer(io.MultiWriter(f, h), src, buf)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return "", n, fmt.Errorf("docstore: write blob: %w", err)
		}
		return "", n, fmt.Errorf("%w: %v", ErrIncomplete, err)
	}
	if size >= 0 && n < size {
		return "", n, fmt.Errorf("%w: %d of %d bytes", ErrIncomplete, n, size)
	}
	if size >= 0 && n > size {
		return "", n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, size)
	}
	if err := f.Sync(); err != nil {
		return "", n, fmt.Errorf("docstore: sync blob: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", n, fmt.Errorf("docstore: close blob: %w", err)
	}
	hash := hex.EncodeToString(h.Sum(nil))
	dst := d.path(hash)
	now := time.Now()
	if _, err := os.Stat(dst); err == nil {
		// Stored once: refresh its time so the collector's grace covers the
		// commit about to reference it.
		os.Chtimes(dst, now, now)
		return hash, n, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", n, fmt.Errorf("docstore: blob folder: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", n, fmt.Errorf("docstore: rename blob: %w", err)
	}
	keep = true
	syncDir(filepath.Dir(dst))
	return hash, n, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func (d *DiskBlobs) Open(ctx context.Context, hash string) (io.ReadSeekCloser, error) {
	if !validHash(hash) {
		return nil, fmt.Errorf("docstore: open blob %q: %w", hash, ErrNotFound)
	}
	f, err := os.Open(d.path(hash))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("docstore: blob %s missing: %w", hash, err)
		}
		return nil, fmt.Errorf("docstore: open blob: %w", err)
	}
	return f, nil
}

func (d *DiskBlobs) Remove(ctx context.Context, hash string) error {
	if !validHash(hash) {
		return nil
	}
	err := os.Remove(d.path(hash))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("docstore: remove blob: %w", err)
	}
	return nil
}

func (d *DiskBlobs) Walk(ctx context.Context, fn func(hash string, mod time.Time) error) error {
	return filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if e.IsDir() {
			if e.Name() == "tmp" {
				return filepath.SkipDir
			}
			return ctx.Err()
		}
		name := e.Name()
		if !validHash(name) || !strings.HasPrefix(p, filepath.Join(d.dir, name[:2], name[2:4])) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil
		}
		return fn(name, info.ModTime())
	})
}

// emptyContent reads as no bytes.
type emptyContent struct{ *bytes.Reader }

func (emptyContent) Close() error { return nil }

// openBlob opens a content; the empty content needs no blob (the files a
// LOCK creates on unmapped paths are empty).
func (s *Store) openBlob(ctx context.Context, hash string) (io.ReadSeekCloser, error) {
	if hash == emptyHash {
		return emptyContent{bytes.NewReader(nil)}, nil
	}
	return s.blobs.Open(ctx, hash)
}
