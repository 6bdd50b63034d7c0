package httperr

// This file finds, by reading the module's source, every message that can
// reach a client through httperr: the msg argument of httperr.New, the Msg
// field of an httperr.Error literal, and the argument of any function that
// forwards one of its parameters there (found automatically, to any depth:
// searchBad(msg), apiCredentialError(err, bad)…). A message expression is
// followed through:
//   - string literals and their concatenation;
//   - fmt.Sprintf with a literal format (the format is the catalog key);
//   - local variables and constants (every value assigned to them);
//   - package-level constants, also of another package of the module;
//   - fields of struct literals (m.msg over a table of {code, msg} rows,
//     named or positional), looked up in the same function, then package.
// Anything else (err.Error(), a call, a map lookup) is reported as not
// translatable.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	modulePath  = "github.com/kazhq/kaz"
	httperrPath = modulePath + "/internal/httperr"
)

// foundMsg is one message the scan found.
type foundMsg struct {
	Pos    string // file:line of the expression that gives the text
	Text   string // the English message, or the format of a Sprintf
	Format bool   // Text is a fmt format string
}

// scanProblem is a message expression the scan cannot turn into text.
type scanProblem struct {
	Pos  string
	Expr string
	Why  string
}

type scanFile struct {
	rel     string // path relative to the root
	f       *ast.File
	pkg     *scanPkg
	httperr string            // local name of the httperr import ("" if none)
	imports map[string]string // local name → package dir (module packages only)
	self    bool              // the file is in package httperr itself
}

type scanPkg struct {
	dir    string
	files  []*scanFile
	consts map[string][]ast.Expr // package-level const/var name → values
	consF  map[string]*scanFile
	types  map[string]*ast.StructType
}

// forwarder is a function passing its parameter idx on as a message.
type forwarder struct {
	dir  string // package dir
	name string // function, method or func-literal variable name
	idx  int
}

type scanner struct {
	fset     *token.FileSet
	root     string
	pkgs     map[string]*scanPkg
	fwd      map[forwarder]bool
	msgs     map[foundMsg]bool
	problems map[scanProblem]bool
}

// scanMessages parses every non-test .go file under root (skipping
// testdata, node_modules, vendor and hidden folders) and returns the
// client messages, sorted, and the expressions it could not resolve.
func scanMessages(root string) ([]foundMsg, []scanProblem, error) {
	s := &scanner{fset: token.NewFileSet(), root: root, pkgs: map[string]*scanPkg{}}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "node_modules" || name == "vendor" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		return s.parse(path)
	})
	if err != nil {
		return nil, nil, err
	}
	// Forwarders feed new forwarders: iterate to a fixpoint (bounded by
	// the number of functions; in practice two or three rounds).
	s.fwd = map[forwarder]bool{}
	for range 10 {
		before := len(s.fwd)
		s.msgs, s.problems = map[foundMsg]bool{}, map[scanProblem]bool{}
		s.walkAll()
		if len(s.fwd) == before {
			break
		}
	}
	msgs := make([]foundMsg, 0, len(s.msgs))
	for m := range s.msgs {
		msgs = append(msgs, m)
	}
	sort.Slice(msgs, func(i, j int) bool {
		if msgs[i].Text != msgs[j].Text {
			return msgs[i].Text < msgs[j].Text
		}
		return msgs[i].Pos < msgs[j].Pos
	})
	probs := make([]scanProblem, 0, len(s.problems))
	for p := range s.problems {
		probs = append(probs, p)
	}
	sort.Slice(probs, func(i, j int) bool { return probs[i].Pos < probs[j].Pos })
	return msgs, probs, nil
}

