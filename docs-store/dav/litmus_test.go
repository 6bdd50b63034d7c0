package dav

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	litmusSummary = regexp.MustCompile("summary for `(\\w+)': of (\\d+) tests run: (\\d+) passed, (\\d+) failed")
	litmusWarn    = regexp.MustCompile(`(\d+) warnings? (was|were) issued`)
)

// TestLitmus runs the five litmus suites against the handler: every test
// must pass, with no warning.
func TestLitmus(t *testing.T) {
	bin := peer(t, "litmus")
	e := newEnv(t, 0)
	runLitmus(t, bin, e.url+"/dav/lib/", "alice", testUsers["alice"])
}

func runLitmus(t *testing.T, bin, url, user, pass string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--keep-going", url, user, pass)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"TESTS=basic copymove props locks http", "HOME=" + cmd.Dir, "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	text := string(out)
	suites := map[string]bool{}
	total, passed := 0, 0
	for _, m := range litmusSummary.FindAllStringSubmatch(text, -1) {
		suites[m[1]] = true
		n, _ := strconv.Atoi(m[2])
		p, _ := strconv.Atoi(m[3])
		total += n
		passed += p
		if m[4] != "0" {
			t.Errorf("litmus %s: %s of %s failed", m[1], m[4], m[2])
		}
	}
	for _, s := range []string{"basic", "copymove", "props", "locks", "http"} {
		if !suites[s] {
			t.Errorf("litmus suite %s did not run", s)
		}
	}
	if w := litmusWarn.FindAllString(text, -1); len(w) > 0 {
		t.Errorf("litmus warnings: %v", w)
	}
	if err != nil {
		t.Errorf("litmus: %v", err)
	}
	t.Logf("litmus: %d/%d passed", passed, total)
	if testing.Verbose() {
		t.Log(text)
	}
	if t.Failed() {
		var bad []string
		for _, l := range strings.Split(text, "\n") {
			if strings.Contains(l, "FAIL") || strings.Contains(l, "WARNING") || strings.HasPrefix(l, "   ") {
				bad = append(bad, l)
			}
		}
		t.Logf("litmus output (failures):\n%s", strings.Join(bad, "\n"))
	}
}
