// Package docstoretest is the conformance suite every docstore
// configuration runs (SQLite or PostgreSQL metadata, disk or S3 blobs):
// docstoretest.Run(t, newStore).
package docstoretest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/reqctx"
	"github.com/kazhq/kaz/server/auth"
)

// NewStore opens a store whose state lives in dir (a fresh t.TempDir()
// the first time). Called again with the same dir, it must reopen the same
// state (restart). It registers its own cleanup with t.
type NewStore func(t *testing.T, dir string) *docstore.Store

// Principals used by the suite. The library "docs" grants owner to group
// "owners", editor to user "bob" and group "editors", reader to group
// "readers".
var (
	Admin    = &auth.Principal{User: "root", Admin: true, Groups: []string{"admins"}}
	Owner    = &auth.Principal{User: "alice", Groups: []string{"owners"}}
	Editor   = &auth.Principal{User: "bob"}
	Editor2  = &auth.Principal{User: "erin", Groups: []string{"editors"}}
	Reader   = &auth.Principal{User: "carol", Groups: []string{"readers"}}
	Stranger = &auth.Principal{User: "dave", Groups: []string{"others"}}
)

type env struct {
	t   *testing.T
	ctx context.Context
	s   *docstore.Store
	dir string
	new NewStore
}

func setup(t *testing.T, newStore NewStore) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, ctx: reqctx.WithClientIP(t.Context(), netip.MustParseAddr("192.0.2.7")), dir: dir, new: newStore}
	e.s = newStore(t, dir)
	e.library("docs", 0)
	return e
}

func (e *env) library(name string, quota int64) {
	e.t.Helper()
	_, err := e.s.CreateLibrary(e.ctx, Admin, docstore.LibrarySpec{
		Name: name, Description: "Documents " + name, Quota: quota,
		Grants: []docstore.Grant{
			{Role: docstore.RoleOwner, Subject: "group:owners"},
			{Role: docstore.RoleEditor, Subject: "user:bob"},
			{Role: docstore.RoleEditor, Subject: "group:editors"},
			{Role: docstore.RoleReader, Subject: "group:readers"},
		},
	})
	if err != nil {
		e.t.Fatalf("CreateLibrary(%s): %v", name, err)
	}
}

func (e *env) put(p *auth.Principal, lib, path, content string, opts ...docstore.PutOptions) docstore.Item {
	e.t.Helper()
	o := docstore.PutOptions{Size: int64(len(content))}
	if len(opts) > 0 {
		o = opts[0]
	}
	it, _, err := e.s.Put(e.ctx, p, lib, path, strings.NewReader(content), o)
	if err != nil {
		e.t.Fatalf("Put(%s%s): %v", lib, path, err)
	}
	return it
}

func (e *env) mkdir(p *auth.Principal, lib, path string) {
	e.t.Helper()
	if _, err := e.s.Mkdir(e.ctx, p, lib, path, docstore.WriteOptions{}); err != nil {
		e.t.Fatalf("Mkdir(%s%s): %v", lib, path, err)
	}
}

func (e *env) read(p *auth.Principal, lib, path string) string {
	e.t.Helper()
	f, _, err := e.s.OpenFile(e.ctx, p, lib, path)
	if err != nil {
		e.t.Fatalf("OpenFile(%s%s): %v", lib, path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *env) names(p *auth.Principal, lib, path string, opts docstore.ListOptions) []string {
	e.t.Helper()
	var out []string
	if err := e.s.List(e.ctx, p, lib, path, opts, func(it docstore.Item) error {
		out = append(out, it.Name)
		return nil
	}); err != nil {
		e.t.Fatalf("List(%s%s): %v", lib, path, err)
	}
	return out
}

func (e *env) versions(lib, path string) []docstore.Version {
	e.t.Helper()
	vs, err := e.s.Versions(e.ctx, Reader, lib, path)
	if err != nil {
		e.t.Fatalf("Versions(%s): %v", path, err)
	}
	return vs
}

func (e *env) lastSeq() int64 {
	e.t.Helper()
	var last int64
	for {
		cs, err := e.s.Changes(e.ctx, last, 1000)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(cs) == 0 {
			return last
		}
		last = cs[len(cs)-1].Seq
	}
}

func (e *env) changesSince(seq int64) []string {
	e.t.Helper()
	cs, err := e.s.Changes(e.ctx, seq, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		s := string(c.Kind) + " " + c.Library + c.Path
		if c.OldPath != "" {
			s += " from " + c.OldPath
		}
		out = append(out, s)
	}
	return out
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func equal[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// failingReader returns n bytes then an error, like a client that
// disconnects mid-upload.
type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	for i := range k {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

// Run runs the conformance suite.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"LibrariesAndRoles", testLibraries},
		{"PutStatReadList", testPutStatRead},
		{"PutKeepsOldContentOnShortBody", testShortBody},
		{"PutKeepsOldContentWhenReaderFails", testFailingReader},
		{"PutRefusesLongerBody", testLongBody},
		{"PutChunkedUnknownSize", testChunked},
		{"PutConditional", testConditional},
		{"PutIntoMissingFolderIsConflict", testConflict},
		{"PathValidation", testPathValidation},
		{"VersionsKeptAndRestored", testVersions},
		{"VersionLimit", testVersionLimit},
		{"DeleteToRecycleBinAndRestore", testTrash},
		{"RestoreBesideOnClash", testRestoreClash},
		{"EmptyAndPurgeRecycleBin", testEmptyTrash},
		{"MoveFolderWithSubtree", testMoveFolder},
		{"MoveFileOverFileKeepsHistory", testMoveOver},
		{"MoveRules", testMoveRules},
		{"MoveAcrossLibraries", testMoveAcross},
		{"MoveOrCopyOntoAncestorRefused", testMoveOntoAncestor},
		{"RestoreBesideAFileInTheWay", testRestoreUnderFile},
		{"Win32LastModifiedTimeSetsModified", testWin32Modified},
		{"AuditPropsAndLockRefresh", testAuditPropsRefresh},
		{"CopyDepthAndProps", testCopy},
		{"DeadProperties", testProps},
		{"HiddenMacFiles", testHidden},
		{"LocksExclusive", testLocksExclusive},
		{"LocksShared", testLocksShared},
		{"LocksDepthAndMembership", testLocksDepth},
		{"LockUnmappedCreatesEmptyFile", testLockUnmapped},
		{"LocksSurviveReopen", testLocksReopen},
		{"LocksExpire", testLocksExpire},
		{"ForceUnlockByOwner", testForceUnlock},
		{"OfficeSaveSequence", testOfficeSave},
		{"PermissionDeniedForEveryOperation", testPermissions},
		{"QuotaExceeded", testQuota},
		{"ChangeOutbox", testChanges},
		{"AuditLog", testAudit},
		{"SystemWalkAndOpen", testSystem},
		{"ConcurrentWriters", testConcurrent},
		{"UnicodeNamesNormalizedToNFC", testUnicodeNFC},
		{"CaseClashRefused", testCaseClash},
		{"RenameToOtherCaseOfOwnName", testRenameCase},
		{"RestoreBesideOnCaseClash", testRestoreCaseClash},
		{"ManyConcurrentSmallPuts", testConcurrentSmall},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, setup(t, newStore))
		})
	}
}

func testLibraries(t *testing.T, e *env) {
	_, err := e.s.CreateLibrary(e.ctx, Owner, docstore.LibrarySpec{Name: "x"})
	wantErr(t, "non-admin create", err, docstore.ErrPermission)
	_, err = e.s.CreateLibrary(e.ctx, Admin, docstore.LibrarySpec{Name: "docs"})
	wantErr(t, "duplicate", err, docstore.ErrExists)
	for _, bad := range []string{"", "../x", "a/b", ".hidden", "a b", strings.Repeat("a", 65)} {
		_, err = e.s.CreateLibrary(e.ctx, Admin, docstore.LibrarySpec{Name: bad})
		wantErr(t, "name "+bad, err, docstore.ErrInvalidName)
	}
	_, err = e.s.CreateLibrary(e.ctx, Admin, docstore.LibrarySpec{Name: "y", Grants: []docstore.Grant{{Role: "boss", Subject: "group:g"}}})
	wantErr(t, "bad role", err, docstore.ErrInvalidName)
	e.library("rh", 0)

	for _, c := range []struct {
		p    *auth.Principal
		role docstore.Role
		libs []string
	}{
		{Owner, docstore.RoleOwner, []string{"docs", "rh"}},
		{Editor, docstore.RoleEditor, []string{"docs", "rh"}},
		{Editor2, docstore.RoleEditor, []string{"docs", "rh"}},
		{Reader, docstore.RoleReader, []string{"docs", "rh"}},
		{Stranger, docstore.RoleNone, nil},
		{Admin, docstore.RoleNone, nil},
	} {
		r, err := e.s.RoleOf(e.ctx, c.p, "docs")
		if err != nil || r != c.role {
			t.Errorf("RoleOf(%s) = %q, %v; want %q", c.p.User, r, err, c.role)
		}
		names, err := e.s.ReadableLibraries(e.ctx, c.p)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "ReadableLibraries("+c.p.User+")", names, c.libs)
		libs, err := e.s.Libraries(e.ctx, c.p)
		if err != nil || len(libs) != len(c.libs) {
			t.Errorf("Libraries(%s) = %d libraries, %v", c.p.User, len(libs), err)
		}
	}
	if _, err := e.s.Library(e.ctx, Stranger, "docs"); !errors.Is(err, docstore.ErrNotFound) {
		t.Errorf("stranger sees the library: %v", err)
	}
	lib, err := e.s.Library(e.ctx, Owner, "docs")
	if err != nil || len(lib.Grants) != 4 || lib.MaxVersions != 100 {
		t.Errorf("owner's view: %+v, %v", lib, err)
	}
	if lib, _ := e.s.Library(e.ctx, Reader, "docs"); len(lib.Grants) != 0 {
		t.Errorf("a reader sees the grants: %+v", lib.Grants)
	}
	all, err := e.s.AllLibraries(e.ctx, Admin)
	if err != nil || len(all) != 2 {
		t.Errorf("AllLibraries = %v, %v", all, err)
	}
	_, err = e.s.AllLibraries(e.ctx, Owner)
	wantErr(t, "AllLibraries by non-admin", err, docstore.ErrPermission)

	// Grants: owners and admins; a stranger gains access.
	wantErr(t, "editor grants", e.s.Grant(e.ctx, Editor, "docs", docstore.RoleReader, "user:dave"), docstore.ErrPermission)
	wantErr(t, "bad subject", e.s.Grant(e.ctx, Owner, "docs", docstore.RoleReader, "team:x"), docstore.ErrInvalidName)
	if err := e.s.Grant(e.ctx, Owner, "docs", docstore.RoleReader, "user:dave"); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.s.RoleOf(e.ctx, Stranger, "docs"); r != docstore.RoleReader {
		t.Errorf("after grant, role = %q", r)
	}
	if err := e.s.Grant(e.ctx, Admin, "docs", docstore.RoleEditor, "dave"); err == nil {
		if r, _ := e.s.RoleOf(e.ctx, Stranger, "docs"); r != docstore.RoleReader {
			t.Errorf("user grant must win over nothing; got %q", r)
		}
	}
	if err := e.s.Revoke(e.ctx, Owner, "docs", "user:dave"); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.s.RoleOf(e.ctx, &auth.Principal{User: "dave"}, "docs"); r != docstore.RoleNone {
		t.Errorf("after revoke, role = %q", r)
	}
	wantErr(t, "revoke last owner", e.s.Revoke(e.ctx, Owner, "docs", "group:owners"), docstore.ErrConflict)
	wantErr(t, "revoke unknown", e.s.Revoke(e.ctx, Owner, "docs", "user:nobody"), docstore.ErrNotFound)

	q, err := e.s.Quota(e.ctx, Reader, "docs")
	if err != nil || q.Used != 0 || q.Available != -1 {
		t.Errorf("Quota = %+v, %v", q, err)
	}
	desc := "Nouvelle description"
	if _, err := e.s.UpdateLibrary(e.ctx, Owner, "docs", docstore.LibraryUpdate{Description: &desc}); err != nil {
		t.Errorf("owner updates description: %v", err)
	}
	quota := int64(10)
	_, err = e.s.UpdateLibrary(e.ctx, Owner, "docs", docstore.LibraryUpdate{Quota: &quota})
	wantErr(t, "owner sets quota", err, docstore.ErrPermission)
	if l, err := e.s.UpdateLibrary(e.ctx, Admin, "docs", docstore.LibraryUpdate{Quota: &quota}); err != nil || l.Quota != 10 || l.Description != desc {
		t.Errorf("admin sets quota: %+v, %v", l, err)
	}

	wantErr(t, "delete library by owner", e.s.DeleteLibrary(e.ctx, Owner, "rh"), docstore.ErrPermission)
	if err := e.s.DeleteLibrary(e.ctx, Admin, "rh"); err != nil {
		t.Fatal(err)
	}
	if names, _ := e.s.LibraryNames(e.ctx); fmt.Sprint(names) != "[docs]" {
		t.Errorf("LibraryNames after delete = %v", names)
	}
}

