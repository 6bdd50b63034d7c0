package extract

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// rtfSkip are destinations whose text is not document text.
var rtfSkip = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "pict": true, "object": true,
	"header": false, "info": false, "xmlnstbl": true, "listtable": true, "listoverridetable": true,
	"rsidtbl": true, "generator": true, "themedata": true, "colorschememapping": true,
	"datastore": true, "latentstyles": true, "filetbl": true, "revtbl": true, "fldinst": true,
	"bkmkstart": true, "bkmkend": true, "operator": true, "company": true, "doccomm": true,
	"keywords": true, "subject": true, "comment": true, "mmathPr": true, "pgdsctbl": true,
}

// extractRTF reads RTF (a small state machine over groups and control
// words: \'hh in the document's code page, \uN with \ucN fallback
// skipping, ignorable \* destinations). Title and author come from \info.
func extractRTF(ctx context.Context, data []byte, lim Limits) (Text, error) {
	if !strings.HasPrefix(string(data[:min(len(data), 5)]), "{\\rtf") {
		return Text{}, errors.New("extract: not an RTF document")
	}
	type state struct {
		skip   bool
		dest   string // "title", "author" or ""
		ucSkip int
	}
	var t Text
	out := &textBuf{max: lim.MaxText}
	var title, author strings.Builder
	stack := []state{{ucSkip: 1}}
	cur := &stack[0]
	pendingSkip := 0 // fallback characters still to skip after \uN
	cp := charmap.Windows1252
	emit := func(s string) {
		if cur.skip {
			return
		}
		switch cur.dest {
		case "title":
			if title.Len() < 1000 {
				title.WriteString(s)
			}
		case "author":
			if author.Len() < 200 {
				author.WriteString(s)
			}
		default:
			out.WriteString(s)
		}
	}
	for i := 0; i < len(data); {
		if i%8192 == 0 {
			if err := checkCtx(ctx); err != nil {
				return t, err
			}
		}
		if out.full() {
			break
		}
		c := data[i]
		switch c {
		case '{':
			if len(stack) > 200 {
				return t, errors.New("extract: RTF nested too deeply")
			}
			stack = append(stack, *cur)
			cur = &stack[len(stack)-1]
			i++
		case '}':
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
				cur = &stack[len(stack)-1]
			}
			i++
		case '\\':
			i++
			if i >= len(data) {
				break
			}
			c = data[i]
			if c == '\'' {
				if i+2 < len(data) {
					if v, err := strconv.ParseUint(string(data[i+1:i+3]), 16, 8); err == nil {
						if pendingSkip > 0 {
							pendingSkip--
						} else {
							emit(string(cp.DecodeByte(byte(v))))
						}
					}
				}
				i += 3
				continue
			}
			if !isLetter(c) {
				switch c {
				case '*':
					cur.skip = true
				case '~':
					emit("\u00a0")
				case '\\', '{', '}':
					emit(string(c))
				case '\n', '\r':
					emit("\n")
				}
				i++
				continue
			}
			j := i
			for j < len(data) && isLetter(data[j]) && j-i < 32 {
				j++
			}
			word := string(data[i:j])
			k := j
			if k < len(data) && (data[k] == '-' || isDigit(data[k])) {
				k++
				for k < len(data) && isDigit(data[k]) && k-j < 12 {
					k++
				}
			}
			param, hasParam := 0, k > j
			if hasParam {
				param, _ = strconv.Atoi(string(data[j:k]))
			}
			if k < len(data) && data[k] == ' ' {
				k++
			}
			i = k
			switch {
			case word == "par" || word == "line" || word == "sect" || word == "row":
				emit("\n")
			case word == "tab" || word == "cell":
				emit(" ")
			case word == "u" && hasParam:
				if param < 0 {
					param += 65536
				}
				emit(string(rune(param)))
				pendingSkip = cur.ucSkip
			case word == "uc" && hasParam:
				cur.ucSkip = max(0, min(param, 8))
			case word == "title" || word == "author":
				cur.dest = word
			case word == "ansicpg" && hasParam:
				if param == 1252 {
					cp = charmap.Windows1252
				} else if param == 1250 {
					cp = charmap.Windows1250
				} else if param == 850 {
					cp = charmap.CodePage850
				}
			case word == "bin" && hasParam:
				i += max(0, min(param, len(data)-i))
			case rtfSkip[word]:
				cur.skip = true
			case word == "emdash":
				emit("—")
			case word == "endash":
				emit("–")
			case word == "lquote" || word == "rquote":
				emit("'")
			case word == "ldblquote" || word == "rdblquote":
				emit("\"")
			}
		case '\r', '\n':
			i++
		default:
			if pendingSkip > 0 {
				pendingSkip--
				i++
				continue
			}
			j := i
			for j < len(data) && data[j] != '\\' && data[j] != '{' && data[j] != '}' && data[j] != '\r' && data[j] != '\n' {
				j++
			}
			chunk := data[i:j]
			var s strings.Builder
			for _, b := range chunk {
				s.WriteRune(cp.DecodeByte(b))
			}
			emit(s.String())
			i = j
		}
	}
	t.Title = title.String()
	t.Author = author.String()
	t.Body = out.String()
	return t, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
