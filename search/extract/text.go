package extract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// decodeText turns bytes in an unknown encoding into UTF-8: a BOM decides
// (UTF-8, UTF-16), else valid UTF-8 is kept, else Windows-1252 (what
// French office machines write).
func decodeText(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return strings.ToValidUTF8(string(data[3:]), "")
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()
		s, _, err := transform.String(dec, string(data))
		if err == nil {
			return s
		}
	}
	if utf8.Valid(data) {
		return string(data)
	}
	s, _, err := transform.String(charmap.Windows1252.NewDecoder(), string(data))
	if err != nil {
		return strings.ToValidUTF8(string(data), "")
	}
	return s
}

// charsetReader converts a named charset to UTF-8 (for XML, HTML and
// e-mail parts).
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	enc, err := lookupCharset(label)
	if err != nil {
		return nil, err
	}
	if enc == nil {
		return r, nil
	}
	return transform.NewReader(r, enc.NewDecoder()), nil
}

func lookupCharset(label string) (encoding.Encoding, error) {
	label = strings.ToLower(strings.TrimSpace(label))
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return nil, nil
	}
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, fmt.Errorf("extract: unknown charset %q", label)
	}
	return enc, nil
}

func extractPlain(ctx context.Context, data []byte, lim Limits) (Text, error) {
	return Text{Body: decodeText(data)}, nil
}

func extractHTML(ctx context.Context, data []byte, lim Limits) (Text, error) {
	var t Text
	out := &textBuf{max: lim.MaxText}
	z := html.NewTokenizer(bytes.NewReader([]byte(decodeText(data))))
	z.SetMaxBuf(1 << 20)
	skip := 0
	inTitle := false
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := checkCtx(ctx); err != nil {
				return t, err
			}
		}
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				t.Body = out.String()
				return t, nil
			}
			return t, fmt.Errorf("extract: malformed HTML: %w", z.Err())
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg:
				if tt == html.StartTagToken {
					skip++
				}
			case atom.Title:
				inTitle = tt == html.StartTagToken
			case atom.Meta:
				var mname, content string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch strings.ToLower(string(k)) {
					case "name":
						mname = strings.ToLower(string(v))
					case "content":
						content = string(v)
					}
				}
				if mname == "author" && t.Author == "" {
					t.Author = content
				}
			case atom.Br, atom.P, atom.Div, atom.Li, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Td, atom.Th:
				out.sep("\n")
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg:
				if skip > 0 {
					skip--
				}
			case atom.Title:
				inTitle = false
			case atom.P, atom.Div, atom.Li, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Td, atom.Th:
				out.sep("\n")
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			s := string(z.Text())
			if inTitle {
				if len(t.Title) < 1000 {
					t.Title += s
				}
				continue
			}
			out.WriteString(s)
		}
		if out.full() {
			t.Body = out.String()
			return t, nil
		}
	}
}
