//go:build !linux

package dav

const mappedWindowForTest = 4 << 20
