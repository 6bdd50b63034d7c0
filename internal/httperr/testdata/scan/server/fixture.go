// Package server is a fixture for the message scan: each shape of message
// the scan must follow, and ones it must refuse.
package server

import (
	"errors"
	"fmt"
	"net/http"

	he "github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/internal/msgs"
)

const localConst = "fixture: package constant"

type rule struct {
	target error
	code   int
	msg    string
}

var rules = []rule{
	{errors.New("a"), 400, "fixture: named table row"},
	{target: nil, msg: "fixture: keyed table row"},
}

var errAtInit = he.New(http.StatusGone, "fixture: package-level var", nil)

func direct() error {
	return he.New(http.StatusNotFound, "fixture: direct literal", nil)
}

func concat() error {
	return he.New(400, "fixture: "+"concatenated", nil)
}

func structLit() error {
	return &he.Error{Code: 400, Msg: "fixture: struct literal"}
}

func positional() error {
	return &he.Error{400, "fixture: positional struct literal", nil}
}

func sprintf(n int) error {
	return he.New(400, fmt.Sprintf("fixture: %d items", n), nil)
}

func local(b bool) error {
	code, msg := 401, "fixture: local first"
	if b {
		msg = "fixture: local second"
	}
	return he.New(code, msg, nil)
}

func bad(msg string) error { return he.New(400, msg, nil) }

func viaBad() error { return bad("fixture: forwarded") }

func (s *srv) deeper(x int, text string) error { return bad(text) }

type srv struct{}

func (s *srv) viaDeeper() error { return s.deeper(1, "fixture: forwarded twice") }

func closure() error {
	oops := func(m string) error { return he.New(500, m, nil) }
	return oops("fixture: closure")
}

func table(err error) error {
	for _, m := range []struct {
		target error
		code   int
		msg    string
	}{
		{errors.New("x"), 400, "fixture: anonymous table row"},
	} {
		if errors.Is(err, m.target) {
			return he.New(m.code, m.msg, err)
		}
	}
	for _, r := range rules {
		if errors.Is(err, r.target) {
			return he.New(r.code, r.msg, err)
		}
	}
	return nil
}

func constants() error {
	if localConst == "" {
		return he.New(400, msgs.Gone, nil)
	}
	return he.New(400, localConst, nil)
}

func refused(err error, m map[string]string) error {
	if err != nil {
		return bad(err.Error())
	}
	return he.New(400, m["k"], nil)
}
