//go:build linux

package dav

const mappedWindowForTest = mappedWindow
