package httperr

import (
	"net/http"
	"strconv"
	"strings"
)

// Languages the API answers in. French comes first: Kaz serves the agents
// of a French public body, so French is also the default.
const (
	French  = "fr"
	English = "en"
)

// DefaultLang is the language used when the request states no usable
// preference (no Accept-Language, or only languages Kaz does not speak).
const DefaultLang = French

// Bounds on the Accept-Language header: a longer header, or more entries,
// is untrusted input that no browser sends; the rest is ignored.
const (
	maxAcceptLanguage = 1024
	maxLanguageRanges = 32
)

// Lang returns the language ("fr" or "en") to answer r in, from its
// Accept-Language header. A nil request gets DefaultLang.
func Lang(r *http.Request) string {
	if r == nil {
		return DefaultLang
	}
	return PreferredLang(r.Header.Get("Accept-Language"))
}

// PreferredLang picks "fr" or "en" from an Accept-Language header value
// (RFC 9110 §12.5.4): the supported language with the highest quality value
// wins; on a tie the one listed first wins. A language's quality is that of
// its plain range ("fr") when listed, else the best of its regional ranges
// ("fr-CA", "fr-FR"), else that of "*"; q=0 means "not acceptable".
// Malformed entries are skipped. When neither language is acceptable,
// DefaultLang is returned.
func PreferredLang(header string) string {
	if len(header) > maxAcceptLanguage {
		header = header[:maxAcceptLanguage]
	}
	type pref struct {
		q     int // quality in thousandths, -1 when not listed
		order int // position of the entry that gave q
	}
	none := pref{-1, 0}
	exact := map[string]pref{French: none, English: none}
	regional := map[string]pref{French: none, English: none}
	wild := none
	for i, part := range strings.SplitN(header, ",", maxLanguageRanges+1) {
		if i == maxLanguageRanges {
			break
		}
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q, ok := quality(params)
		if !ok || tag == "" {
			continue
		}
		primary, _, sub := strings.Cut(tag, "-")
		switch {
		case tag == "*":
			if wild.q < 0 {
				wild = pref{q, i}
			}
		case primary != French && primary != English:
		case !sub:
			if exact[primary].q < 0 {
				exact[primary] = pref{q, i}
			}
		default:
			if q > regional[primary].q {
				regional[primary] = pref{q, i}
			}
		}
	}
	best, bestQ, bestOrder := DefaultLang, 0, 0
	for _, l := range []string{French, English} {
		p := exact[l]
		if p.q < 0 {
			p = regional[l]
		}
		if p.q < 0 {
			p = wild
		}
		if p.q <= 0 {
			continue
		}
		if p.q > bestQ || (p.q == bestQ && p.order < bestOrder) {
			best, bestQ, bestOrder = l, p.q, p.order
		}
	}
	return best
}

// quality parses the parameters of one Accept-Language entry and returns
// its q-value in thousandths (1000 when absent). ok is false when the q
// parameter is malformed (RFC 9110 §12.4.2: at most three decimals, 0–1).
func quality(params string) (q int, ok bool) {
	q = 1000
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		return parseQ(strings.TrimSpace(value))
	}
	return q, true
}

func parseQ(v string) (int, bool) {
	// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
	whole, frac, _ := strings.Cut(v, ".")
	if (whole != "0" && whole != "1") || len(frac) > 3 {
		return 0, false
	}
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n := 0
	if frac != "" {
		f, err := strconv.Atoi((frac + "00")[:3])
		if err != nil {
			return 0, false
		}
		n = f
	}
	if whole == "1" {
		if n != 0 {
			return 0, false
		}
		return 1000, true
	}
	return n, true
}
