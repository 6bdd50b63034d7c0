package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	docstore "github.com/kazhq/kaz/docs-store"
	"github.com/kazhq/kaz/internal/httperr"
	"github.com/kazhq/kaz/server/auth"
)

// REST API of the document libraries, for the web application. Every
// permission is checked inside docstore; handlers only translate.

func (s *Server) routesDocsAPI() {
	h := func(fn httperr.Func) http.Handler { return httperr.Handler(s.log, fn) }
	s.api.Handle("GET /api/libraries", h(s.apiLibraries))
	s.api.Handle("GET /api/libraries/{lib}", h(s.apiLibrary))
	s.api.Handle("GET /api/libraries/{lib}/items", h(s.apiListItems))
	s.api.Handle("DELETE /api/libraries/{lib}/items", h(s.apiDeleteItem))
	s.api.Handle("GET /api/libraries/{lib}/files", h(s.apiDownload))
	s.api.Handle("PUT /api/libraries/{lib}/files", h(s.apiUpload))
	s.api.Handle("POST /api/libraries/{lib}/folders", h(s.apiMkdir))
	s.api.Handle("POST /api/libraries/{lib}/move", h(s.apiMove))
	s.api.Handle("POST /api/libraries/{lib}/copy", h(s.apiCopy))
	s.api.Handle("GET /api/libraries/{lib}/versions", h(s.apiVersions))
	s.api.Handle("POST /api/libraries/{lib}/versions/restore", h(s.apiRestoreVersion))
	s.api.Handle("GET /api/libraries/{lib}/trash", h(s.apiTrash))
	s.api.Handle("POST /api/libraries/{lib}/trash/{id}/restore", h(s.apiRestoreTrash))
	s.api.Handle("DELETE /api/libraries/{lib}/trash", h(s.apiEmptyTrash))
	s.api.Handle("GET /api/libraries/{lib}/locks", h(s.apiLocks))
	s.api.Handle("POST /api/libraries/{lib}/locks/force-unlock", h(s.apiForceUnlock))
	s.api.Handle("GET /api/libraries/{lib}/audit", h(s.apiAudit))
	s.api.Handle("GET /api/libraries/{lib}/audit.csv", h(s.apiAuditCSV))
	s.api.Handle("GET /api/libraries/{lib}/open-links", h(s.apiOpenLinks))
	s.api.Handle("POST /api/libraries/{lib}/grants", h(s.apiGrant))
	s.api.Handle("DELETE /api/libraries/{lib}/grants", h(s.apiRevoke))
	// Administration (docstore checks the Admin flag too).
	s.api.Handle("GET /api/admin/libraries", h(s.apiAdminLibraries))
	s.api.Handle("POST /api/admin/libraries", h(s.apiAdminCreateLibrary))
	s.api.Handle("PATCH /api/admin/libraries/{lib}", h(s.apiAdminUpdateLibrary))
	s.api.Handle("DELETE /api/admin/libraries/{lib}", h(s.apiAdminDeleteLibrary))
	s.api.Handle("POST /api/admin/libraries/{lib}/grants", h(s.apiGrant))
	s.api.Handle("DELETE /api/admin/libraries/{lib}/grants", h(s.apiRevoke))
}

// docsCall returns the store and the principal of r.
func (s *Server) docsCall(r *http.Request) (*docstore.Store, *auth.Principal, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return nil, nil, httperr.New(http.StatusUnauthorized, "authentication required", nil)
	}
	st := s.docsp.Store()
	if st == nil {
		return nil, nil, httperr.New(http.StatusServiceUnavailable, "document libraries are not available", nil)
	}
	return st, p, nil
}

