// Package archtest keeps DESIGN.md's dependency rule: softphone, docstore
// and search do not import each other (search consumes docstore's change
// events through its own small interface), and only server wires them.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kazhq/kaz/"

// imports returns, for every non-test Go file under dir, its imports of
// this module.
func imports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, module) {
				out[path] = append(out[path], strings.TrimPrefix(p, module))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPartsDoNotImportEachOther(t *testing.T) {
	root := filepath.Join("..", "..")
	forbidden := map[string][]string{
		"docs-store": {"search", "softphone", "server/idp", "cmd"},
		"search":     {"docs-store", "softphone", "server/idp", "cmd"},
		"softphone":  {"docs-store", "search", "server/idp", "cmd"},
	}
	for part, bad := range forbidden {
		dir := filepath.Join(root, part)
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("%s: %v", part, err)
		}
		for file, imps := range imports(t, dir) {
			for _, imp := range imps {
				for _, b := range bad {
					if imp == b || strings.HasPrefix(imp, b+"/") {
						t.Errorf("%s imports %s: %s must not depend on %s (DESIGN.md, dependency rule)", file, imp, part, b)
					}
				}
				// Only server (the wiring) may import server itself;
				// server/auth's Principal is the shared identity type.
				if imp == "server" {
					t.Errorf("%s imports the server package: only cmd/kaz and tests may", file)
				}
			}
		}
	}
}

// TestServerIsTheOnlyWiring checks that nothing below internal/ imports the
// parts (internal packages are small shared helpers).
func TestInternalHelpersStaySmall(t *testing.T) {
	root := filepath.Join("..", "..", "internal")
	for file, imps := range imports(t, root) {
		if strings.Contains(file, "testenv") || strings.Contains(file, "archtest") {
			continue // test support may start a whole server
		}
		for _, imp := range imps {
			for _, part := range []string{"docs-store", "search", "softphone", "server"} {
				if imp == part || strings.HasPrefix(imp, part+"/") {
					t.Errorf("%s imports %s: internal helpers must not depend on the parts", file, imp)
				}
			}
		}
	}
}
