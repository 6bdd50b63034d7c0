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
	"sync"
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

// DiskBlobs stores blobs as files dir/ab/abcd… (256 folders created at
// open, so that a write never creates a folder), written to dir/tmp,
// synced, then renamed. Blobs of the first layout, dir/ab/cd/abcd…, are
// still read, reused and removed.
type DiskBlobs struct {
	dir string
}

// deferredWriter is a BlobStore whose writes can leave the fsync of the
// blob's folder (which makes the rename durable) to the caller, so that one
// fsync covers several writes: Put's group commit syncs the folder before
// the transaction that references the blob.
type deferredWriter interface {
	// writeDeferred is Write without the folder fsync; dir is the folder
	// to sync ("" when nothing was renamed).
	writeDeferred(ctx context.Context, r io.Reader, size int64) (hash string, n int64, dir string, err error)
}

var _ BlobStore = (*DiskBlobs)(nil)

// NewDiskBlobs opens (creating) a blob folder.
func NewDiskBlobs(dir string) (*DiskBlobs, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("docstore: blob folder: %w", err)
	}
	made := false
	for i := range 256 {
		sub := filepath.Join(dir, fmt.Sprintf("%02x", i))
		if _, err := os.Stat(sub); err == nil {
			continue
		}
		if err := os.Mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("docstore: blob folder: %w", err)
		}
		made = true
	}
	if made {
		if err := syncDir(dir); err != nil {
			return nil, fmt.Errorf("docstore: blob folder: %w", err)
		}
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
	return filepath.Join(d.dir, hash[:2], hash)
}

// oldPath is the first layout's place of a blob.
func (d *DiskBlobs) oldPath(hash string) string {
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
	hash, n, dir, err := d.writeDeferred(ctx, r, size)
	if err != nil {
		return "", n, err
	}
	if dir != "" {
		if err := syncDir(dir); err != nil {
			return "", n, fmt.Errorf("docstore: sync blob folder: %w", err)
		}
	}
	return hash, n, nil
}

// bufPool holds copy buffers: small uploads should not allocate 256 KiB
// each.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func (d *DiskBlobs) writeDeferred(ctx context.Context, r io.Reader, size int64) (string, int64, string, error) {
	hash, n, err := d.write(ctx, r, size)
	if err != nil {
		return "", n, "", err
	}
	return hash.hash, n, hash.dir, nil
}

type written struct{ hash, dir string }

func (d *DiskBlobs) write(ctx context.Context, r io.Reader, size int64) (written, int64, error) {
	// An anonymous temporary file (O_TMPFILE on Linux) costs no folder
	// entry: it is linked once, at its place. Elsewhere, a named temporary
	// file is renamed.
	tmpDir := filepath.Join(d.dir, "tmp")
	f, anon := openAnonTemp(tmpDir)
	if f == nil {
		var err error
		if f, err = os.CreateTemp(tmpDir, "up-*"); err != nil {
			return written{}, 0, fmt.Errorf("docstore: blob temp file: %w", err)
		}
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if !closed {
			f.Close()
		}
		if !anon {
			os.Remove(tmp) // no-op once renamed
		}
	}()
	h := sha256.New()
	src := io.Reader(ctxReader{ctx, r})
	if size >= 0 {
		src = io.LimitReader(src, size+1)
	}
	bp := bufPool.Get().(*[]byte)
	n, err := io.CopyBuffer(io.MultiWriter(f, h), src, *bp)
	bufPool.Put(bp)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return written{}, n, fmt.Errorf("docstore: write blob: %w", err)
		}
		return written{}, n, fmt.Errorf("%w: %v", ErrIncomplete, err)
	}
	if size >= 0 && n < size {
		return written{}, n, fmt.Errorf("%w: %d of %d bytes", ErrIncomplete, n, size)
	}
	if size >= 0 && n > size {
		return written{}, n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, size)
	}
	// The content is durable before it gets a name: a blob under its hash
	// is always whole, even after a power cut.
	if err := f.Sync(); err != nil {
		return written{}, n, fmt.Errorf("docstore: sync blob: %w", err)
	}
	hash := hex.EncodeToString(h.Sum(nil))
	dst := d.path(hash)
	now := time.Now()
	for _, have := range []string{dst, d.oldPath(hash)} {
		if _, err := os.Stat(have); err == nil {
			// Stored once: refresh its time so the collector's grace covers
			// the commit about to reference it. Its folder is synced again:
			// the write that renamed it may not have synced it yet.
			os.Chtimes(have, now, now)
			return written{hash: hash, dir: filepath.Dir(have)}, n, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return written{}, n, fmt.Errorf("docstore: blob folder: %w", err)
	}
	if anon {
		if err := linkAnonTemp(f, dst); err != nil && !errors.Is(err, fs.ErrExist) {
			return written{}, n, fmt.Errorf("docstore: link blob: %w", err)
		}
	} else {
		if err := f.Close(); err != nil {
			return written{}, n, fmt.Errorf("docstore: close blob: %w", err)
		}
		closed = true
		if err := os.Rename(tmp, dst); err != nil {
			return written{}, n, fmt.Errorf("docstore: rename blob: %w", err)
		}
	}
	return written{hash: hash, dir: filepath.Dir(dst)}, n, nil
}

// syncDir makes the entries of dir (renames into it) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func (d *DiskBlobs) Open(ctx context.Context, hash string) (io.ReadSeekCloser, error) {
	if !validHash(hash) {
		return nil, fmt.Errorf("docstore: open blob %q: %w", hash, ErrNotFound)
	}
	f, err := os.Open(d.path(hash))
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.Open(d.oldPath(hash))
	}
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
	for _, p := range []string{d.path(hash), d.oldPath(hash)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("docstore: remove blob: %w", err)
		}
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
		if !validHash(name) || (p != d.path(name) && p != d.oldPath(name)) {
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
