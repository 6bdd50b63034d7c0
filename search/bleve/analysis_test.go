package bleve

import (
	"sync"
	"testing"
	"unicode/utf8"
)

func TestFoldRemovesAccentsAndLowers(t *testing.T) {
	tests := map[string]string{
		"Télétravail": "teletravail", "ŒUVRE": "oeuvre", "façade": "facade", "naïve": "naive",
		"Ångström": "angstrom", "ĳ": "ĳ", "Ελληνικά": "ελληνικα", "plain": "plain", "": "",
	}
	for in, want := range tests {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFoldIsSafeConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 2000; j++ {
				if Fold("Ελληνικά") != "ελληνικα" {
					t.Error("wrong fold under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"Télétravail", "Ελληνικά", "\xff", "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Fold(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("Fold(%q) = %q: invalid UTF-8", s, out)
		}
		if Fold(out) != out {
			t.Fatalf("Fold is not idempotent on %q: %q then %q", s, out, Fold(out))
		}
	})
}
