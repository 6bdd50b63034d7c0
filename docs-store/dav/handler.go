package dav

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/reqctx"
	"github.com/kazhq/kaz/server/auth"
)

// Options configures the handler.
type Options struct {
	// Prefix is the URL path the handler is mounted at (default "/dav/").
	Prefix string
	// PublicURL is the server's public base URL; Destination and If headers
	// may name it as well as the request's own host.
	PublicURL string
	// Log receives errors (nil discards).
	Log *slog.Logger
}

// Handler serves WebDAV on top of a docstore.Store.
type Handler struct {
	store  *docstore.Store
	prefix string
	public *url.URL
	log    *slog.Logger
	defTO  time.Duration
	maxTO  time.Duration
}

// New returns the WebDAV handler for store.
func New(store *docstore.Store, opts Options) http.Handler {
	return newHandler(store, opts)
}

func newHandler(store *docstore.Store, opts Options) *Handler {
	h := &Handler{store: store, prefix: opts.Prefix, log: opts.Log}
	if h.prefix == "" {
		h.prefix = "/dav/"
	}
	if !strings.HasSuffix(h.prefix, "/") {
		h.prefix += "/"
	}
	if opts.PublicURL != "" {
		if u, err := url.Parse(opts.PublicURL); err == nil && u.Host != "" {
			h.public = u
		}
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.log = h.log.With("component", "dav")
	cfg := store.Config()
	h.defTO, h.maxTO = cfg.DefaultLockTimeout, cfg.MaxLockTimeout
	if h.maxTO <= 0 {
		h.maxTO = time.Hour
	}
	if h.defTO <= 0 || h.defTO > h.maxTO {
		h.defTO = min(10*time.Minute, h.maxTO)
	}
	return h
}

const allowAll = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK"

// request is one request's context: the principal and the resolved path.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	p    *auth.Principal
	path string // clean path below the prefix, "/" for the server root
	lib  string // "" for the server root
	rel  string // path inside lib ("/" for its root)
	// outside marks a request for the host root "/" (outside the prefix),
	// which the Windows redirector probes.
	outside bool
	ifh     *ifHeader
}

// davError is an error response: status, plain message and optional
// DAV:error precondition element.
type davError struct {
	code int
	msg  string
	cond string // XML inside DAV:error, e.g. "<D:lock-token-submitted/>"
	err  error  // logged
}

func (e *davError) Error() string { return e.msg }

func newErr(code int, msg string) *davError { return &davError{code: code, msg: msg} }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("DAV", "1, 2")
	w.Header().Set("MS-Author-Via", "DAV")
	rq := &request{w: w, r: r}
	if err := h.serve(rq); err != nil {
		h.writeError(rq, err)
	}
}

func (h *Handler) serve(rq *request) error {
	r := rq.r
	switch {
	case strings.HasPrefix(r.URL.Path, h.prefix):
		p, err := cleanPath(strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(h.prefix, "/")))
		if err != nil {
			return newErr(http.StatusBadRequest, "invalid path")
		}
		rq.path = p
	case r.URL.Path+"/" == h.prefix:
		rq.path = "/"
	case r.URL.Path == "/" || r.URL.Path == "":
		rq.path, rq.outside = "/", true
	default:
		return newErr(http.StatusNotFound, "not found")
	}
	rq.lib, rq.rel = splitLibrary(rq.path)
	if r.Method == http.MethodOptions {
		return h.options(rq)
	}
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return newErr(http.StatusUnauthorized, "authentication required")
	}
	rq.p = p
	if v := r.Header.Get("If"); v != "" {
		ih, err := parseIf(v)
		if err != nil {
			return newErr(http.StatusBadRequest, "malformed If header")
		}
		rq.ifh = &ih
	}
	if rq.outside && r.Method != "PROPFIND" {
		return newErr(http.StatusMethodNotAllowed, "method not allowed here")
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return h.get(rq)
	case http.MethodPut:
		return h.put(rq)
	case http.MethodDelete:
		return h.delete(rq)
	case "MKCOL":
		return h.mkcol(rq)
	case "PROPFIND":
		return h.propfind(rq)
	case "PROPPATCH":
		return h.proppatch(rq)
	case "COPY", "MOVE":
		return h.copyMove(rq)
	case "LOCK":
		return h.lock(rq)
	case "UNLOCK":
		return h.unlock(rq)
	case http.MethodPost:
		return newErr(http.StatusMethodNotAllowed, "method not allowed")
	}
	rq.w.Header().Set("Allow", allowAll)
	return newErr(http.StatusNotImplemented, "method not implemented")
}

