//go:build !linux

package docstore

import "os"

// openAnonTemp: unnamed files are Linux only (O_TMPFILE).
func openAnonTemp(dir string) (*os.File, bool) { return nil, false }

func linkAnonTemp(f *os.File, dst string) error { panic("unreachable") }
