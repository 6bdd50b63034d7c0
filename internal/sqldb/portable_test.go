package sqldb

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestQueriesStayPortable reads Kaz's Go sources for the SQLite-only
// constructs that the PostgreSQL stores could not run: LastInsertId (no
// PostgreSQL driver has it; use RETURNING id), INSERT OR IGNORE/REPLACE
// and REPLACE INTO (use ON CONFLICT), and SQLite's date functions (times
// are stored as sortable text, see FormatTime).
func TestQueriesStayPortable(t *testing.T) {
	root := filepath.Join("..", "..")
	bad := regexp.MustCompile(`\.LastInsertId\(\)|(?i:\bINSERT\s+OR\s+(IGNORE|REPLACE)\b)|(?i:\bREPLACE\s+INTO\b)|\b(strftime|julianday|datetime)\s*\(`)
	var checked int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "bench":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			code, _, _ := strings.Cut(line, "//")
			if m := bad.FindString(code); m != "" {
				t.Errorf("%s:%d: %q is SQLite-only; keep SQL portable (RETURNING id, ON CONFLICT, text times)", p, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d Go files read under %s: is the tree there?", checked, root)
	}
}