// options answers OPTIONS, also without credentials (RFC 4918 §10.1: DAV
// compliance classes; the Windows redirector needs it before it signs in).
func (h *Handler) options(rq *request) error {
	hd := rq.w.Header()
	switch {
	case rq.outside:
		hd.Set("Allow", "OPTIONS, PROPFIND")
	case rq.lib == "":
		hd.Set("Allow", "OPTIONS, GET, HEAD, PROPFIND")
	default:
		hd.Set("Allow", allowAll)
	}
	hd.Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// ctx returns the request context.
func (rq *request) ctx() context.Context { return rq.r.Context() }

// fromStore maps a docstore error to a response.
func fromStore(err error) *davError {
	var de *davError
	if errors.As(err, &de) {
		return de
	}
	e := &davError{err: err}
	switch {
	case errors.Is(err, docstore.ErrNotFound):
		e.code, e.msg = http.StatusNotFound, "not found"
	case errors.Is(err, docstore.ErrPermission):
		e.code, e.msg = http.StatusForbidden, "you are not allowed to do this"
	case errors.Is(err, docstore.ErrLocked):
		e.code, e.msg, e.cond = http.StatusLocked, "the resource is locked", "<D:lock-token-submitted/>"
	case errors.Is(err, docstore.ErrPrecondition):
		e.code, e.msg = http.StatusPreconditionFailed, "a precondition failed"
	case errors.Is(err, docstore.ErrQuota):
		e.code, e.msg = http.StatusInsufficientStorage, "the library's quota is exceeded"
	case errors.Is(err, docstore.ErrNoSpace):
		// RFC 4918 §11.5: 507, the server cannot store the representation.
		e.code, e.msg = http.StatusInsufficientStorage, "the server's disk is full; nothing was changed"
	case errors.Is(err, docstore.ErrIncomplete), errors.Is(err, docstore.ErrTooLarge):
		e.code, e.msg = http.StatusBadRequest, "the body did not arrive whole; nothing was changed"
	case errors.Is(err, docstore.ErrInvalidName):
		e.code, e.msg = http.StatusBadRequest, "invalid name"
		// docstore words the reason after the sentinel in plain language
		// about the name the client sent ("a name may not end with a dot").
		if _, reason, ok := strings.Cut(err.Error(), docstore.ErrInvalidName.Error()+": "); ok && reason != "" {
			e.msg = "invalid name: " + reason
		}
	case errors.Is(err, docstore.ErrCaseClash):
		e.code, e.msg = http.StatusConflict, "another item in this folder has the same name with different upper and lower case"
	case errors.Is(err, docstore.ErrConflict), errors.Is(err, docstore.ErrNotDir):
		e.code, e.msg = http.StatusConflict, "the parent folder does not exist"
	case errors.Is(err, docstore.ErrIsDir):
		e.code, e.msg = http.StatusMethodNotAllowed, "this is a folder"
	case errors.Is(err, docstore.ErrExists):
		e.code, e.msg = http.StatusMethodNotAllowed, "it already exists"
	case errors.Is(err, docstore.ErrInvalidMove):
		// Apache mod_dav answers 403 to a destination that is the source,
		// inside it, or a folder containing it (with Overwrite: T).
		e.code, e.msg = http.StatusForbidden, "the destination is the source, inside it, or a folder that contains it"
	case errors.Is(err, docstore.ErrLockMismatch):
		e.code, e.msg, e.cond = http.StatusConflict, "the lock token does not apply to this resource", "<D:lock-token-matches-request-uri/>"
	case errors.Is(err, docstore.ErrNotImplemented):
		e.code, e.msg = http.StatusNotImplemented, "not implemented"
	case errors.Is(err, context.Canceled):
		e.code, e.msg = http.StatusBadRequest, "request cancelled"
	default:
		e.code, e.msg = http.StatusInternalServerError, "internal error"
	}
	return e
}

func (h *Handler) writeError(rq *request, err error) {
	e := fromStore(err)
	attrs := []any{"req_id", reqctx.ID(rq.ctx()), "method", rq.r.Method, "library", rq.lib, "path", rq.rel, "status", e.code}
	if rq.p != nil {
		attrs = append(attrs, "user", rq.p.User)
	}
	if e.err != nil {
		attrs = append(attrs, "err", e.err)
	}
	switch {
	case e.code >= 500:
		h.log.Error("dav request failed", attrs...)
	case e.err != nil:
		h.log.Debug("dav request refused", attrs...)
	}
	hd := rq.w.Header()
	if e.code == http.StatusUnauthorized {
		hd.Set("WWW-Authenticate", `Basic realm="Kaz", charset="UTF-8"`)
	}
	if e.cond != "" {
		cond := e.cond
		if e.code == http.StatusLocked && cond == "<D:lock-token-submitted/>" {
			cond = "<D:lock-token-submitted><D:href>" + escapeXML(h.href(rq.path, false)) + "</D:href></D:lock-token-submitted>"
		}
		hd.Set("Content-Type", "application/xml; charset=utf-8")
		rq.w.WriteHeader(e.code)
		if rq.r.Method != http.MethodHead {
			fmt.Fprintf(rq.w, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\">%s<D:responsedescription>%s</D:responsedescription></D:error>\n", cond, escapeXML(e.msg))
		}
		return
	}
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	rq.w.WriteHeader(e.code)
	if rq.r.Method != http.MethodHead {
		io.WriteString(rq.w, e.msg+"\n")
	}
}

// href returns the URL path of a clean path below the prefix.
func (h *Handler) href(p string, collection bool) string {
	full := strings.TrimSuffix(h.prefix, "/") + p
	if p == "/" {
		full = h.prefix
	}
	return hrefFor(full, collection)
}

// resolveURL maps a URL from an If tag to a clean path below the prefix.
func (h *Handler) resolveURL(rq *request, raw string) (string, bool) {
	p, err := localPath(rq.r, raw, h.prefix, h.public)
	return p, err == nil
}

// stateOf returns what If evaluation needs about a clean path.
func (h *Handler) stateOf(ctx context.Context, p *auth.Principal, path string) resourceState {
	lib, rel := splitLibrary(path)
	if lib == "" {
		return resourceState{exists: true}
	}
	it, err := h.store.Stat(ctx, p, lib, rel)
	if err == nil {
		st := resourceState{exists: true, etag: quote(it.ETag)}
		for _, l := range it.Locks {
			st.tokens = append(st.tokens, l.Token)
		}
		return st
	}
	st := resourceState{}
	if locks, err := h.store.LocksAt(ctx, p, lib, rel); err == nil {
		for _, l := range locks {
			st.tokens = append(st.tokens, l.Token)
		}
	}
	return st
}

// checkIf evaluates the If header (RFC 4918 §10.4) and returns the lock
// tokens it submits. Untagged lists apply to the request URI and, to
// accept what real clients send, to the extra paths as well: for COPY and
// MOVE the destination (Microsoft Office sends the destination's lock
// token untagged), and for writes that change a folder's membership the
// parent folder (whose lock token must be submitted). A header that does
// not hold is 412.
func (h *Handler) checkIf(rq *request, extra ...string) ([]string, error) {
	if rq.ifh == nil {
		return nil, nil
	}
	cache := map[string]resourceState{}
	state := func(p string) resourceState {
		if st, ok := cache[p]; ok {
			return st
		}
		st := h.stateOf(rq.ctx(), rq.p, p)
		cache[p] = st
		return st
	}
	ok := false
	for _, l := range rq.ifh.lists {
		var paths []string
		if l.tag == "" {
			paths = append([]string{rq.path}, extra...)
		} else if p, ok := h.resolveURL(rq, l.tag); ok {
			paths = []string{p}
		}
		for _, p := range paths {
			if l.eval(state(p)) {
				ok = true
				break
			}
		}
		if ok {
			break
		}
	}
	if !ok {
		return nil, newErr(http.StatusPreconditionFailed, "the If header's conditions do not hold")
	}
	var tokens []string
	for _, l := range rq.ifh.lists {
		for _, c := range l.conditions {
			if c.token != "" && !c.not && c.token != "DAV:no-lock" {
				tokens = append(tokens, c.token)
			}
		}
	}
	return tokens, nil
}

func quote(etag string) string {
	if etag == "" {
		return ""
	}
	return `"` + etag + `"`
}

// needLibrary refuses requests on the server root.
func (rq *request) needLibrary(method string) error {
	if rq.lib == "" {
		rq.w.Header().Set("Allow", "OPTIONS, GET, HEAD, PROPFIND")
		return newErr(http.StatusMethodNotAllowed, method+" is not allowed on the list of libraries")
	}
	return nil
}

// parseOverwrite reads the Overwrite header (RFC 4918 §10.6), default T.
func parseOverwrite(r *http.Request) (bool, error) {
	switch strings.TrimSpace(r.Header.Get("Overwrite")) {
	case "", "T", "t":
		return true, nil
	case "F", "f":
		return false, nil
	}
	return false, newErr(http.StatusBadRequest, "the Overwrite header must be T or F")
}

// ---- GET, HEAD ----

func (h *Handler) get(rq *request) error {
	if _, err := h.checkIf(rq); err != nil {
		return err
	}
	if rq.lib == "" {
		return h.listLibrariesHTML(rq)
	}
	it, err := h.store.Stat(rq.ctx(), rq.p, rq.lib, rq.rel)
	if err != nil {
		return err
	}
	if it.IsDir {
		return h.listFolderHTML(rq, it)
	}
	hd := rq.w.Header()
	hd.Set("ETag", quote(it.ETag))
	hd.Set("Content-Type", it.ContentType)
	hd.Set("Accept-Ranges", "bytes")
	hd.Set("X-Content-Type-Options", "nosniff")
	// Content stays a download: never rendered inline as active content.
	hd.Set("Content-Security-Policy", "sandbox")
	if rq.r.Method == http.MethodHead {
		http.ServeContent(rq.w, rq.r, it.Name, it.Modified, sizedSeeker(it.Size))
		return nil
	}
	f, it2, err := h.store.OpenFile(rq.ctx(), rq.p, rq.lib, rq.rel)
	if err != nil {
		return err
	}
	defer f.Close()
	if it2.ETag != it.ETag {
		hd.Set("ETag", quote(it2.ETag))
		hd.Set("Content-Type", it2.ContentType)
	}
	http.ServeContent(copyWriter{rq.w}, rq.r, it2.Name, it2.Modified, f)
	return nil
}

// copyWriter has http.ServeContent write a download from memory-mapped
// windows of the file (sendMapped, Linux), or copy it through a 256 KiB
// buffer, rather than use sendfile(2). Kaz's downloads reach clients through
// TLS (its own, where sendfile never applies) or a reverse proxy on
// loopback, and on loopback Go's sendfile, 4 MiB at a time on a
// non-blocking socket, measured about 0.75× the rate of a plain copy with
// a large buffer (bench/dav/README.md).
type copyWriter struct{ http.ResponseWriter }

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func (w copyWriter) ReadFrom(r io.Reader) (int64, error) {
	// http.ServeContent hands over the (sought) file behind a LimitedReader.
	if lr, ok := r.(*io.LimitedReader); ok {
		if f, ok := lr.R.(*os.File); ok {
			if n, err, handled := sendMapped(w.ResponseWriter, f, lr.N); handled {
				lr.N -= n
				return n, err
			}
		}
	}
	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	// The anonymous structs hide WriterTo/ReaderFrom, or io.CopyBuffer
	// would go back to sendfile.
	return io.CopyBuffer(struct{ io.Writer }{w.ResponseWriter}, struct{ io.Reader }{r}, *bp)
}

func (w copyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sizedSeeker is an empty body of a given size, for HEAD through
// http.ServeContent (which seeks but does not read for HEAD).
type sizedSeeker int64

func (s sizedSeeker) Read([]byte) (int, error) { return 0, io.EOF }
func (s sizedSeeker) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekEnd:
		return int64(s) + off, nil
	default:
		return off, nil
	}
}