// docsErr turns a docstore error into a plain-language HTTP error.
func docsErr(err error) error {
	if err == nil {
		return nil
	}
	var he *httperr.Error
	if errors.As(err, &he) {
		return err
	}
	for _, m := range []struct {
		target error
		code   int
		msg    string
	}{
		{docstore.ErrNotFound, http.StatusNotFound, "not found (or you do not have access)"},
		{docstore.ErrPermission, http.StatusForbidden, "your role in this library does not allow this"},
		{docstore.ErrExists, http.StatusConflict, "an item with this name already exists"},
		{docstore.ErrLocked, http.StatusLocked, "the item is locked by someone else"},
		{docstore.ErrPrecondition, http.StatusPreconditionFailed, "the item changed meanwhile, or the destination exists"},
		{docstore.ErrQuota, http.StatusInsufficientStorage, "the library's quota is exceeded"},
		{docstore.ErrNoSpace, http.StatusInsufficientStorage, "the server's disk is full: nothing was saved; tell your administrator"},
		{docstore.ErrIncomplete, http.StatusBadRequest, "the upload did not arrive whole; nothing was changed"},
		{docstore.ErrTooLarge, http.StatusBadRequest, "the upload is longer than announced; nothing was changed"},
		{docstore.ErrInvalidName, http.StatusBadRequest, "invalid name (forbidden characters, reserved or too long)"},
		{docstore.ErrCaseClash, http.StatusConflict, "another item in this folder has the same name with different upper and lower case"},
		{docstore.ErrConflict, http.StatusConflict, "the parent folder does not exist, or the operation conflicts"},
		{docstore.ErrIsDir, http.StatusConflict, "this is a folder"},
		{docstore.ErrNotDir, http.StatusConflict, "this is not a folder"},
		{docstore.ErrInvalidMove, http.StatusConflict, "a folder cannot be moved into itself"},
		{docstore.ErrLockMismatch, http.StatusConflict, "this lock does not apply here"},
	} {
		if errors.Is(err, m.target) {
			return httperr.New(m.code, m.msg, err)
		}
	}
	return err
}

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid JSON body", err)
	}
	return nil
}

func queryPath(r *http.Request) string {
	p := r.URL.Query().Get("path")
	if p == "" {
		return "/"
	}
	return p
}

// davURL is the WebDAV URL of a library path.
func (s *Server) davURL(lib, p string) string {
	u := s.cfg.Server.PublicURL + "/dav/" + url.PathEscape(lib)
	for seg := range strings.SplitSeq(p, "/") {
		if seg != "" {
			u += "/" + url.PathEscape(seg)
		}
	}
	if p == "/" || p == "" {
		u += "/"
	}
	return u
}

type libraryJSON struct {
	docstore.Library
	DavURL string `json:"dav_url"`
	// Available is the quota left in bytes, -1 when unlimited.
	Available int64 `json:"available"`
}

func (s *Server) libJSON(l docstore.Library) libraryJSON {
	avail := int64(-1)
	if l.Quota > 0 {
		avail = max(l.Quota-l.Used, 0)
	}
	return libraryJSON{Library: l, DavURL: s.davURL(l.Name, "/"), Available: avail}
}

// writeLibraries answers {"libraries": […]} with each library's JSON form.
func (s *Server) writeLibraries(w http.ResponseWriter, libs []docstore.Library) {
	out := make([]libraryJSON, 0, len(libs))
	for _, l := range libs {
		out = append(out, s.libJSON(l))
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"libraries": out})
}

func (s *Server) apiLibraries(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	libs, err := st.Libraries(r.Context(), p)
	if err != nil {
		return docsErr(err)
	}
	s.writeLibraries(w, libs)
	return nil
}

func (s *Server) apiLibrary(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	l, err := st.Library(r.Context(), p, r.PathValue("lib"))
	if err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, s.libJSON(l))
	return nil
}

// itemJSON is an item for the web application.
type itemJSON struct {
	docstore.Item
	// LockedBy is the user holding a lock on the item ("" when none).
	LockedBy string `json:"locked_by,omitempty"`
	// LockToken is shown to owners only (for force-unlock).
	LockToken string `json:"lock_token,omitempty"`
	// LockExpires is when the lock ends unless refreshed.
	LockExpires *time.Time `json:"lock_expires,omitempty"`
}

