package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

// pkg is an opened zip-based document with its inflation budget.
type pkg struct {
	zr       *zip.Reader
	lim      Limits
	inflated int64
}

func openZip(data []byte, lim Limits) (*pkg, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("extract: not a valid zip package: %w", err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("%w: %d entries", ErrZipBomb, len(zr.File))
	}
	return &pkg{zr: zr, lim: lim}, nil
}

func (p *pkg) find(name string) *zip.File {
	for _, f := range p.zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// glob returns entries matching pattern, in natural order (slide2 before
// slide10).
func (p *pkg) glob(pattern string) []*zip.File {
	var out []*zip.File
	for _, f := range p.zr.File {
		if ok, _ := path.Match(pattern, f.Name); ok {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return naturalLess(out[i].Name, out[j].Name) })
	return out
}

func naturalLess(a, b string) bool {
	na, nb := trailingNum(a), trailingNum(b)
	if na >= 0 && nb >= 0 && strings.TrimRight(strings.TrimSuffix(a, path.Ext(a)), "0123456789") == strings.TrimRight(strings.TrimSuffix(b, path.Ext(b)), "0123456789") {
		return na < nb
	}
	return a < b
}

func trailingNum(s string) int {
	s = strings.TrimSuffix(s, path.Ext(s))
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	n, err := strconv.Atoi(s[i:])
	if err != nil {
		return -1
	}
	return n
}

// open returns a reader of entry f that fails once the package's
// inflation budget or the entry's ratio is exceeded, whatever the sizes
// declared in the zip headers say.
func (p *pkg) open(f *zip.File) (io.Reader, func() error, error) {
	if f.UncompressedSize64 > uint64(p.lim.MaxInflated) {
		return nil, nil, fmt.Errorf("%w: %s declares %d bytes", ErrZipBomb, f.Name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("extract: open %s: %w", f.Name, err)
	}
	maxEntry := int64(f.CompressedSize64)*p.lim.MaxRatio + 64<<10
	return &budgetReader{r: rc, p: p, entryMax: maxEntry}, rc.Close, nil
}

type budgetReader struct {
	r        io.Reader
	p        *pkg
	n        int64
	entryMax int64
}

func (b *budgetReader) Read(buf []byte) (int, error) {
	n, err := b.r.Read(buf)
	b.n += int64(n)
	b.p.inflated += int64(n)
	if b.n > b.entryMax || b.p.inflated > b.p.lim.MaxInflated {
		return n, ErrZipBomb
	}
	return n, err
}

// xmlText streams the XML entry f and writes its character data to out.
// para lists the local names of elements that end a paragraph; tab those
// that stand for a separator (w:tab, text:s…); keep, when non-nil,
// restricts text to elements with those local names (w:t, a:t…).
type xmlRules struct {
	para map[string]bool
	tab  map[string]bool
	keep map[string]bool
	skip map[string]bool // subtrees to ignore (deleted text, instructions)
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func (p *pkg) xmlText(ctx context.Context, f *zip.File, rules xmlRules, out *textBuf) error {
	r, closeFn, err := p.open(f)
	if err != nil {
		return err
	}
	defer closeFn()
	return streamXML(ctx, r, rules, out)
}

func newDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.Strict = true
	// Only the five predefined entities are known; DTD entities are
	// never expanded (an undefined entity is an error in strict mode).
	d.Entity = nil
	d.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		return charsetReader(label, input)
	}
	return d
}

func streamXML(ctx context.Context, r io.Reader, rules xmlRules, out *textBuf) error {
	d := newDecoder(r)
	depthKeep, depthSkip := 0, 0
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := checkCtx(ctx); err != nil {
				return err
			}
		}
		if out.full() {
			return nil
		}
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("extract: malformed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if depthSkip > 0 || rules.skip[name] {
				depthSkip++
				continue
			}
			if rules.keep[name] {
				depthKeep++
			}
			if rules.tab[name] {
				out.sep(" ")
			}
		case xml.EndElement:
			name := t.Name.Local
			if depthSkip > 0 {
				depthSkip--
				continue
			}
			if rules.keep[name] && depthKeep > 0 {
				depthKeep--
			}
			if rules.para[name] {
				out.sep("\n")
			}
		case xml.CharData:
			if depthSkip > 0 || (rules.keep != nil && depthKeep == 0) {
				continue
			}
			out.WriteString(string(t))
		case xml.Directive:
			// A DTD inside an Office part is never legitimate.
			if bytes.Contains(bytes.ToUpper(t), []byte("ENTITY")) {
				return errors.New("extract: XML declares entities (refused)")
			}
		}
	}
}

