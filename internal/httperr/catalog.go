package httperr

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The catalog maps each English message, exactly as written in the code
// (httperr.New(code, msg, err) or &httperr.Error{Msg: msg}), to French. It
// lives in messages_fr.go; TestEveryClientMessageHasFrench fails for any
// message of the module that is missing from it.
//
// Messages built with fmt.Sprintf are supported by patterns: the key is the
// format string itself ("library %q not found"), and the French text uses
// the same verbs ("La bibliothèque %q est introuvable."). The translator
// matches the message against the key — %d matches an integer, any other
// verb (%s, %q, %v…) matches any text — and puts the matched text back in
// the French sentence, in order, or by explicit index (%[2]s) when French
// needs another order. %% stands for a literal percent sign.

// verbRE finds fmt verbs in a catalog key or translation.
var verbRE = regexp.MustCompile(`%%|%(\[(\d+)\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z]`)

type pattern struct {
	re *regexp.Regexp
	fr string
	// literal is the number of non-verb bytes: longer keys are more
	// specific and are tried first.
	literal int
}

var (
	patternsOnce sync.Once
	patterns     []pattern
)

func compilePatterns() {
	for en, fr := range messagesFR {
		if !hasVerb(en) {
			continue
		}
		re, literal := patternRE(en)
		patterns = append(patterns, pattern{re: re, fr: fr, literal: literal})
	}
	sort.Slice(patterns, func(i, j int) bool {
		if patterns[i].literal != patterns[j].literal {
			return patterns[i].literal > patterns[j].literal
		}
		return patterns[i].re.String() < patterns[j].re.String()
	})
}

// hasVerb reports whether s holds a fmt verb other than %%.
func hasVerb(s string) bool {
	for _, m := range verbRE.FindAllString(s, -1) {
		if m != "%%" {
			return true
		}
	}
	return false
}

// patternRE turns a format string into an anchored regexp with one group
// per verb.
func patternRE(format string) (*regexp.Regexp, int) {
	var b strings.Builder
	b.WriteString(`^`)
	literal, last := 0, 0
	for _, loc := range verbRE.FindAllStringIndex(format, -1) {
		b.WriteString(regexp.QuoteMeta(format[last:loc[0]]))
		literal += loc[0] - last
		verb := format[loc[0]:loc[1]]
		switch {
		case verb == "%%":
			b.WriteString(`%`)
			literal++
		case strings.HasSuffix(verb, "d"):
			b.WriteString(`(-?\d+)`)
		default:
			b.WriteString(`(.*?)`)
		}
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(format[last:]))
	literal += len(format) - last
	b.WriteString(`$`)
	return regexp.MustCompile(`(?s)` + b.String()), literal
}

// fill puts args into the verbs of tmpl, in order or by explicit index.
// A verb with no matching argument is left out.
func fill(tmpl string, args []string) string {
	next := 0
	return verbRE.ReplaceAllStringFunc(tmpl, func(verb string) string {
		if verb == "%%" {
			return "%"
		}
		i := next
		if m := verbRE.FindStringSubmatch(verb); m[2] != "" {
			n, err := strconv.Atoi(m[2])
			if err != nil {
				return ""
			}
			i = n - 1
		}
		next = i + 1
		if i < 0 || i >= len(args) {
			return ""
		}
		return args[i]
	})
}

// Localize returns msg in lang ("fr" or "en"). ok is false when lang is
// French and the catalog has no translation: msg is then returned as is.
func Localize(lang, msg string) (string, bool) {
	if lang != French {
		return msg, true
	}
	if fr, ok := messagesFR[msg]; ok {
		return fr, true
	}
	patternsOnce.Do(compilePatterns)
	for _, p := range patterns {
		if m := p.re.FindStringSubmatch(msg); m != nil {
			return fill(p.fr, m[1:]), true
		}
	}
	return msg, false
}
