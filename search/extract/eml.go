package extract

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

const (
	maxMailDepth = 5
	maxMailParts = 100
)

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// extractEML reads an Internet message (RFC 5322 with MIME parts): the
// subject is the title, the sender the author, text parts the body (HTML
// parts stripped), attachment names appended.
func extractEML(ctx context.Context, data []byte, lim Limits) (Text, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return Text{}, fmt.Errorf("extract: malformed e-mail: %w", err)
	}
	var t Text
	if s, err := wordDecoder.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		t.Title = s
	} else {
		t.Title = msg.Header.Get("Subject")
	}
	if from, err := msg.Header.AddressList("From"); err == nil && len(from) > 0 {
		t.Author = from[0].Name
		if t.Author == "" {
			t.Author = from[0].Address
		}
	}
	out := &textBuf{max: lim.MaxText}
	for _, h := range []string{"From", "To", "Cc"} {
		if v := msg.Header.Get(h); v != "" {
			if d, err := wordDecoder.DecodeHeader(v); err == nil {
				v = d
			}
			out.WriteString(v + "\n")
		}
	}
	out.WriteString(t.Title + "\n")
	parts := 0
	if err := mailPart(ctx, textproto(msg.Header), msg.Body, lim, out, 0, &parts); err != nil {
		return t, err
	}
	t.Body = out.String()
	return t, nil
}

type header interface{ Get(string) string }

type textproto mail.Header

func (h textproto) Get(k string) string { return mail.Header(h).Get(k) }

func mailPart(ctx context.Context, h header, body io.Reader, lim Limits, out *textBuf, depth int, parts *int) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	*parts++
	if depth > maxMailDepth || *parts > maxMailParts {
		return errors.New("extract: e-mail nests too many parts")
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, params = "text/plain", map[string]string{}
	}
	if _, p, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && p["filename"] != "" {
		name := p["filename"]
		if d, err := wordDecoder.DecodeHeader(name); err == nil {
			name = d
		}
		out.sep("\n")
		out.WriteString(name + "\n")
		return nil // attachments are named, not read
	}
	if strings.HasPrefix(mt, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			return errors.New("extract: multipart e-mail without boundary")
		}
		mr := multipart.NewReader(body, boundary)
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("extract: malformed e-mail part: %w", err)
			}
			if err := mailPart(ctx, p.Header, p, lim, out, depth+1, parts); err != nil {
				return err
			}
			if out.full() {
				return nil
			}
		}
	}
	if mt == "message/rfc822" {
		inner, err := mail.ReadMessage(body)
		if err != nil {
			return nil
		}
		if s := inner.Header.Get("Subject"); s != "" {
			out.WriteString(s + "\n")
		}
		return mailPart(ctx, textproto(inner.Header), inner.Body, lim, out, depth+1, parts)
	}
	if mt != "text/plain" && mt != "text/html" {
		return nil
	}
	var r io.Reader = io.LimitReader(body, lim.MaxBytes)
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &stripSpace{r: r})
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	if cs := params["charset"]; cs != "" {
		if cr, err := charsetReader(cs, r); err == nil {
			r = cr
		}
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(lim.MaxText)*2))
	if err != nil {
		return fmt.Errorf("extract: e-mail body: %w", err)
	}
	out.sep("\n")
	if mt == "text/html" {
		t, err := extractHTML(ctx, data, lim)
		if err != nil {
			return err
		}
		out.WriteString(t.Body)
		return nil
	}
	out.WriteString(decodeText(data))
	return nil
}

// stripSpace drops the line breaks of base64 bodies.
type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			p[j] = c
			j++
		}
	}
	return j, err
}
