package docstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func BenchmarkBlobWrite4KiB(b *testing.B) {
	d, _ := NewDiskBlobs(b.TempDir())
	i := 0
	for b.Loop() {
		i++
		if _, _, err := d.Write(context.Background(), strings.NewReader(fmt.Sprint(i)+strings.Repeat("k", 4090)), -1); err != nil {
			b.Fatal(err)
		}
	}
}
