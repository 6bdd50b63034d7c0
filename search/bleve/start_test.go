package bleve

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kazhq/kaz/search"
)

func hits(t *testing.T, e *Engine, q string, libs ...string) []string {
	t.Helper()
	res, err := e.Search(t.Context(), search.Query{Text: q, Libraries: libs, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Library+":"+h.Path)
	}
	slices.Sort(out)
	return out
}

// Batches started without waiting are applied to each library in the
// order they were started: a put then a delete leaves nothing, a put then
// another put leaves the second, a drop then a put leaves the put.
func TestStartKeepsEachLibrarysOrder(t *testing.T) {
	e := openTest(t)
	ctx := t.Context()
	for round := range 5 {
		word := fmt.Sprintf("tournee%c", 'a'+round)
		var waits []func() error
		for i := range 6 {
			waits = append(waits,
				e.Start(ctx, &search.Batch{Put: []search.Document{
					textDoc("rh", "/x.txt", fmt.Sprintf("%s version%c", word, 'a'+i)),
					textDoc("public", fmt.Sprintf("/p%d.txt", i), word),
				}}),
				e.Start(ctx, &search.Batch{Delete: []search.Ref{{Library: "rh", Path: "/x.txt"}}}))
		}
		waits = append(waits,
			e.Start(ctx, &search.Batch{Put: []search.Document{textDoc("rh", "/x.txt", word+" derniere")}}),
			e.Start(ctx, &search.Batch{DropLibraries: []string{"public"}}),
			e.Start(ctx, &search.Batch{Put: []search.Document{textDoc("public", "/seul.txt", word)}}))
		for _, w := range waits {
			if err := w(); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := hits(t, e, word, "rh", "public"), []string{"public:/seul.txt", "rh:/x.txt"}; !slices.Equal(got, want) {
			t.Fatalf("round %d: %q finds %q, want %q", round, word, got, want)
		}
		if got := hits(t, e, word+" derniere", "rh"); len(got) != 1 {
			t.Fatalf("round %d: the last version of /x.txt is not the one indexed: %q", round, got)
		}
	}
}

// A library's batch does not wait for an earlier batch that did not touch
// it: one slow library does not hold the others.
func TestStartDoesNotWaitForOtherLibraries(t *testing.T) {
	e := openTest(t)
	ctx := t.Context()
	release := make(chan struct{})
	e.beforeBatch = func(lib string) {
		if lib == "rh" {
			<-release
		}
	}
	slow := e.Start(ctx, &search.Batch{Put: []search.Document{textDoc("rh", "/lent.txt", "dossier lent")}})
	fast := e.Start(ctx, &search.Batch{Put: []search.Document{textDoc("public", "/vite.txt", "dossier rapide")}})
	done := make(chan error, 1)
	go func() { done <- fast() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a batch of another library waited for the held one")
	}
	// The held library's next batch does wait for it.
	next := e.Start(ctx, &search.Batch{Delete: []search.Ref{{Library: "rh", Path: "/lent.txt"}}})
	nextDone := make(chan error, 1)
	go func() { nextDone <- next() }()
	select {
	case <-nextDone:
		t.Fatal("the library's next batch ended before the held one")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := slow(); err != nil {
		t.Fatal(err)
	}
	if err := <-nextDone; err != nil {
		t.Fatal(err)
	}
	if got := hits(t, e, "dossier", "rh", "public"); !slices.Equal(got, []string{"public:/vite.txt"}) {
		t.Fatalf("dossier finds %q, want only public:/vite.txt", got)
	}
}