func (s *scanner) parse(path string) error {
	f, err := parser.ParseFile(s.fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	rel, _ := filepath.Rel(s.root, path)
	dir := filepath.ToSlash(filepath.Dir(rel))
	p := s.pkgs[dir]
	if p == nil {
		p = &scanPkg{dir: dir, consts: map[string][]ast.Expr{}, consF: map[string]*scanFile{}, types: map[string]*ast.StructType{}}
		s.pkgs[dir] = p
	}
	sf := &scanFile{rel: filepath.ToSlash(rel), f: f, pkg: p, imports: map[string]string{}}
	sf.self = f.Name.Name == "httperr" && (dir == "internal/httperr" || dir == ".")
	for _, im := range f.Imports {
		ip, _ := strconv.Unquote(im.Path.Value)
		local := ip[strings.LastIndex(ip, "/")+1:]
		if im.Name != nil {
			local = im.Name.Name
		}
		if ip == httperrPath {
			sf.httperr = local
		}
		if ip == modulePath || strings.HasPrefix(ip, modulePath+"/") {
			d := strings.TrimPrefix(strings.TrimPrefix(ip, modulePath), "/")
			if d == "" {
				d = "."
			}
			sf.imports[local] = d
		}
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gd.Specs {
			switch sp := spec.(type) {
			case *ast.ValueSpec:
				for i, n := range sp.Names {
					if i < len(sp.Values) {
						p.consts[n.Name] = append(p.consts[n.Name], sp.Values[i])
						p.consF[n.Name] = sf
					}
				}
			case *ast.TypeSpec:
				if st, ok := sp.Type.(*ast.StructType); ok {
					p.types[sp.Name.Name] = st
				}
			}
		}
	}
	p.files = append(p.files, sf)
	return nil
}

func (s *scanner) walkAll() {
	dirs := make([]string, 0, len(s.pkgs))
	for d := range s.pkgs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		for _, sf := range s.pkgs[d].files {
			s.walkFile(sf)
		}
	}
}

// scope is where a message expression sits: the file, the top-level
// function (nil at package level) and the stack of enclosing functions.
type scope struct {
	file  *scanFile
	decl  *ast.FuncDecl
	funcs []ast.Node // *ast.FuncDecl and *ast.FuncLit, outermost first
	names map[*ast.FuncLit]string
}

func (s *scanner) walkFile(sf *scanFile) {
	for _, decl := range sf.f.Decls {
		sc := &scope{file: sf, names: map[*ast.FuncLit]string{}}
		if fd, ok := decl.(*ast.FuncDecl); ok {
			sc.decl = fd
		}
		// Name the func literals assigned to a variable, so that a
		// closure forwarding its parameter is a forwarder too.
		ast.Inspect(decl, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || len(as.Lhs) != len(as.Rhs) {
				return true
			}
			for i, rhs := range as.Rhs {
				if fl, ok := rhs.(*ast.FuncLit); ok {
					if id, ok := as.Lhs[i].(*ast.Ident); ok {
						sc.names[fl] = id.Name
					}
				}
			}
			return true
		})
		s.walk(sc, decl)
	}
}

// walk visits n, keeping the stack of enclosing functions.
func (s *scanner) walk(sc *scope, n ast.Node) {
	ast.Inspect(n, func(c ast.Node) bool {
		switch c := c.(type) {
		case *ast.FuncDecl:
			if c != n {
				return false
			}
			sc.funcs = append(sc.funcs, c)
			if c.Body != nil {
				for _, st := range c.Body.List {
					s.walk(sc, st)
				}
			}
			sc.funcs = sc.funcs[:len(sc.funcs)-1]
			return false
		case *ast.FuncLit:
			if c == n {
				return true
			}
			sc.funcs = append(sc.funcs, c)
			s.walk(sc, c.Body)
			sc.funcs = sc.funcs[:len(sc.funcs)-1]
			return false
		case *ast.CallExpr:
			s.call(sc, c)
		case *ast.CompositeLit:
			s.errorLit(sc, c)
		}
		return true
	})
}

