package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on request bodies. Property values stay small in practice; the
// limits keep a hostile body from costing memory or time.
const (
	maxXMLBody  = 4 << 20
	maxXMLDepth = 64
	maxProps    = 4096
	// maxOwner bounds a lock's DAV:owner, stored with the lock and shown
	// in every lockdiscovery (clients send a name or an href).
	maxOwner = 16 << 10
)

// xmlError is a body the server refuses, with the plain message to send.
type xmlError struct{ msg string }

func (e *xmlError) Error() string { return "dav: " + e.msg }

var (
	errXMLTooLarge = &xmlError{"the XML body is too large"}
	errXMLDTD      = &xmlError{"the XML body must not contain a DTD or entity declarations"}
	errXMLDepth    = &xmlError{"the XML body is nested too deeply"}
	errXMLSyntax   = &xmlError{"the XML body is not well-formed"}
	errXMLTooMany  = &xmlError{"the XML body names too many properties"}
	errXMLOwner    = &xmlError{"the lock owner is too long"}
)

// xmlName is a property name: namespace and local name.
type xmlName = xml.Name

// safeDecoder reads tokens with the limits above: it refuses directives
// (DOCTYPE, ENTITY), unknown entities, and deep nesting.
type safeDecoder struct {
	d     *xml.Decoder
	depth int
}

// readBody reads at most maxXMLBody bytes of r; a larger body is refused.
func readBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxXMLBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxXMLBody {
		return nil, errXMLTooLarge
	}
	return b, nil
}

func newSafeDecoder(b []byte) *safeDecoder {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.Entity = nil
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		case "iso-8859-1", "latin1", "latin-1":
			return latin1Reader{in}, nil
		}
		return nil, fmt.Errorf("unsupported charset %q", label)
	}
	return &safeDecoder{d: d}
}

type latin1Reader struct{ r io.Reader }

func (l latin1Reader) Read(p []byte) (int, error) {
	// Each byte may grow to two; read half.
	n := len(p) / 2
	if n == 0 {
		n = 1
		if len(p) < 2 {
			return 0, io.ErrShortBuffer
		}
	}
	buf := make([]byte, n)
	m, err := l.r.Read(buf)
	j := 0
	for _, c := range buf[:m] {
		if c < 0x80 {
			p[j] = c
			j++
		} else {
			p[j] = 0xC0 | c>>6
			p[j+1] = 0x80 | c&0x3F
			j += 2
		}
	}
	return j, err
}

// token returns the next token (a copy), enforcing the limits. io.EOF ends
// the document.
func (s *safeDecoder) token() (xml.Token, error) {
	t, err := s.d.Token()
	if err != nil {
		if err == io.EOF {
			if s.depth != 0 {
				return nil, errXMLSyntax
			}
			return nil, io.EOF
		}
		return nil, errXMLSyntax
	}
	switch t := t.(type) {
	case xml.Directive:
		return nil, errXMLDTD
	case xml.StartElement:
		s.depth++
		if s.depth > maxXMLDepth {
			return nil, errXMLDepth
		}
		for _, a := range t.Attr {
			// Namespaces in XML 1.0 §3: a prefix cannot be bound to "".
			if a.Name.Space == "xmlns" && a.Value == "" {
				return nil, &xmlError{"a namespace prefix is declared empty"}
			}
		}
		return t.Copy(), nil
	case xml.EndElement:
		s.depth--
	case xml.CharData:
		return t.Copy(), nil
	}
	return t, nil
}

// root returns the document's root element, skipping the prolog. An empty
// document gives io.EOF.
func (s *safeDecoder) root() (xml.StartElement, error) {
	for {
		t, err := s.token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return xml.StartElement{}, errXMLSyntax
			}
		}
	}
}

// skip consumes the rest of the current element.
func (s *safeDecoder) skip() error {
	for d := 1; d > 0; {
		t, err := s.inner()
		if err != nil {
			return err
		}
		switch t.(type) {
		case xml.StartElement:
			d++
		case xml.EndElement:
			d--
		}
	}
	return nil
}

