package dav

import (
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/reqctx"
)

// Live properties (RFC 4918 §15, RFC 4331 §3).
var (
	pCreationDate   = xml.Name{Space: "DAV:", Local: "creationdate"}
	pDisplayName    = xml.Name{Space: "DAV:", Local: "displayname"}
	pContentLength  = xml.Name{Space: "DAV:", Local: "getcontentlength"}
	pContentType    = xml.Name{Space: "DAV:", Local: "getcontenttype"}
	pETag           = xml.Name{Space: "DAV:", Local: "getetag"}
	pLastModified   = xml.Name{Space: "DAV:", Local: "getlastmodified"}
	pResourceType   = xml.Name{Space: "DAV:", Local: "resourcetype"}
	pSupportedLock  = xml.Name{Space: "DAV:", Local: "supportedlock"}
	pLockDiscovery  = xml.Name{Space: "DAV:", Local: "lockdiscovery"}
	pQuotaAvailable = xml.Name{Space: "DAV:", Local: "quota-available-bytes"}
	pQuotaUsed      = xml.Name{Space: "DAV:", Local: "quota-used-bytes"}
)

// allpropNames are the live properties allprop returns (RFC 4331 §3: the
// quota properties are not among them).
var allpropNames = []xml.Name{pCreationDate, pDisplayName, pContentLength, pContentType, pETag, pLastModified, pResourceType, pSupportedLock, pLockDiscovery}

// protected are the live properties PROPPATCH may not change.
var protected = map[xml.Name]bool{
	pCreationDate: true, pContentLength: true, pETag: true, pLastModified: true,
	pResourceType: true, pSupportedLock: true, pLockDiscovery: true, pQuotaAvailable: true, pQuotaUsed: true,
}

func isLive(n xml.Name) bool { return protected[n] || n == pDisplayName || n == pContentType }

const supportedLockXML = `<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>` +
	`<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>`

// resource is what a PROPFIND response describes.
type resource struct {
	path  string // clean path below the prefix
	dir   bool
	item  *docstore.Item // nil for the server root and library entries of it
	name  string
	mod   time.Time
	props []docstore.Property
	quota *docstore.QuotaInfo
}

// liveProp returns the value of a live property, and whether r has it.
func (h *Handler) liveProp(r *resource, n xml.Name) (string, bool) {
	it := r.item
	switch n {
	case pResourceType:
		if r.dir {
			return "<D:collection/>", true
		}
		return "", true
	case pDisplayName:
		if r.name == "" {
			return "", false
		}
		return escapeXML(r.name), true
	case pCreationDate:
		if it == nil {
			return r.mod.UTC().Format(time.RFC3339), !r.mod.IsZero()
		}
		return it.Created.UTC().Format(time.RFC3339), true
	case pLastModified:
		if it == nil {
			return r.mod.UTC().Format(http.TimeFormat), !r.mod.IsZero()
		}
		return it.Modified.UTC().Format(http.TimeFormat), true
	case pContentLength:
		if it == nil || r.dir {
			return "", false
		}
		return strconv.FormatInt(it.Size, 10), true
	case pContentType:
		if it == nil || r.dir {
			return "", false
		}
		return escapeXML(it.ContentType), true
	case pETag:
		if it == nil {
			return "", false
		}
		return escapeXML(quote(it.ETag)), true
	case pSupportedLock:
		if it == nil {
			return "", false
		}
		return supportedLockXML, true
	case pLockDiscovery:
		if it == nil {
			return "", false
		}
		var sb strings.Builder
		for _, l := range it.Locks {
			h.writeActiveLock(&sb, l)
		}
		return sb.String(), true
	case pQuotaAvailable, pQuotaUsed:
		if r.quota == nil || !r.dir {
			return "", false
		}
		if n == pQuotaUsed {
			return strconv.FormatInt(r.quota.Used, 10), true
		}
		avail := r.quota.Available
		if avail < 0 {
			// Unlimited: RFC 4331 §3 lets the server leave it out.
			return "", false
		}
		return strconv.FormatInt(avail, 10), true
	}
	return "", false
}

