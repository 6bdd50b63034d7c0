package dav

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// TestDownloadsOfBigFilesAreExact: a file over several mapped windows, of
// a size that is no multiple of a page, comes back byte for byte, whole
// and in ranges that start mid-page and cross a window's end.
func TestDownloadsOfBigFilesAreExact(t *testing.T) {
	e := newEnv(t, 0)
	client := &http.Client{Timeout: time.Minute} // a short body must fail, not hang
	body := make([]byte, 2*mappedWindowForTest+12345)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	req, _ := http.NewRequest("PUT", e.url+"/dav/lib/big.bin", bytes.NewReader(body))
	req.SetBasicAuth("alice", testUsers["alice"])
	res, err := client.Do(req)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %v %v", err, res)
	}
	res.Body.Close()
	n := len(body)
	w := mappedWindowForTest
	for _, c := range []struct {
		rng        string
		start, end int // the bytes expected, [start, end)
	}{
		{"", 0, n},
		{"bytes=4097-", 4097, n},
		{fmt.Sprintf("bytes=%d-%d", w-10, w+9), w - 10, w + 10},
		{"bytes=-100", n - 100, n},
		{"bytes=1-1", 1, 2},
	} {
		req, _ := http.NewRequest("GET", e.url+"/dav/lib/big.bin", nil)
		req.SetBasicAuth("alice", testUsers["alice"])
		if c.rng != "" {
			req.Header.Set("Range", c.rng)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, body[c.start:c.end]) {
			t.Errorf("GET %q: %d bytes (status %d), want bytes %d–%d", c.rng, len(got), res.StatusCode, c.start, c.end)
		}
	}
}
