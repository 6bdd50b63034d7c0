package server

import (
	"crypto/tls"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// The built-in provider is reached at Kaz's own https URL: Kaz's
// certificate is trusted even when no system root signs it, and is read at
// connection time (serve generates it after the server is wired).
func TestAuthClientTrustsKazOwnCertificate(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer ts.Close()
	certFile := filepath.Join(t.TempDir(), "kaz.crt")
	client := func() *http.Client {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyWithSelfSigned(cs, certFile)
		}}
		return &http.Client{Transport: tr}
	}
	if resp, err := client().Get(ts.URL); err == nil {
		resp.Body.Close()
		t.Fatal("an unknown self-signed certificate was accepted")
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(certFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := client().Get(ts.URL)
	if err != nil {
		t.Fatalf("Kaz's own certificate refused: %v", err)
	}
	resp.Body.Close()
}
