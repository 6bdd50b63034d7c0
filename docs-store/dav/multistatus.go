package dav

import (
	"bufio"
	"compress/gzip"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// msWriter streams a DAV:multistatus response: responses are written as
// they are produced, so a big folder never sits whole in memory.
type msWriter struct {
	w       http.ResponseWriter
	bw      *bufio.Writer
	gz      *gzip.Writer
	started bool
}

func newMultistatus(w http.ResponseWriter, r *http.Request) *msWriter {
	m := &msWriter{w: w}
	if acceptsGzip(r) {
		m.gz = gzip.NewWriter(w)
	}
	return m
}

// acceptsGzip reports whether the client accepts a gzip response.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}

func (m *msWriter) start() {
	if m.started {
		return
	}
	m.started = true
	h := m.w.Header()
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Add("Vary", "Accept-Encoding")
	var out io.Writer = m.w
	if m.gz != nil {
		h.Set("Content-Encoding", "gzip")
		out = m.gz
	}
	m.w.WriteHeader(http.StatusMultiStatus)
	m.bw = bufio.NewWriterSize(out, 32<<10)
	m.bw.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:multistatus xmlns:D="DAV:">`)
}

// propstat is one group of properties sharing a status.
type propstat struct {
	status int
	props  []propValue
	// description, when set, goes into DAV:responsedescription.
	description string
}

// propValue is a property to write: its name and its value as XML
// (already escaped), or empty for an empty element.
type propValue struct {
	name  xml.Name
	value string
}

// response writes one DAV:response for href with its propstats.
func (m *msWriter) response(href string, ps []propstat) {
	m.start()
	b := m.bw
	b.WriteString("<D:response><D:href>")
	writeEscaped(b, href)
	b.WriteString("</D:href>")
	for _, p := range ps {
		if len(p.props) == 0 {
			continue
		}
		b.WriteString("<D:propstat><D:prop>")
		for _, v := range p.props {
			writeProp(b, v)
		}
		b.WriteString("</D:prop><D:status>")
		b.WriteString(statusLine(p.status))
		b.WriteString("</D:status>")
		if p.description != "" {
			b.WriteString("<D:responsedescription>")
			writeEscaped(b, p.description)
			b.WriteString("</D:responsedescription>")
		}
		b.WriteString("</D:propstat>")
	}
	b.WriteString("</D:response>")
}

// status writes one DAV:response carrying only a status, with an optional
// error element (already XML, e.g. "<D:lock-token-submitted/>").
func (m *msWriter) status(href string, code int, errXML string) {
	m.start()
	b := m.bw
	b.WriteString("<D:response><D:href>")
	writeEscaped(b, href)
	b.WriteString("</D:href><D:status>")
	b.WriteString(statusLine(code))
	b.WriteString("</D:status>")
	if errXML != "" {
		b.WriteString("<D:error>")
		b.WriteString(errXML)
		b.WriteString("</D:error>")
	}
	b.WriteString("</D:response>")
}

// close ends the document.
func (m *msWriter) close() error {
	m.start()
	m.bw.WriteString("</D:multistatus>\n")
	if err := m.bw.Flush(); err != nil {
		return err
	}
	if m.gz != nil {
		return m.gz.Close()
	}
	return nil
}

func writeProp(b *bufio.Writer, v propValue) {
	prefix := ""
	if v.name.Space == "DAV:" {
		prefix = "D:"
		b.WriteString("<D:")
		b.WriteString(v.name.Local)
	} else {
		b.WriteString("<")
		b.WriteString(v.name.Local)
		b.WriteString(` xmlns="`)
		writeEscaped(b, v.name.Space)
		b.WriteString(`"`)
	}
	if v.value == "" {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	b.WriteString(v.value)
	b.WriteString("</")
	b.WriteString(prefix)
	b.WriteString(v.name.Local)
	b.WriteString(">")
}

func writeEscaped(w io.Writer, s string) {
	xml.EscapeText(w, []byte(s))
}

func escapeXML(s string) string {
	var sb strings.Builder
	xml.EscapeText(&sb, []byte(s))
	return sb.String()
}

func statusLine(code int) string {
	return "HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code)
}

// hrefFor escapes a path for a DAV:href; collections end with a slash.
func hrefFor(p string, collection bool) string {
	u := url.URL{Path: p}
	s := u.EscapedPath()
	if collection && !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s
}