// ---- PUT ----

func (h *Handler) put(rq *request) error {
	if err := rq.needLibrary("PUT"); err != nil {
		return err
	}
	r := rq.r
	if rq.rel == "/" {
		return newErr(http.StatusMethodNotAllowed, "cannot write over a library")
	}
	// RFC 9110 §14.4: a partial PUT is refused rather than taken whole.
	if r.Header.Get("Content-Range") != "" {
		return newErr(http.StatusBadRequest, "partial PUT (Content-Range) is not supported")
	}
	tokens, err := h.checkIf(rq, parentPath(rq.path))
	if err != nil {
		return err
	}
	size := r.ContentLength
	if size < 0 {
		// macOS Finder sends chunked bodies announcing the length here.
		if v := r.Header.Get("X-Expected-Entity-Length"); v != "" {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				size = n
			}
		}
	}
	ct := r.Header.Get("Content-Type")
	if base, _, _ := strings.Cut(ct, ";"); strings.EqualFold(strings.TrimSpace(base), "application/octet-stream") {
		ct = "" // generic: let the store guess from the name
	}
	opts := docstore.PutOptions{
		ContentType: ct, Size: size, LockTokens: tokens,
		IfMatch: r.Header.Get("If-Match"), IfNoneMatch: r.Header.Get("If-None-Match"),
	}
	if v := r.Header.Get("X-OC-Mtime"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			opts.Modified = time.Unix(n, 0)
			rq.w.Header().Set("X-OC-MTime", "accepted")
		}
	}
	it, created, err := h.store.Put(rq.ctx(), rq.p, rq.lib, rq.rel, r.Body, opts)
	if err != nil {
		return err
	}
	hd := rq.w.Header()
	hd.Set("ETag", quote(it.ETag))
	hd.Set("Last-Modified", it.Modified.UTC().Format(http.TimeFormat))
	if created {
		hd.Set("Location", h.href(rq.path, false))
		hd.Set("Content-Length", "0")
		rq.w.WriteHeader(http.StatusCreated)
	} else {
		rq.w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// ---- MKCOL ----

func (h *Handler) mkcol(rq *request) error {
	if err := rq.needLibrary("MKCOL"); err != nil {
		return err
	}
	// RFC 4918 §9.3.1: a body we do not understand is 415.
	if rq.r.ContentLength > 0 || (rq.r.ContentLength < 0 && hasBody(rq.r)) {
		return newErr(http.StatusUnsupportedMediaType, "MKCOL with a body is not supported")
	}
	if rq.rel == "/" {
		if _, err := h.store.Stat(rq.ctx(), rq.p, rq.lib, "/"); err != nil {
			return newErr(http.StatusForbidden, "libraries are created by an administrator, not over WebDAV")
		}
		rq.w.Header().Set("Allow", allowAll)
		return newErr(http.StatusMethodNotAllowed, "the library already exists")
	}
	tokens, err := h.checkIf(rq, parentPath(rq.path))
	if err != nil {
		return err
	}
	if _, err := h.store.Mkdir(rq.ctx(), rq.p, rq.lib, rq.rel, docstore.WriteOptions{LockTokens: tokens}); err != nil {
		if errors.Is(err, docstore.ErrExists) {
			rq.w.Header().Set("Allow", allowAll)
		}
		return err
	}
	rq.w.Header().Set("Location", h.href(rq.path, true))
	rq.w.Header().Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusCreated)
	return nil
}