func (h *Handler) writeActiveLock(sb *strings.Builder, l docstore.Lock) {
	scope := "<D:exclusive/>"
	if !l.Exclusive {
		scope = "<D:shared/>"
	}
	depth := "0"
	if l.Depth == docstore.DepthInfinity {
		depth = "infinity"
	}
	left := int64(time.Until(l.Expires).Round(time.Second) / time.Second)
	if left < 1 {
		left = 1
	}
	fmt.Fprintf(sb, "<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope>%s</D:lockscope><D:depth>%s</D:depth>", scope, depth)
	if l.OwnerXML != "" {
		sb.WriteString("<D:owner>")
		sb.WriteString(l.OwnerXML)
		sb.WriteString("</D:owner>")
	}
	fmt.Fprintf(sb, "<D:timeout>Second-%d</D:timeout><D:locktoken><D:href>%s</D:href></D:locktoken><D:lockroot><D:href>%s</D:href></D:lockroot></D:activelock>",
		left, escapeXML(l.Token), escapeXML(h.href("/"+l.Library+l.Path, false)))
}

// propstats builds the response of one resource for pf.
func (h *Handler) propstats(r *resource, pf propfindBody) []propstat {
	ok := propstat{status: http.StatusOK}
	missing := propstat{status: http.StatusNotFound}
	dead := func(n xml.Name) (string, bool) {
		for _, p := range r.props {
			if p.Space == n.Space && p.Local == n.Local {
				return p.XML, true
			}
		}
		return "", false
	}
	switch pf.kind {
	case findPropname:
		for _, n := range append(allpropNames, pQuotaAvailable, pQuotaUsed) {
			if _, has := h.liveProp(r, n); has {
				ok.props = append(ok.props, propValue{name: n})
			}
		}
		for _, p := range r.props {
			ok.props = append(ok.props, propValue{name: xml.Name{Space: p.Space, Local: p.Local}})
		}
	case findAllprop:
		for _, n := range allpropNames {
			if v, has := h.liveProp(r, n); has {
				ok.props = append(ok.props, propValue{name: n, value: v})
			}
		}
		for _, p := range r.props {
			n := xml.Name{Space: p.Space, Local: p.Local}
			if isLive(n) {
				continue
			}
			ok.props = append(ok.props, propValue{name: n, value: p.XML})
		}
		for _, n := range pf.include {
			if n == pQuotaAvailable || n == pQuotaUsed {
				if v, has := h.liveProp(r, n); has {
					ok.props = append(ok.props, propValue{name: n, value: v})
				}
			}
		}
	case findProp:
		for _, n := range pf.props {
			if v, has := h.liveProp(r, n); has {
				ok.props = append(ok.props, propValue{name: n, value: v})
			} else if v, has := dead(n); has && !isLive(n) {
				ok.props = append(ok.props, propValue{name: n, value: v})
			} else {
				missing.props = append(missing.props, propValue{name: n})
			}
		}
	}
	return []propstat{ok, missing}
}

// needsDead reports whether pf needs dead properties.
func needsDead(pf propfindBody) bool {
	if pf.kind != findProp {
		return true
	}
	for _, n := range pf.props {
		if !isLive(n) {
			return true
		}
	}
	return false
}

func needsQuota(pf propfindBody) bool {
	names := pf.props
	if pf.kind == findAllprop {
		names = pf.include
	}
	if pf.kind == findPropname {
		return true
	}
	for _, n := range names {
		if n == pQuotaAvailable || n == pQuotaUsed {
			return true
		}
	}
	return false
}

// ---- PROPFIND ----

