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

// srtpSuite is the one SDES crypto suite Kaz speaks on the PBX leg
// (RFC 4568 §6.2.1, the mandatory one of RFC 5763's SRTP profile).
const srtpSuite = "AES_CM_128_HMAC_SHA1_80"

const srtpKeyLen = 30 // 16-byte master key + 14-byte master salt

// srtpKeys is the SDES-SRTP state of a call's PBX leg: Kaz's key (sent in
// its a=crypto, used to encrypt toward the PBX) and the PBX's key (used to
// decrypt what it sends).
type srtpKeys struct {
	tag    int
	local  []byte
	remote []byte

	txMu sync.Mutex
	tx   *srtp.Context
	// rx decrypts the PBX's packets (read loop); a re-INVITE with a new
	// PBX key swaps it.
	rx atomic.Pointer[srtp.Context]
}

// newSRTPKeys draws a fresh local master key and salt.
func newSRTPKeys(tag int) (*srtpKeys, error) {
	k := &srtpKeys{tag: tag, local: make([]byte, srtpKeyLen)}
	if _, err := rand.Read(k.local); err != nil {
		return nil, err
	}
	return k, nil
}

// attr is Kaz's a=crypto value.
func (k *srtpKeys) attr() string {
	return fmt.Sprintf("%d %s inline:%s", k.tag, srtpSuite, base64.StdEncoding.EncodeToString(k.local))
}

// cryptoAttr is one parsed a=crypto line.
type cryptoAttr struct {
	tag int
	key []byte
}

// parseCrypto reads "1 AES_CM_128_HMAC_SHA1_80 inline:KEY[|lifetime][|MKI:len]";
// it accepts only Kaz's suite, one key, no MKI and no session parameters.
func parseCrypto(v string) (cryptoAttr, error) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return cryptoAttr{}, errors.New("crypto: want tag, suite and one key, no session parameters")
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return cryptoAttr{}, errors.New("crypto: bad tag")
	}
	if !strings.EqualFold(f[1], srtpSuite) {
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
	if err != nil || len(key) != srtpKeyLen {
		return cryptoAttr{}, errors.New("crypto: key must be 30 bytes of base64")
	}
	return cryptoAttr{tag: tag, key: key}, nil
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

// start builds the SRTP contexts once both keys are known.
func (k *srtpKeys) start(remote []byte) error {
	k.remote = remote
	p := srtp.ProtectionProfileAes128CmHmacSha1_80
	tx, err := srtp.CreateContext(k.local[:16], k.local[16:], p)
	if err != nil {
		return err
	}
	rx, err := srtp.CreateContext(remote[:16], remote[16:], p)
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
	if bytes.Equal(ca.key, k.remote) {
		return nil
	}
	rx, err := srtp.CreateContext(ca.key[:16], ca.key[16:], srtp.ProtectionProfileAes128CmHmacSha1_80)
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