func toItemJSON(it docstore.Item, owner bool) itemJSON {
	j := itemJSON{Item: it}
	if len(it.Locks) > 0 {
		lk := it.Locks[0]
		j.LockedBy = lk.User
		exp := lk.Expires
		j.LockExpires = &exp
		if owner {
			j.LockToken = lk.Token
		}
	}
	j.Item.Locks = nil
	j.Item.Props = nil
	return j
}

// maxListing bounds one listing response of the web API (WebDAV streams
// any size).
const maxListing = 20000

func (s *Server) apiListItems(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	ctx, lib, fp := r.Context(), r.PathValue("lib"), queryPath(r)
	role, err := st.RoleOf(ctx, p, lib)
	if err != nil {
		return docsErr(err)
	}
	owner := role == docstore.RoleOwner
	self, err := st.Stat(ctx, p, lib, fp)
	if err != nil {
		return docsErr(err)
	}
	resp := map[string]any{"item": toItemJSON(self, owner), "role": role}
	if self.IsDir {
		items := []itemJSON{}
		truncated := false
		err := st.List(ctx, p, lib, fp, docstore.ListOptions{IncludeHidden: r.URL.Query().Get("hidden") == "1"}, func(it docstore.Item) error {
			if len(items) >= maxListing {
				truncated = true
				return errStopListing
			}
			items = append(items, toItemJSON(it, owner))
			return nil
		})
		if err != nil && !errors.Is(err, errStopListing) {
			return docsErr(err)
		}
		resp["items"] = items
		resp["truncated"] = truncated
	}
	httperr.WriteJSON(w, http.StatusOK, resp)
	return nil
}

var errStopListing = errors.New("listing truncated")

func (s *Server) apiDeleteItem(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	if err := st.Delete(r.Context(), p, r.PathValue("lib"), queryPath(r), docstore.WriteOptions{IfMatch: r.Header.Get("If-Match")}); err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
	return nil
}

// inlineSafe are the types shown in the browser with ?inline=1; anything
// else is always downloaded (no stored script runs in Kaz's origin).
var inlineSafe = map[string]bool{
	"application/pdf": true, "image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "text/plain": true,
}

func (s *Server) apiDownload(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	ctx, lib, fp := r.Context(), r.PathValue("lib"), queryPath(r)
	var (
		f     io.ReadSeekCloser
		name  string
		ctype string
		etag  string
		mod   time.Time
	)
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return httperr.New(http.StatusBadRequest, "invalid version number", nil)
		}
		var ver docstore.Version
		f, ver, err = st.OpenVersion(ctx, p, lib, fp, n)
		if err != nil {
			return docsErr(err)
		}
		name, ctype, etag, mod = path.Base(fp), ver.ContentType, ver.Hash, ver.Modified
		if ext := path.Ext(name); !ver.Current {
			name = strings.TrimSuffix(name, ext) + fmt.Sprintf(" (v%d)", n) + ext
		}
	} else {
		var it docstore.Item
		f, it, err = st.OpenFile(ctx, p, lib, fp)
		if err != nil {
			return docsErr(err)
		}
		name, ctype, etag, mod = it.Name, it.ContentType, it.ETag, it.Modified
	}
	defer f.Close()
	disp := "attachment"
	base, _, _ := mime.ParseMediaType(ctype)
	if r.URL.Query().Get("inline") == "1" && inlineSafe[base] {
		disp = "inline"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-cache")
	if etag != "" {
		h.Set("ETag", `"`+etag+`"`)
	}
	http.ServeContent(w, r, "", mod, f)
	return nil
}

