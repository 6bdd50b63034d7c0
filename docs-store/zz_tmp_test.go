package docstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type memBlobs struct{ BlobStore }

func (memBlobs) Write(ctx context.Context, r io.Reader, size int64) (string, int64, error) {
	h := sha256.New()
	n, _ := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
func (memBlobs) Walk(ctx context.Context, fn func(string, time.Time) error) error { return nil }

func BenchmarkZZPutDBOnly(b *testing.B) {
	s, _ := newTestStore(b, DefaultConfig(), func(string) BlobStore { return memBlobs{} })
	body := strings.Repeat("k", 4096)
	var n atomic.Int64
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, _, err := s.Put(context.Background(), editor, "docs", fmt.Sprintf("/f%d", i), strings.NewReader(body+fmt.Sprint(i)), PutOptions{Size: -1}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestZZPragmas(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	for _, p := range []string{"journal_mode", "synchronous", "busy_timeout", "foreign_keys"} {
		var v string
		s.db.QueryRow("PRAGMA " + p).Scan(&v)
		t.Logf("%s = %s", p, v)
	}
}

func BenchmarkZZPutDBOnlySeq(b *testing.B) {
	s, _ := newTestStore(b, DefaultConfig(), func(string) BlobStore { return memBlobs{} })
	body := strings.Repeat("k", 4096)
	i := 0
	for b.Loop() {
		i++
		if _, _, err := s.Put(context.Background(), editor, "docs", fmt.Sprintf("/f%d", i), strings.NewReader(body+fmt.Sprint(i)), PutOptions{Size: -1}); err != nil {
			b.Fatal(err)
		}
	}
}