func testPutStatRead(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/Rapports")
	it, created, err := e.s.Put(e.ctx, Editor, "docs", "/Rapports/été 2026.odt", strings.NewReader("bonjour"), docstore.PutOptions{Size: 7})
	if err != nil || !created {
		t.Fatalf("Put = %v, created %v", err, created)
	}
	if it.Size != 7 || it.Version != 1 || it.ContentType != "application/vnd.oasis.opendocument.text" || it.CreatedBy != "bob" || it.ETag == "" || it.Name != "été 2026.odt" {
		t.Errorf("item = %+v", it)
	}
	if got := e.read(Reader, "docs", "/Rapports/été 2026.odt"); got != "bonjour" {
		t.Errorf("read = %q", got)
	}
	// Range via Seek.
	f, _, err := e.s.OpenFile(e.ctx, Reader, "docs", "//Rapports/été 2026.odt/")
	if err != nil {
		t.Fatal(err)
	}
	f.Seek(3, io.SeekStart)
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "jour" {
		t.Errorf("after Seek(3) = %q", b)
	}
	it2, created, err := e.s.Put(e.ctx, Editor2, "docs", "/Rapports/été 2026.odt", strings.NewReader("bonsoir"), docstore.PutOptions{Size: -1, ContentType: "text/plain"})
	if err != nil || created || it2.Version != 2 || it2.ModifiedBy != "erin" || it2.CreatedBy != "bob" || it2.ETag == it.ETag || it2.ContentType != "text/plain" {
		t.Errorf("overwrite = %+v, created %v, %v", it2, created, err)
	}
	// Identical content gives the identical ETag.
	other := e.put(Editor, "docs", "/copie.txt", "bonsoir")
	if other.ETag != it2.ETag {
		t.Errorf("same content, ETags %q and %q", other.ETag, it2.ETag)
	}
	st, err := e.s.Stat(e.ctx, Reader, "docs", "/Rapports")
	if err != nil || !st.IsDir {
		t.Errorf("Stat folder = %+v, %v", st, err)
	}
	root, err := e.s.Stat(e.ctx, Reader, "docs", "/")
	if err != nil || !root.IsDir || root.Path != "/" {
		t.Errorf("Stat root = %+v, %v", root, err)
	}
	_, err = e.s.Stat(e.ctx, Reader, "docs", "/nope")
	wantErr(t, "Stat missing", err, docstore.ErrNotFound)
	_, _, err = e.s.OpenFile(e.ctx, Reader, "docs", "/Rapports")
	wantErr(t, "open folder", err, docstore.ErrIsDir)
	_, _, err = e.s.Put(e.ctx, Editor, "docs", "/Rapports", strings.NewReader(""), docstore.PutOptions{Size: 0})
	wantErr(t, "put on folder", err, docstore.ErrIsDir)
	_, err = e.s.Mkdir(e.ctx, Editor, "docs", "/Rapports", docstore.WriteOptions{})
	wantErr(t, "mkdir existing", err, docstore.ErrExists)
	_, err = e.s.Mkdir(e.ctx, Editor, "docs", "/copie.txt", docstore.WriteOptions{})
	wantErr(t, "mkdir over file", err, docstore.ErrExists)
	err = e.s.List(e.ctx, Reader, "docs", "/copie.txt", docstore.ListOptions{}, func(docstore.Item) error { return nil })
	wantErr(t, "list file", err, docstore.ErrNotDir)

	e.put(Editor, "docs", "/b.txt", "b")
	e.put(Editor, "docs", "/A.txt", "a")
	equal(t, "root listing", e.names(Reader, "docs", "/", docstore.ListOptions{}), []string{"A.txt", "b.txt", "copie.txt", "Rapports"}) // case-insensitive order
	equal(t, "folder listing", e.names(Reader, "docs", "/Rapports", docstore.ListOptions{}), []string{"été 2026.odt"})
	// The callback's error stops the listing.
	stop := errors.New("stop")
	n := 0
	err = e.s.List(e.ctx, Reader, "docs", "/", docstore.ListOptions{}, func(docstore.Item) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("List stop: %v after %d", err, n)
	}
}

func testShortBody(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "original")
	seq := e.lastSeq()
	_, _, err := e.s.Put(e.ctx, Editor, "docs", "/a.txt", strings.NewReader("short"), docstore.PutOptions{Size: 100})
	wantErr(t, "short body", err, docstore.ErrIncomplete)
	_, _, err = e.s.Put(e.ctx, Editor, "docs", "/new.txt", strings.NewReader("short"), docstore.PutOptions{Size: 100})
	wantErr(t, "short body of a new file", err, docstore.ErrIncomplete)
	if got := e.read(Reader, "docs", "/a.txt"); got != "original" {
		t.Errorf("content after short body = %q", got)
	}
	if vs := e.versions("docs", "/a.txt"); len(vs) != 1 {
		t.Errorf("versions after short body = %d, want 1", len(vs))
	}
	if _, err := e.s.Stat(e.ctx, Reader, "docs", "/new.txt"); !errors.Is(err, docstore.ErrNotFound) {
		t.Errorf("a short new file exists: %v", err)
	}
	if cs := e.changesSince(seq); len(cs) != 0 {
		t.Errorf("change events after short bodies: %v", cs)
	}
}

func testFailingReader(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "original")
	boom := errors.New("connection reset")
	_, _, err := e.s.Put(e.ctx, Editor, "docs", "/a.txt", &failingReader{n: 300 << 10, err: boom}, docstore.PutOptions{Size: 1 << 20})
	wantErr(t, "failing reader with size", err, docstore.ErrIncomplete)
	_, _, err = e.s.Put(e.ctx, Editor, "docs", "/a.txt", &failingReader{n: 300 << 10, err: boom}, docstore.PutOptions{Size: -1})
	wantErr(t, "failing chunked reader", err, docstore.ErrIncomplete)
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, _, err = e.s.Put(ctx, Editor, "docs", "/a.txt", strings.NewReader("new content"), docstore.PutOptions{Size: -1})
	if err == nil {
		t.Error("Put with a cancelled context succeeded")
	}
	if got := e.read(Reader, "docs", "/a.txt"); got != "original" {
		t.Errorf("content = %q", got)
	}
	if vs := e.versions("docs", "/a.txt"); len(vs) != 1 {
		t.Errorf("versions = %d, want 1", len(vs))
	}
}

func testLongBody(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "original")
	_, _, err := e.s.Put(e.ctx, Editor, "docs", "/a.txt", strings.NewReader("much longer than announced"), docstore.PutOptions{Size: 4})
	wantErr(t, "long body", err, docstore.ErrTooLarge)
	if got := e.read(Reader, "docs", "/a.txt"); got != "original" {
		t.Errorf("content = %q", got)
	}
}

func testChunked(t *testing.T, e *env) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 100000) // 1.6 MB
	it, _, err := e.s.Put(e.ctx, Editor, "docs", "/big.bin", bytes.NewReader(big), docstore.PutOptions{Size: -1})
	if err != nil || it.Size != int64(len(big)) {
		t.Fatalf("chunked put: %+v, %v", it, err)
	}
	if got := e.read(Reader, "docs", "/big.bin"); got != string(big) {
		t.Error("chunked content differs")
	}
	it, _, err = e.s.Put(e.ctx, Editor, "docs", "/empty", strings.NewReader(""), docstore.PutOptions{Size: 0})
	if err != nil || it.Size != 0 {
		t.Fatalf("empty put: %+v, %v", it, err)
	}
}

func testConditional(t *testing.T, e *env) {
	it := e.put(Editor, "docs", "/a.txt", "v1")
	put := func(o docstore.PutOptions) error {
		o.Size = -1
		_, _, err := e.s.Put(e.ctx, Editor, "docs", "/a.txt", strings.NewReader("v2"), o)
		return err
	}
	wantErr(t, "If-None-Match *", put(docstore.PutOptions{IfNoneMatch: "*"}), docstore.ErrPrecondition)
	wantErr(t, "If-Match other", put(docstore.PutOptions{IfMatch: `"abc"`}), docstore.ErrPrecondition)
	wantErr(t, "If-None-Match same", put(docstore.PutOptions{IfNoneMatch: `"` + it.ETag + `"`}), docstore.ErrPrecondition)
	if err := put(docstore.PutOptions{IfMatch: `"zzz", "` + it.ETag + `"`}); err != nil {
		t.Errorf("If-Match matching: %v", err)
	}
	_, _, err := e.s.Put(e.ctx, Editor, "docs", "/new.txt", strings.NewReader("x"), docstore.PutOptions{Size: 1, IfMatch: "*"})
	wantErr(t, "If-Match * on missing", err, docstore.ErrPrecondition)
	if _, _, err := e.s.Put(e.ctx, Editor, "docs", "/new.txt", strings.NewReader("x"), docstore.PutOptions{Size: 1, IfNoneMatch: "*"}); err != nil {
		t.Errorf("If-None-Match * on missing: %v", err)
	}
	wantErr(t, "delete If-Match", e.s.Delete(e.ctx, Editor, "docs", "/a.txt", docstore.WriteOptions{IfMatch: `"nope"`}), docstore.ErrPrecondition)
}

func testConflict(t *testing.T, e *env) {
	_, _, err := e.s.Put(e.ctx, Editor, "docs", "/missing/a.txt", strings.NewReader("x"), docstore.PutOptions{Size: 1})
	wantErr(t, "put in missing folder", err, docstore.ErrConflict)
	_, err = e.s.Mkdir(e.ctx, Editor, "docs", "/missing/sub", docstore.WriteOptions{})
	wantErr(t, "mkdir in missing folder", err, docstore.ErrConflict)
	e.put(Editor, "docs", "/file", "x")
	_, _, err = e.s.Put(e.ctx, Editor, "docs", "/file/a.txt", strings.NewReader("x"), docstore.PutOptions{Size: 1})
	wantErr(t, "put under a file", err, docstore.ErrConflict)
}

func testPathValidation(t *testing.T, e *env) {
	bad := []string{
		"/../etc/passwd", "/a/../../b", "/a/./b", "/CON", "/con.txt", "/Lpt1.doc", "/a/nul",
		"/trailing.", "/trailing ", "/a<b", "/a>b", "/a:b", `/a"b`, "/a|b", "/a?b", "/a*b", `/a\b`,
		"/a\x00b", "/a\nb", "/a\x7fb", "/\xff\xfe", "/" + strings.Repeat("é", 128),
		strings.Repeat("/abcdefghij", 100),
	}
	for _, p := range bad {
		_, _, err := e.s.Put(e.ctx, Editor, "docs", p, strings.NewReader("x"), docstore.PutOptions{Size: 1})
		if !errors.Is(err, docstore.ErrInvalidName) {
			t.Errorf("Put(%q) = %v, want ErrInvalidName", p, err)
		}
	}
	for _, p := range []string{"/.~lock.rapport.odt#", "/._rapport.odt", "/résumé (v2) [final] {x} #1 & co.docx", "/" + strings.Repeat("a", 255), "/CONSOLE.txt", "/. leading dot and space ok"} {
		if _, _, err := e.s.Put(e.ctx, Editor, "docs", p, strings.NewReader("x"), docstore.PutOptions{Size: 1}); err != nil {
			t.Errorf("Put(%q) = %v, want success", p, err)
		}
	}
}

