package softphone

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/srtp/v3"
)

// cryptoSuite is one SDES crypto suite (RFC 4568 §6.2, RFC 7714 §12).
type cryptoSuite struct {
	name    string
	prof    srtp.ProtectionProfile
	keyLen  int // master key
	saltLen int // master salt
}

func (s cryptoSuite) inlineLen() int { return s.keyLen + s.saltLen }

// cryptoSuites are the suites Kaz speaks on the PBX leg, in the order it
// offers them: the mandatory AES_CM_128_HMAC_SHA1_80 first (what every
// SDES peer speaks), then AES-GCM and the short-tag variant. Offered one,
// Kaz takes the first of the PBX's lines it knows.
var cryptoSuites = []cryptoSuite{
	{"AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80, 16, 14},
	{"AEAD_AES_128_GCM", srtp.ProtectionProfileAeadAes128Gcm, 16, 12},
	{"AES_CM_128_HMAC_SHA1_32", srtp.ProtectionProfileAes128CmHmacSha1_32, 16, 14},
}

// srtpKeyLen is the inline key length of AES_CM_128_HMAC_SHA1_80.
const srtpKeyLen = 30 // 16-byte master key + 14-byte master salt

func suiteNamed(name string) (cryptoSuite, bool) {
	for _, s := range cryptoSuites {
		if strings.EqualFold(s.name, name) {
			return s, true
		}
	}
	return cryptoSuite{}, false
}

func suiteNames() string {
	n := make([]string, len(cryptoSuites))
	for i, s := range cryptoSuites {
		n[i] = s.name
	}
	return strings.Join(n, ", ")
}

// srtpKeys is the SDES-SRTP state of a call's PBX leg: Kaz's key (sent in
// its a=crypto, used to encrypt toward the PBX) and the PBX's key (used to
// decrypt what it sends).
type srtpKeys struct {
	tag    int
	suite  cryptoSuite
	local  []byte
	remote []byte
	// offered, while Kaz's offer is unanswered, holds one key per suite
	// offered (this one first); the answer picks one by tag.
	offered []*srtpKeys

	txMu sync.Mutex
	tx   *srtp.Context
	// rx decrypts the PBX's packets (read loop); a re-INVITE with a new
	// PBX key swaps it.
	rx atomic.Pointer[srtp.Context]
}

// newSRTPKeys draws a fresh local master key and salt for suite s.
func newSRTPKeys(tag int, s cryptoSuite) (*srtpKeys, error) {
	k := &srtpKeys{tag: tag, suite: s, local: make([]byte, s.inlineLen())}
	if _, err := rand.Read(k.local); err != nil {
		return nil, err
	}
	return k, nil
}

// offeredSuites resolves phone.pbx_srtp_suites (nil: every suite in
// Kaz's order).
func offeredSuites(names []string) ([]cryptoSuite, error) {
	if len(names) == 0 {
		return cryptoSuites, nil
	}
	var out []cryptoSuite
	for _, n := range names {
		s, ok := suiteNamed(n)
		if !ok {
			return nil, fmt.Errorf("pbx_srtp_suites: unknown suite %q (known: %s)", n, suiteNames())
		}
		out = append(out, s)
	}
	return out, nil
}

// newSRTPOffer makes Kaz's offer: one key per suite, tags 1, 2, 3…
func newSRTPOffer(suites []cryptoSuite) (*srtpKeys, error) {
	if len(suites) == 0 {
		return nil, errors.New("softphone: no SRTP suite to offer")
	}
	var all []*srtpKeys
	for i, s := range suites {
		k, err := newSRTPKeys(i+1, s)
		if err != nil {
			return nil, err
		}
		all = append(all, k)
	}
	all[0].offered = all
	return all[0], nil
}

// attr is Kaz's a=crypto value.
func (k *srtpKeys) attr() string {
	return fmt.Sprintf("%d %s inline:%s", k.tag, k.suite.name, base64.StdEncoding.EncodeToString(k.local))
}

// attrs are Kaz's a=crypto values: every offered suite while an offer is
// unanswered, else the one in use.
func (k *srtpKeys) attrs() []string {
	if k.offered == nil {
		return []string{k.attr()}
	}
	out := make([]string, len(k.offered))
	for i, o := range k.offered {
		out[i] = o.attr()
	}
	return out
}

// cryptoAttr is one parsed a=crypto line.
type cryptoAttr struct {
	tag   int
	suite cryptoSuite
	key   []byte
}

// parseCrypto reads "1 AES_CM_128_HMAC_SHA1_80 inline:KEY[|lifetime][|MKI:len]";
// it accepts only Kaz's suites, one key, no MKI and no session parameters.
func parseCrypto(v string) (cryptoAttr, error) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return cryptoAttr{}, errors.New("crypto: want tag, suite and one key, no session parameters")
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return cryptoAttr{}, errors.New("crypto: bad tag")
	}
	suite, ok := suiteNamed(f[1])
	if !ok {
		return cryptoAttr{}, fmt.Errorf("crypto: unsupported suite %q", f[1])
	}
	kp, ok := strings.CutPrefix(f[2], "inline:")
	if !ok || strings.Contains(kp, ";") {
		return cryptoAttr{}, errors.New("crypto: want one inline key")
	}
	b64, rest, _ := strings.Cut(kp, "|")
	if rest != "" {
		// Lifetime is fine (Kaz never rekeys mid-call); an MKI is not.
		for _, p := range strings.Split(rest, "|") {
			if strings.Contains(p, ":") {
				return cryptoAttr{}, errors.New("crypto: MKI is not supported")
			}
		}
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || len(key) != suite.inlineLen() {
		return cryptoAttr{}, fmt.Errorf("crypto: %s needs a %d-byte base64 key", suite.name, suite.inlineLen())
	}
	return cryptoAttr{tag: tag, suite: suite, key: key}, nil
}

