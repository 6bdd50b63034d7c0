package search_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kazhq/kaz/search"
)

// memSource is an in-memory docstore: files and an outbox.
type memSource struct {
	mu       sync.Mutex
	files    map[string]map[string]memFile // library → path → file
	changes  []search.Change
	failOpen map[string]bool
}

type memFile struct {
	data []byte
	mod  time.Time
	by   string
}

func newMemSource() *memSource {
	return &memSource{files: map[string]map[string]memFile{}, failOpen: map[string]bool{}}
}

func (m *memSource) emit(kind search.ChangeKind, lib, p, old string, dir bool) {
	m.changes = append(m.changes, search.Change{Seq: int64(len(m.changes) + 1), Time: time.Now(), Kind: kind, Library: lib, Path: p, OldPath: old, IsDir: dir})
}

func (m *memSource) Put(lib, p string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files[lib] == nil {
		m.files[lib] = map[string]memFile{}
	}
	_, exists := m.files[lib][p]
	m.files[lib][p] = memFile{data: data, mod: time.Now(), by: "agent"}
	kind := search.ChangeCreate
	if exists {
		kind = search.ChangeUpdate
	}
	m.emit(kind, lib, p, "", false)
}

func (m *memSource) Delete(lib, p string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[lib][p]; ok {
		delete(m.files[lib], p)
		m.emit(search.ChangeDelete, lib, p, "", false)
		return
	}
	for fp := range m.files[lib] {
		if strings.HasPrefix(fp, p+"/") {
			delete(m.files[lib], fp)
		}
	}
	m.emit(search.ChangeDelete, lib, p, "", true)
}

func (m *memSource) Move(lib, from, to string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.files[lib][from]; ok {
		delete(m.files[lib], from)
		m.files[lib][to] = f
		m.emit(search.ChangeMove, lib, to, from, false)
		return
	}
	for fp, f := range m.files[lib] {
		if strings.HasPrefix(fp, from+"/") {
			delete(m.files[lib], fp)
			m.files[lib][to+strings.TrimPrefix(fp, from)] = f
		}
	}
	m.emit(search.ChangeMove, lib, to, from, true)
}

func (m *memSource) DropLibrary(lib string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, lib)
	m.emit(search.ChangeLibraryDelete, lib, "/", "", true)
}

func (m *memSource) Changes(ctx context.Context, after int64, limit int) ([]search.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []search.Change
	for _, c := range m.changes {
		if c.Seq > after && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (m *memSource) Open(ctx context.Context, lib, p string) (io.ReadCloser, search.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.files[lib][p]
	if !ok {
		return nil, search.Item{}, fmt.Errorf("open %s: %w", p, search.ErrNotFound)
	}
	it := search.Item{Library: lib, Path: p, Name: path.Base(p), Size: int64(len(f.data)), Modified: f.mod, ModifiedBy: f.by}
	if m.failOpen[p] {
		return nil, it, fmt.Errorf("blob missing")
	}
	return io.NopCloser(bytes.NewReader(f.data)), it, nil
}

func (m *memSource) Walk(ctx context.Context, lib, p string, fn func(search.Item) error) error {
	m.mu.Lock()
	var items []search.Item
	for fp, f := range m.files[lib] {
		if p == "/" || fp == p || strings.HasPrefix(fp, p+"/") {
			items = append(items, search.Item{Library: lib, Path: fp, Name: path.Base(fp), Size: int64(len(f.data)), Modified: f.mod})
		}
	}
	m.mu.Unlock()
	sort.Slice(items, func(i, j int) bool { return items[i].Path < items[j].Path })
	for _, it := range items {
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) LibraryNames(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for l := range m.files {
		out = append(out, l)
	}
	sort.Strings(out)
	return out, nil
}