func testVersions(t *testing.T, e *env) {
	for _, c := range []string{"v1", "v2", "v3"} {
		e.put(Editor, "docs", "/a.txt", c)
	}
	vs := e.versions("docs", "/a.txt")
	if len(vs) != 3 || !vs[0].Current || vs[0].Version != 3 || vs[2].Version != 1 {
		t.Fatalf("versions = %+v", vs)
	}
	f, v, err := e.s.OpenVersion(e.ctx, Reader, "docs", "/a.txt", 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "v1" || v.Version != 1 || v.Size != 2 {
		t.Errorf("version 1 = %q %+v", b, v)
	}
	_, _, err = e.s.OpenVersion(e.ctx, Reader, "docs", "/a.txt", 9)
	wantErr(t, "missing version", err, docstore.ErrNotFound)
	_, err = e.s.RestoreVersion(e.ctx, Reader, "docs", "/a.txt", 1, docstore.WriteOptions{})
	wantErr(t, "reader restores", err, docstore.ErrPermission)
	it, err := e.s.RestoreVersion(e.ctx, Editor, "docs", "/a.txt", 1, docstore.WriteOptions{})
	if err != nil || it.Version != 4 {
		t.Fatalf("restore = %+v, %v", it, err)
	}
	if got := e.read(Reader, "docs", "/a.txt"); got != "v1" {
		t.Errorf("after restore = %q", got)
	}
	if vs := e.versions("docs", "/a.txt"); len(vs) != 4 {
		t.Errorf("after restore, %d versions, want 4", len(vs))
	}
	_, err = e.s.RestoreVersion(e.ctx, Editor, "docs", "/a.txt", 4, docstore.WriteOptions{})
	wantErr(t, "restore current", err, docstore.ErrConflict)
	e.mkdir(Editor, "docs", "/d")
	_, err = e.s.Versions(e.ctx, Reader, "docs", "/d")
	wantErr(t, "versions of a folder", err, docstore.ErrIsDir)
}

func testVersionLimit(t *testing.T, e *env) {
	n := 3
	if _, err := e.s.UpdateLibrary(e.ctx, Admin, "docs", docstore.LibraryUpdate{MaxVersions: &n}); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		e.put(Editor, "docs", "/a.txt", fmt.Sprint("v", i+1))
	}
	vs := e.versions("docs", "/a.txt")
	if len(vs) != 4 || vs[0].Version != 8 || vs[3].Version != 5 {
		t.Errorf("versions with a limit of 3 old ones = %+v", vs)
	}
}