// pickCrypto returns the first a=crypto value Kaz can use.
func pickCrypto(vals []string) (cryptoAttr, bool) {
	for _, v := range vals {
		if c, err := parseCrypto(v); err == nil {
			return c, true
		}
	}
	return cryptoAttr{}, false
}

// accept takes the PBX's answer to Kaz's offer: the offered key whose
// tag and suite the answer names, started with the PBX's key.
func (k *srtpKeys) accept(vals []string) (*srtpKeys, error) {
	cands := k.offered
	if cands == nil {
		cands = []*srtpKeys{k}
	}
	for _, v := range vals {
		ca, err := parseCrypto(v)
		if err != nil {
			continue
		}
		for _, o := range cands {
			if o.tag == ca.tag && o.suite.name == ca.suite.name {
				return o, o.start(ca.key)
			}
		}
	}
	return nil, errNoCrypto
}

// start builds the SRTP contexts once both keys are known.
func (k *srtpKeys) start(remote []byte) error {
	k.remote = remote
	k.offered = nil
	s := k.suite
	tx, err := srtp.CreateContext(k.local[:s.keyLen], k.local[s.keyLen:], s.prof)
	if err != nil {
		return err
	}
	rx, err := srtp.CreateContext(remote[:s.keyLen], remote[s.keyLen:], s.prof)
	if err != nil {
		return err
	}
	k.tx = tx
	k.rx.Store(rx)
	return nil
}

// rekey follows a new offer from the PBX in an established call (RFC 4568
// §7.1.4: a re-INVITE may carry a new key): the PBX's key is replaced
// when it changed, and Kaz answers under the new tag with its own key.
// The caller holds the call's lock (tag and remote are read under it).
func (k *srtpKeys) rekey(vals []string) error {
	ca, ok := pickCrypto(vals)
	if !ok {
		return errNoCrypto
	}
	k.tag = ca.tag
	if ca.suite.name != k.suite.name {
		// Another suite: Kaz answers with a fresh key of that suite.
		local := make([]byte, ca.suite.inlineLen())
		if _, err := rand.Read(local); err != nil {
			return err
		}
		tx, err := srtp.CreateContext(local[:ca.suite.keyLen], local[ca.suite.keyLen:], ca.suite.prof)
		if err != nil {
			return err
		}
		k.txMu.Lock()
		k.suite, k.local, k.tx = ca.suite, local, tx
		k.txMu.Unlock()
		k.remote = nil
	}
	if bytes.Equal(ca.key, k.remote) {
		return nil
	}
	s := k.suite
	rx, err := srtp.CreateContext(ca.key[:s.keyLen], ca.key[s.keyLen:], s.prof)
	if err != nil {
		return err
	}
	k.remote = ca.key
	k.rx.Store(rx)
	return nil
}

// decrypt authenticates and decrypts one SRTP packet from the PBX in place.
func (k *srtpKeys) decrypt(pkt []byte) ([]byte, error) {
	return k.rx.Load().DecryptRTP(pkt, pkt, nil)
}

// decryptRTCP authenticates and decrypts one SRTCP packet from the PBX.
func (k *srtpKeys) decryptRTCP(pkt []byte) ([]byte, error) {
	return k.rx.Load().DecryptRTCP(nil, pkt, nil)
}

// encryptRTCP protects one RTCP compound packet toward the PBX.
func (k *srtpKeys) encryptRTCP(pkt []byte) ([]byte, error) {
	k.txMu.Lock()
	defer k.txMu.Unlock()
	return k.tx.EncryptRTCP(nil, pkt, nil)
}
