//go:build linux

package dav

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// mappedWindow is how much of a file is mapped at a time (as Apache's
// APR does): the RSS of a download stays small.
const mappedWindow = 4 << 20

// sendMapped writes n bytes of f from its current offset to w through
// memory-mapped windows: one copy (page cache → socket) instead of two
// (page cache → buffer → socket). Blobs are immutable and never
// truncated, so a mapping cannot fault. handled is false when mapping is
// not possible (the caller copies instead).
func sendMapped(w io.Writer, f *os.File, n int64) (sent int64, err error, handled bool) {
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || n <= 0 {
		return 0, nil, false
	}
	page := int64(os.Getpagesize())
	for sent < n {
		pos := off + sent
		base := pos &^ (page - 1)
		size := min(int64(mappedWindow), n-sent)
		m, merr := unix.Mmap(int(f.Fd()), base, int(pos-base+size), unix.PROT_READ, unix.MAP_SHARED)
		if merr != nil {
			if sent == 0 {
				return 0, nil, false
			}
			err = merr
			break
		}
		unix.Madvise(m, unix.MADV_SEQUENTIAL)
		k, werr := w.Write(m[pos-base:])
		unix.Munmap(m)
		sent += int64(k)
		if werr != nil {
			err = werr
			break
		}
	}
	if _, serr := f.Seek(off+sent, io.SeekStart); err == nil && serr != nil {
		err = serr
	}
	return sent, err, true
}
