//go:build !linux

package docstore

import "os"

// openAnonTemp: unnamed files are Linux only (O_TMPFILE).
func openAnonTemp(dir string) (*os.File, bool) { return nil, false }

func linkAnonTemp(f *os.File, dst string) error { panic("unreachable") }

// inodeOf is unknown here (0): the caller then syncs the folder each time.
func inodeOf(f *os.File) uint64 { return 0 }

func datasync(f *os.File) error { return f.Sync() }