func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	opts := docstore.PutOptions{
		Size:        r.ContentLength,
		IfMatch:     r.Header.Get("If-Match"),
		IfNoneMatch: r.Header.Get("If-None-Match"),
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/octet-stream" {
		opts.ContentType = ct
	}
	if lm := r.URL.Query().Get("modified"); lm != "" {
		if ms, err := strconv.ParseInt(lm, 10, 64); err == nil && ms > 0 {
			opts.Modified = time.UnixMilli(ms)
		}
	}
	it, created, err := st.Put(r.Context(), p, r.PathValue("lib"), queryPath(r), r.Body, opts)
	if err != nil {
		return docsErr(err)
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	httperr.WriteJSON(w, code, toItemJSON(it, false))
	return nil
}

func (s *Server) apiMkdir(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	var body struct {
		Path string `json:"path"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	it, err := st.Mkdir(r.Context(), p, r.PathValue("lib"), body.Path, docstore.WriteOptions{})
	if err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusCreated, toItemJSON(it, false))
	return nil
}

type transferBody struct {
	From      string `json:"from"`
	To        string `json:"to"`
	ToLibrary string `json:"to_library,omitempty"`
	Overwrite bool   `json:"overwrite,omitempty"`
}

func (s *Server) apiMove(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	var b transferBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	lib := r.PathValue("lib")
	if b.ToLibrary == "" {
		b.ToLibrary = lib
	}
	created, err := st.Move(r.Context(), p, lib, b.From, b.ToLibrary, b.To, docstore.MoveOptions{Overwrite: b.Overwrite})
	if err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "created": created})
	return nil
}

func (s *Server) apiCopy(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	var b transferBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	lib := r.PathValue("lib")
	if b.ToLibrary == "" {
		b.ToLibrary = lib
	}
	created, err := st.Copy(r.Context(), p, lib, b.From, b.ToLibrary, b.To, docstore.CopyOptions{Overwrite: b.Overwrite, Depth: docstore.DepthInfinity})
	if err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "created": created})
	return nil
}

func (s *Server) apiVersions(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	vs, err := st.Versions(r.Context(), p, r.PathValue("lib"), queryPath(r))
	if err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"versions": vs})
	return nil
}

func (s *Server) apiRestoreVersion(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	var b struct {
		Path    string `json:"path"`
		Version int64  `json:"version"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	it, err := st.RestoreVersion(r.Context(), p, r.PathValue("lib"), b.Path, b.Version, docstore.WriteOptions{})
	if err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, toItemJSON(it, false))
	return nil
}

func (s *Server) apiTrash(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	tr, err := st.Trash(r.Context(), p, r.PathValue("lib"))
	if err != nil {
		return docsErr(err)
	}
	if tr == nil {
		tr = []docstore.TrashEntry{}
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"entries": tr, "purge_days": st.Config().TrashDays})
	return nil
}

func (s *Server) apiRestoreTrash(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return httperr.New(http.StatusBadRequest, "invalid recycle bin entry", nil)
	}
	it, err := st.RestoreTrash(r.Context(), p, r.PathValue("lib"), id)
	if err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, toItemJSON(it, false))
	return nil
}

func (s *Server) apiEmptyTrash(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	n, err := st.EmptyTrash(r.Context(), p, r.PathValue("lib"))
	if err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"removed": n})
	return nil
}

func (s *Server) apiLocks(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	ctx, lib := r.Context(), r.PathValue("lib")
	ls, err := st.Locks(ctx, p, lib)
	if err != nil {
		return docsErr(err)
	}
	role, _ := st.RoleOf(ctx, p, lib)
	type lockJSON struct {
		Path      string    `json:"path"`
		User      string    `json:"user"`
		Exclusive bool      `json:"exclusive"`
		Deep      bool      `json:"deep"`
		Expires   time.Time `json:"expires"`
		Token     string    `json:"token,omitempty"`
	}
	out := []lockJSON{}
	for _, l := range ls {
		j := lockJSON{Path: l.Path, User: l.User, Exclusive: l.Exclusive, Deep: l.Depth == docstore.DepthInfinity, Expires: l.Expires}
		if role == docstore.RoleOwner || l.User == p.User {
			j.Token = l.Token
		}
		out = append(out, j)
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"locks": out})
	return nil
}