// inner returns the next token inside an element: the document may not
// end there.
func (s *safeDecoder) inner() (xml.Token, error) {
	t, err := s.token()
	if err == io.EOF {
		return nil, errXMLSyntax
	}
	return t, err
}

// finish checks that nothing but whitespace and comments follows the root.
func (s *safeDecoder) finish() error {
	for {
		t, err := s.token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errXMLSyntax
			}
		case xml.Comment, xml.ProcInst:
		default:
			return errXMLSyntax
		}
	}
}

// children calls fn for each child element of the current element, which
// must consume it (or skip it). Text between children must be whitespace.
func (s *safeDecoder) children(fn func(xml.StartElement) error) error {
	for {
		t, err := s.inner()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errXMLSyntax
			}
		}
	}
}

func isDAV(n xml.Name, local string) bool { return n.Space == "DAV:" && n.Local == local }

// propfindKind is what a PROPFIND asks for.
type propfindKind int

const (
	findAllprop propfindKind = iota
	findPropname
	findProp
)

type propfindBody struct {
	kind    propfindKind
	props   []xml.Name // findProp
	include []xml.Name // allprop's include
}

// parsePropfind parses a PROPFIND body; an empty body means allprop (RFC
// 4918 §9.1).
func parsePropfind(body []byte) (propfindBody, error) {
	pf := propfindBody{kind: findAllprop}
	if len(bytes.TrimSpace(body)) == 0 {
		return pf, nil
	}
	d := newSafeDecoder(body)
	root, err := d.root()
	if err != nil {
		if err == io.EOF {
			return pf, nil
		}
		return pf, err
	}
	if !isDAV(root.Name, "propfind") {
		return pf, &xmlError{"the body must be a DAV:propfind element"}
	}
	seen := 0
	err = d.children(func(e xml.StartElement) error {
		switch {
		case isDAV(e.Name, "allprop"):
			seen++
			pf.kind = findAllprop
			return d.skip()
		case isDAV(e.Name, "propname"):
			seen++
			pf.kind = findPropname
			return d.skip()
		case isDAV(e.Name, "prop"):
			seen++
			pf.kind = findProp
			return d.children(func(p xml.StartElement) error {
				if len(pf.props) >= maxProps {
					return errXMLTooMany
				}
				pf.props = append(pf.props, p.Name)
				return d.skip()
			})
		case isDAV(e.Name, "include"):
			return d.children(func(p xml.StartElement) error {
				if len(pf.include) >= maxProps {
					return errXMLTooMany
				}
				pf.include = append(pf.include, p.Name)
				return d.skip()
			})
		}
		// RFC 4918 §17: unknown elements are ignored.
		return d.skip()
	})
	if err != nil {
		return pf, err
	}
	if seen != 1 {
		return pf, &xmlError{"DAV:propfind must hold exactly one of allprop, propname or prop"}
	}
	return pf, d.finish()
}

// propPatch is one instruction of a PROPPATCH, in document order.
type propPatch struct {
	remove bool
	name   xml.Name
	value  string // self-contained XML of the value (set only)
}

