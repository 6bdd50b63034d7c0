package dav

import (
	"errors"
	"strings"
)

// RFC 4918 §10.4: the If header.
//
//	If = "If" ":" ( 1*No-tag-list | 1*Tagged-list )
//	No-tag-list = List
//	Tagged-list = Resource-Tag 1*List
//	List = "(" 1*Condition ")"
//	Condition = ["Not"] (State-token | "[" entity-tag "]")
//	Resource-Tag = "<" Simple-ref ">"

// ifHeader is a parsed If header: a disjunction of lists.
type ifHeader struct {
	lists []ifList
}

// ifList is one parenthesised list: a conjunction of conditions, applying
// to the resource named by tag, or to the request URI when tag is empty.
type ifList struct {
	tag        string
	conditions []ifCondition
}

// ifCondition is one state token or entity tag, possibly negated.
type ifCondition struct {
	not   bool
	token string // a state token (Coded-URL content), or
	etag  string // an entity tag, quotes included
}

// maxIfHeader bounds the header we accept, and maxIfConditions the work
// evaluating it.
const (
	maxIfHeader     = 16 << 10
	maxIfConditions = 256
)

var errBadIf = errors.New("dav: malformed If header")

// parseIf parses the value of an If header.
func parseIf(s string) (ifHeader, error) {
	var h ifHeader
	if len(s) > maxIfHeader {
		return h, errBadIf
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return h, errBadIf
	}
	tagged := s[0] == '<'
	tag := ""
	n := 0
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		switch s[0] {
		case '<':
			if !tagged {
				return h, errBadIf
			}
			end := strings.IndexByte(s, '>')
			if end < 0 {
				return h, errBadIf
			}
			tag = s[1:end]
			if tag == "" || strings.ContainsAny(tag, " \t<(") {
				return h, errBadIf
			}
			s = s[end+1:]
			// A tag must be followed by at least one list.
			if t := strings.TrimLeft(s, " \t"); t == "" || t[0] != '(' {
				return h, errBadIf
			}
		case '(':
			l, rest, err := parseIfList(s[1:], &n)
			if err != nil {
				return h, err
			}
			l.tag = tag
			h.lists = append(h.lists, l)
			s = rest
		default:
			return h, errBadIf
		}
	}
	if len(h.lists) == 0 {
		return h, errBadIf
	}
	return h, nil
}

func parseIfList(s string, n *int) (ifList, string, error) {
	var l ifList
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return l, "", errBadIf
		}
		if s[0] == ')' {
			if len(l.conditions) == 0 {
				return l, "", errBadIf
			}
			return l, s[1:], nil
		}
		var c ifCondition
		if len(s) >= 3 && strings.EqualFold(s[:3], "not") {
			c.not = true
			s = strings.TrimLeft(s[3:], " \t")
			if s == "" {
				return l, "", errBadIf
			}
		}
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end < 0 {
				return l, "", errBadIf
			}
			c.token = s[1:end]
			if c.token == "" || strings.ContainsAny(c.token, " \t<") {
				return l, "", errBadIf
			}
			s = s[end+1:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return l, "", errBadIf
			}
			c.etag = strings.TrimSpace(s[1:end])
			if c.etag == "" {
				return l, "", errBadIf
			}
			s = s[end+1:]
		default:
			return l, "", errBadIf
		}
		*n++
		if *n > maxIfConditions {
			return l, "", errBadIf
		}
		l.conditions = append(l.conditions, c)
	}
}

// tokens returns every state token named in h, negated or not.
func (h ifHeader) tokens() []string {
	var out []string
	for _, l := range h.lists {
		for _, c := range l.conditions {
			if c.token != "" {
				out = append(out, c.token)
			}
		}
	}
	return out
}

// resourceState is what If evaluation needs to know about one resource.
type resourceState struct {
	exists bool
	etag   string   // quoted, "" when none
	tokens []string // tokens of the locks that apply to the resource
}

// etagMatch compares entity tags with the weak comparison function (RFC
// 7232 §2.3.2), which is what If conditions use in practice.
func etagMatch(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

// eval reports whether list l holds for a resource in state st.
func (l ifList) eval(st resourceState) bool {
	for _, c := range l.conditions {
		var ok bool
		if c.token != "" {
			for _, t := range st.tokens {
				if t == c.token {
					ok = true
					break
				}
			}
		} else {
			ok = st.exists && etagMatch(c.etag, st.etag)
		}
		if ok == c.not {
			return false
		}
	}
	return true
}

// evalIf evaluates h. state resolves a list's resource: the request URI's
// path for untagged lists, or the tag (a URL resolved by the caller) for
// tagged ones; ok false means the tag names a resource outside this server,
// whose list then does not hold. It returns whether the header holds.
func evalIf(h ifHeader, state func(tag string) (resourceState, bool)) bool {
	for _, l := range h.lists {
		st, ok := state(l.tag)
		if !ok {
			continue
		}
		if l.eval(st) {
			return true
		}
	}
	return false
}
