package docstore

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Path limits (see the package doc).
const (
	MaxNameBytes = 255
	MaxPathBytes = 1024
	MaxDepth     = 64
	// maxRawPath bounds a path before normalization and folding of
	// repeated slashes.
	maxRawPath = 4 * (MaxPathBytes + 64)
)

// CleanPath validates p and returns its clean form: "/" or "/a/b" (no
// trailing slash, no empty segment), in Unicode normalization form C (NFC:
// "é" as one character, as Windows and Linux write it; macOS writes "e"
// followed by a combining accent). Errors wrap ErrInvalidName.
func CleanPath(p string) (string, error) {
	if !utf8.ValidString(p) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalidName)
	}
	// A rough bound before normalizing (decomposed text shrinks in NFC),
	// the exact ones after.
	if len(p) > maxRawPath {
		return "", fmt.Errorf("%w: path longer than %d bytes", ErrInvalidName, MaxPathBytes)
	}
	p = NormalizeName(p)
	if len(p) > MaxPathBytes+64 {
		return "", fmt.Errorf("%w: path longer than %d bytes", ErrInvalidName, MaxPathBytes)
	}
	var b strings.Builder
	b.Grow(len(p) + 1)
	depth := 0
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" {
			continue
		}
		if err := CheckName(seg); err != nil {
			return "", err
		}
		depth++
		b.WriteByte('/')
		b.WriteString(seg)
	}
	if depth == 0 {
		return "/", nil
	}
	if depth > MaxDepth {
		return "", fmt.Errorf("%w: more than %d levels of folders", ErrInvalidName, MaxDepth)
	}
	if b.Len() > MaxPathBytes {
		return "", fmt.Errorf("%w: path longer than %d bytes", ErrInvalidName, MaxPathBytes)
	}
	return b.String(), nil
}

// reserved are the device names Windows forbids as a name or a name's
// stem (CON, CON.txt).
var reserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
	"COM¹": true, "COM²": true, "COM³": true, "LPT¹": true, "LPT²": true, "LPT³": true,
}

// NormalizeName returns s (a name or a path) in Unicode normalization form
// C, the form the store keeps and compares names in.
func NormalizeName(s string) string {
	// Pure ASCII is its own NFC: skip the normalizer on the common case.
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return norm.NFC.String(s)
		}
	}
	return s
}

// nameKey is the form in which two sibling names may not be equal: simple
// case folding, character by character (as Windows' upper-case table:
// "Résumé.docx" and "RÉSUMÉ.DOCX" clash, "ß" and "SS" do not), of the NFC
// name.
func nameKey(name string) string {
	return strings.ToLower(strings.ToUpper(name))
}

// CheckName validates one name (no slash); it applies to the name's NFC
// form (see NormalizeName). Errors wrap ErrInvalidName.
func CheckName(name string) error {
	name = NormalizeName(name)
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidName)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidName)
	}
	if len(name) > MaxNameBytes {
		return fmt.Errorf("%w: name longer than %d bytes", ErrInvalidName, MaxNameBytes)
	}
	if name == "." || name == ".." {
		return fmt.Errorf("%w: %q is not a name", ErrInvalidName, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: control character in name", ErrInvalidName)
		}
		switch r {
		case '<', '>', ':', '"', '|', '?', '*', '\\', '/':
			return fmt.Errorf("%w: the character %q is not allowed in a name", ErrInvalidName, r)
		case utf8.RuneError:
			return fmt.Errorf("%w: not valid UTF-8", ErrInvalidName)
		}
	}
	if last := name[len(name)-1]; last == '.' || last == ' ' {
		return fmt.Errorf("%w: a name may not end with a dot or a space", ErrInvalidName)
	}
	stem := name
	if i := strings.IndexByte(stem, '.'); i >= 0 {
		stem = stem[:i]
	}
	if reserved[strings.ToUpper(strings.TrimRight(stem, " "))] {
		return fmt.Errorf("%w: %q is reserved by Windows", ErrInvalidName, name)
	}
	return nil
}

// parentOf returns the parent of a clean path ("/" for top-level items and
// for "/").
func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// baseOf returns the last name of a clean path ("" for "/").
func baseOf(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}

// joinPath joins a clean folder path and a name.
func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// ancestors returns the proper ancestors of a clean path, root first
// ("/" included).
func ancestors(p string) []string {
	if p == "/" {
		return nil
	}
	out := []string{"/"}
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}

// within reports whether p is root or below it.
func within(p, root string) bool {
	if root == "/" || p == root {
		return true
	}
	return strings.HasPrefix(p, root+"/")
}

// subtreeRange returns the bounds lo, hi such that descendants d of root
// satisfy lo <= d < hi ('/' + 1 == '0').
func subtreeRange(root string) (string, string) {
	if root == "/" {
		return "/", "0"
	}
	return root + "/", root + "0"
}

// isHiddenName reports macOS metadata files.
func isHiddenName(name string) bool {
	return name == ".DS_Store" || strings.HasPrefix(name, "._")
}