// parseProppatch parses a DAV:propertyupdate body.
func parseProppatch(body []byte) ([]propPatch, error) {
	d := newSafeDecoder(body)
	root, err := d.root()
	if err != nil {
		if err == io.EOF {
			return nil, &xmlError{"PROPPATCH needs a DAV:propertyupdate body"}
		}
		return nil, err
	}
	if !isDAV(root.Name, "propertyupdate") {
		return nil, &xmlError{"the body must be a DAV:propertyupdate element"}
	}
	var out []propPatch
	err = d.children(func(e xml.StartElement) error {
		remove := isDAV(e.Name, "remove")
		if !remove && !isDAV(e.Name, "set") {
			return d.skip()
		}
		return d.children(func(p xml.StartElement) error {
			if !isDAV(p.Name, "prop") {
				return d.skip()
			}
			return d.children(func(v xml.StartElement) error {
				if len(out) >= maxProps {
					return errXMLTooMany
				}
				pp := propPatch{remove: remove, name: v.Name}
				var sb strings.Builder
				if err := d.innerXML(&sb); err != nil {
					return err
				}
				if !remove {
					pp.value = sb.String()
				}
				out = append(out, pp)
				return nil
			})
		})
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &xmlError{"DAV:propertyupdate names no property"}
	}
	return out, d.finish()
}

// innerXML re-serialises the content of the current element as
// self-contained XML: every element declares its namespace, so the value
// keeps its meaning wherever it is later embedded.
func (s *safeDecoder) innerXML(sb *strings.Builder) error {
	for d := 1; ; {
		t, err := s.inner()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			d++
			writeStart(sb, t.Name, t.Attr)
		case xml.EndElement:
			d--
			if d == 0 {
				return nil
			}
			sb.WriteString("</")
			sb.WriteString(t.Name.Local)
			sb.WriteString(">")
		case xml.CharData:
			xml.EscapeText(sb, t)
		}
		if sb.Len() > maxXMLBody {
			return errXMLTooLarge
		}
	}
}

// writeStart writes a start tag with its namespace declared as the default
// namespace and namespaced attributes under generated prefixes.
func writeStart(sb *strings.Builder, n xml.Name, attrs []xml.Attr) {
	sb.WriteString("<")
	sb.WriteString(n.Local)
	sb.WriteString(` xmlns="`)
	xml.EscapeText(sb, []byte(n.Space))
	sb.WriteString(`"`)
	k := 0
	for _, a := range attrs {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		if a.Name.Space != "" {
			k++
			fmt.Fprintf(sb, ` xmlns:a%d="`, k)
			xml.EscapeText(sb, []byte(a.Name.Space))
			fmt.Fprintf(sb, `" a%d:%s="`, k, a.Name.Local)
		} else {
			fmt.Fprintf(sb, ` %s="`, a.Name.Local)
		}
		xml.EscapeText(sb, []byte(a.Value))
		sb.WriteString(`"`)
	}
	sb.WriteString(">")
}

// lockInfo is a parsed DAV:lockinfo.
type lockInfo struct {
	shared bool
	owner  string // self-contained XML of the owner element's content
}

// parseLockinfo parses a LOCK body. An empty body means a refresh, reported
// as ok false.
func parseLockinfo(body []byte) (li lockInfo, ok bool, err error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return li, false, nil
	}
	d := newSafeDecoder(body)
	root, err := d.root()
	if err != nil {
		if err == io.EOF {
			return li, false, nil
		}
		return li, false, err
	}
	if !isDAV(root.Name, "lockinfo") {
		return li, false, &xmlError{"the body must be a DAV:lockinfo element"}
	}
	var scope, typ bool
	err = d.children(func(e xml.StartElement) error {
		switch {
		case isDAV(e.Name, "lockscope"):
			return d.children(func(s xml.StartElement) error {
				switch {
				case isDAV(s.Name, "exclusive"):
					scope = true
				case isDAV(s.Name, "shared"):
					scope, li.shared = true, true
				default:
					return &xmlError{"unknown lock scope"}
				}
				return d.skip()
			})
		case isDAV(e.Name, "locktype"):
			return d.children(func(s xml.StartElement) error {
				if !isDAV(s.Name, "write") {
					return &xmlError{"only write locks are supported"}
				}
				typ = true
				return d.skip()
			})
		case isDAV(e.Name, "owner"):
			var sb strings.Builder
			if err := d.innerXML(&sb); err != nil {
				return err
			}
			if sb.Len() > maxOwner {
				return errXMLOwner
			}
			li.owner = sb.String()
			return nil
		}
		return d.skip()
	})
	if err != nil {
		return li, false, err
	}
	if !scope || !typ {
		return li, false, &xmlError{"DAV:lockinfo needs a lockscope and a locktype"}
	}
	return li, true, d.finish()
}

// asXMLError reports whether err is a refused body and its message.
func asXMLError(err error) (string, bool) {
	var xe *xmlError
	if errors.As(err, &xe) {
		return xe.msg, true
	}
	return "", false
}