// call handles httperr.New and calls to forwarders.
func (s *scanner) call(sc *scope, c *ast.CallExpr) {
	sf := sc.file
	var name, qual string
	switch fn := c.Fun.(type) {
	case *ast.Ident:
		name = fn.Name
	case *ast.SelectorExpr:
		name = fn.Sel.Name
		if x, ok := fn.X.(*ast.Ident); ok {
			qual = x.Name
		}
	default:
		return
	}
	isNew := name == "New" && ((sf.httperr != "" && qual == sf.httperr) || (sf.self && qual == ""))
	if isNew && len(c.Args) == 3 {
		s.message(sc, c.Args[1])
		return
	}
	for fw := range s.fwd {
		if fw.name != name || fw.idx >= len(c.Args) {
			continue
		}
		// Same package (plain or method call), or pkg.Func from another.
		samePkg := fw.dir == sf.pkg.dir && (qual == "" || sf.imports[qual] == "")
		otherPkg := qual != "" && sf.imports[qual] == fw.dir
		if samePkg || otherPkg {
			s.message(sc, c.Args[fw.idx])
		}
	}
}

// errorLit handles httperr.Error{…} literals.
func (s *scanner) errorLit(sc *scope, c *ast.CompositeLit) {
	sf := sc.file
	switch t := c.Type.(type) {
	case *ast.SelectorExpr:
		x, ok := t.X.(*ast.Ident)
		if !ok || sf.httperr == "" || x.Name != sf.httperr || t.Sel.Name != "Error" {
			return
		}
	case *ast.Ident:
		if !sf.self || t.Name != "Error" {
			return
		}
	default:
		return
	}
	for i, el := range c.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Msg" {
				s.message(sc, kv.Value)
			}
		} else if i == 1 {
			s.message(sc, el)
		}
	}
}

// message records what the message expression e can be.
func (s *scanner) message(sc *scope, e ast.Expr) {
	s.resolve(sc, e, 0)
}

func (s *scanner) pos(sf *scanFile, n ast.Node) string {
	p := s.fset.Position(n.Pos())
	return fmt.Sprintf("%s:%d", sf.rel, p.Line)
}

func (s *scanner) problem(sf *scanFile, e ast.Expr, why string) {
	var b strings.Builder
	_ = printer.Fprint(&b, s.fset, e)
	s.problems[scanProblem{Pos: s.pos(sf, e), Expr: b.String(), Why: why}] = true
}

func (s *scanner) add(sf *scanFile, n ast.Node, text string, format bool) {
	s.msgs[foundMsg{Pos: s.pos(sf, n), Text: text, Format: format}] = true
}

const maxDepth = 8

func (s *scanner) resolve(sc *scope, e ast.Expr, depth int) {
	sf := sc.file
	if depth > maxDepth {
		s.problem(sf, e, "too many indirections")
		return
	}
	switch e := e.(type) {
	case *ast.ParenExpr:
		s.resolve(sc, e.X, depth+1)
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			s.problem(sf, e, "not a string")
			return
		}
		v, err := strconv.Unquote(e.Value)
		if err != nil {
			s.problem(sf, e, "bad string literal")
			return
		}
		s.add(sf, e, v, false)
	case *ast.BinaryExpr:
		l, lok := constString(e.X)
		r, rok := constString(e.Y)
		if e.Op != token.ADD || !lok || !rok {
			s.problem(sf, e, "not a fixed text")
			return
		}
		s.add(sf, e, l+r, false)
	case *ast.CallExpr:
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok && len(e.Args) > 0 {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "fmt" && sel.Sel.Name == "Sprintf" {
				if f, ok := constString(e.Args[0]); ok {
					s.add(sf, e, f, true)
					return
				}
			}
		}
		s.problem(sf, e, "computed at run time")
	case *ast.Ident:
		s.ident(sc, e, depth)
	case *ast.SelectorExpr:
		s.selector(sc, e, depth)
	default:
		s.problem(sf, e, "computed at run time")
	}
}

