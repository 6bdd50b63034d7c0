package docstore

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

var procOnce sync.Once

// noTmpfile is set once the file system refused O_TMPFILE.
var noTmpfile atomic.Bool

// openAnonTemp opens an unnamed file in dir (O_TMPFILE), or returns nil
// when the file system does not support it.
func openAnonTemp(dir string) (*os.File, bool) {
	if noTmpfile.Load() {
		return nil, false
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		if err == unix.EOPNOTSUPP || err == unix.EISDIR || err == unix.EINVAL {
			noTmpfile.Store(true)
		}
		return nil, false
	}
	procOnce.Do(func() {
		if _, err := os.Stat("/proc/self/fd/" + strconv.Itoa(fd)); err != nil {
			// Without /proc, linkat cannot name the file.
			noTmpfile.Store(true)
		}
	})
	if noTmpfile.Load() {
		unix.Close(fd)
		return nil, false
	}
	return os.NewFile(uintptr(fd), filepath.Join(dir, "(unnamed)")), true
}

// linkAnonTemp gives the unnamed file f the name dst (fs.ErrExist when
// taken).
func linkAnonTemp(f *os.File, dst string) error {
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, dst, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: dst, Err: err}
	}
	return nil
}

// inodeOf is f's inode number (0 when unknown).
func inodeOf(f *os.File) uint64 {
	if fi, err := f.Stat(); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			return st.Ino
		}
	}
	return 0
}

// datasync makes f's data durable, with the metadata needed to read it
// back (its size) but not its times: what SQLite itself does for its log
// (fdatasync). When the log is rewritten in place, as it is after each
// checkpoint, no journal commit of the file system is needed.
func datasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
