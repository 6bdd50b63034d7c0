package extract

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
)

var (
	pdftotextOnce sync.Once
	pdftotextPath string
	pdfinfoPath   string
)

// PDFToolAvailable reports whether pdftotext is installed.
func PDFToolAvailable() bool {
	pdftotextOnce.Do(func() {
		pdftotextPath, _ = exec.LookPath("pdftotext")
		pdfinfoPath, _ = exec.LookPath("pdfinfo")
	})
	return pdftotextPath != ""
}

// extractPDF runs poppler's pdftotext on a temporary copy of the document,
// under the extraction deadline, keeping at most MaxText bytes of output.
// Without pdftotext it falls back to PDFium compiled to WebAssembly
// (pdfium.go), pure Go.
func extractPDF(ctx context.Context, data []byte, lim Limits) (Text, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\r\n "), []byte("%PDF-")) {
		return Text{}, errors.New("extract: not a PDF document")
	}
	if !PDFToolAvailable() {
		return extractPDFium(ctx, data, lim)
	}
	f, err := os.CreateTemp("", "kaz-extract-*.pdf")
	if err != nil {
		return Text{}, fmt.Errorf("extract: temporary file: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return Text{}, fmt.Errorf("extract: temporary file: %w", err)
	}
	if err := f.Close(); err != nil {
		return Text{}, fmt.Errorf("extract: temporary file: %w", err)
	}
	var t Text
	body, err := runTool(ctx, lim.MaxText, pdftotextPath, "-q", "-enc", "UTF-8", "-nopgbrk", f.Name(), "-")
	if err != nil {
		return t, fmt.Errorf("extract: pdftotext: %w", err)
	}
	t.Body = body
	if pdfinfoPath != "" {
		if info, err := runTool(ctx, 64<<10, pdfinfoPath, "-enc", "UTF-8", f.Name()); err == nil {
			sc := bufio.NewScanner(strings.NewReader(info))
			for sc.Scan() {
				k, v, ok := strings.Cut(sc.Text(), ":")
				if !ok {
					continue
				}
				switch k {
				case "Title":
					t.Title = strings.TrimSpace(v)
				case "Author":
					t.Author = strings.TrimSpace(v)
				}
			}
		}
	}
	return t, nil
}

// runTool runs a program with no stdin, returning at most max bytes of its
// output; it is killed when ctx ends.
func runTool(ctx context.Context, max int, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	out := &capBuffer{max: max}
	var stderr capBuffer
	stderr.max = 4096
	cmd.Stdout = out
	cmd.Stderr = &stderr
	cmd.Env = []string{"LANG=C.UTF-8", "PATH=/usr/bin:/bin"}
	cmd.WaitDelay = 2 * 1e9
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("took too long: %w", ctx.Err())
		}
		msg := strings.TrimSpace(stderr.b.String())
		if msg != "" {
			return "", fmt.Errorf("%w: %s", err, clip(msg, 200))
		}
		return "", err
	}
	return strings.ToValidUTF8(out.b.String(), ""), nil
}

// capBuffer keeps the first max bytes written and discards the rest.
type capBuffer struct {
	b   bytes.Buffer
	max int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.b.Len(); room > 0 {
		c.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