func (s *Server) apiForceUnlock(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	var b struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := st.ForceUnlock(r.Context(), p, r.PathValue("lib"), b.Token); err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
	return nil
}

func auditQuery(r *http.Request) (docstore.AuditQuery, error) {
	q := r.URL.Query()
	aq := docstore.AuditQuery{User: q.Get("user"), Path: q.Get("path")}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return aq, httperr.New(http.StatusBadRequest, "invalid 'before'", nil)
		}
		aq.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return aq, httperr.New(http.StatusBadRequest, "invalid 'limit'", nil)
		}
		aq.Limit = n
	}
	for _, f := range []struct {
		key string
		dst *time.Time
	}{{"since", &aq.Since}, {"until", &aq.Until}} {
		if v := q.Get(f.key); v != "" {
			t, err := time.Parse(time.DateOnly, v)
			if err != nil {
				if t, err = time.Parse(time.RFC3339, v); err != nil {
					return aq, httperr.New(http.StatusBadRequest, "invalid date (use 2026-03-01)", nil)
				}
			}
			*f.dst = t
		}
	}
	return aq, nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	aq, err := auditQuery(r)
	if err != nil {
		return err
	}
	es, err := st.Audit(r.Context(), p, r.PathValue("lib"), aq)
	if err != nil {
		return docsErr(err)
	}
	if es == nil {
		es = []docstore.AuditEntry{}
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"entries": es})
	return nil
}

func (s *Server) apiAuditCSV(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	aq, err := auditQuery(r)
	if err != nil {
		return err
	}
	lib := r.PathValue("lib")
	// Check the owner role before the first byte goes out.
	if _, err := st.Audit(r.Context(), p, lib, docstore.AuditQuery{Limit: 1}); err != nil {
		return docsErr(err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "audit-" + lib + ".csv"}))
	w.Header().Set("Cache-Control", "no-store")
	if err := st.WriteAuditCSV(r.Context(), p, lib, aq, w); err != nil {
		s.log.Warn("audit export interrupted", "library", lib, "user", p.User, "err", err)
	}
	return nil
}

// officeApps maps extensions to the Office URI scheme application.
var officeApps = map[string]string{
	".doc": "ms-word", ".docx": "ms-word", ".docm": "ms-word", ".dot": "ms-word", ".dotx": "ms-word", ".odt": "ms-word", ".rtf": "ms-word",
	".xls": "ms-excel", ".xlsx": "ms-excel", ".xlsm": "ms-excel", ".xlt": "ms-excel", ".xltx": "ms-excel", ".ods": "ms-excel", ".csv": "ms-excel",
	".ppt": "ms-powerpoint", ".pptx": "ms-powerpoint", ".pptm": "ms-powerpoint", ".pot": "ms-powerpoint", ".potx": "ms-powerpoint", ".odp": "ms-powerpoint",
}

var libreOfficeExts = map[string]bool{".odg": true, ".odf": true, ".fodt": true, ".fods": true, ".fodp": true, ".txt": false}

// OpenLinks returns the "open in desktop app" links of a document: the
// Office URI schemes (ms-word:ofe|u|URL…) and LibreOffice's
// vnd.libreoffice.command:ofe|u|URL.
func OpenLinks(davURL, name string) map[string]string {
	ext := strings.ToLower(path.Ext(name))
	links := map[string]string{}
	if app, ok := officeApps[ext]; ok {
		links[strings.TrimPrefix(app, "ms-")] = app + ":ofe|u|" + davURL
	}
	if _, ok := officeApps[ext]; ok || libreOfficeExts[ext] {
		links["libreoffice"] = "vnd.libreoffice.command:ofe|u|" + davURL
	}
	return links
}

