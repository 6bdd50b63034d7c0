// Package extracttest builds small, valid documents of each format for
// tests and benchmarks: Word, Excel, PowerPoint, OpenDocument, PDF, RTF and
// e-mail, with a title, an author and paragraphs of text.
package extracttest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

func zipOf(files ...[2]string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		method := zip.Deflate
		if f[0] == "mimetype" {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f[0], Method: method})
		if err != nil {
			panic(err)
		}
		w.Write([]byte(f[1]))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func esc(s string) string { return html.EscapeString(s) }

func coreXML(title, author string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>` + esc(title) + `</dc:title><dc:creator>` + esc(author) + `</dc:creator></cp:coreProperties>`
}

const ooxmlTypes = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`

// DOCX returns a Word document.
func DOCX(title, author string, paragraphs ...string) []byte {
	var body strings.Builder
	for _, p := range paragraphs {
		body.WriteString(`<w:p><w:r><w:t xml:space="preserve">` + esc(p) + `</w:t></w:r></w:p>`)
	}
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() + `</w:body></w:document>`
	return zipOf([2]string{"[Content_Types].xml", ooxmlTypes}, [2]string{"word/document.xml", doc}, [2]string{"docProps/core.xml", coreXML(title, author)})
}

// XLSX returns an Excel workbook with one sheet whose cells are the given
// strings (shared strings).
func XLSX(title, author string, cells ...string) []byte {
	var ss, sheet strings.Builder
	for i, c := range cells {
		ss.WriteString(`<si><t>` + esc(c) + `</t></si>`)
		fmt.Fprintf(&sheet, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c></row>`, i+1, i+1, i)
	}
	return zipOf([2]string{"[Content_Types].xml", ooxmlTypes},
		[2]string{"xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + ss.String() + `</sst>`},
		[2]string{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheet.String() + `</sheetData></worksheet>`},
		[2]string{"docProps/core.xml", coreXML(title, author)})
}

// PPTX returns a PowerPoint presentation with one slide per text.
func PPTX(title, author string, slides ...string) []byte {
	files := [][2]string{{"[Content_Types].xml", ooxmlTypes}, {"docProps/core.xml", coreXML(title, author)}}
	for i, s := range slides {
		files = append(files, [2]string{fmt.Sprintf("ppt/slides/slide%d.xml", i+1),
			`<?xml version="1.0" encoding="UTF-8"?><p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>` + esc(s) + `</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`})
	}
	return zipOf(files...)
}

func odf(mimetype, title, author, office string) []byte {
	content := `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" office:version="1.3"><office:body>` + office + `</office:body></office:document-content>`
	meta := `<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.3"><office:meta><dc:title>` + esc(title) + `</dc:title><meta:initial-creator>` + esc(author) + `</meta:initial-creator></office:meta></office:document-meta>`
	manifest := `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="` + mimetype + `"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`
	return zipOf([2]string{"mimetype", mimetype}, [2]string{"content.xml", content}, [2]string{"meta.xml", meta}, [2]string{"META-INF/manifest.xml", manifest})
}

// ODT returns an OpenDocument text.
func ODT(title, author string, paragraphs ...string) []byte {
	var b strings.Builder
	b.WriteString("<office:text>")
	for _, p := range paragraphs {
		b.WriteString("<text:p>" + esc(p) + "</text:p>")
	}
	b.WriteString("</office:text>")
	return odf("application/vnd.oasis.opendocument.text", title, author, b.String())
}

// ODS returns an OpenDocument spreadsheet, one cell per text.
func ODS(title, author string, cells ...string) []byte {
	var b strings.Builder
	b.WriteString(`<office:spreadsheet><table:table table:name="Feuille1">`)
	for _, c := range cells {
		b.WriteString(`<table:table-row><table:table-cell office:value-type="string"><text:p>` + esc(c) + `</text:p></table:table-cell></table:table-row>`)
	}
	b.WriteString("</table:table></office:spreadsheet>")
	return odf("application/vnd.oasis.opendocument.spreadsheet", title, author, b.String())
}

// ODP returns an OpenDocument presentation, one page per text.
func ODP(title, author string, slides ...string) []byte {
	var b strings.Builder
	b.WriteString(`<office:presentation>`)
	for i, s := range slides {
		fmt.Fprintf(&b, `<draw:page draw:name="page%d"><draw:frame><draw:text-box><text:p>%s</text:p></draw:text-box></draw:frame></draw:page>`, i+1, esc(s))
	}
	b.WriteString("</office:presentation>")
	return odf("application/vnd.oasis.opendocument.presentation", title, author, b.String())
}

// PDF returns a one-page PDF 1.4 document showing lines in Helvetica
// (WinAnsi encoding, so French accents survive), with Title and Author in
// its information dictionary.
func PDF(title, author string, lines ...string) []byte {
	enc := func(s string) string {
		b, err := charmap.Windows1252.NewEncoder().String(s)
		if err != nil {
			b = s
		}
		r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
		return r.Replace(b)
	}
	var content strings.Builder
	content.WriteString("BT /F1 12 Tf 72 760 Td 14 TL\n")
	for _, l := range lines {
		content.WriteString("(" + enc(l) + ") Tj T*\n")
	}
	content.WriteString("ET\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		"<< /Title (" + enc(title) + ") /Author (" + enc(author) + ") >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, len(objs), xref)
	return b.Bytes()
}

// RTF returns an RTF document (accents as \'hh in code page 1252).
func RTF(title, author string, paragraphs ...string) []byte {
	enc := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			switch {
			case r == '\\' || r == '{' || r == '}':
				b.WriteString(`\` + string(r))
			case r < 128:
				b.WriteRune(r)
			default:
				if c, ok := charmap.Windows1252.EncodeRune(r); ok {
					fmt.Fprintf(&b, `\'%02x`, c)
				} else {
					fmt.Fprintf(&b, `\u%d?`, int16(r))
				}
			}
		}
		return b.String()
	}
	var b strings.Builder
	b.WriteString(`{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}{\info{\title ` + enc(title) + `}{\author ` + enc(author) + `}}` + "\n")
	for _, p := range paragraphs {
		b.WriteString(enc(p) + `\par` + "\n")
	}
	b.WriteString("}")
	return []byte(b.String())
}

// EML returns an e-mail with a quoted-printable French body and a named
// attachment.
func EML(subject, from string, body string) []byte {
	return []byte("From: " + from + " <agent@example.fr>\r\nTo: equipe@example.fr\r\nSubject: =?utf-8?q?" + qEncode(subject) + "?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n" +
		"--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"annexe-budget.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b1--\r\n")
}

func qEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c == ' ':
			b.WriteByte('_')
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}