// constString folds a string literal or a concatenation of them.
func constString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		v, err := strconv.Unquote(e.Value)
		return v, err == nil
	case *ast.ParenExpr:
		return constString(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		l, lok := constString(e.X)
		r, rok := constString(e.Y)
		return l + r, lok && rok
	}
	return "", false
}

func (s *scanner) ident(sc *scope, id *ast.Ident, depth int) {
	sf := sc.file
	// A parameter of an enclosing function: that function forwards.
	for i := len(sc.funcs) - 1; i >= 0; i-- {
		var ft *ast.FuncType
		var name string
		switch fn := sc.funcs[i].(type) {
		case *ast.FuncDecl:
			ft, name = fn.Type, fn.Name.Name
		case *ast.FuncLit:
			ft, name = fn.Type, sc.names[fn]
		}
		if idx := paramIndex(ft, id.Name); idx >= 0 {
			if name == "" {
				s.problem(sf, id, "parameter of an anonymous function")
				return
			}
			s.fwd[forwarder{dir: sf.pkg.dir, name: name, idx: idx}] = true
			return
		}
	}
	// A local variable or constant: every value given to it.
	if sc.decl != nil {
		vals := assigned(sc.decl.Body, id.Name)
		if len(vals) > 0 {
			for _, v := range vals {
				if v == nil {
					s.problem(sf, id, "assigned a value computed at run time")
					continue
				}
				s.resolve(sc, v, depth+1)
			}
			return
		}
	}
	// A package-level constant or variable.
	if vals := sf.pkg.consts[id.Name]; len(vals) > 0 {
		csc := &scope{file: sf.pkg.consF[id.Name], names: map[*ast.FuncLit]string{}}
		for _, v := range vals {
			s.resolve(csc, v, depth+1)
		}
		return
	}
	s.problem(sf, id, "unknown identifier")
}

// paramIndex returns the index of parameter name in ft, or -1.
func paramIndex(ft *ast.FuncType, name string) int {
	if ft == nil || ft.Params == nil {
		return -1
	}
	i := 0
	for _, f := range ft.Params.List {
		if len(f.Names) == 0 {
			i++
			continue
		}
		for _, n := range f.Names {
			if n.Name == name {
				return i
			}
			i++
		}
	}
	return -1
}

// assigned returns the expressions assigned to the variable name in body
// (nil for a value it cannot attribute, as in x, err := f()).
func assigned(body *ast.BlockStmt, name string) []ast.Expr {
	if body == nil {
		return nil
	}
	var out []ast.Expr
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				id, ok := l.(*ast.Ident)
				if !ok || id.Name != name {
					continue
				}
				if len(n.Lhs) == len(n.Rhs) {
					out = append(out, n.Rhs[i])
				} else {
					out = append(out, nil)
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if id.Name == name && i < len(n.Values) {
					out = append(out, n.Values[i])
				}
			}
		case *ast.RangeStmt:
			// A range variable over a table is resolved as a field
			// (m.msg); a bare one cannot be.
			if id, ok := n.Value.(*ast.Ident); ok && id.Name == name {
				out = append(out, nil)
			}
		}
		return true
	})
	return out
}