func (h *Handler) propfind(rq *request) error {
	if _, err := h.checkIf(rq); err != nil {
		return err
	}
	// RFC 4918 §9.1 suggests infinity for a missing Depth, which we refuse
	// anyway; clients that omit it get Depth 1, what they mean in practice.
	depth, ok := parseDepth(rq.r.Header.Get("Depth"), 1)
	if !ok {
		return newErr(http.StatusBadRequest, "invalid Depth header")
	}
	if depth < 0 {
		// RFC 4918 §9.1.1: we refuse infinite depth.
		return &davError{code: http.StatusForbidden, msg: "PROPFIND with Depth: infinity is not supported; use Depth 0 or 1", cond: "<D:propfind-finite-depth/>"}
	}
	body, err := readBody(rq.r.Body)
	if err != nil {
		return bodyError(err)
	}
	pf, err := parsePropfind(body)
	if err != nil {
		return bodyError(err)
	}
	ctx := rq.ctx()
	if rq.lib == "" {
		return h.propfindRoot(rq, pf, depth)
	}
	it, err := h.store.Stat(ctx, rq.p, rq.lib, rq.rel)
	if err != nil {
		return err
	}
	var quota *docstore.QuotaInfo
	if needsQuota(pf) {
		if q, err := h.store.Quota(ctx, rq.p, rq.lib); err == nil {
			quota = &q
		}
	}
	self := &resource{path: rq.path, dir: it.IsDir, item: &it, name: it.Name, quota: quota}
	if rq.rel == "/" {
		self.name = rq.lib
	}
	dead := needsDead(pf)
	if dead {
		if self.props, err = h.store.Props(ctx, rq.p, rq.lib, rq.rel); err != nil {
			return err
		}
	}
	ms := newMultistatus(rq.w, rq.r)
	ms.response(h.href(rq.path, it.IsDir), h.propstats(self, pf))
	if depth == 1 && it.IsDir {
		// One query, streamed: each child is written as it is read.
		err = h.store.List(ctx, rq.p, rq.lib, rq.rel, docstore.ListOptions{WithProps: dead}, func(c docstore.Item) error {
			cp := rq.path + "/" + c.Name
			if rq.path == "/" {
				cp = "/" + c.Name
			}
			r := &resource{path: cp, dir: c.IsDir, item: &c, name: c.Name, props: c.Props, quota: quota}
			ms.response(h.href(cp, c.IsDir), h.propstats(r, pf))
			return nil
		})
		if err != nil {
			// The status is already sent; end the document and log.
			h.log.Error("dav: listing failed mid-stream", "req_id", reqctx.ID(rq.ctx()), "user", rq.p.User, "path", rq.path, "err", err)
		}
	}
	return ms.close()
}

// propfindRoot answers PROPFIND on /dav/ (the libraries) or on the host
// root "/" (the Windows redirector's probe).
func (h *Handler) propfindRoot(rq *request, pf propfindBody, depth int) error {
	ms := newMultistatus(rq.w, rq.r)
	if rq.outside {
		ms.response("/", h.propstats(&resource{path: "/", dir: true, name: "Kaz"}, pf))
		if depth == 1 {
			ms.response(h.prefix, h.propstats(&resource{path: "/", dir: true, name: "dav"}, pf))
		}
		return ms.close()
	}
	libs, err := h.store.Libraries(rq.ctx(), rq.p)
	if err != nil {
		return err
	}
	ms.response(h.href("/", true), h.propstats(&resource{path: "/", dir: true, name: "Kaz"}, pf))
	if depth == 1 {
		for _, l := range libs {
			q := docstore.QuotaInfo{Used: l.Used, Limit: l.Quota, Available: -1}
			if l.Quota > 0 {
				q.Available = max(0, l.Quota-l.Used)
			}
			r := &resource{path: "/" + l.Name, dir: true, name: l.Name, mod: l.Created, quota: &q}
			ms.response(h.href(r.path, true), h.propstats(r, pf))
		}
	}
	return ms.close()
}

// bodyError maps a body parse error to 400 with its plain message.
func bodyError(err error) error {
	if msg, ok := asXMLError(err); ok {
		return newErr(http.StatusBadRequest, msg)
	}
	return &davError{code: http.StatusBadRequest, msg: "the request body could not be read", err: err}
}

// ---- PROPPATCH ----

