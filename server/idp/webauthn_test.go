package idp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// softKey is a minimal software security key (ES256, "none" attestation)
// speaking the WebAuthn JSON the login page's script sends.
type softKey struct {
	t      *testing.T
	origin string
	key    *ecdsa.PrivateKey
	id     []byte
	user   []byte
	count  uint32
}

func newSoftKey(t *testing.T, origin string) *softKey {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	id := make([]byte, 32)
	rand.Read(id)
	return &softKey{t: t, origin: origin, key: k, id: id}
}

var b64u = base64.RawURLEncoding

func (k *softKey) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": k.origin, "crossOrigin": false})
	return b
}

func (k *softKey) authData(rpID string, flags byte, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	k.count++
	var buf bytes.Buffer
	buf.Write(h[:])
	buf.WriteByte(flags)
	binary.Write(&buf, binary.BigEndian, k.count)
	buf.Write(attested)
	return buf.Bytes()
}

// create answers navigator.credentials.create options.
func (k *softKey) create(opts map[string]any) map[string]any {
	pk := opts["publicKey"].(map[string]any)
	rpID := pk["rp"].(map[string]any)["id"].(string)
	k.user, _ = b64u.DecodeString(pk["user"].(map[string]any)["id"].(string))
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: k.key.PublicKey.X.FillBytes(make([]byte, 32)), -3: k.key.PublicKey.Y.FillBytes(make([]byte, 32))})
	if err != nil {
		k.t.Fatal(err)
	}
	var att bytes.Buffer
	att.Write(make([]byte, 16)) // AAGUID
	binary.Write(&att, binary.BigEndian, uint16(len(k.id)))
	att.Write(k.id)
	att.Write(cose)
	ad := k.authData(rpID, 0x45, att.Bytes()) // UP | UV | AT
	obj, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		k.t.Fatal(err)
	}
	return map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(k.clientData("webauthn.create", pk["challenge"].(string))),
			"attestationObject": b64u.EncodeToString(obj), "transports": []string{"usb"}},
		"clientExtensionResults": map[string]any{}}
}

// get answers navigator.credentials.get options.
func (k *softKey) get(opts map[string]any, rpID string) map[string]any {
	pk := opts["publicKey"].(map[string]any)
	cd := k.clientData("webauthn.get", pk["challenge"].(string))
	ad := k.authData(rpID, 0x05, nil) // UP | UV
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	return map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(ad),
			"signature": b64u.EncodeToString(sig), "userHandle": b64u.EncodeToString(k.user)},
		"clientExtensionResults": map[string]any{}}
}

// postJSON posts v with the page's CSRF token, as webauthn.js does.
func (e *testEnv) postJSON(c *http.Client, u, csrf string, v any) (int, map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequestWithContext(e.t.Context(), "POST", e.url+u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Kaz-CSRF", csrf)
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(body, &out)
	return resp.StatusCode, out
}

func TestSecurityKeyEnrolmentAndSignIn(t *testing.T) {
	e := newTestEnvHost(t, "localhost", nil)
	e.addUser("mona", alicePW)
	sk := newSoftKey(t, e.url)

	// First sign-in: enrol the key.
	c, r := newBrowser(t), e.newRP()
	pg := e.password(c, r.start(c), "mona", alicePW)
	enrol := e.do(c, "GET", pg.loc, nil)
	if !strings.Contains(enrol.body, `data-testid="webauthn-button"`) {
		t.Fatalf("no security key option on the enrolment page")
	}
	id, csrf := field(t, reID, enrol.body), field(t, reCSRF, enrol.body)
	q := "?authRequestID=" + url.QueryEscape(id)
	code, opts := e.postJSON(c, "/idp/login/enrol/webauthn/begin"+q, csrf, map[string]any{})
	if code != 200 {
		t.Fatalf("begin registration: %d %v", code, opts)
	}
	if code, _ := e.postJSON(c, "/idp/login/enrol/webauthn/begin"+q, "bad", map[string]any{}); code != http.StatusForbidden {
		t.Errorf("begin without CSRF: %d", code)
	}
	code, done := e.postJSON(c, "/idp/login/enrol/webauthn/finish"+q+"&name="+url.QueryEscape("Clé bleue"), csrf, sk.create(opts))
	if code != 200 || !strings.Contains(done["redirect"].(string), "/idp/login/codes") {
		t.Fatalf("finish registration: %d %v", code, done)
	}
	codes := e.do(c, "GET", done["redirect"].(string), nil)
	if n := len(reCode.FindAllString(codes.body, -1)); n != 10 {
		t.Errorf("%d recovery codes", n)
	}
	_, idt := r.finish(c, e.do(c, "GET", done["redirect"].(string), nil).loc)
	if cl := claimsOf(t, idt); !hasAll(cl.AMR, "pwd", "hwk", "mfa") || cl.ACR != ACRPhishingResistant {
		t.Errorf("amr %v acr %q", cl.AMR, cl.ACR)
	}
	f, _ := e.p.Factors(t.Context(), "mona")
	if len(f.Keys) != 1 || f.Keys[0].Name != "Clé bleue" {
		t.Fatalf("keys %+v", f.Keys)
	}

	// Second sign-in: the key, then a forged signature is refused.
	c, r = newBrowser(t), e.newRP()
	pg = e.password(c, r.start(c), "mona", alicePW)
	factor := e.do(c, "GET", pg.loc, nil)
	if !strings.Contains(factor.body, `id="webauthn-button"`) || strings.Contains(factor.body, `id="totp-code"`) {
		t.Fatalf("factor page does not offer just the key")
	}
	id, csrf = field(t, reID, factor.body), field(t, reCSRF, factor.body)
	q = "?authRequestID=" + url.QueryEscape(id)
	_, opts = e.postJSON(c, "/idp/login/webauthn/begin"+q, csrf, map[string]any{})
	forged := sk.get(opts, "localhost")
	forged["response"].(map[string]any)["signature"] = b64u.EncodeToString([]byte("not a signature"))
	if code, out := e.postJSON(c, "/idp/login/webauthn/finish"+q, csrf, forged); code != http.StatusUnauthorized || !strings.Contains(out["error"].(string), "clé de sécurité") {
		t.Errorf("forged assertion: %d %v", code, out)
	}
	_, opts = e.postJSON(c, "/idp/login/webauthn/begin"+q, csrf, map[string]any{})
	code, done = e.postJSON(c, "/idp/login/webauthn/finish"+q, csrf, sk.get(opts, "localhost"))
	if code != 200 {
		t.Fatalf("key sign-in: %d %v", code, done)
	}
	_, idt = r.finish(c, done["redirect"].(string))
	if cl := claimsOf(t, idt); !hasAll(cl.AMR, "pwd", "hwk", "mfa") {
		t.Errorf("amr %v", cl.AMR)
	}
	if f, _ := e.p.Factors(t.Context(), "mona"); f.Keys[0].LastUsed == "" {
		t.Error("last use not recorded")
	}
}
