package extract

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kazhq/kaz/search/extract/extracttest"
)

// The PDFium fallback is exercised directly: CI has pdftotext, so
// Extract would never reach it there.

const pdfiumPhrase = "La charte du télétravail s'applique aux agents télétravailleurs."

func TestPDFiumFallbackReadsTextAndProperties(t *testing.T) {
	data := extracttest.PDF("Charte Télétravail", "Élodie Martin", "Préambule", pdfiumPhrase)
	got, err := extractPDFium(t.Context(), data, DefaultLimits())
	if err != nil {
		t.Fatalf("extractPDFium: %v", err)
	}
	if body := strings.Join(strings.Fields(got.Body), " "); !strings.Contains(body, pdfiumPhrase) {
		t.Errorf("body %q does not contain %q", got.Body, pdfiumPhrase)
	}
	if got.Title != "Charte Télétravail" || got.Author != "Élodie Martin" {
		t.Errorf("title, author = %q, %q", got.Title, got.Author)
	}
	// The text limit holds.
	lim := DefaultLimits()
	lim.MaxText = 10
	got, err = extractPDFium(t.Context(), data, lim)
	if err != nil || len(got.Body) > 10 {
		t.Errorf("with MaxText 10: %d bytes, %v", len(got.Body), err)
	}
}

func TestPDFiumFallbackRefusesBrokenPDFs(t *testing.T) {
	good := extracttest.PDF("t", "a", pdfiumPhrase)
	for name, data := range map[string][]byte{
		"truncated":   good[:len(good)/3],
		"header only": []byte("%PDF-1.4\n"),
		"garbage":     []byte("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\nxref\n0 1\nzzzz\ntrailer << /Root 9 0 R >>\n%%EOF"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := extractPDFium(t.Context(), data, DefaultLimits())
			if err == nil || !strings.Contains(err.Error(), "not a readable PDF") {
				t.Errorf("broken PDF = %v, want a clear refusal", err)
			}
		})
	}
}

func TestPDFiumFallbackStopsAtTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	_, err := extractPDFium(ctx, extracttest.PDF("t", "a", pdfiumPhrase), DefaultLimits())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("extract after the deadline = %v, want DeadlineExceeded", err)
	}
	// The pool is still usable afterwards.
	if _, err := extractPDFium(t.Context(), extracttest.PDF("t", "a", pdfiumPhrase), DefaultLimits()); err != nil {
		t.Fatalf("extract after a timed-out one: %v", err)
	}
}

func FuzzPDFiumFallback(f *testing.F) {
	good := extracttest.PDF("t", "a", pdfiumPhrase)
	f.Add(good)
	f.Add(good[:200])
	f.Add([]byte("%PDF-1.4\n"))
	// Compile the module before the first input: under -fuzz the
	// instrumented compiler takes longer than the fuzzer waits for one.
	inst, err := pdfiumGet(f.Context())
	if err != nil {
		f.Fatal(err)
	}
	inst.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		got, err := extractPDFium(ctx, data, DefaultLimits())
		if err == nil && len(got.Body) > DefaultLimits().MaxText {
			t.Fatalf("body over the limit: %d", len(got.Body))
		}
	})
}