func (h *Handler) proppatch(rq *request) error {
	if err := rq.needLibrary("PROPPATCH"); err != nil {
		return err
	}
	tokens, err := h.checkIf(rq)
	if err != nil {
		return err
	}
	body, err := readBody(rq.r.Body)
	if err != nil {
		return bodyError(err)
	}
	patches, err := parseProppatch(body)
	if err != nil {
		return bodyError(err)
	}
	ctx := rq.ctx()
	it, err := h.store.Stat(ctx, rq.p, rq.lib, rq.rel)
	if err != nil {
		return err
	}
	// Later instructions on the same property win (RFC 4918 §9.2: in
	// document order).
	var names []xml.Name
	final := map[xml.Name]propPatch{}
	var refused []xml.Name
	for _, pp := range patches {
		if protected[pp.name] {
			refused = append(refused, pp.name)
		}
		if _, seen := final[pp.name]; !seen {
			names = append(names, pp.name)
		}
		final[pp.name] = pp
	}
	ms := newMultistatus(rq.w, rq.r)
	href := h.href(rq.path, it.IsDir)
	if len(refused) > 0 {
		// All or nothing: protected properties fail with 403, the others
		// with 424 (RFC 4918 §9.2.1).
		forbidden := propstat{status: http.StatusForbidden, description: "this property is protected"}
		dep := propstat{status: http.StatusFailedDependency}
		for _, n := range names {
			if protected[n] {
				forbidden.props = append(forbidden.props, propValue{name: n})
			} else {
				dep.props = append(dep.props, propValue{name: n})
			}
		}
		ms.response(href, []propstat{forbidden, dep})
		return ms.close()
	}
	var set []docstore.Property
	var remove []docstore.PropName
	for _, n := range names {
		pp := final[n]
		if pp.remove {
			remove = append(remove, docstore.PropName{Space: n.Space, Local: n.Local})
		} else {
			set = append(set, docstore.Property{Space: n.Space, Local: n.Local, XML: pp.value})
		}
	}
	if err := h.store.PatchProps(ctx, rq.p, rq.lib, rq.rel, set, remove, docstore.WriteOptions{LockTokens: tokens}); err != nil {
		e := fromStore(err)
		if e.code >= 500 || e.code == http.StatusNotFound || e.code == http.StatusLocked || e.code == http.StatusForbidden {
			return e
		}
		ps := propstat{status: e.code, description: e.msg}
		for _, n := range names {
			ps.props = append(ps.props, propValue{name: n})
		}
		ms.response(href, []propstat{ps})
		return ms.close()
	}
	ps := propstat{status: http.StatusOK}
	for _, n := range names {
		ps.props = append(ps.props, propValue{name: n})
	}
	ms.response(href, []propstat{ps})
	return ms.close()
}

// ---- LOCK, UNLOCK ----

