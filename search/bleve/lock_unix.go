//go:build unix

package bleve

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive lock on dir (a kaz.lock file in it) for the
// life of the process's engine, so that a second Kaz process (an admin
// command while the server runs) learns at once that the indexes are in
// use, even before any shard exists. It fails with ErrInUse when another
// process holds it.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "kaz.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bleve: lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrInUse, dir)
		}
		return nil, fmt.Errorf("bleve: lock %s: %w", dir, err)
	}
	return f, nil
}

// InUse reports whether another process holds the indexes under dir.
func InUse(dir string) bool {
	f, err := lockDir(dir)
	if err != nil {
		return errors.Is(err, ErrInUse)
	}
	f.Close()
	return false
}