func testTrash(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/d")
	e.mkdir(Editor, "docs", "/d/sub")
	e.put(Editor, "docs", "/d/sub/a.txt", "aaa")
	e.put(Editor, "docs", "/d/sub/a.txt", "aaaa")
	e.put(Editor, "docs", "/d/b.txt", "bb")
	e.put(Editor, "docs", "/dz.txt", "z") // a sibling sharing the prefix stays
	if err := e.s.Delete(e.ctx, Editor, "docs", "/d", docstore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	equal(t, "root after delete", e.names(Reader, "docs", "/", docstore.ListOptions{}), []string{"dz.txt"})
	if _, err := e.s.Stat(e.ctx, Reader, "docs", "/d/sub/a.txt"); !errors.Is(err, docstore.ErrNotFound) {
		t.Errorf("deleted child still visible: %v", err)
	}
	wantErr(t, "delete missing", e.s.Delete(e.ctx, Editor, "docs", "/d", docstore.WriteOptions{}), docstore.ErrNotFound)
	wantErr(t, "delete root", e.s.Delete(e.ctx, Owner, "docs", "/", docstore.WriteOptions{}), docstore.ErrPermission)
	tr, err := e.s.Trash(e.ctx, Reader, "docs")
	if err != nil || len(tr) != 1 || tr[0].Path != "/d" || !tr[0].IsDir || tr[0].Size != 6 || tr[0].DeletedBy != "bob" {
		t.Fatalf("trash = %+v, %v", tr, err)
	}
	// A new /d can be created while the old one is in the bin.
	e.mkdir(Editor, "docs", "/d")
	e.put(Editor, "docs", "/d/new.txt", "n")
	_, err = e.s.RestoreTrash(e.ctx, Editor2, "docs", tr[0].ID)
	wantErr(t, "another editor restores", err, docstore.ErrPermission)
	if err := e.s.Delete(e.ctx, Editor, "docs", "/d", docstore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	it, err := e.s.RestoreTrash(e.ctx, Editor, "docs", tr[0].ID)
	if err != nil || it.Path != "/d" {
		t.Fatalf("restore = %+v, %v", it, err)
	}
	if got := e.read(Reader, "docs", "/d/sub/a.txt"); got != "aaaa" {
		t.Errorf("restored content = %q", got)
	}
	if vs := e.versions("docs", "/d/sub/a.txt"); len(vs) != 2 {
		t.Errorf("restored file has %d versions, want 2", len(vs))
	}
	_, err = e.s.RestoreTrash(e.ctx, Editor, "docs", tr[0].ID)
	wantErr(t, "restore twice", err, docstore.ErrNotFound)
	// The owner restores the second /d (deleted by bob) beside: clash.
	tr, _ = e.s.Trash(e.ctx, Reader, "docs")
	if len(tr) != 1 {
		t.Fatalf("trash = %+v", tr)
	}
	it, err = e.s.RestoreTrash(e.ctx, Owner, "docs", tr[0].ID)
	if err != nil || it.Path != "/d (restauré)" {
		t.Fatalf("restore beside = %+v, %v", it, err)
	}
	if got := e.read(Reader, "docs", "/d (restauré)/new.txt"); got != "n" {
		t.Errorf("content = %q", got)
	}
}

func testRestoreClash(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/f")
	for i := range 3 {
		e.put(Editor, "docs", "/f/rapport.odt", fmt.Sprint("r", i))
		if err := e.s.Delete(e.ctx, Editor, "docs", "/f/rapport.odt", docstore.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.put(Editor, "docs", "/f/rapport.odt", "current")
	tr, _ := e.s.Trash(e.ctx, Reader, "docs")
	if len(tr) != 3 {
		t.Fatalf("trash = %+v", tr)
	}
	// The parent is deleted too: restore recreates it.
	if err := e.s.Delete(e.ctx, Editor, "docs", "/f", docstore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range tr {
		it, err := e.s.RestoreTrash(e.ctx, Editor, "docs", en.ID)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, it.Path)
	}
	equal(t, "restored paths", got, []string{"/f/rapport.odt", "/f/rapport (restauré).odt", "/f/rapport (restauré 2).odt"})
	if e.read(Reader, "docs", "/f/rapport.odt") != "r2" {
		t.Error("newest deletion not restored first")
	}
}

func testEmptyTrash(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "a")
	e.put(Editor, "docs", "/b.txt", "b")
	e.s.Delete(e.ctx, Editor, "docs", "/a.txt", docstore.WriteOptions{})
	_, err := e.s.EmptyTrash(e.ctx, Editor, "docs")
	wantErr(t, "editor empties", err, docstore.ErrPermission)
	n, err := e.s.PurgeTrash(e.ctx, time.Now().Add(-time.Hour))
	if err != nil || n != 0 {
		t.Errorf("purge of older than an hour = %d, %v", n, err)
	}
	n, err = e.s.EmptyTrash(e.ctx, Owner, "docs")
	if err != nil || n != 1 {
		t.Errorf("EmptyTrash = %d, %v", n, err)
	}
	e.s.Delete(e.ctx, Editor, "docs", "/b.txt", docstore.WriteOptions{})
	n, err = e.s.PurgeTrash(e.ctx, time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("PurgeTrash = %d, %v", n, err)
	}
	if tr, _ := e.s.Trash(e.ctx, Reader, "docs"); len(tr) != 0 {
		t.Errorf("trash after purge = %+v", tr)
	}
}

func testMoveFolder(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/a")
	e.mkdir(Editor, "docs", "/a/b")
	e.put(Editor, "docs", "/a/b/c.txt", "c")
	e.put(Editor, "docs", "/a/b/c.txt", "c2")
	e.put(Editor, "docs", "/a b.txt", "sibling")
	seq := e.lastSeq()
	created, err := e.s.Move(e.ctx, Editor, "docs", "/a", "docs", "/Archives été", docstore.MoveOptions{})
	if err != nil || !created {
		t.Fatalf("Move = %v, %v", created, err)
	}
	equal(t, "root", e.names(Reader, "docs", "/", docstore.ListOptions{}), []string{"a b.txt", "Archives été"})
	if got := e.read(Reader, "docs", "/Archives été/b/c.txt"); got != "c2" {
		t.Errorf("moved content = %q", got)
	}
	if vs := e.versions("docs", "/Archives été/b/c.txt"); len(vs) != 2 {
		t.Errorf("moved file has %d versions", len(vs))
	}
	equal(t, "sub listing", e.names(Reader, "docs", "/Archives été/b", docstore.ListOptions{}), []string{"c.txt"})
	equal(t, "changes", e.changesSince(seq), []string{"move docs/Archives été from /a"})
	// Rename a file back and forth.
	if _, err := e.s.Move(e.ctx, Editor, "docs", "/a b.txt", "docs", "/Archives été/b/x.txt", docstore.MoveOptions{}); err != nil {
		t.Fatal(err)
	}
	equal(t, "after file move", e.names(Reader, "docs", "/Archives été/b", docstore.ListOptions{}), []string{"c.txt", "x.txt"})
}

func testMoveOver(t *testing.T, e *env) {
	e.put(Editor, "docs", "/doc.docx", "v1")
	e.put(Editor, "docs", "/doc.docx", "v2")
	e.put(Editor, "docs", "/~WRL0001.tmp", "v3")
	_, err := e.s.Move(e.ctx, Editor, "docs", "/~WRL0001.tmp", "docs", "/doc.docx", docstore.MoveOptions{})
	wantErr(t, "no overwrite", err, docstore.ErrPrecondition)
	created, err := e.s.Move(e.ctx, Editor, "docs", "/~WRL0001.tmp", "docs", "/doc.docx", docstore.MoveOptions{Overwrite: true})
	if err != nil || created {
		t.Fatalf("move over = %v, %v", created, err)
	}
	if got := e.read(Reader, "docs", "/doc.docx"); got != "v3" {
		t.Errorf("content = %q", got)
	}
	vs := e.versions("docs", "/doc.docx")
	if len(vs) != 3 || vs[0].Version != 3 {
		t.Errorf("versions after move over = %+v", vs)
	}
	equal(t, "root", e.names(Reader, "docs", "/", docstore.ListOptions{}), []string{"doc.docx"})
	// A folder over a file: the file goes to the recycle bin.
	e.mkdir(Editor, "docs", "/dir")
	if _, err := e.s.Move(e.ctx, Editor, "docs", "/dir", "docs", "/doc.docx", docstore.MoveOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	tr, _ := e.s.Trash(e.ctx, Reader, "docs")
	if len(tr) != 1 || tr[0].Path != "/doc.docx" {
		t.Errorf("trash = %+v", tr)
	}
}

func testMoveRules(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/a")
	e.mkdir(Editor, "docs", "/a/b")
	_, err := e.s.Move(e.ctx, Editor, "docs", "/a", "docs", "/a/b/c", docstore.MoveOptions{})
	wantErr(t, "into itself", err, docstore.ErrInvalidMove)
	_, err = e.s.Move(e.ctx, Editor, "docs", "/a", "docs", "/a", docstore.MoveOptions{Overwrite: true})
	wantErr(t, "onto itself", err, docstore.ErrInvalidMove)
	_, err = e.s.Move(e.ctx, Editor, "docs", "/a", "docs", "/", docstore.MoveOptions{Overwrite: true})
	wantErr(t, "onto root", err, docstore.ErrInvalidMove)
	_, err = e.s.Move(e.ctx, Editor, "docs", "/a", "docs", "/x/y", docstore.MoveOptions{})
	wantErr(t, "missing parent", err, docstore.ErrConflict)
	_, err = e.s.Move(e.ctx, Editor, "docs", "/zz", "docs", "/y", docstore.MoveOptions{})
	wantErr(t, "missing source", err, docstore.ErrNotFound)
	_, err = e.s.Move(e.ctx, Editor, "docs", "/a", "docs", "/ok/../../x", docstore.MoveOptions{})
	wantErr(t, "traversal", err, docstore.ErrInvalidName)
	_, err = e.s.Copy(e.ctx, Editor, "docs", "/a", "docs", "/a/b/c", docstore.CopyOptions{Depth: docstore.DepthInfinity})
	wantErr(t, "copy into itself", err, docstore.ErrInvalidMove)
}

func testMoveAcross(t *testing.T, e *env) {
	e.library("rh", 0)
	e.mkdir(Editor, "docs", "/d")
	e.put(Editor, "docs", "/d/a.txt", "a1")
	e.put(Editor, "docs", "/d/a.txt", "a2")
	seq := e.lastSeq()
	if _, err := e.s.Move(e.ctx, Editor, "docs", "/d", "rh", "/d", docstore.MoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := e.read(Reader, "rh", "/d/a.txt"); got != "a2" {
		t.Errorf("content = %q", got)
	}
	if len(e.versions("rh", "/d/a.txt")) != 2 {
		t.Error("versions lost across libraries")
	}
	if n := e.names(Reader, "docs", "/", docstore.ListOptions{}); len(n) != 0 {
		t.Errorf("source still lists %v", n)
	}
	equal(t, "changes", e.changesSince(seq), []string{"delete docs/d", "create rh/d"})
	// A reader of the source may copy into a library they edit.
	if err := e.s.Grant(e.ctx, Admin, "docs", docstore.RoleEditor, "user:dave"); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.Copy(e.ctx, Stranger, "rh", "/d", "docs", "/d", docstore.CopyOptions{Depth: docstore.DepthInfinity})
	wantErr(t, "copy from a library not readable", err, docstore.ErrNotFound)
	if _, err := e.s.Copy(e.ctx, Reader, "rh", "/d", "docs", "/d", docstore.CopyOptions{Depth: docstore.DepthInfinity}); !errors.Is(err, docstore.ErrPermission) {
		t.Errorf("reader copies into a library they only read: %v", err)
	}
	if _, err := e.s.Copy(e.ctx, Editor, "rh", "/d", "docs", "/d", docstore.CopyOptions{Depth: docstore.DepthInfinity}); err != nil {
		t.Fatal(err)
	}
	if got := e.read(Reader, "docs", "/d/a.txt"); got != "a2" {
		t.Errorf("copied content = %q", got)
	}
}

func testCopy(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/a")
	e.put(Editor, "docs", "/a/x.txt", "x")
	e.put(Editor, "docs", "/a/x.txt", "x2")
	prop := docstore.Property{Space: "urn:test", Local: "color", XML: "bleu"}
	if err := e.s.PatchProps(e.ctx, Editor, "docs", "/a/x.txt", []docstore.Property{prop}, nil, docstore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	created, err := e.s.Copy(e.ctx, Editor, "docs", "/a", "docs", "/b", docstore.CopyOptions{Depth: docstore.DepthInfinity})
	if err != nil || !created {
		t.Fatalf("Copy = %v, %v", created, err)
	}
	if got := e.read(Reader, "docs", "/b/x.txt"); got != "x2" {
		t.Errorf("copied = %q", got)
	}
	if vs := e.versions("docs", "/b/x.txt"); len(vs) != 1 {
		t.Errorf("a copy starts a new history, got %d versions", len(vs))
	}
	props, err := e.s.Props(e.ctx, Reader, "docs", "/b/x.txt")
	if err != nil || len(props) != 1 || props[0] != prop {
		t.Errorf("copied props = %+v, %v", props, err)
	}
	// The source is intact.
	if got := e.read(Reader, "docs", "/a/x.txt"); got != "x2" {
		t.Errorf("source = %q", got)
	}
	if _, err := e.s.Copy(e.ctx, Editor, "docs", "/a", "docs", "/c", docstore.CopyOptions{Depth: docstore.DepthZero}); err != nil {
		t.Fatal(err)
	}
	if n := e.names(Reader, "docs", "/c", docstore.ListOptions{}); len(n) != 0 {
		t.Errorf("depth 0 copy has children %v", n)
	}
	_, err = e.s.Copy(e.ctx, Editor, "docs", "/a/x.txt", "docs", "/b/x.txt", docstore.CopyOptions{})
	wantErr(t, "copy without overwrite", err, docstore.ErrPrecondition)
	e.put(Editor, "docs", "/a/x.txt", "x3")
	if created, err := e.s.Copy(e.ctx, Editor, "docs", "/a/x.txt", "docs", "/b/x.txt", docstore.CopyOptions{Overwrite: true}); err != nil || created {
		t.Fatalf("copy over = %v, %v", created, err)
	}
	if vs := e.versions("docs", "/b/x.txt"); len(vs) != 2 || e.read(Reader, "docs", "/b/x.txt") != "x3" {
		t.Errorf("copy over a file: %d versions", len(vs))
	}
}

func testProps(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "a")
	set := []docstore.Property{
		{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime", XML: "Tue, 03 Nov 2026 10:00:00 GMT"},
		{Space: "http://example.com/ns", Local: "author", XML: `<x:name xmlns:x="http://example.com/ns">Zoé</x:name>`},
	}
	if err := e.s.PatchProps(e.ctx, Editor, "docs", "/a.txt", set, nil, docstore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	err := e.s.PatchProps(e.ctx, Editor, "docs", "/a.txt", []docstore.Property{{Space: "u", Local: "ok", XML: "1"}, {Space: "u", Local: "", XML: "bad"}}, nil, docstore.WriteOptions{})
	wantErr(t, "invalid name", err, docstore.ErrInvalidName)
	props, _ := e.s.Props(e.ctx, Reader, "docs", "/a.txt")
	if len(props) != 2 {
		t.Fatalf("props after failed patch = %+v (not atomic?)", props)
	}
	if err := e.s.PatchProps(e.ctx, Editor, "docs", "/a.txt", []docstore.Property{{Space: "http://example.com/ns", Local: "author", XML: "Léa"}},
		[]docstore.PropName{{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime"}}, docstore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	props, _ = e.s.Props(e.ctx, Reader, "docs", "/a.txt")
	if len(props) != 1 || props[0].XML != "Léa" {
		t.Errorf("props = %+v", props)
	}
	var listed []docstore.Property
	e.s.List(e.ctx, Reader, "docs", "/", docstore.ListOptions{WithProps: true}, func(it docstore.Item) error {
		listed = append(listed, it.Props...)
		return nil
	})
	if len(listed) != 1 {
		t.Errorf("List WithProps = %+v", listed)
	}
	err = e.s.PatchProps(e.ctx, Reader, "docs", "/a.txt", set, nil, docstore.WriteOptions{})
	wantErr(t, "reader patches", err, docstore.ErrPermission)

	when := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	before := e.versions("docs", "/a.txt")
	if err := e.s.SetModified(e.ctx, Editor, "docs", "/a.txt", when, docstore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	it, _ := e.s.Stat(e.ctx, Reader, "docs", "/a.txt")
	if !it.Modified.Equal(when) || len(e.versions("docs", "/a.txt")) != len(before) {
		t.Errorf("SetModified: modified %v, %d versions", it.Modified, len(e.versions("docs", "/a.txt")))
	}
	wantErr(t, "reader sets time", e.s.SetModified(e.ctx, Reader, "docs", "/a.txt", when, docstore.WriteOptions{}), docstore.ErrPermission)
}

func testHidden(t *testing.T, e *env) {
	e.put(Editor, "docs", "/rapport.odt", "r")
	e.put(Editor, "docs", "/._rapport.odt", "resource fork")
	e.put(Editor, "docs", "/.DS_Store", "ds")
	equal(t, "listing", e.names(Reader, "docs", "/", docstore.ListOptions{}), []string{"rapport.odt"})
	equal(t, "listing with hidden", e.names(Reader, "docs", "/", docstore.ListOptions{IncludeHidden: true}), []string{"._rapport.odt", ".DS_Store", "rapport.odt"})
	it, err := e.s.Stat(e.ctx, Reader, "docs", "/._rapport.odt")
	if err != nil || !it.Hidden {
		t.Errorf("Stat hidden = %+v, %v", it, err)
	}
	if got := e.read(Reader, "docs", "/._rapport.odt"); got != "resource fork" {
		t.Errorf("hidden content = %q", got)
	}
	// Renaming out of the hidden pattern makes it visible.
	if _, err := e.s.Move(e.ctx, Editor, "docs", "/.DS_Store", "docs", "/visible", docstore.MoveOptions{}); err != nil {
		t.Fatal(err)
	}
	equal(t, "after rename", e.names(Reader, "docs", "/", docstore.ListOptions{}), []string{"rapport.odt", "visible"})
}

func lock(t *testing.T, e *env, p *auth.Principal, path string, exclusive bool, depth docstore.Depth) docstore.Lock {
	t.Helper()
	lk, _, err := e.s.Lock(e.ctx, p, "docs", path, docstore.LockRequest{Exclusive: exclusive, Depth: depth, OwnerXML: "<D:href>" + p.User + "</D:href>", Timeout: time.Minute})
	if err != nil {
		t.Fatalf("Lock(%s) by %s: %v", path, p.User, err)
	}
	return lk
}

func testLocksExclusive(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "a")
	lk := lock(t, e, Editor, "/a.txt", true, docstore.DepthZero)
	if !strings.HasPrefix(lk.Token, "urn:uuid:") || lk.User != "bob" || lk.Timeout != time.Minute {
		t.Errorf("lock = %+v", lk)
	}
	put := func(p *auth.Principal, tokens ...string) error {
		_, _, err := e.s.Put(e.ctx, p, "docs", "/a.txt", strings.NewReader("b"), docstore.PutOptions{Size: 1, LockTokens: tokens})
		return err
	}
	wantErr(t, "put without token", put(Editor), docstore.ErrLocked)
	wantErr(t, "put by another user with the token", put(Editor2, lk.Token), docstore.ErrLocked)
	if err := put(Editor, lk.Token); err != nil {
		t.Errorf("put with token: %v", err)
	}
	wantErr(t, "delete", e.s.Delete(e.ctx, Editor2, "docs", "/a.txt", docstore.WriteOptions{}), docstore.ErrLocked)
	_, err := e.s.Move(e.ctx, Editor2, "docs", "/a.txt", "docs", "/b.txt", docstore.MoveOptions{})
	wantErr(t, "move", err, docstore.ErrLocked)
	wantErr(t, "proppatch", e.s.PatchProps(e.ctx, Editor2, "docs", "/a.txt", []docstore.Property{{Space: "u", Local: "x", XML: "1"}}, nil, docstore.WriteOptions{}), docstore.ErrLocked)
	_, _, err = e.s.Lock(e.ctx, Editor2, "docs", "/a.txt", docstore.LockRequest{Exclusive: false})
	wantErr(t, "second lock", err, docstore.ErrLocked)
	// Copy from a locked file is a read.
	if _, err := e.s.Copy(e.ctx, Editor2, "docs", "/a.txt", "docs", "/copy.txt", docstore.CopyOptions{}); err != nil {
		t.Errorf("copy of a locked file: %v", err)
	}
	st, _ := e.s.Stat(e.ctx, Reader, "docs", "/a.txt")
	if len(st.Locks) != 1 || st.Locks[0].Token != lk.Token || st.Locks[0].OwnerXML != "<D:href>bob</D:href>" {
		t.Errorf("Stat locks = %+v", st.Locks)
	}
	var listed []docstore.Lock
	e.s.List(e.ctx, Reader, "docs", "/", docstore.ListOptions{}, func(it docstore.Item) error { listed = append(listed, it.Locks...); return nil })
	if len(listed) != 1 {
		t.Errorf("List locks = %+v", listed)
	}
	// Refresh and unlock rules.
	_, err = e.s.Refresh(e.ctx, Editor, "docs", "/copy.txt", lk.Token, time.Hour)
	wantErr(t, "refresh elsewhere", err, docstore.ErrLockMismatch)
	_, err = e.s.Refresh(e.ctx, Editor2, "docs", "/a.txt", lk.Token, time.Hour)
	wantErr(t, "refresh by another", err, docstore.ErrLocked)
	r, err := e.s.Refresh(e.ctx, Editor, "docs", "/a.txt", lk.Token, 100*time.Hour)
	if err != nil || r.Timeout != time.Hour {
		t.Errorf("refresh capped = %+v, %v", r, err)
	}
	wantErr(t, "unlock unknown", e.s.Unlock(e.ctx, Editor, "docs", "/a.txt", "urn:uuid:nope"), docstore.ErrLockMismatch)
	wantErr(t, "unlock by another", e.s.Unlock(e.ctx, Editor2, "docs", "/a.txt", lk.Token), docstore.ErrPermission)
	if err := e.s.Unlock(e.ctx, Editor, "docs", "/a.txt", lk.Token); err != nil {
		t.Fatal(err)
	}
	if err := put(Editor2); err != nil {
		t.Errorf("put after unlock: %v", err)
	}
	// Deleting a locked file with its token removes the lock.
	lk = lock(t, e, Editor, "/a.txt", true, docstore.DepthZero)
	if err := e.s.Delete(e.ctx, Editor, "docs", "/a.txt", docstore.WriteOptions{LockTokens: []string{lk.Token}}); err != nil {
		t.Fatal(err)
	}
	if ls, _ := e.s.Locks(e.ctx, Reader, "docs"); len(ls) != 0 {
		t.Errorf("locks after delete = %+v", ls)
	}
}

func testLocksShared(t *testing.T, e *env) {
	e.put(Editor, "docs", "/s.txt", "s")
	a := lock(t, e, Editor, "/s.txt", false, docstore.DepthZero)
	b := lock(t, e, Editor2, "/s.txt", false, docstore.DepthZero)
	_, _, err := e.s.Lock(e.ctx, Owner, "docs", "/s.txt", docstore.LockRequest{Exclusive: true})
	wantErr(t, "exclusive over shared", err, docstore.ErrLocked)
	ls, _ := e.s.LocksAt(e.ctx, Reader, "docs", "/s.txt")
	if len(ls) != 2 {
		t.Errorf("LocksAt = %+v", ls)
	}
	_, _, err = e.s.Put(e.ctx, Owner, "docs", "/s.txt", strings.NewReader("x"), docstore.PutOptions{Size: 1})
	wantErr(t, "put without a shared token", err, docstore.ErrLocked)
	for _, c := range []struct {
		p   *auth.Principal
		tok string
	}{{Editor, a.Token}, {Editor2, b.Token}} {
		if _, _, err := e.s.Put(e.ctx, c.p, "docs", "/s.txt", strings.NewReader("x"), docstore.PutOptions{Size: 1, LockTokens: []string{c.tok}}); err != nil {
			t.Errorf("put by %s with own shared token: %v", c.p.User, err)
		}
	}
}

func testLocksDepth(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/d")
	e.mkdir(Editor, "docs", "/d/sub")
	e.put(Editor, "docs", "/d/sub/a.txt", "a")
	e.put(Editor, "docs", "/e.txt", "e")
	deep := lock(t, e, Editor, "/d", true, docstore.DepthInfinity)
	_, _, err := e.s.Put(e.ctx, Editor2, "docs", "/d/sub/a.txt", strings.NewReader("x"), docstore.PutOptions{Size: 1})
	wantErr(t, "put under a deep lock", err, docstore.ErrLocked)
	_, err = e.s.Mkdir(e.ctx, Editor2, "docs", "/d/sub/new", docstore.WriteOptions{})
	wantErr(t, "mkdir under a deep lock", err, docstore.ErrLocked)
	_, err = e.s.Move(e.ctx, Editor2, "docs", "/e.txt", "docs", "/d/e.txt", docstore.MoveOptions{})
	wantErr(t, "move into a locked folder", err, docstore.ErrLocked)
	if _, _, err := e.s.Put(e.ctx, Editor, "docs", "/d/sub/a.txt", strings.NewReader("x"), docstore.PutOptions{Size: 1, LockTokens: []string{deep.Token}}); err != nil {
		t.Errorf("put with the deep token: %v", err)
	}
	_, _, err = e.s.Lock(e.ctx, Editor2, "docs", "/d/sub/a.txt", docstore.LockRequest{Exclusive: true})
	wantErr(t, "lock under a deep lock", err, docstore.ErrLocked)
	ls, _ := e.s.LocksAt(e.ctx, Reader, "docs", "/d/sub/a.txt")
	if len(ls) != 1 || ls[0].Token != deep.Token || ls[0].Path != "/d" {
		t.Errorf("inherited locks = %+v", ls)
	}
	if err := e.s.Unlock(e.ctx, Editor, "docs", "/d/sub", deep.Token); err != nil {
		t.Errorf("unlock through a covered path: %v", err)
	}
	// Depth 0 on a folder protects its membership, not its members' content.
	shallow := lock(t, e, Editor, "/d", true, docstore.DepthZero)
	if _, _, err := e.s.Put(e.ctx, Editor2, "docs", "/d/sub/a.txt", strings.NewReader("y"), docstore.PutOptions{Size: 1}); err != nil {
		t.Errorf("put of a member's content under a depth-0 lock: %v", err)
	}
	_, _, err = e.s.Put(e.ctx, Editor2, "docs", "/d/new.txt", strings.NewReader("y"), docstore.PutOptions{Size: 1})
	wantErr(t, "new member under a depth-0 lock", err, docstore.ErrLocked)
	wantErr(t, "delete member under a depth-0 lock", e.s.Delete(e.ctx, Editor2, "docs", "/d/sub", docstore.WriteOptions{}), docstore.ErrLocked)
	if _, _, err := e.s.Put(e.ctx, Editor, "docs", "/d/new.txt", strings.NewReader("y"), docstore.PutOptions{Size: 1, LockTokens: []string{shallow.Token}}); err != nil {
		t.Errorf("new member with the token: %v", err)
	}
	// A lock below blocks deleting or moving the folder.
	e.s.Unlock(e.ctx, Editor, "docs", "/d", shallow.Token)
	inner := lock(t, e, Editor, "/d/sub/a.txt", true, docstore.DepthZero)
	wantErr(t, "delete folder with a locked member", e.s.Delete(e.ctx, Editor2, "docs", "/d", docstore.WriteOptions{}), docstore.ErrLocked)
	_, _, err = e.s.Lock(e.ctx, Editor2, "docs", "/d", docstore.LockRequest{Exclusive: true, Depth: docstore.DepthInfinity})
	wantErr(t, "deep lock over a locked member", err, docstore.ErrLocked)
	if _, err := e.s.Move(e.ctx, Editor, "docs", "/d", "docs", "/moved", docstore.MoveOptions{LockTokens: []string{inner.Token}}); err != nil {
		t.Errorf("move with the member's token: %v", err)
	}
	if ls, _ := e.s.Locks(e.ctx, Reader, "docs"); len(ls) != 0 {
		t.Errorf("source locks survive the move: %+v", ls)
	}
}

func testLockUnmapped(t *testing.T, e *env) {
	lk, created, err := e.s.Lock(e.ctx, Editor, "docs", "/nouveau.docx", docstore.LockRequest{Exclusive: true})
	if err != nil || !created || lk.Timeout != 10*time.Minute {
		t.Fatalf("Lock unmapped = %+v, %v, %v", lk, created, err)
	}
	it, err := e.s.Stat(e.ctx, Reader, "docs", "/nouveau.docx")
	if err != nil || it.IsDir || it.Size != 0 || !it.LockedEmpty {
		t.Errorf("locked empty file = %+v, %v", it, err)
	}
	if got := e.read(Reader, "docs", "/nouveau.docx"); got != "" {
		t.Errorf("content = %q", got)
	}
	it, created, err = e.s.Put(e.ctx, Editor, "docs", "/nouveau.docx", strings.NewReader("texte"), docstore.PutOptions{Size: 5, LockTokens: []string{lk.Token}})
	if err != nil || !created || it.LockedEmpty || it.Version != 1 {
		t.Errorf("first write = %+v, created %v, %v", it, created, err)
	}
	if vs := e.versions("docs", "/nouveau.docx"); len(vs) != 1 {
		t.Errorf("the empty placeholder became a version: %+v", vs)
	}
	e.s.Unlock(e.ctx, Editor, "docs", "/nouveau.docx", lk.Token)
	// An unlocked empty resource stays (RFC 4918).
	lk, _, _ = e.s.Lock(e.ctx, Editor, "docs", "/vide.txt", docstore.LockRequest{Exclusive: true})
	e.s.Unlock(e.ctx, Editor, "docs", "/vide.txt", lk.Token)
	if _, err := e.s.Stat(e.ctx, Reader, "docs", "/vide.txt"); err != nil {
		t.Errorf("empty resource after unlock: %v", err)
	}
	_, _, err = e.s.Lock(e.ctx, Editor, "docs", "/missing/x.txt", docstore.LockRequest{Exclusive: true})
	wantErr(t, "lock in a missing folder", err, docstore.ErrConflict)
	_, _, err = e.s.Lock(e.ctx, Reader, "docs", "/r.txt", docstore.LockRequest{Exclusive: true})
	wantErr(t, "reader locks", err, docstore.ErrPermission)
}

func testLocksReopen(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "a")
	lk := lock(t, e, Editor, "/a.txt", true, docstore.DepthZero)
	s2 := e.new(t, e.dir)
	ls, err := s2.LocksAt(e.ctx, Reader, "docs", "/a.txt")
	if err != nil || len(ls) != 1 || ls[0].Token != lk.Token || ls[0].OwnerXML != lk.OwnerXML || !ls[0].Exclusive {
		t.Fatalf("locks after reopen = %+v, %v", ls, err)
	}
	_, _, err = s2.Put(e.ctx, Editor2, "docs", "/a.txt", strings.NewReader("b"), docstore.PutOptions{Size: 1})
	wantErr(t, "put after reopen", err, docstore.ErrLocked)
	if _, _, err := s2.Put(e.ctx, Editor, "docs", "/a.txt", strings.NewReader("b"), docstore.PutOptions{Size: 1, LockTokens: []string{lk.Token}}); err != nil {
		t.Errorf("put with token after reopen: %v", err)
	}
}

func testLocksExpire(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "a")
	lk, _, err := e.s.Lock(e.ctx, Editor, "docs", "/a.txt", docstore.LockRequest{Exclusive: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if lk.Timeout != time.Second {
		t.Errorf("timeout = %v", lk.Timeout)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ls, err := e.s.LocksAt(e.ctx, Reader, "docs", "/a.txt")
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("lock did not expire")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, _, err := e.s.Put(e.ctx, Editor2, "docs", "/a.txt", strings.NewReader("b"), docstore.PutOptions{Size: 1}); err != nil {
		t.Errorf("put after expiry: %v", err)
	}
	_, err = e.s.Refresh(e.ctx, Editor, "docs", "/a.txt", lk.Token, time.Minute)
	wantErr(t, "refresh an expired lock", err, docstore.ErrLockMismatch)
}

func testForceUnlock(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "a")
	lk := lock(t, e, Editor, "/a.txt", true, docstore.DepthZero)
	wantErr(t, "editor forces", e.s.ForceUnlock(e.ctx, Editor2, "docs", lk.Token), docstore.ErrPermission)
	if err := e.s.ForceUnlock(e.ctx, Owner, "docs", lk.Token); err != nil {
		t.Fatal(err)
	}
	if ls, _ := e.s.Locks(e.ctx, Reader, "docs"); len(ls) != 0 {
		t.Errorf("locks = %+v", ls)
	}
	au, _ := e.s.Audit(e.ctx, Owner, "docs", docstore.AuditQuery{})
	if len(au) == 0 || au[0].Action != "force_unlock" || au[0].User != "alice" || !strings.Contains(au[0].Detail, "bob") {
		t.Errorf("audit = %+v", au)
	}
	wantErr(t, "force unknown", e.s.ForceUnlock(e.ctx, Owner, "docs", lk.Token), docstore.ErrNotFound)
}

// testOfficeSave replays Microsoft Word's save: lock the document, write a
// temporary file, rename the original aside, move the temporary over,
// delete the aside copy, unlock.
func testOfficeSave(t *testing.T, e *env) {
	e.put(Editor, "docs", "/Budget.docx", "v1")
	lk := lock(t, e, Editor, "/Budget.docx", true, docstore.DepthZero)
	tok := []string{lk.Token}
	if _, _, err := e.s.Put(e.ctx, Editor, "docs", "/~WRD0001.tmp", strings.NewReader("v2"), docstore.PutOptions{Size: 2, LockTokens: tok}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Move(e.ctx, Editor, "docs", "/~WRD0001.tmp", "docs", "/Budget.docx", docstore.MoveOptions{Overwrite: true, LockTokens: tok}); err != nil {
		t.Fatal(err)
	}
	if got := e.read(Reader, "docs", "/Budget.docx"); got != "v2" {
		t.Errorf("content = %q", got)
	}
	ls, _ := e.s.LocksAt(e.ctx, Reader, "docs", "/Budget.docx")
	if len(ls) != 1 {
		t.Errorf("the original's lock must survive the save: %+v", ls)
	}
	if vs := e.versions("docs", "/Budget.docx"); len(vs) != 2 {
		t.Errorf("versions = %d, want 2", len(vs))
	}
	if err := e.s.Unlock(e.ctx, Editor, "docs", "/Budget.docx", lk.Token); err != nil {
		t.Fatal(err)
	}
}

func testPermissions(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/d")
	e.put(Editor, "docs", "/d/a.txt", "a")
	e.put(Editor, "docs", "/d/a.txt", "a2")
	lk := lock(t, e, Editor, "/d/a.txt", false, docstore.DepthZero)
	e.s.Delete(e.ctx, Editor, "docs", "/d/gone", docstore.WriteOptions{})
	e.put(Editor, "docs", "/d/gone", "g")
	e.s.Delete(e.ctx, Editor, "docs", "/d/gone", docstore.WriteOptions{})
	tr, _ := e.s.Trash(e.ctx, Reader, "docs")
	if len(tr) != 1 {
		t.Fatalf("trash = %+v", tr)
	}
	for _, u := range []string{"nil", Stranger.User, Admin.User, Reader.User, Editor2.User, Owner.User} {
		e.put(Editor, "docs", "/mvsrc-"+u, "m")
	}
	type op struct {
		name string
		min  docstore.Role
		fn   func(p *auth.Principal) error
	}
	ops := []op{
		{"Stat", docstore.RoleReader, func(p *auth.Principal) error { _, err := e.s.Stat(e.ctx, p, "docs", "/d/a.txt"); return err }},
		{"List", docstore.RoleReader, func(p *auth.Principal) error {
			return e.s.List(e.ctx, p, "docs", "/d", docstore.ListOptions{}, func(docstore.Item) error { return nil })
		}},
		{"OpenFile", docstore.RoleReader, func(p *auth.Principal) error {
			f, _, err := e.s.OpenFile(e.ctx, p, "docs", "/d/a.txt")
			if err == nil {
				f.Close()
			}
			return err
		}},
		{"Versions", docstore.RoleReader, func(p *auth.Principal) error { _, err := e.s.Versions(e.ctx, p, "docs", "/d/a.txt"); return err }},
		{"OpenVersion", docstore.RoleReader, func(p *auth.Principal) error {
			f, _, err := e.s.OpenVersion(e.ctx, p, "docs", "/d/a.txt", 1)
			if err == nil {
				f.Close()
			}
			return err
		}},
		{"Props", docstore.RoleReader, func(p *auth.Principal) error { _, err := e.s.Props(e.ctx, p, "docs", "/d/a.txt"); return err }},
		{"LocksAt", docstore.RoleReader, func(p *auth.Principal) error { _, err := e.s.LocksAt(e.ctx, p, "docs", "/d/a.txt"); return err }},
		{"Locks", docstore.RoleReader, func(p *auth.Principal) error { _, err := e.s.Locks(e.ctx, p, "docs"); return err }},
		{"Trash", docstore.RoleReader, func(p *auth.Principal) error { _, err := e.s.Trash(e.ctx, p, "docs"); return err }},
		{"Quota", docstore.RoleReader, func(p *auth.Principal) error { _, err := e.s.Quota(e.ctx, p, "docs"); return err }},
		{"Put", docstore.RoleEditor, func(p *auth.Principal) error {
			_, _, err := e.s.Put(e.ctx, p, "docs", "/d/p-"+uname(p), strings.NewReader("x"), docstore.PutOptions{Size: 1})
			return err
		}},
		{"Mkdir", docstore.RoleEditor, func(p *auth.Principal) error {
			_, err := e.s.Mkdir(e.ctx, p, "docs", "/m-"+uname(p), docstore.WriteOptions{})
			return err
		}},
		{"Copy", docstore.RoleEditor, func(p *auth.Principal) error {
			_, err := e.s.Copy(e.ctx, p, "docs", "/d/a.txt", "docs", "/c-"+uname(p), docstore.CopyOptions{})
			return err
		}},
		{"Move", docstore.RoleEditor, func(p *auth.Principal) error {
			_, err := e.s.Move(e.ctx, p, "docs", "/mvsrc-"+uname(p), "docs", "/mv-"+uname(p), docstore.MoveOptions{})
			return err
		}},
		{"Delete", docstore.RoleEditor, func(p *auth.Principal) error {
			return e.s.Delete(e.ctx, p, "docs", "/m-"+uname(p), docstore.WriteOptions{})
		}},
		{"PatchProps", docstore.RoleEditor, func(p *auth.Principal) error {
			return e.s.PatchProps(e.ctx, p, "docs", "/d", []docstore.Property{{Space: "u", Local: "x", XML: "1"}}, nil, docstore.WriteOptions{})
		}},
		{"Lock", docstore.RoleEditor, func(p *auth.Principal) error {
			_, _, err := e.s.Lock(e.ctx, p, "docs", "/d/a.txt", docstore.LockRequest{})
			return err
		}},
		{"Refresh", docstore.RoleEditor, func(p *auth.Principal) error {
			_, err := e.s.Refresh(e.ctx, p, "docs", "/d/a.txt", lk.Token, time.Minute)
			if errors.Is(err, docstore.ErrLocked) {
				return nil // allowed in, but not their lock
			}
			return err
		}},
		{"RestoreVersion", docstore.RoleEditor, func(p *auth.Principal) error {
			_, err := e.s.RestoreVersion(e.ctx, p, "docs", "/d/a.txt", 1, docstore.WriteOptions{LockTokens: []string{lk.Token}})
			if errors.Is(err, docstore.ErrLocked) {
				return nil // allowed in, held by bob
			}
			return err
		}},
		{"Grant", docstore.RoleOwner, func(p *auth.Principal) error {
			return e.s.Grant(e.ctx, p, "docs", docstore.RoleReader, "group:auditors")
		}},
		{"Audit", docstore.RoleOwner, func(p *auth.Principal) error {
			_, err := e.s.Audit(e.ctx, p, "docs", docstore.AuditQuery{})
			return err
		}},
		{"WriteAuditCSV", docstore.RoleOwner, func(p *auth.Principal) error {
			return e.s.WriteAuditCSV(e.ctx, p, "docs", docstore.AuditQuery{}, io.Discard)
		}},
		{"ForceUnlock", docstore.RoleOwner, func(p *auth.Principal) error {
			err := e.s.ForceUnlock(e.ctx, p, "docs", "urn:uuid:none")
			if errors.Is(err, docstore.ErrNotFound) && uname(p) == Owner.User {
				return nil
			}
			return err
		}},
		{"RestoreTrash", docstore.RoleOwner, func(p *auth.Principal) error {
			// bob deleted it: another editor may not, the owner may.
			_, err := e.s.RestoreTrash(e.ctx, p, "docs", tr[0].ID)
			return err
		}},
		{"EmptyTrash", docstore.RoleOwner, func(p *auth.Principal) error { _, err := e.s.EmptyTrash(e.ctx, p, "docs"); return err }},
	}
	roles := []struct {
		p    *auth.Principal
		role docstore.Role
	}{{nil, docstore.RoleNone}, {Stranger, docstore.RoleNone}, {Admin, docstore.RoleNone}, {Reader, docstore.RoleReader}, {Editor2, docstore.RoleEditor}, {Owner, docstore.RoleOwner}}
	for _, o := range ops {
		for _, r := range roles {
			user := "nil"
			if r.p != nil {
				user = r.p.User
			}
			err := o.fn(r.p)
			allowed := r.role.AtLeast(o.min) || (o.name == "Grant" && r.p == Admin)
			switch {
			case allowed && err != nil:
				t.Errorf("%s by %s (%s): %v, want success", o.name, user, r.role, err)
			case !allowed && r.p != nil && r.role == docstore.RoleNone && !errors.Is(err, docstore.ErrNotFound):
				t.Errorf("%s by %s without a role: %v, want ErrNotFound", o.name, user, err)
			case !allowed && (r.p == nil || r.role != docstore.RoleNone) && !errors.Is(err, docstore.ErrPermission):
				t.Errorf("%s by %s (%s): %v, want ErrPermission", o.name, user, r.role, err)
			}
		}
	}
}

func testQuota(t *testing.T, e *env) {
	e.library("small", 100)
	put := func(path string, n int, size int64) error {
		_, _, err := e.s.Put(e.ctx, Editor, "small", path, strings.NewReader(strings.Repeat("q", n)), docstore.PutOptions{Size: size})
		return err
	}
	if err := put("/a", 60, 60); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "announced over quota", put("/b", 50, 50), docstore.ErrQuota)
	wantErr(t, "chunked over quota", put("/b", 50, -1), docstore.ErrQuota)
	// An overwrite keeps the old version, which counts.
	wantErr(t, "overwrite over quota", put("/a", 60, 60), docstore.ErrQuota)
	if got := e.read(Reader, "small", "/a"); len(got) != 60 {
		t.Errorf("content after refused overwrite = %d bytes", len(got))
	}
	if _, err := e.s.Stat(e.ctx, Reader, "small", "/b"); !errors.Is(err, docstore.ErrNotFound) {
		t.Errorf("refused file exists: %v", err)
	}
	q, _ := e.s.Quota(e.ctx, Reader, "small")
	if q.Used != 60 || q.Limit != 100 || q.Available != 40 {
		t.Errorf("quota = %+v", q)
	}
	_, err := e.s.Copy(e.ctx, Editor, "small", "/a", "small", "/a2", docstore.CopyOptions{})
	wantErr(t, "copy over quota", err, docstore.ErrQuota)
}

func testChanges(t *testing.T, e *env) {
	seq := e.lastSeq()
	e.mkdir(Editor, "docs", "/d")
	e.put(Editor, "docs", "/d/a.txt", "a")
	e.put(Editor, "docs", "/d/a.txt", "b")
	e.s.Move(e.ctx, Editor, "docs", "/d", "docs", "/e", docstore.MoveOptions{})
	e.s.Delete(e.ctx, Editor, "docs", "/e/a.txt", docstore.WriteOptions{})
	tr, _ := e.s.Trash(e.ctx, Reader, "docs")
	e.s.RestoreTrash(e.ctx, Editor, "docs", tr[0].ID)
	e.s.Grant(e.ctx, Owner, "docs", docstore.RoleReader, "group:x")
	e.s.DeleteLibrary(e.ctx, Admin, "docs")
	equal(t, "changes", e.changesSince(seq), []string{
		"create docs/d", "create docs/d/a.txt", "update docs/d/a.txt", "move docs/e from /d",
		"delete docs/e/a.txt", "restore docs/e/a.txt", "acl docs/", "library_delete docs/",
	})
	cs, _ := e.s.Changes(e.ctx, seq, 2)
	if len(cs) != 2 || cs[0].Seq >= cs[1].Seq || cs[0].Time.IsZero() || !cs[0].IsDir || cs[1].IsDir {
		t.Errorf("Changes limit 2 = %+v", cs)
	}
}

func testAudit(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "a")
	e.read(Reader, "docs", "/a.txt")
	e.s.Move(e.ctx, Editor, "docs", "/a.txt", "docs", "/=cmd.txt", docstore.MoveOptions{})
	e.s.Delete(e.ctx, Editor, "docs", "/=cmd.txt", docstore.WriteOptions{})
	au, err := e.s.Audit(e.ctx, Owner, "docs", docstore.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, a := range au {
		acts = append(acts, a.User+":"+a.Action)
		if a.IP != "192.0.2.7" {
			t.Errorf("audit IP = %q", a.IP)
		}
	}
	equal(t, "audit", acts, []string{"bob:delete", "bob:move", "carol:read", "bob:write", "root:library_create"})
	page, _ := e.s.Audit(e.ctx, Owner, "docs", docstore.AuditQuery{Before: au[1].ID, Limit: 1})
	if len(page) != 1 || page[0].ID != au[2].ID {
		t.Errorf("paging = %+v", page)
	}
	byUser, _ := e.s.Audit(e.ctx, Owner, "docs", docstore.AuditQuery{User: "carol"})
	if len(byUser) != 1 {
		t.Errorf("by user = %+v", byUser)
	}
	var buf bytes.Buffer
	if err := e.s.WriteAuditCSV(e.ctx, Owner, "docs", docstore.AuditQuery{}, &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 6 || strings.Join(recs[0], ",") != "id,time,library,user,ip,action,path,detail" {
		t.Fatalf("CSV = %q, %v", recs, err)
	}
	if r := recs[2]; r[3] != "bob" || r[4] != "192.0.2.7" || r[5] != "move" || r[6] != "/a.txt" || r[7] != "to docs/=cmd.txt" {
		t.Errorf("CSV move record = %q", r)
	}
}

func testSystem(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/d")
	e.put(Editor, "docs", "/d/a.txt", "a")
	e.put(Editor, "docs", "/d/._a.txt", "meta")
	e.put(Editor, "docs", "/z.txt", "z")
	var paths []string
	if err := e.s.Walk(e.ctx, "docs", "/", func(it docstore.Item) error {
		paths = append(paths, it.Path)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	equal(t, "walk", paths, []string{"/", "/d", "/d/._a.txt", "/d/a.txt", "/z.txt"})
	f, it, err := e.s.OpenSystem(e.ctx, "docs", "/d/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "a" || it.Path != "/d/a.txt" {
		t.Errorf("OpenSystem = %q %+v", b, it)
	}
	_, _, err = e.s.OpenSystem(e.ctx, "nope", "/d/a.txt")
	wantErr(t, "unknown library", err, docstore.ErrNotFound)
}

func testConcurrent(t *testing.T, e *env) {
	const writers, rounds = 8, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := Editor
			if w%2 == 1 {
				p = Editor2
			}
			for r := range rounds {
				body := fmt.Sprintf("writer %d round %d", w, r)
				if _, _, err := e.s.Put(e.ctx, p, "docs", "/shared.txt", strings.NewReader(body), docstore.PutOptions{Size: int64(len(body))}); err != nil {
					errs <- err
				}
				if _, _, err := e.s.Put(e.ctx, p, "docs", fmt.Sprintf("/own-%d.txt", w), strings.NewReader(body), docstore.PutOptions{Size: -1}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent put: %v", err)
	}
	vs := e.versions("docs", "/shared.txt")
	if len(vs) != writers*rounds || vs[0].Version != writers*rounds {
		t.Errorf("shared file: %d versions, current %d; want %d", len(vs), vs[0].Version, writers*rounds)
	}
	if got := e.read(Reader, "docs", "/shared.txt"); !strings.HasPrefix(got, "writer ") {
		t.Errorf("content = %q", got)
	}
	for w := range writers {
		if got := e.read(Reader, "docs", fmt.Sprintf("/own-%d.txt", w)); got != fmt.Sprintf("writer %d round %d", w, rounds-1) {
			t.Errorf("own-%d = %q", w, got)
		}
	}
}

// Composed (NFC, as Windows and Linux send) and decomposed (NFD, as macOS
// sends) spellings of the same visible names.
const (
	resumeNFC = "R\u00e9sum\u00e9.docx"
	resumeNFD = "Re\u0301sume\u0301.docx"
	dirNFC    = "Ann\u00e9e"
	dirNFD    = "Anne\u0301e"
)

func testUnicodeNFC(t *testing.T, e *env) {
	if resumeNFC == resumeNFD {
		t.Fatal("the spellings must differ byte for byte")
	}
	// A folder created decomposed is found composed, and the reverse.
	e.mkdir(Editor, "docs", "/"+dirNFD)
	_, err := e.s.Mkdir(e.ctx, Editor, "docs", "/"+dirNFC, docstore.WriteOptions{})
	wantErr(t, "mkdir of the composed twin", err, docstore.ErrExists)
	it := e.put(Editor, "docs", "/"+dirNFD+"/"+resumeNFD, "v1")
	if it.Path != "/"+dirNFC+"/"+resumeNFC || it.Name != resumeNFC {
		t.Errorf("stored as %q %q, want the NFC form", it.Path, it.Name)
	}
	// Writing the composed name is a new version of the same file.
	_, created, err := e.s.Put(e.ctx, Editor2, "docs", "/"+dirNFC+"/"+resumeNFC, strings.NewReader("v2"), docstore.PutOptions{Size: 2})
	if err != nil || created {
		t.Fatalf("put composed: created=%v err=%v, want an update", created, err)
	}
	equal(t, "listing", e.names(Reader, "docs", "/"+dirNFD, docstore.ListOptions{}), []string{resumeNFC})
	equal(t, "root listing", e.names(Reader, "docs", "/", docstore.ListOptions{}), []string{dirNFC})
	if got := e.read(Reader, "docs", "/"+dirNFD+"/"+resumeNFD); got != "v2" {
		t.Errorf("read decomposed = %q", got)
	}
	if vs := e.versions("docs", "/"+dirNFC+"/"+resumeNFD); len(vs) != 2 {
		t.Errorf("versions = %d, want 2", len(vs))
	}
	st, err := e.s.Stat(e.ctx, Reader, "docs", "/"+dirNFD+"/"+resumeNFD)
	if err != nil || st.Path != "/"+dirNFC+"/"+resumeNFC {
		t.Errorf("stat decomposed = %q, %v", st.Path, err)
	}
	// Move with a decomposed source and destination.
	if _, err := e.s.Move(e.ctx, Editor, "docs", "/"+dirNFD+"/"+resumeNFD, "docs", "/"+resumeNFD, docstore.MoveOptions{}); err != nil {
		t.Fatalf("move: %v", err)
	}
	equal(t, "after move", e.names(Reader, "docs", "/", docstore.ListOptions{}), []string{dirNFC, resumeNFC})
	// Locks taken under one spelling hold for the other.
	lk := lock(t, e, Editor, "/"+resumeNFC, true, docstore.DepthZero)
	_, _, err = e.s.Put(e.ctx, Editor2, "docs", "/"+resumeNFD, strings.NewReader("x"), docstore.PutOptions{Size: 1})
	wantErr(t, "put under another's lock", err, docstore.ErrLocked)
	if _, _, err := e.s.Put(e.ctx, Editor, "docs", "/"+resumeNFD, strings.NewReader("v3"), docstore.PutOptions{Size: 2, LockTokens: []string{lk.Token}}); err != nil {
		t.Fatalf("put with the token, decomposed path: %v", err)
	}
	// The system API (search) sees the composed paths.
	var paths []string
	if err := e.s.Walk(e.ctx, "docs", "/"+dirNFD, func(it docstore.Item) error {
		paths = append(paths, it.Path)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	equal(t, "walk", paths, []string{"/" + dirNFC})
	f, it, err := e.s.OpenSystem(e.ctx, "docs", "/"+resumeNFD)
	if err != nil {
		t.Fatalf("OpenSystem decomposed: %v", err)
	}
	f.Close()
	if it.Path != "/"+resumeNFC {
		t.Errorf("OpenSystem path = %q", it.Path)
	}
	seq := e.lastSeq()
	e.put(Editor, "docs", "/"+dirNFD+"/n\u0303.txt", "x", docstore.PutOptions{Size: 1, LockTokens: []string{lk.Token}})
	equal(t, "change paths", e.changesSince(seq), []string{"create docs/" + dirNFC + "/\u00f1.txt"})
}

func testCaseClash(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/Rapports")
	e.put(Editor, "docs", "/Rapports/"+resumeNFC, "a")
	clashes := []struct {
		what string
		fn   func() error
	}{
		{"put", func() error {
			_, _, err := e.s.Put(e.ctx, Editor, "docs", "/Rapports/R\u00c9SUM\u00c9.DOCX", strings.NewReader("b"), docstore.PutOptions{Size: 1})
			return err
		}},
		{"put decomposed lower case", func() error {
			_, _, err := e.s.Put(e.ctx, Editor, "docs", "/Rapports/re\u0301sume\u0301.docx", strings.NewReader("b"), docstore.PutOptions{Size: 1})
			return err
		}},
		{"put chunked", func() error {
			_, _, err := e.s.Put(e.ctx, Editor, "docs", "/Rapports/r\u00e9sum\u00e9.docx", strings.NewReader("b"), docstore.PutOptions{Size: -1})
			return err
		}},
		{"mkdir", func() error {
			_, err := e.s.Mkdir(e.ctx, Editor, "docs", "/RAPPORTS", docstore.WriteOptions{})
			return err
		}},
		{"lock on an unmapped name", func() error {
			_, _, err := e.s.Lock(e.ctx, Editor, "docs", "/rapports", docstore.LockRequest{Exclusive: true})
			return err
		}},
		{"copy", func() error {
			e.put(Editor, "docs", "/other.docx", "o")
			_, err := e.s.Copy(e.ctx, Editor, "docs", "/other.docx", "docs", "/Rapports/r\u00e9sum\u00e9.docx", docstore.CopyOptions{Depth: docstore.DepthInfinity})
			return err
		}},
		{"move", func() error {
			_, err := e.s.Move(e.ctx, Editor, "docs", "/other.docx", "docs", "/Rapports/R\u00e9sum\u00e9.DOCX", docstore.MoveOptions{Overwrite: true})
			return err
		}},
	}
	for _, c := range clashes {
		err := c.fn()
		wantErr(t, c.what, err, docstore.ErrCaseClash)
		wantErr(t, c.what+" (409)", err, docstore.ErrConflict)
		if !strings.Contains(err.Error(), resumeNFC) && !strings.Contains(err.Error(), "Rapports") {
			t.Errorf("%s: message %q does not name the item in the way", c.what, err)
		}
	}
	equal(t, "root", e.names(Reader, "docs", "/", docstore.ListOptions{}), []string{"other.docx", "Rapports"})
	equal(t, "folder", e.names(Reader, "docs", "/Rapports", docstore.ListOptions{}), []string{resumeNFC})
	if got := e.read(Reader, "docs", "/Rapports/"+resumeNFC); got != "a" {
		t.Errorf("content = %q", got)
	}
	// The same name in another folder, or once the other is deleted, is fine.
	e.put(Editor, "docs", "/R\u00c9SUM\u00c9.DOCX", "c")
	if err := e.s.Delete(e.ctx, Editor, "docs", "/Rapports/"+resumeNFC, docstore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.put(Editor, "docs", "/Rapports/r\u00e9sum\u00e9.docx", "d")
	// "ß" and "SS" are different names, as on Windows.
	e.put(Editor, "docs", "/Stra\u00dfe.txt", "1")
	e.put(Editor, "docs", "/STRASSE.txt", "2")
}

func testRenameCase(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/budget")
	e.put(Editor, "docs", "/budget/"+resumeNFC, "a")
	e.put(Editor, "docs", "/budget/"+resumeNFC, "b")
	if _, err := e.s.Move(e.ctx, Editor, "docs", "/budget/"+resumeNFC, "docs", "/budget/R\u00c9SUM\u00c9.docx", docstore.MoveOptions{}); err != nil {
		t.Fatalf("rename to upper case: %v", err)
	}
	if _, err := e.s.Move(e.ctx, Editor, "docs", "/budget", "docs", "/Budget", docstore.MoveOptions{}); err != nil {
		t.Fatalf("rename folder case: %v", err)
	}
	equal(t, "root", e.names(Reader, "docs", "/", docstore.ListOptions{}), []string{"Budget"})
	equal(t, "folder", e.names(Reader, "docs", "/Budget", docstore.ListOptions{}), []string{"R\u00c9SUM\u00c9.docx"})
	if vs := e.versions("docs", "/Budget/R\u00c9SUM\u00c9.docx"); len(vs) != 2 {
		t.Errorf("versions after rename = %d, want 2", len(vs))
	}
	// Once renamed, the old spelling is the clash and the new one is free.
	_, err := e.s.Mkdir(e.ctx, Editor, "docs", "/budget", docstore.WriteOptions{})
	wantErr(t, "mkdir of the old spelling", err, docstore.ErrCaseClash)
	// Copying onto another case of its own name is a second item: refused.
	_, err = e.s.Copy(e.ctx, Editor, "docs", "/Budget/R\u00c9SUM\u00c9.docx", "docs", "/Budget/r\u00e9sum\u00e9.docx", docstore.CopyOptions{})
	wantErr(t, "copy to another case", err, docstore.ErrCaseClash)
}

func testRestoreCaseClash(t *testing.T, e *env) {
	e.put(Editor, "docs", "/Note.txt", "old")
	if err := e.s.Delete(e.ctx, Editor, "docs", "/Note.txt", docstore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.put(Editor, "docs", "/note.txt", "new")
	tr, err := e.s.Trash(e.ctx, Editor, "docs")
	if err != nil || len(tr) != 1 {
		t.Fatalf("trash = %v, %v", tr, err)
	}
	it, err := e.s.RestoreTrash(e.ctx, Editor, "docs", tr[0].ID)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if it.Path == "/Note.txt" || it.Path == "/note.txt" {
		t.Errorf("restored over a case twin: %q", it.Path)
	}
	if got := e.read(Reader, "docs", it.Path); got != "old" {
		t.Errorf("restored content = %q", got)
	}
	if got := e.read(Reader, "docs", "/note.txt"); got != "new" {
		t.Errorf("twin content = %q", got)
	}
}

// testConcurrentSmall puts many small new files and overwrites from parallel
// writers (the group commit path), with failures mixed in: every successful
// Put is readable, every refused one changed nothing.
func testConcurrentSmall(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/many")
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := fmt.Sprintf("w%d-%d", w, i)
				if _, _, err := e.s.Put(e.ctx, Editor, "docs", fmt.Sprintf("/many/f-%d-%d.txt", w, i), strings.NewReader(body), docstore.PutOptions{Size: int64(len(body))}); err != nil {
					errs <- err
				}
				// Refused in the same batches: a missing parent folder.
				_, _, err := e.s.Put(e.ctx, Editor, "docs", fmt.Sprintf("/missing/f-%d-%d.txt", w, i), strings.NewReader(body), docstore.PutOptions{Size: int64(len(body))})
				if !errors.Is(err, docstore.ErrConflict) {
					errs <- fmt.Errorf("put into a missing folder: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(e.names(Reader, "docs", "/many", docstore.ListOptions{})); n != writers*each {
		t.Errorf("files = %d, want %d", n, writers*each)
	}
	for w := range writers {
		if got := e.read(Reader, "docs", fmt.Sprintf("/many/f-%d-%d.txt", w, each-1)); got != fmt.Sprintf("w%d-%d", w, each-1) {
			t.Errorf("content = %q", got)
		}
	}
	if _, err := e.s.Stat(e.ctx, Reader, "docs", "/missing"); !errors.Is(err, docstore.ErrNotFound) {
		t.Errorf("stat /missing: %v", err)
	}
}

func uname(p *auth.Principal) string {
	if p == nil {
		return "nil"
	}
	return p.User
}

// tree lists every live item of lib below its root with its content, in
// Walk's order.
func (e *env) tree(lib string) []string {
	e.t.Helper()
	var out []string
	err := e.s.Walk(e.ctx, lib, "/", func(it docstore.Item) error {
		switch {
		case it.Path == "/":
		case it.IsDir:
			out = append(out, it.Path+"/")
		default:
			out = append(out, it.Path+"="+e.read(Reader, lib, it.Path))
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("Walk(%s): %v", lib, err)
	}
	return out
}

func testMoveOntoAncestor(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/a")
	e.mkdir(Editor, "docs", "/a/b")
	e.put(Editor, "docs", "/a/b/c.txt", "c")
	e.put(Editor, "docs", "/a/x.txt", "x")
	before := e.tree("docs")
	seq := e.lastSeq()
	for _, tc := range []struct{ src, dst string }{
		{"/a/b", "/a"},
		{"/a/b/c.txt", "/a"},
		{"/a/b/c.txt", "/a/b"},
	} {
		for _, overwrite := range []bool{true, false} {
			_, err := e.s.Move(e.ctx, Editor, "docs", tc.src, "docs", tc.dst, docstore.MoveOptions{Overwrite: overwrite})
			wantErr(t, fmt.Sprintf("move %s onto %s (overwrite %v)", tc.src, tc.dst, overwrite), err, docstore.ErrInvalidMove)
			_, err = e.s.Copy(e.ctx, Editor, "docs", tc.src, "docs", tc.dst, docstore.CopyOptions{Overwrite: overwrite, Depth: docstore.DepthInfinity})
			wantErr(t, fmt.Sprintf("copy %s onto %s (overwrite %v)", tc.src, tc.dst, overwrite), err, docstore.ErrInvalidMove)
		}
	}
	equal(t, "tree after refused moves", e.tree("docs"), before)
	if tr, _ := e.s.Trash(e.ctx, Reader, "docs"); len(tr) != 0 {
		t.Errorf("recycle bin after refused moves = %+v", tr)
	}
	equal(t, "changes", e.changesSince(seq), nil)
	// The same names in another library are no ancestor.
	e.library("rh", 0)
	e.mkdir(Editor, "rh", "/a")
	if _, err := e.s.Copy(e.ctx, Editor, "docs", "/a/b", "rh", "/a", docstore.CopyOptions{Overwrite: true, Depth: docstore.DepthInfinity}); err != nil {
		t.Errorf("copy to another library's /a: %v", err)
	}
}

func testRestoreUnderFile(t *testing.T, e *env) {
	e.mkdir(Editor, "docs", "/R")
	e.mkdir(Editor, "docs", "/R/S")
	e.put(Editor, "docs", "/R/S/a.txt", "a")
	e.put(Editor, "docs", "/R/S/b.txt", "b")
	e.put(Editor, "docs", "/R/c.txt", "c")
	for _, p := range []string{"/R/S/a.txt", "/R/S/b.txt", "/R/c.txt", "/R"} {
		if err := e.s.Delete(e.ctx, Editor, "docs", p, docstore.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A file now holds the folder's name, and another the first
	// "restored" name.
	e.put(Editor, "docs", "/R", "a file")
	e.put(Editor, "docs", "/R (restauré)", "another file")
	tr, err := e.s.Trash(e.ctx, Reader, "docs")
	if err != nil || len(tr) != 4 {
		t.Fatalf("trash = %+v, %v", tr, err)
	}
	byPath := map[string]int64{}
	for _, en := range tr {
		byPath[en.Path] = en.ID
	}
	var got []string
	for _, p := range []string{"/R/S/a.txt", "/R/S/b.txt", "/R/c.txt"} {
		it, err := e.s.RestoreTrash(e.ctx, Editor, "docs", byPath[p])
		if err != nil {
			t.Fatalf("restore %s: %v", p, err)
		}
		got = append(got, it.Path)
	}
	// Items of one folder gather again in one folder beside the file.
	equal(t, "restored paths", got, []string{"/R (restauré 2)/S/a.txt", "/R (restauré 2)/S/b.txt", "/R (restauré 2)/c.txt"})
	equal(t, "tree", e.tree("docs"), []string{"/R=a file", "/R (restauré 2)/", "/R (restauré 2)/S/",
		"/R (restauré 2)/S/a.txt=a", "/R (restauré 2)/S/b.txt=b", "/R (restauré 2)/c.txt=c", "/R (restauré)=another file"})
	// The folder itself goes beside the file as well.
	it, err := e.s.RestoreTrash(e.ctx, Editor, "docs", byPath["/R"])
	if err != nil || it.Path != "/R (restauré 3)" || !it.IsDir {
		t.Fatalf("restore /R = %+v, %v", it, err)
	}
}

func testWin32Modified(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "a")
	e.mkdir(Editor, "docs", "/d")
	vs := len(e.versions("docs", "/a.txt"))
	set := []docstore.Property{
		{Space: "urn:schemas-microsoft-com:", Local: "Win32CreationTime", XML: "Fri, 27 Nov 2026 15:00:00 GMT"},
		{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime", XML: "Fri, 27 Nov 2026 16:00:02 GMT"},
	}
	want := time.Date(2026, 11, 27, 16, 0, 2, 0, time.UTC)
	for _, p := range []string{"/a.txt", "/d"} {
		if err := e.s.PatchProps(e.ctx, Editor, "docs", p, set, nil, docstore.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		it, err := e.s.Stat(e.ctx, Reader, "docs", p)
		if err != nil || !it.Modified.Equal(want) {
			t.Errorf("%s: modified = %v, %v; want %v", p, it.Modified, err, want)
		}
	}
	if n := len(e.versions("docs", "/a.txt")); n != vs {
		t.Errorf("versions = %d, want %d (no new version)", n, vs)
	}
	props, _ := e.s.Props(e.ctx, Reader, "docs", "/a.txt")
	if len(props) != 2 {
		t.Errorf("props = %+v, want both kept", props)
	}
	// Another namespace, or a value that is no date: a dead property only.
	for _, pr := range []docstore.Property{
		{Space: "urn:other:", Local: "Win32LastModifiedTime", XML: "Sat, 28 Nov 2026 10:00:00 GMT"},
		{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime", XML: "yesterday"},
	} {
		if err := e.s.PatchProps(e.ctx, Editor, "docs", "/a.txt", []docstore.Property{pr}, nil, docstore.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if it, _ := e.s.Stat(e.ctx, Reader, "docs", "/a.txt"); !it.Modified.Equal(want) {
			t.Errorf("after %+v: modified = %v, want %v", pr, it.Modified, want)
		}
	}
	// A refused patch changes no time either.
	lk := lock(t, e, Editor, "/a.txt", true, docstore.DepthZero)
	set[1].XML = "Sun, 29 Nov 2026 10:00:00 GMT"
	wantErr(t, "patch without the token", e.s.PatchProps(e.ctx, Editor2, "docs", "/a.txt", set, nil, docstore.WriteOptions{}), docstore.ErrLocked)
	if it, _ := e.s.Stat(e.ctx, Reader, "docs", "/a.txt"); !it.Modified.Equal(want) {
		t.Errorf("after a refused patch: modified = %v, want %v", it.Modified, want)
	}
	if err := e.s.PatchProps(e.ctx, Editor, "docs", "/a.txt", set, nil, docstore.WriteOptions{LockTokens: []string{lk.Token}}); err != nil {
		t.Fatal(err)
	}
	if it, _ := e.s.Stat(e.ctx, Reader, "docs", "/a.txt"); !it.Modified.Equal(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("with the token: modified = %v", it.Modified)
	}
}

func testAuditPropsRefresh(t *testing.T, e *env) {
	e.put(Editor, "docs", "/a.txt", "a")
	set := []docstore.Property{
		{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime", XML: "Fri, 27 Nov 2026 16:00:02 GMT"},
		{Space: "urn:test", Local: "color", XML: "bleu"},
	}
	if err := e.s.PatchProps(e.ctx, Editor, "docs", "/a.txt", set, []docstore.PropName{{Space: "urn:test", Local: "size"}}, docstore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	lk := lock(t, e, Editor, "/a.txt", true, docstore.DepthZero)
	if _, err := e.s.Refresh(e.ctx, Editor, "docs", "/a.txt", lk.Token, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	// A refused refresh is not recorded.
	_, err := e.s.Refresh(e.ctx, Editor2, "docs", "/a.txt", lk.Token, time.Minute)
	wantErr(t, "refresh of another's lock", err, docstore.ErrLocked)
	au, err := e.s.Audit(e.ctx, Owner, "docs", docstore.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range au {
		got = append(got, a.User+":"+a.Action+" "+a.Path+" "+a.Detail)
		if a.IP != "192.0.2.7" && a.User != "root" {
			t.Errorf("audit IP = %q", a.IP)
		}
	}
	equal(t, "audit", got[:3], []string{
		"bob:lock_refresh /a.txt timeout 120 s",
		"bob:lock /a.txt exclusive",
		"bob:props /a.txt set Win32LastModifiedTime, color; removed size; modified 2026-11-27T16:00:02Z",
	})
}
