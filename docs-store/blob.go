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
	"syscall"
	"time"
)

// BlobStore keeps contents by their sha256. Implementations: disk (here),
// S3-compatible storage later.
type BlobStore interface {
	// Write streams r into a new blob. When size >= 0, a shorter body is
	// ErrIncomplete and a longer one ErrTooLarge, and nothing is kept; a
	// full storage is ErrNoSpace, nothing kept either. On return the blob
	// is durable (synced) under the returned hex hash.
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

// stager is a BlobStore whose writes can be finished by Put's group
// committer: the content is written and hashed by the uploading request,
// then the committer syncs the contents of a whole batch in parallel (one
// journal commit of the file system for all), gives each its name, and
// syncs the blob folders once, before the batch's transaction.
type stager interface {
	stage(ctx context.Context, r io.Reader, size int64) (stagedBlob, int64, error)
}

// stagedBlob is a written, hashed, not yet synced nor named content.
type stagedBlob interface {
	hash() string
	// sync makes the content durable (safe to call concurrently with
	// other blobs' sync).
	sync() error
	// place names the synced content by its hash (or finds it already
	// stored) and returns the folder to sync for the name to be durable.
	place() (dir string, err error)
	// discard drops an unplaced blob.
	discard()
}

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
	sb, n, err := d.stage(ctx, r, size)
	if err != nil {
		return "", n, err
	}
	if err := sb.sync(); err != nil {
		sb.discard()
		return "", n, err
	}
	dir, err := sb.place()
	if err != nil {
		return "", n, err
	}
	if err := syncDir(dir); err != nil {
		return "", n, fmt.Errorf("docstore: sync blob folder: %w", err)
	}
	return sb.hash(), n, nil
}

// bufPool holds copy buffers: small uploads should not allocate 256 KiB
// each.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// diskStaged is a content written to a temporary file.
type diskStaged struct {
	d    *DiskBlobs
	f    *os.File
	anon bool   // unnamed (O_TMPFILE): linked at its place
	tmp  string // the named temporary file otherwise
	sum  string
	done bool
}

func (b *diskStaged) hash() string { return b.sum }

func (b *diskStaged) sync() error {
	if err := b.f.Sync(); err != nil {
		// Some file systems (NFS, or ext4 with delayed allocation on a
		// full disk) report ENOSPC only here.
		return fmt.Errorf("docstore: sync blob: %w", noSpace(err))
	}
	return nil
}

// noSpace marks err with ErrNoSpace when the file system is full (ENOSPC)
// or the user's disk quota is reached (EDQUOT).
func noSpace(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}

func (b *diskStaged) discard() {
	if b.done {
		return
	}
	b.done = true
	b.f.Close()
	if !b.anon {
		os.Remove(b.tmp)
	}
}

// place must follow sync: a blob under its hash is always whole, even
// after a power cut, since a later upload of the same content reuses it.
func (b *diskStaged) place() (string, error) {
	defer b.discard()
	d, hash := b.d, b.sum
	dst := d.path(hash)
	now := time.Now()
	for _, have := range []string{dst, d.oldPath(hash)} {
		if _, err := os.Stat(have); err == nil {
			// Stored once: refresh its time so the collector's grace covers
			// the commit about to reference it. Its folder is synced again:
			// the write that named it may not have synced it yet.
			os.Chtimes(have, now, now)
			return filepath.Dir(have), nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", fmt.Errorf("docstore: blob folder: %w", noSpace(err))
	}
	if b.anon {
		if err := linkAnonTemp(b.f, dst); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("docstore: link blob: %w", noSpace(err))
		}
		return filepath.Dir(dst), nil
	}
	if err := b.f.Close(); err != nil {
		return "", fmt.Errorf("docstore: close blob: %w", noSpace(err))
	}
	if err := os.Rename(b.tmp, dst); err != nil {
		return "", fmt.Errorf("docstore: rename blob: %w", noSpace(err))
	}
	return filepath.Dir(dst), nil
}

func (d *DiskBlobs) stage(ctx context.Context, r io.Reader, size int64) (stagedBlob, int64, error) {
	// An unnamed temporary file (O_TMPFILE on Linux) costs no folder
	// entry: it is linked once, at its place. Elsewhere, a named temporary
	// file is renamed.
	tmpDir := filepath.Join(d.dir, "tmp")
	b := &diskStaged{d: d}
	b.f, b.anon = openAnonTemp(tmpDir)
	if b.f == nil {
		var err error
		if b.f, err = os.CreateTemp(tmpDir, "up-*"); err != nil {
			return nil, 0, fmt.Errorf("docstore: blob temp file: %w", noSpace(err))
		}
		b.tmp = b.f.Name()
	}
	h := sha256.New()
	src := io.Reader(ctxReader{ctx, r})
	if size >= 0 {
		src = io.LimitReader(src, size+1)
	}
	bp := bufPool.Get().(*[]byte)
	n, err := io.CopyBuffer(io.MultiWriter(b.f, h), src, *bp)
	bufPool.Put(bp)
	switch {
	case err != nil:
		// discard frees what was written: the unnamed file goes with its
		// last descriptor, the named one is removed.
		b.discard()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			// The temporary file failed (ENOSPC: ErrNoSpace), not the body.
			return nil, n, fmt.Errorf("docstore: write blob: %w", noSpace(err))
		}
		return nil, n, fmt.Errorf("%w: %v", ErrIncomplete, err)
	case size >= 0 && n < size:
		b.discard()
		return nil, n, fmt.Errorf("%w: %d of %d bytes", ErrIncomplete, n, size)
	case size >= 0 && n > size:
		b.discard()
		return nil, n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, size)
	}
	b.sum = hex.EncodeToString(h.Sum(nil))
	return b, n, nil
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

// openBlob opens a content of size bytes: the empty content needs no blob
// (the files a LOCK creates on unmapped paths are empty), a small one is
// in the database (smallblob.go), unless it was written before.
func (s *Store) openBlob(ctx context.Context, hash string, size int64) (io.ReadSeekCloser, error) {
	if hash == emptyHash {
		return emptyContent{bytes.NewReader(nil)}, nil
	}
	if size <= smallBlobMax {
		f, err := s.openSmall(ctx, hash)
		if f != nil || err != nil {
			return f, err
		}
	}
	return s.blobs.Open(ctx, hash)
}