func (s *Server) apiOpenLinks(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	lib := r.PathValue("lib")
	it, err := st.Stat(r.Context(), p, lib, queryPath(r))
	if err != nil {
		return docsErr(err)
	}
	u := s.davURL(lib, it.Path)
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"dav_url": u, "links": OpenLinks(u, it.Name)})
	return nil
}

type grantBody struct {
	Role    docstore.Role `json:"role"`
	Subject string        `json:"subject"`
}

func (s *Server) apiGrant(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	var b grantBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := st.Grant(r.Context(), p, r.PathValue("lib"), b.Role, b.Subject); err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
	return nil
}

func (s *Server) apiRevoke(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	if err := st.Revoke(r.Context(), p, r.PathValue("lib"), r.URL.Query().Get("subject")); err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
	return nil
}

func (s *Server) apiAdminLibraries(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	libs, err := st.AllLibraries(r.Context(), p)
	if err != nil {
		return docsErr(err)
	}
	s.writeLibraries(w, libs)
	return nil
}

// ParseSize reads a size such as 500M, 10G, 1.5T, 2048 (bytes) or
// "unlimited"/"0" (returned as -1, unlimited).
func ParseSize(s string) (int64, error) {
	in := s
	s = strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(s)), " ", "")
	if s == "" {
		return 0, nil
	}
	if s == "0" || s == "UNLIMITED" || s == "NONE" || s == "ILLIMITÉ" || s == "ILLIMITE" {
		return -1, nil
	}
	s = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(s, "B"), "O"), "I")
	mult := float64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:n-1]
		}
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	if err != nil || f <= 0 || f*mult > 1<<62 {
		return 0, fmt.Errorf("invalid size %q (for example 500M, 10G, 1T or unlimited)", in)
	}
	return int64(f * mult), nil
}

func (s *Server) apiAdminCreateLibrary(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	var b struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Quota       string   `json:"quota"`
		MaxVersions int      `json:"max_versions"`
		Owners      []string `json:"owners"`
		Editors     []string `json:"editors"`
		Readers     []string `json:"readers"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	quota, err := ParseSize(b.Quota)
	if err != nil {
		return httperr.New(http.StatusBadRequest, "invalid quota (for example 500M, 10G or unlimited)", err)
	}
	spec := docstore.LibrarySpec{Name: b.Name, Description: b.Description, Quota: quota, MaxVersions: b.MaxVersions}
	for _, g := range []struct {
		role docstore.Role
		subs []string
	}{{docstore.RoleOwner, b.Owners}, {docstore.RoleEditor, b.Editors}, {docstore.RoleReader, b.Readers}} {
		for _, sub := range g.subs {
			if sub = strings.TrimSpace(sub); sub != "" {
				spec.Grants = append(spec.Grants, docstore.Grant{Role: g.role, Subject: sub})
			}
		}
	}
	l, err := st.CreateLibrary(r.Context(), p, spec)
	if err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusCreated, s.libJSON(l))
	return nil
}

func (s *Server) apiAdminUpdateLibrary(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	var b struct {
		Description *string `json:"description"`
		Quota       *string `json:"quota"`
		MaxVersions *int    `json:"max_versions"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	u := docstore.LibraryUpdate{Description: b.Description, MaxVersions: b.MaxVersions}
	if b.Quota != nil {
		q, err := ParseSize(*b.Quota)
		if err != nil {
			return httperr.New(http.StatusBadRequest, "invalid quota (for example 500M, 10G or unlimited)", err)
		}
		q = max(q, 0)
		u.Quota = &q
	}
	l, err := st.UpdateLibrary(r.Context(), p, r.PathValue("lib"), u)
	if err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, s.libJSON(l))
	return nil
}

func (s *Server) apiAdminDeleteLibrary(w http.ResponseWriter, r *http.Request) error {
	st, p, err := s.docsCall(r)
	if err != nil {
		return err
	}
	if err := st.DeleteLibrary(r.Context(), p, r.PathValue("lib")); err != nil {
		return docsErr(err)
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
	return nil
}