func (h *Handler) lock(rq *request) error {
	if err := rq.needLibrary("LOCK"); err != nil {
		return err
	}
	r := rq.r
	timeout, err := parseTimeout(r.Header.Get("Timeout"), h.defTO, h.maxTO)
	if err != nil {
		return newErr(http.StatusBadRequest, "malformed Timeout header")
	}
	body, err := readBody(r.Body)
	if err != nil {
		return bodyError(err)
	}
	li, isNew, err := parseLockinfo(body)
	if err != nil {
		return bodyError(err)
	}
	tokens, err := h.checkIf(rq)
	if err != nil {
		return err
	}
	ctx := rq.ctx()
	var lk docstore.Lock
	code := http.StatusOK
	if !isNew {
		// RFC 4918 §9.10.2: a refresh names its lock in the If header.
		if len(tokens) == 0 {
			return newErr(http.StatusBadRequest, "a lock refresh needs the lock token in an If header")
		}
		var lastErr error
		for _, t := range tokens {
			lk, lastErr = h.store.Refresh(ctx, rq.p, rq.lib, rq.rel, t, timeout)
			if lastErr == nil {
				break
			}
		}
		if lastErr != nil {
			if errors.Is(lastErr, docstore.ErrLockMismatch) {
				return &davError{code: http.StatusPreconditionFailed, msg: "no lock of yours with this token applies here", cond: "<D:lock-token-matches-request-uri/>", err: lastErr}
			}
			return lastErr
		}
	} else {
		depth, ok := parseDepth(r.Header.Get("Depth"), -1)
		if !ok || depth == 1 {
			return newErr(http.StatusBadRequest, "LOCK takes Depth 0 or infinity")
		}
		d := docstore.DepthInfinity
		if depth == 0 {
			d = docstore.DepthZero
		}
		var created bool
		lk, created, err = h.store.Lock(ctx, rq.p, rq.lib, rq.rel, docstore.LockRequest{
			Exclusive: !li.shared, Depth: d, OwnerXML: li.owner, Timeout: timeout, LockTokens: tokens,
		})
		if err != nil {
			if errors.Is(err, docstore.ErrLocked) {
				return &davError{code: http.StatusLocked, msg: "the resource is already locked", cond: "<D:no-conflicting-lock><D:href>" + escapeXML(h.href(rq.path, false)) + "</D:href></D:no-conflicting-lock>", err: err}
			}
			return err
		}
		if created {
			code = http.StatusCreated
		}
		rq.w.Header().Set("Lock-Token", "<"+lk.Token+">")
	}
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:prop xmlns:D="DAV:"><D:lockdiscovery>`)
	h.writeActiveLock(&sb, lk)
	sb.WriteString("</D:lockdiscovery></D:prop>\n")
	rq.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	rq.w.Header().Set("Content-Length", strconv.Itoa(sb.Len()))
	rq.w.WriteHeader(code)
	// A write error means the client left; nothing more to tell it.
	io.WriteString(rq.w, sb.String())
	return nil
}

func (h *Handler) unlock(rq *request) error {
	if err := rq.needLibrary("UNLOCK"); err != nil {
		return err
	}
	t := strings.TrimSpace(rq.r.Header.Get("Lock-Token"))
	if len(t) < 3 || t[0] != '<' || t[len(t)-1] != '>' {
		return newErr(http.StatusBadRequest, "UNLOCK needs a Lock-Token header")
	}
	err := h.store.Unlock(rq.ctx(), rq.p, rq.lib, rq.rel, t[1:len(t)-1])
	if err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// ---- GET on collections: a plain listing for browsers ----

const listingHead = `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>%s</title></head><body><h1>%s</h1><ul>`

func (h *Handler) listLibrariesHTML(rq *request) error {
	libs, err := h.store.Libraries(rq.ctx(), rq.p)
	if err != nil {
		return err
	}
	h.htmlHeaders(rq)
	if rq.r.Method == http.MethodHead {
		return nil
	}
	fmt.Fprintf(rq.w, listingHead, "Kaz", "Kaz")
	for _, l := range libs {
		fmt.Fprintf(rq.w, `<li><a href="%s">%s/</a></li>`, html.EscapeString(h.href("/"+l.Name, true)), html.EscapeString(l.Name))
	}
	fmt.Fprint(rq.w, "</ul></body></html>\n")
	return nil
}

func (h *Handler) listFolderHTML(rq *request, it docstore.Item) error {
	h.htmlHeaders(rq)
	if rq.r.Method == http.MethodHead {
		return nil
	}
	title := html.EscapeString(rq.lib + rq.rel)
	fmt.Fprintf(rq.w, listingHead, title, title)
	err := h.store.List(rq.ctx(), rq.p, rq.lib, rq.rel, docstore.ListOptions{}, func(c docstore.Item) error {
		cp := strings.TrimSuffix(rq.path, "/") + "/" + c.Name
		name := c.Name
		if c.IsDir {
			name += "/"
		}
		_, err := fmt.Fprintf(rq.w, `<li><a href="%s">%s</a></li>`, html.EscapeString(h.href(cp, c.IsDir)), html.EscapeString(name))
		return err
	})
	if err != nil {
		h.log.Warn("dav: folder listing failed mid-stream", "req_id", reqctx.ID(rq.ctx()), "user", rq.p.User, "path", rq.path, "err", err)
	}
	fmt.Fprint(rq.w, "</ul></body></html>\n")
	return nil
}

func (h *Handler) htmlHeaders(rq *request) {
	hd := rq.w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	rq.w.WriteHeader(http.StatusOK)
}