// coreProps reads title and creator from Dublin Core metadata (OOXML
// docProps/core.xml, ODF meta.xml).
func (p *pkg) coreProps(ctx context.Context, name string, t *Text) error {
	f := p.find(name)
	if f == nil {
		return nil
	}
	r, closeFn, err := p.open(f)
	if err != nil {
		return err
	}
	defer closeFn()
	d := newDecoder(io.LimitReader(r, 1<<20))
	var cur string
	for n := 0; n < 100000; n++ {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("extract: malformed metadata: %w", err)
		}
		switch tt := tok.(type) {
		case xml.StartElement:
			cur = tt.Name.Space + ":" + tt.Name.Local
		case xml.EndElement:
			cur = ""
		case xml.CharData:
			s := strings.TrimSpace(string(tt))
			switch cur {
			case "dc:title":
				if t.Title == "" {
					t.Title = s
				}
			case "dc:creator", "meta:initial-creator":
				if t.Author == "" {
					t.Author = s
				}
			}
		}
	}
	return nil
}

var (
	wordRules  = xmlRules{para: set("p", "tr"), tab: set("tab", "br", "cr", "tc"), keep: set("t"), skip: set("delText", "instrText")}
	drawRules  = xmlRules{para: set("p"), tab: set("br", "tab"), keep: set("t")}
	sheetRules = xmlRules{para: set("si", "row"), tab: set("c"), keep: set("t", "v")}
	odfRules   = xmlRules{para: set("p", "h", "table-row", "list-item"), tab: set("s", "tab", "line-break", "table-cell"), skip: set("tracked-changes", "annotation")}
)

func extractDOCX(ctx context.Context, data []byte, lim Limits) (Text, error) {
	p, err := openZip(data, lim)
	if err != nil {
		return Text{}, err
	}
	var t Text
	out := &textBuf{max: lim.MaxText}
	main := p.find("word/document.xml")
	if main == nil {
		return t, errors.New("extract: not a Word document (no word/document.xml)")
	}
	parts := append([]*zip.File{main}, p.glob("word/header*.xml")...)
	parts = append(parts, p.glob("word/footer*.xml")...)
	parts = append(parts, p.glob("word/footnotes.xml")...)
	return p.ooxmlText(ctx, parts, wordRules, out)
}

// ooxmlText reads the text of parts, in order, one paragraph break between
// parts, then the package's core properties (title, author).
func (p *pkg) ooxmlText(ctx context.Context, parts []*zip.File, rules xmlRules, out *textBuf) (Text, error) {
	var t Text
	for _, f := range parts {
		if err := p.xmlText(ctx, f, rules, out); err != nil {
			return t, err
		}
		out.sep("\n")
	}
	if err := p.coreProps(ctx, "docProps/core.xml", &t); err != nil {
		return t, err
	}
	t.Body = out.String()
	return t, nil
}

func extractPPTX(ctx context.Context, data []byte, lim Limits) (Text, error) {
	p, err := openZip(data, lim)
	if err != nil {
		return Text{}, err
	}
	var t Text
	out := &textBuf{max: lim.MaxText}
	slides := p.glob("ppt/slides/slide*.xml")
	if len(slides) == 0 {
		return t, errors.New("extract: not a PowerPoint presentation (no slides)")
	}
	slides = append(slides, p.glob("ppt/notesSlides/notesSlide*.xml")...)
	return p.ooxmlText(ctx, slides, drawRules, out)
}

func extractXLSX(ctx context.Context, data []byte, lim Limits) (Text, error) {
	p, err := openZip(data, lim)
	if err != nil {
		return Text{}, err
	}
	var t Text
	out := &textBuf{max: lim.MaxText}
	parts := p.glob("xl/sharedStrings.xml")
	sheets := p.glob("xl/worksheets/sheet*.xml")
	if len(parts) == 0 && len(sheets) == 0 {
		return t, errors.New("extract: not an Excel workbook (no sheets)")
	}
	// Shared strings hold the text; sheets add inline strings and numbers
	// (shared-string indexes appear as numbers too: harmless).
	return p.ooxmlText(ctx, append(parts, sheets...), sheetRules, out)
}

func extractODF(ctx context.Context, data []byte, lim Limits) (Text, error) {
	p, err := openZip(data, lim)
	if err != nil {
		return Text{}, err
	}
	var t Text
	out := &textBuf{max: lim.MaxText}
	content := p.find("content.xml")
	if content == nil {
		return t, errors.New("extract: not an OpenDocument file (no content.xml)")
	}
	if err := p.xmlText(ctx, content, odfRules, out); err != nil {
		return t, err
	}
	if err := p.coreProps(ctx, "meta.xml", &t); err != nil {
		return t, err
	}
	t.Body = out.String()
	return t, nil
}

// extractPlainXML keeps the character data of any XML file.
func extractPlainXML(ctx context.Context, data []byte, lim Limits) (Text, error) {
	out := &textBuf{max: lim.MaxText}
	if err := streamXML(ctx, bytes.NewReader(data), xmlRules{tab: map[string]bool{}}, out); err != nil {
		return Text{}, err
	}
	return Text{Body: out.String()}, nil
}