func (s *scanner) selector(sc *scope, e *ast.SelectorExpr, depth int) {
	sf := sc.file
	// pkg.Const of another package of the module.
	if x, ok := e.X.(*ast.Ident); ok {
		if dir, ok := sf.imports[x.Name]; ok {
			p := s.pkgs[dir]
			if p != nil && len(p.consts[e.Sel.Name]) > 0 {
				csc := &scope{file: p.consF[e.Sel.Name], names: map[*ast.FuncLit]string{}}
				for _, v := range p.consts[e.Sel.Name] {
					s.resolve(csc, v, depth+1)
				}
				return
			}
			s.problem(sf, e, "not a constant of the module")
			return
		}
	}
	// A struct field: the values given to it in struct literals, in the
	// enclosing function first, else anywhere in the package.
	field := e.Sel.Name
	found := false
	visit := func(fsc *scope, root ast.Node) {
		ast.Inspect(root, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if st := s.structOf(sf.pkg, cl.Type); st != nil {
				if v := fieldValue(st, cl, field); v != nil {
					found = true
					s.resolve(fsc, v, depth+1)
				}
				return true
			}
			// []T{{…}}, map[K]T{k: {…}}: elements may omit their type.
			var elt ast.Expr
			switch t := cl.Type.(type) {
			case *ast.ArrayType:
				elt = t.Elt
			case *ast.MapType:
				elt = t.Value
			}
			if st := s.structOf(sf.pkg, elt); st != nil {
				for _, el := range cl.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						el = kv.Value
					}
					if u, ok := el.(*ast.UnaryExpr); ok {
						el = u.X
					}
					if ecl, ok := el.(*ast.CompositeLit); ok && ecl.Type == nil {
						if v := fieldValue(st, ecl, field); v != nil {
							found = true
							s.resolve(fsc, v, depth+1)
						}
					}
				}
			}
			return true
		})
	}
	// m.msg where m ranges over a table: that table's rows only.
	if x, ok := e.X.(*ast.Ident); ok && sc.decl != nil {
		for _, rx := range rangedOver(sc.decl.Body, x.Name) {
			if id, ok := rx.(*ast.Ident); ok {
				if vals := assigned(sc.decl.Body, id.Name); len(vals) > 0 {
					for _, v := range vals {
						if v != nil {
							visit(sc, v)
						}
					}
				} else if vals := sf.pkg.consts[id.Name]; len(vals) > 0 {
					csc := &scope{file: sf.pkg.consF[id.Name], names: map[*ast.FuncLit]string{}}
					for _, v := range vals {
						visit(csc, v)
					}
				}
				continue
			}
			visit(sc, rx)
		}
	}
	if !found && sc.decl != nil {
		visit(sc, sc.decl)
	}
	if !found {
		for _, pf := range sf.pkg.files {
			for _, d := range pf.f.Decls {
				psc := &scope{file: pf, names: map[*ast.FuncLit]string{}}
				if fd, ok := d.(*ast.FuncDecl); ok {
					psc.decl = fd
				}
				visit(psc, d)
			}
		}
	}
	if !found {
		s.problem(sf, e, "field never set from a literal")
	}
}

// rangedOver returns the expressions that the range variable name ranges
// over in body.
func rangedOver(body *ast.BlockStmt, name string) []ast.Expr {
	var out []ast.Expr
	if body == nil {
		return nil
	}
	ast.Inspect(body, func(n ast.Node) bool {
		if rs, ok := n.(*ast.RangeStmt); ok {
			if id, ok := rs.Value.(*ast.Ident); ok && id.Name == name {
				out = append(out, rs.X)
			}
		}
		return true
	})
	return out
}

// structOf returns the struct type of t: a struct literal type, or a
// struct type declared in the package (also through a pointer).
func (s *scanner) structOf(p *scanPkg, t ast.Expr) *ast.StructType {
	switch t := t.(type) {
	case *ast.StructType:
		return t
	case *ast.StarExpr:
		return s.structOf(p, t.X)
	case *ast.Ident:
		return p.types[t.Name]
	}
	return nil
}

// fieldValue returns the value of field in the struct literal cl of type st.
func fieldValue(st *ast.StructType, cl *ast.CompositeLit, field string) ast.Expr {
	idx, i := -1, 0
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 {
			i++
			continue
		}
		for _, n := range f.Names {
			if n.Name == field {
				idx = i
			}
			i++
		}
	}
	if idx < 0 {
		return nil
	}
	for j, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == field {
				return kv.Value
			}
			continue
		}
		if j == idx {
			return el
		}
	}
	return nil
}

// moduleRoot returns the folder holding the module's go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module "+modulePath+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod of %s not found", modulePath)
		}
		dir = parent
	}
}
