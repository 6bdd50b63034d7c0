package docstore_test

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/docs-store/docstoretest"
)

// BenchmarkPutSmallParallel puts new 4 KiB files from 8 parallel writers
// (with GOMAXPROCS 2), durable on return: the path bench/dav measures
// against Apache, without HTTP.
func BenchmarkPutSmallParallel(b *testing.B) {
	s := openSQLiteB(b)
	ctx := b.Context()
	if _, err := s.CreateLibrary(ctx, docstoretest.Admin, docstore.LibrarySpec{
		Name:   "bench",
		Grants: []docstore.Grant{{Role: docstore.RoleEditor, Subject: "user:" + docstoretest.Editor.User}},
	}); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("k"), 4096)
	var n atomic.Int64
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.SetParallelism(4) // with GOMAXPROCS 2: 8 writers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			// Distinct contents, as distinct files would be.
			c := append([]byte(fmt.Sprintf("%08d", i)), body[8:]...)
			if _, _, err := s.Put(ctx, docstoretest.Editor, "bench", fmt.Sprintf("/f%07d.bin", i), bytes.NewReader(c), docstore.PutOptions{Size: int64(len(c))}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
