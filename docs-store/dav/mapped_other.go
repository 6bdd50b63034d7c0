//go:build !linux

package dav

import (
	"io"
	"os"
)

// sendMapped is Linux only: elsewhere downloads are copied.
func sendMapped(w io.Writer, f *os.File, n int64) (int64, error, bool) { return 0, nil, false }