// hasBody reports whether a request without Content-Length has a body
// (chunked), reading at most one byte.
func hasBody(r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return false
	}
	var b [1]byte
	n, _ := io.ReadFull(r.Body, b[:])
	return n > 0
}

// ---- DELETE ----

func (h *Handler) delete(rq *request) error {
	if err := rq.needLibrary("DELETE"); err != nil {
		return err
	}
	if rq.rel == "/" {
		return newErr(http.StatusForbidden, "a library cannot be deleted over WebDAV")
	}
	// RFC 4918 §9.6.1: DELETE on a collection acts as Depth infinity.
	if d := rq.r.Header.Get("Depth"); d != "" && !strings.EqualFold(strings.TrimSpace(d), "infinity") {
		it, err := h.store.Stat(rq.ctx(), rq.p, rq.lib, rq.rel)
		if err == nil && it.IsDir {
			return newErr(http.StatusBadRequest, "DELETE of a folder needs Depth: infinity")
		}
	}
	tokens, err := h.checkIf(rq, parentPath(rq.path))
	if err != nil {
		return err
	}
	if err := h.store.Delete(rq.ctx(), rq.p, rq.lib, rq.rel, docstore.WriteOptions{LockTokens: tokens}); err != nil {
		if errors.Is(err, docstore.ErrLocked) && h.lockedMembers(rq, tokens) {
			return nil
		}
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// ---- COPY, MOVE ----

func (h *Handler) copyMove(rq *request) error {
	r := rq.r
	if err := rq.needLibrary(r.Method); err != nil {
		return err
	}
	dst, err := destination(r, h.prefix, h.public)
	switch {
	case errors.Is(err, errForeignDestination):
		return newErr(http.StatusBadGateway, "the Destination must be on this server")
	case err != nil:
		return newErr(http.StatusBadRequest, "invalid Destination header")
	}
	overwrite, err := parseOverwrite(r)
	if err != nil {
		return err
	}
	move := r.Method == "MOVE"
	depth, ok := parseDepth(r.Header.Get("Depth"), -1)
	if !ok || depth == 1 || (move && depth != -1) {
		return newErr(http.StatusBadRequest, "invalid Depth header")
	}
	dlib, drel := splitLibrary(dst)
	if dlib == "" || drel == "/" {
		return newErr(http.StatusForbidden, "the destination cannot be a library or the server root")
	}
	if rq.rel == "/" {
		return newErr(http.StatusForbidden, "a library cannot be copied or moved over WebDAV")
	}
	if dst == rq.path {
		return newErr(http.StatusForbidden, "the source and the destination are the same")
	}
	tokens, err := h.checkIf(rq, dst, parentPath(rq.path), parentPath(dst))
	if err != nil {
		return err
	}
	var created bool
	if move {
		created, err = h.store.Move(rq.ctx(), rq.p, rq.lib, rq.rel, dlib, drel, docstore.MoveOptions{Overwrite: overwrite, LockTokens: tokens})
	} else {
		d := docstore.DepthInfinity
		if depth == 0 {
			d = docstore.DepthZero
		}
		created, err = h.store.Copy(rq.ctx(), rq.p, rq.lib, rq.rel, dlib, drel, docstore.CopyOptions{Overwrite: overwrite, Depth: d, LockTokens: tokens})
	}
	if err != nil {
		if move && errors.Is(err, docstore.ErrLocked) && h.lockedMembers(rq, tokens) {
			return nil
		}
		return err
	}
	if created {
		rq.w.Header().Set("Location", h.href(dst, false))
		rq.w.WriteHeader(http.StatusCreated)
	} else {
		rq.w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// lockedMembers answers a refused DELETE or MOVE of a folder whose members
// are locked with a 207 naming each locked member (RFC 4918 §9.6.1). It
// reports false, writing nothing, when the lock is on the folder itself or
// above it (a plain 423 then).
func (h *Handler) lockedMembers(rq *request, tokens []string) bool {
	locks, err := h.store.Locks(rq.ctx(), rq.p, rq.lib)
	if err != nil {
		return false
	}
	var hrefs []string
	seen := map[string]bool{}
	for _, l := range locks {
		if !strings.HasPrefix(l.Path, strings.TrimSuffix(rq.rel, "/")+"/") || seen[l.Path] {
			continue
		}
		if l.User == rq.p.User && slices.Contains(tokens, l.Token) {
			continue
		}
		seen[l.Path] = true
		hrefs = append(hrefs, h.href("/"+rq.lib+l.Path, false))
	}
	if len(hrefs) == 0 {
		return false
	}
	ms := newMultistatus(rq.w, rq.r)
	for _, href := range hrefs {
		ms.status(href, http.StatusLocked, "<D:lock-token-submitted><D:href>"+escapeXML(href)+"</D:href></D:lock-token-submitted>")
	}
	ms.close()
	return true
}

// parentPath returns the parent of a clean path ("/" for "/").
func parentPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
