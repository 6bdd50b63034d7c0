//go:build !unix

package bleve

import (
	"os"
	"path/filepath"
)

// lockDir opens dir's lock file; without flock, a second process is
// detected by the shards' own locks only.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "kaz.lock"), os.O_RDWR|os.O_CREATE, 0o600)
}

// InUse reports whether another process holds the indexes under dir; it
// cannot tell without flock and says so.
func InUse(dir string) bool { return true }
