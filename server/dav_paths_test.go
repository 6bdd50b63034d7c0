package server_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawRequest sends one request with target written as is on the request
// line — Go's client would clean "..", "." and "//" away — and returns the
// response with its body read.
func (d *davServer) rawRequest(t *testing.T, method, target, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", d.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: %d\r\n", method, target, d.Addr, len(body))
	anonymous := false
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "anonymous" {
			anonymous = true
			continue
		}
		fmt.Fprintf(&b, "%s: %s\r\n", hdr[i], hdr[i+1])
	}
	if !anonymous {
		fmt.Fprintf(&b, "Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte("alice:"+d.secret)))
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	return res, string(got)
}

// TestDAVDotSegmentsAreRefusedNotRedirected sends request paths with "..",
// "." and "//" as a WebDAV client may: http.ServeMux would answer them with
// a redirect (307 since Go 1.26, 301 before) to the cleaned path, which a client may follow with its method and
// body to another resource. They must be refused (or, for "//", served by
// the WebDAV handler as the same resource), never redirected.
func TestDAVDotSegmentsAreRefusedNotRedirected(t *testing.T) {
	d := newDAVServer(t)
	if res, _ := d.req(t, "PUT", "/dav/equipe/garde.txt", "à garder"); res.StatusCode != http.StatusCreated {
		t.Fatalf("PUT garde.txt: %d", res.StatusCode)
	}
	if res, _ := d.req(t, "MKCOL", "/dav/equipe/Dossier/", ""); res.StatusCode != http.StatusCreated {
		t.Fatalf("MKCOL Dossier: %d", res.StatusCode)
	}
	dest := d.URL + "/dav/equipe/ailleurs.txt"
	for _, tc := range []struct {
		method, target, body string
		hdr                  []string
		want                 int
	}{
		{"PROPFIND", "/dav/equipe/a/../garde.txt", "", []string{"Depth", "0"}, http.StatusBadRequest},
		{"PROPFIND", "/dav/equipe/a/%2e%2e/garde.txt", "", []string{"Depth", "0"}, http.StatusBadRequest},
		{"PROPFIND", "/dav/equipe/./garde.txt", "", []string{"Depth", "0"}, http.StatusBadRequest},
		{"PUT", "/dav/equipe/Dossier/../pris.txt", "écrit ailleurs", nil, http.StatusBadRequest},
		{"DELETE", "/dav/equipe/Dossier/../garde.txt", "", nil, http.StatusBadRequest},
		{"MOVE", "/dav/equipe/Dossier/../garde.txt", "", []string{"Destination", dest}, http.StatusBadRequest},
		{"GET", "/dav/equipe/Dossier/../garde.txt", "", nil, http.StatusBadRequest},
		{"GET", "/dav/../api/me", "", nil, http.StatusBadRequest},
		// Authentication comes first: an anonymous client is asked to sign
		// in, not sent elsewhere.
		{"PROPFIND", "/dav/equipe/a/../garde.txt", "", []string{"anonymous", "", "Depth", "0"}, http.StatusUnauthorized},
		// "//" names the same resource: the WebDAV handler serves it.
		{"GET", "/dav/equipe//garde.txt", "", nil, http.StatusOK},
		{"PROPFIND", "/dav//equipe/", "", []string{"Depth", "0"}, http.StatusMultiStatus},
		// Paths that only reach /dav/ once cleaned are refused too.
		{"PROPFIND", "//dav/equipe/", "", []string{"Depth", "0"}, http.StatusBadRequest},
		{"PUT", "/x/../dav/equipe/pris.txt", "écrit ailleurs", nil, http.StatusBadRequest},
		{"GET", "/x/../dav/equipe/garde.txt", "", nil, http.StatusBadRequest},
		// Outside /dav/, a state-changing request is refused too rather
		// than sent on (a client following a 301 may change its method).
		{"POST", "/api/x/../apppasswords", `{"label":"x"}`, []string{"Content-Type", "application/json"}, http.StatusBadRequest},
		{"PROPFIND", "/./", "", []string{"Depth", "0"}, http.StatusBadRequest},
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			res, body := d.rawRequest(t, tc.method, tc.target, tc.body, tc.hdr...)
			if res.StatusCode != tc.want {
				t.Errorf("%s %s = %d (Location %q), want %d\n%.300s", tc.method, tc.target, res.StatusCode, res.Header.Get("Location"), tc.want, body)
			}
		})
	}
	// Nothing was written, deleted or moved through a dotted path.
	if res, _ := d.req(t, "GET", "/dav/equipe/pris.txt", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET pris.txt = %d, want 404", res.StatusCode)
	}
	if res, _ := d.req(t, "GET", "/dav/equipe/ailleurs.txt", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET ailleurs.txt = %d, want 404", res.StatusCode)
	}
	if res, body := d.req(t, "GET", "/dav/equipe/garde.txt", ""); res.StatusCode != http.StatusOK || body != "à garder" {
		t.Errorf("GET garde.txt = %d %q", res.StatusCode, body)
	}
}

// TestWebAppDottedGETStillRedirects keeps the browser's behaviour outside
// /dav/: a GET of an unclean path is sent to the cleaned one.
func TestWebAppDottedGETStillRedirects(t *testing.T) {
	d := newDAVServer(t)
	res, _ := d.rawRequest(t, "GET", "/assets/../", "", "anonymous", "")
	if res.StatusCode/100 != 3 || res.Header.Get("Location") != "/" {
		t.Errorf("GET /assets/../ = %d %q, want a redirect to /", res.StatusCode, res.Header.Get("Location"))
	}
}
