package httperr

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestScanFindsEveryShapeOfMessage(t *testing.T) {
	msgs, probs, err := scanMessages(filepath.Join("testdata", "scan"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.Text)
	}
	want := []string{
		"fixture: %d items",
		"fixture: anonymous table row",
		"fixture: closure",
		"fixture: concatenated",
		"fixture: direct literal",
		"fixture: forwarded",
		"fixture: forwarded twice",
		"fixture: gone from another package",
		"fixture: keyed table row",
		"fixture: local first",
		"fixture: local second",
		"fixture: named table row",
		"fixture: package constant",
		"fixture: package-level var",
		"fixture: positional struct literal",
		"fixture: struct literal",
	}
	got = slices.Compact(got)
	if !slices.Equal(got, want) {
		t.Errorf("scan found\n  %q\nwant\n  %q", got, want)
	}
	for _, m := range msgs {
		if m.Format != strings.Contains(m.Text, "%d") {
			t.Errorf("%s: %q Format = %v", m.Pos, m.Text, m.Format)
		}
		if !strings.HasPrefix(m.Pos, "server/fixture.go:") && !strings.HasPrefix(m.Pos, "internal/msgs/msgs.go:") {
			t.Errorf("message %q at unexpected position %s", m.Text, m.Pos)
		}
	}
	var refused []string
	for _, p := range probs {
		refused = append(refused, p.Expr)
	}
	if want := []string{"err.Error()", `m["k"]`}; !slices.Equal(refused, want) {
		t.Errorf("scan refused %q, want %q", refused, want)
	}
}

// TestEveryClientMessageHasFrench reads the whole module and fails for
// each message that can reach a client without a French translation, and
// for each message the scan cannot read (computed at run time): use a
// fixed message, or fmt.Sprintf with a literal format.
func TestEveryClientMessageHasFrench(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	msgs, probs, err := scanMessages(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 50 {
		t.Fatalf("scan found only %d messages in %s: the scan is broken", len(msgs), root)
	}
	for _, p := range probs {
		t.Errorf("%s: message %s cannot be translated (%s): give httperr a fixed English message", p.Pos, p.Expr, p.Why)
	}
	missing := map[string]bool{}
	for _, m := range msgs {
		if _, ok := messagesFR[m.Text]; !ok && !missing[m.Text] {
			missing[m.Text] = true
			t.Errorf("%s: no French translation for %q (add it to messages_fr.go)", m.Pos, m.Text)
		}
		if !m.Format && hasVerb(m.Text) {
			continue
		}
		if fr, ok := messagesFR[m.Text]; ok && !m.Format {
			// A literal message goes through Localize exactly.
			if got, _ := Localize(French, m.Text); got != fr {
				t.Errorf("Localize(%q) = %q, want %q", m.Text, got, fr)
			}
		}
	}
	t.Logf("%d client messages checked", len(msgs))
}

func TestCatalogTranslationsAreWellFormed(t *testing.T) {
	for en, fr := range messagesFR {
		if strings.TrimSpace(fr) == "" {
			t.Errorf("%q: empty translation", en)
			continue
		}
		if r := []rune(fr); !unicode.IsUpper(r[0]) && !unicode.IsDigit(r[0]) {
			t.Errorf("%q: translation %q should start with a capital letter", en, fr)
		}
		if !strings.ContainsAny(fr[len(fr)-1:], ".!?") && !strings.HasSuffix(fr, "»") {
			t.Errorf("%q: translation %q should end with a full stop", en, fr)
		}
		if hasVerb(en) {
			enVerbs := len(verbsOf(en))
			if n := len(verbsOf(fr)); n != enVerbs {
				t.Errorf("pattern %q has %d verbs but its translation %q has %d", en, enVerbs, fr, n)
			}
		} else if hasVerb(fr) {
			t.Errorf("%q: translation %q has a verb but the message is no pattern", en, fr)
		}
	}
}

func verbsOf(s string) []string {
	var out []string
	for _, v := range verbRE.FindAllString(s, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	return out
}
