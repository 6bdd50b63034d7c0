package bleve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"golang.org/x/sync/errgroup"

	"github.com/kazhq/kaz/search"
)

// Index format of a shard, recorded in its "format" file:
//
//   - 1 (no file): words searched in the content, name and meta fields;
//   - 2: words searched in one field, fMatch (text, name, title and
//     author), the content stored only. A two-word query is then a
//     conjunction of two term searches instead of a conjunction of
//     three-field disjunctions.
//
// Open rebuilds every shard of an older format from the shard's own
// stored fields (everything an indexed field is made from is stored), so
// an upgrade needs nothing from the operator and no text is extracted
// again.
const formatVersion = 2

const (
	formatFile = "format"
	// Suffixes of the folders of a rebuild: the new shard is built in
	// <shard>.rebuild, then <shard> is renamed <shard>.old, <shard>.rebuild
	// renamed <shard>, and <shard>.old removed. Open finishes or undoes a
	// rebuild a crash interrupted (recoverRebuilds).
	rebuildSuffix = ".rebuild"
	oldSuffix     = ".old"
)

// shardFormat reads the format of the shard in folder p.
func shardFormat(p string) (int, error) {
	b, err := os.ReadFile(filepath.Join(p, formatFile))
	if errors.Is(err, os.ErrNotExist) {
		return 1, nil
	}
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("bleve: unreadable format file in %s: %q", p, b)
	}
	return v, nil
}

func writeFormat(p string) error {
	return writeFileSync(filepath.Join(p, formatFile), []byte(strconv.Itoa(formatVersion)+"\n"))
}

func writeFileSync(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// recoverRebuilds finishes or undoes the shard rebuilds a crash
// interrupted in dir: a <shard>.old whose <shard> exists is a finished
// rebuild (the old shard is removed); one whose <shard> is missing is
// put back (it is rebuilt again); a <shard>.rebuild is unfinished work
// (removed).
func recoverRebuilds(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("bleve: list %s: %w", dir, err)
	}
	for _, ent := range entries {
		name := ent.Name()
		if !ent.IsDir() || !strings.HasSuffix(name, oldSuffix) {
			continue
		}
		base := filepath.Join(dir, strings.TrimSuffix(name, oldSuffix))
		old := filepath.Join(dir, name)
		if _, err := os.Stat(base); err == nil {
			if err := os.RemoveAll(old); err != nil {
				return fmt.Errorf("bleve: remove replaced shard: %w", err)
			}
		} else if err := os.Rename(old, base); err != nil {
			return fmt.Errorf("bleve: restore shard: %w", err)
		}
	}
	for _, ent := range entries {
		if ent.IsDir() && strings.HasSuffix(ent.Name(), rebuildSuffix) {
			if err := os.RemoveAll(filepath.Join(dir, ent.Name())); err != nil {
				return fmt.Errorf("bleve: remove unfinished rebuild: %w", err)
			}
		}
	}
	return syncDir(dir)
}

// upgradeShards rebuilds, in the current format, the shards of dir
// (folder → library) that have an older one, GOMAXPROCS at a time.
func (e *Engine) upgradeShards(ctx context.Context, dir string, shards map[string]string) error {
	var old []string
	for p := range shards {
		v, err := shardFormat(p)
		if err != nil {
			return err
		}
		if v > formatVersion {
			return fmt.Errorf("bleve: the search index in %s has format %d, newer than this Kaz (%d): use a newer Kaz or remove the folder to rebuild it", p, v, formatVersion)
		}
		if v < formatVersion {
			old = append(old, p)
		}
	}
	if len(old) == 0 {
		return nil
	}
	e.log.Info("search index: upgrading to a new format (once; searches wait until it is done)", "component", "search", "libraries", len(old), "format", formatVersion)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, runtime.GOMAXPROCS(0)))
	for _, p := range old {
		g.Go(func() error { return e.rebuildShard(gctx, p, shards[p]) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return syncDir(dir)
}

// rebuildShard rebuilds the shard in folder p (of library lib) in the
// current format from its stored fields, then swaps it in.
func (e *Engine) rebuildShard(ctx context.Context, p, lib string) error {
	start := time.Now()
	src, err := bleve.OpenUsing(filepath.Join(p, "index"), shardConfig())
	if err != nil {
		return fmt.Errorf("bleve: open shard of %q for upgrade: %w", lib, err)
	}
	srcOpen := true
	defer func() {
		if srcOpen {
			src.Close()
		}
	}()
	tmp := p + rebuildSuffix
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("bleve: upgrade %q: %w", lib, err)
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return fmt.Errorf("bleve: upgrade %q: %w", lib, err)
	}
	dst, err := bleve.NewUsing(filepath.Join(tmp, "index"), e.mapping, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, shardConfig())
	if err != nil {
		return fmt.Errorf("bleve: upgrade %q: %w", lib, err)
	}
	n, err := e.copyShard(ctx, src, dst)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bleve: upgrade %q: %w", lib, err)
	}
	srcOpen = false
	if err := src.Close(); err != nil {
		return fmt.Errorf("bleve: upgrade %q: %w", lib, err)
	}
	if err := writeFormat(tmp); err != nil {
		return fmt.Errorf("bleve: upgrade %q: %w", lib, err)
	}
	if err := writeFileSync(filepath.Join(tmp, "library"), []byte(lib)); err != nil {
		return fmt.Errorf("bleve: upgrade %q: %w", lib, err)
	}
	if err := os.Rename(p, p+oldSuffix); err != nil {
		return fmt.Errorf("bleve: upgrade %q: %w", lib, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("bleve: upgrade %q: %w", lib, err)
	}
	if err := os.RemoveAll(p + oldSuffix); err != nil {
		return fmt.Errorf("bleve: upgrade %q: %w", lib, err)
	}
	e.log.Info("search index: library upgraded", "component", "search", "library", lib, "documents", n, "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// copyShard writes every document of src into dst, rebuilt from its
// stored fields, and returns how many.
func (e *Engine) copyShard(ctx context.Context, src, dst bleve.Index) (int, error) {
	const page = 500
	var after []string
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), page, 0, false)
		req.SortBy([]string{"_id"})
		req.Fields = storedFieldsWithContent
		req.Score = "none"
		if after != nil {
			req.SearchAfter = after
		}
		res, err := src.SearchInContext(ctx, req)
		if err != nil {
			return n, err
		}
		if len(res.Hits) == 0 {
			return n, nil
		}
		b := dst.NewBatch()
		for _, h := range res.Hits {
			d := storedDocument(h.Fields)
			doc, err := e.document(h.ID, &d)
			if err != nil {
				return n, err
			}
			if err := b.IndexAdvanced(doc); err != nil {
				return n, err
			}
		}
		if err := dst.Batch(b); err != nil {
			return n, err
		}
		n += len(res.Hits)
		after = []string{res.Hits[len(res.Hits)-1].ID}
		if len(res.Hits) < page {
			return n, nil
		}
	}
}

// storedDocument rebuilds a document from its stored fields.
func storedDocument(f map[string]interface{}) search.Document {
	d := search.Document{
		Library: str(f[fLibrary]),
		Path:    str(f[fPath]),
		Name:    str(f[fName]),
		Title:   str(f[fTitle]),
		Author:  str(f[fAuthor]),
		Type:    str(f[fType]),
		Content: str(f[fContent]),
	}
	if s, ok := f[fSize].(float64); ok {
		d.Size = int64(s)
	}
	if s := str(f[fModified]); s != "" {
		d.Modified, _ = time.Parse(time.RFC3339Nano, s)
	}
	return d
}
