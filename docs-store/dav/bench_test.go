package dav

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func benchDo(b *testing.B, e *davEnv, method, path string, body []byte, hdr map[string]string, want int) {
	req, _ := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	req.SetBasicAuth("alice", testUsers["alice"])
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		b.Fatalf("%s %s: %d", method, path, res.StatusCode)
	}
}

// BenchmarkPropfindDepth1 lists a folder of 1,000 files with allprop.
func BenchmarkPropfindDepth1(b *testing.B) {
	e := newEnv(b, 0)
	benchDo(b, e, "MKCOL", "/dav/lib/d", nil, nil, 201)
	for i := range 1000 {
		benchDo(b, e, "PUT", fmt.Sprintf("/dav/lib/d/f%04d.txt", i), []byte("x"), nil, 201)
	}
	body := []byte(`<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		benchDo(b, e, "PROPFIND", "/dav/lib/d/", body, map[string]string{"Depth": "1"}, 207)
	}
}

// BenchmarkPut4K writes 4 KiB files from parallel clients.
func BenchmarkPut4K(b *testing.B) {
	e := newEnv(b, 0)
	body := []byte(strings.Repeat("k", 4096))
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4) // with GOMAXPROCS 2: 8 clients
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchDo(b, e, "PUT", fmt.Sprintf("/dav/lib/p%06d.bin", n.Add(1)), body, nil, 201)
		}
	})
}
