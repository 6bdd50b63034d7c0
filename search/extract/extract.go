// Package extract turns documents into plain text for indexing: Office
// Open XML (docx, xlsx, pptx), OpenDocument (odt, ods, odp), PDF (through
// poppler's pdftotext when installed, else PDFium compiled to WebAssembly,
// pure Go), RTF, plain text, Markdown, CSV, HTML and e-mail
// (eml), with their title and author when the format carries them.
//
// Security: documents are untrusted. Every extraction is bounded: the bytes
// read, the text kept, the number of zip entries, the bytes a zip entry may
// inflate to and its compression ratio (zip bombs), the nesting of e-mail
// parts, and the time (pdftotext and PDFium run under a deadline; PDFium's
// memory is capped and it sees no file system). XML is read with
// encoding/xml, which never expands entities declared in a DTD (no entity
// bombs, no external entities). A document that breaks a limit gives an
// error, never a crash or a hang.
package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"time"
)

// Limits bound one extraction. Zero fields take the defaults of
// DefaultLimits.
type Limits struct {
	// MaxBytes is the largest document read (bytes).
	MaxBytes int64 `yaml:"max_bytes"`
	// MaxText is the most text kept per document (bytes).
	MaxText int `yaml:"max_text"`
	// MaxEntries is the most entries a zip-based document may hold.
	MaxEntries int `yaml:"max_entries"`
	// MaxInflated is the most bytes all zip entries read may inflate to.
	MaxInflated int64 `yaml:"max_inflated"`
	// MaxRatio is the largest compression ratio of a zip entry.
	MaxRatio int64 `yaml:"max_ratio"`
	// Timeout bounds the time of one extraction.
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultLimits returns the limits used when a field is zero.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:    100 << 20,
		MaxText:     4 << 20,
		MaxEntries:  5000,
		MaxInflated: 200 << 20,
		MaxRatio:    200,
		Timeout:     30 * time.Second,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxText <= 0 {
		l.MaxText = d.MaxText
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxInflated <= 0 {
		l.MaxInflated = d.MaxInflated
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// Text is what a document says.
type Text struct {
	Title  string
	Author string
	Body   string
}

// Errors that explain, in the admin view, why a document has no text.
var (
	ErrTooLarge    = errors.New("document larger than the extraction limit")
	ErrZipBomb     = errors.New("archive inflates beyond the limits (possible zip bomb)")
	ErrUnsupported = errors.New("format not supported for text extraction")
)

// Supported reports whether Extract reads the content of files named name.
func Supported(name string) bool {
	_, ok := extractors[kind(name, "")]
	return ok
}

type extractor func(ctx context.Context, data []byte, lim Limits) (Text, error)

var extractors = map[string]extractor{
	"docx": extractDOCX, "docm": extractDOCX, "dotx": extractDOCX,
	"xlsx": extractXLSX, "xlsm": extractXLSX,
	"pptx": extractPPTX, "pptm": extractPPTX,
	"odt": extractODF, "ods": extractODF, "odp": extractODF, "odg": extractODF,
	"ott": extractODF, "ots": extractODF, "otp": extractODF,
	"pdf": extractPDF,
	"rtf": extractRTF,
	"txt": extractPlain, "md": extractPlain, "markdown": extractPlain, "csv": extractPlain,
	"tsv": extractPlain, "log": extractPlain, "json": extractPlain, "xml": extractPlainXML,
	"html": extractHTML, "htm": extractHTML, "xhtml": extractHTML,
	"eml": extractEML,
}

// kind picks the format from the extension, then the content type.
func kind(name, contentType string) string {
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
	if _, ok := extractors[ext]; ok {
		return ext
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/pdf":
		return "pdf"
	case "text/plain", "text/markdown", "text/csv":
		return "txt"
	case "text/html", "application/xhtml+xml":
		return "html"
	case "message/rfc822":
		return "eml"
	case "application/rtf", "text/rtf":
		return "rtf"
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return "docx"
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return "xlsx"
	case "application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return "pptx"
	case "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
		"application/vnd.oasis.opendocument.presentation":
		return "odt"
	}
	return ext
}

// Extract reads the document named name from r and returns its text. The
// format comes from the name's extension, else from contentType.
func Extract(ctx context.Context, name, contentType string, r io.Reader, lim Limits) (Text, error) {
	lim = lim.withDefaults()
	fn, ok := extractors[kind(name, contentType)]
	if !ok {
		return Text{}, ErrUnsupported
	}
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return Text{}, fmt.Errorf("extract: read: %w", err)
	}
	if int64(len(data)) > lim.MaxBytes {
		return Text{}, ErrTooLarge
	}
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	t, err := fn(ctx, data, lim)
	if err != nil {
		return Text{}, err
	}
	t.Title = clip(strings.TrimSpace(collapse(t.Title)), 1000)
	t.Author = clip(strings.TrimSpace(collapse(t.Author)), 200)
	t.Body = clip(t.Body, lim.MaxText)
	return t, nil
}

// textBuf accumulates text up to a limit, then drops the rest.
type textBuf struct {
	b   bytes.Buffer
	max int
}

func (t *textBuf) full() bool { return t.b.Len() >= t.max }

func (t *textBuf) WriteString(s string) {
	if room := t.max - t.b.Len(); room > 0 {
		if len(s) > room {
			s = s[:room]
		}
		t.b.WriteString(s)
	}
}

// sep writes a separator unless the text already ends with white space.
func (t *textBuf) sep(s string) {
	if n := t.b.Len(); n > 0 {
		if c := t.b.Bytes()[n-1]; c != ' ' && c != '\n' && c != '\t' {
			t.WriteString(s)
		}
	}
}

func (t *textBuf) String() string { return strings.ToValidUTF8(t.b.String(), "") }

func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "")
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func checkCtx(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("extract: took too long: %w", err)
	}
	return nil
}
