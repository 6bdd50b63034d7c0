package softphone

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kazhq/kaz/internal/sqldb"
)

const deskSDP = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n" +
	"m=audio 4000 RTP/AVP 18 8 0 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendonly\r\n"

func TestParseSDPReadsCodecsAddressAndDirection(t *testing.T) {
	md, err := parseSDP([]byte(deskSDP))
	if err != nil {
		t.Fatal(err)
	}
	if got := md.Addr.String(); got != "10.0.0.5:4000" {
		t.Errorf("addr %s", got)
	}
	want := []codec{{Name: "G729", Rate: 8000, Channels: 1, PT: 18}, {Name: "PCMA", Rate: 8000, Channels: 1, PT: 8}, {Name: "PCMU", Rate: 8000, Channels: 1, PT: 0}}
	if d := cmp.Diff(want, md.Codecs); d != "" {
		t.Errorf("codecs (-want +got):\n%s", d)
	}
	if md.TelEvent != 101 || md.Direction != "sendonly" || md.Proto != "RTP/AVP" {
		t.Errorf("te %d dir %s proto %s", md.TelEvent, md.Direction, md.Proto)
	}
}

func TestPickCodecFollowsPreferenceAndSkipsUnrelayable(t *testing.T) {
	pbx, _ := parseSDP([]byte(deskSDP))
	browser := []codec{{Name: "OPUS", Rate: 48000, Channels: 2, PT: 111}, {Name: "PCMU", Rate: 8000, PT: 0}, {Name: "PCMA", Rate: 8000, PT: 8}}
	c, ok := pickCodec(pbx.Codecs, browser)
	if !ok || c.Name != "PCMA" || c.PT != 8 {
		t.Errorf("pick = %v %v, want PCMA/8 (G729 cannot be relayed, PCMA is the PBX's next choice)", c, ok)
	}
	if _, ok := pickCodec([]codec{{Name: "G729", Rate: 8000, PT: 18}}, browser); ok {
		t.Error("G729 only must not match")
	}
}

func TestBuiltSDPParsesBack(t *testing.T) {
	md, _ := parseSDP([]byte(deskSDP))
	o := sdpOffer{SessionID: 7, Version: 2, Addr: md.Addr, Codecs: []codec{bridgeable[0], bridgeable[3]}, TelEvent: 101, Direction: "sendonly"}
	back, err := parseSDP(o.build())
	if err != nil {
		t.Fatal(err)
	}
	if back.Addr != md.Addr || back.TelEvent != 101 || back.Direction != "sendonly" || len(back.Codecs) != 2 ||
		back.Codecs[0].Name != "OPUS" || back.Codecs[0].Channels != 2 || back.Codecs[1].PT != 0 {
		t.Errorf("round trip: %+v", back)
	}
}

func FuzzParseSDP(f *testing.F) {
	f.Add([]byte(deskSDP))
	f.Add([]byte("v=0\r\nm=audio 0 RTP/AVP\r\n"))
	if b, err := os.ReadFile("testdata/chrome-offer.sdp"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := parseSDP(b)
		if err != nil {
			return
		}
		for _, c := range md.Codecs {
			if c.PT > 127 {
				t.Fatalf("payload type %d", c.PT)
			}
		}
		// Whatever parsed must render and parse again.
		if md.Addr.IsValid() {
			o := sdpOffer{Addr: md.Addr, Codecs: relayable(md.Codecs), TelEvent: md.TelEvent, Direction: "sendrecv"}
			if _, err := parseSDP(o.build()); err != nil {
				t.Fatalf("rendered SDP does not parse: %v", err)
			}
		}
	})
}

func TestParseMessageValidates(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want string
	}{
		{`{"type":"hello","tab":"x","available":true}`, true, "hello"},
		{`{"type":"dial","ref":"1","number":"1002","sdp":"v=0"}`, true, "dial"},
		{`{"type":"dial","number":"1002"}`, false, ""},
		{`{"type":"dtmf","call_id":"c","digit":"#"}`, true, "dtmf"},
		{`{"type":"dtmf","call_id":"c","digit":"55"}`, false, ""},
		{`{"type":"dtmf","call_id":"c","digit":"x"}`, false, ""},
		{`{"type":"hold","call_id":"c"}`, false, ""},
		{`{"type":"hold","call_id":"c","on":false}`, true, "hold"},
		{`{"type":"available"}`, false, ""},
		{`{"type":"nope"}`, false, ""},
		{`not json`, false, ""},
	}
	for _, tt := range tests {
		m, err := ParseMessage([]byte(tt.in))
		if (err == nil) != tt.ok || (tt.ok && m.Type != tt.want) {
			t.Errorf("ParseMessage(%s) = %v, %v", tt.in, m.Type, err)
		}
	}
}

func FuzzSignalMessage(f *testing.F) {
	for _, s := range []string{`{"type":"hello","tab":"x","available":true}`, `{"type":"dial","ref":"1","number":"1002","sdp":"v=0"}`,
		`{"type":"dtmf","call_id":"c","digit":"5"}`, `{"type":"resume","call_id":"c","sdp":"x"}`, `{"type":"transfer","call_id":"c","target":"1"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			return
		}
		if m.Type == "dtmf" && dtmfEvent(m.Digit[0]) < 0 {
			t.Fatal("invalid digit accepted")
		}
		if len(m.SDP) > maxSDP {
			t.Fatal("oversized sdp accepted")
		}
	})
}

func TestDialPlanAllowList(t *testing.T) {
	dp, err := compileDialPlan([]string{`1[0-9]{3}`, `0[1-9][0-9]{8}`})
	if err != nil {
		t.Fatal(err)
	}
	for num, want := range map[string]bool{"1002": true, "0123456789": true, "0899123456": true, "00442071234567": false, "12": false, "1002; drop": false, "": false} {
		if got := dp.Allows(num); got != want {
			t.Errorf("Allows(%q) = %v", num, got)
		}
	}
	if !(dialPlan(nil)).Allows("+33123456789") || (dialPlan(nil)).Allows("sip:evil@x") {
		t.Error("default plan")
	}
	if normalizeNumber(" 01 23-45.67 (89) ") != "0123456789" {
		t.Error("normalize")
	}
}

func TestAccountsAreEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "kaz.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keyPath := filepath.Join(dir, "phone.key")
	st, err := OpenStore(ctx, db, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(keyPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	if err := st.SetAccount(ctx, "alice", Account{Extension: "1001", Password: "hunter2-very-secret"}); err != nil {
		t.Fatal(err)
	}
	a, err := st.Account(ctx, "alice")
	if err != nil || a.Password != "" || !a.HasPassword || a.AuthUser != "1001" {
		t.Fatalf("Account = %+v, %v", a, err)
	}
	full, err := st.accountWithSecret(ctx, "alice")
	if err != nil || full.Password != "hunter2-very-secret" {
		t.Fatalf("secret = %q, %v", full.Password, err)
	}
	// Changing the extension without a password keeps the password.
	if err := st.SetAccount(ctx, "alice", Account{Extension: "1005"}); err != nil {
		t.Fatal(err)
	}
	if full, _ = st.accountWithSecret(ctx, "alice"); full.Password != "hunter2-very-secret" || full.Extension != "1005" {
		t.Fatalf("after update: %+v", full)
	}
	if err := st.SetAccount(ctx, "bob", Account{Extension: "1002"}); err == nil {
		t.Error("a new account without password was accepted")
	}
	db.Close()
	for _, f := range []string{"kaz.db", "kaz.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if bytes.Contains(b, []byte("hunter2")) {
			t.Fatalf("password in clear in %s", f)
		}
	}
	// Another key cannot decrypt it.
	db2, _ := sqldb.OpenSQLite(ctx, filepath.Join(dir, "kaz.db"))
	defer db2.Close()
	st2, err := OpenStore(ctx, db2, filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st2.accountWithSecret(ctx, "alice"); err == nil || !strings.Contains(err.Error(), "decrypt") {
		t.Errorf("wrong key: %v", err)
	}
	list, err := st2.Accounts(ctx)
	if err != nil || len(list) != 1 || list[0].User != "alice" {
		t.Errorf("Accounts = %+v, %v", list, err)
	}
	if err := st2.DeleteAccount(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := st2.Account(ctx, "alice"); err != ErrNoAccount {
		t.Errorf("after delete: %v", err)
	}
}

func TestHistoryAndMissedBadge(t *testing.T) {
	ctx := context.Background()
	db, _ := sqldb.OpenSQLite(ctx, filepath.Join(t.TempDir(), "kaz.db"))
	defer db.Close()
	st, err := OpenStore(ctx, db, filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	st.addCall(ctx, "alice", CallRecord{CallID: "1", Direction: "in", Number: "2001", Started: now.Add(-time.Minute), Outcome: "missed", Missed: true})
	st.addCall(ctx, "alice", CallRecord{CallID: "2", Direction: "out", Number: "2002", Started: now, Duration: 90 * time.Second, Outcome: "answered"})
	st.addCall(ctx, "bob", CallRecord{CallID: "3", Direction: "in", Number: "2001", Started: now, Outcome: "missed", Missed: true})
	h, err := st.History(ctx, "alice", 10)
	if err != nil || len(h) != 2 || h[0].CallID != "2" || h[0].Seconds != 90 || !h[1].Missed {
		t.Fatalf("history %+v %v", h, err)
	}
	if n, _ := st.MissedCount(ctx, "alice"); n != 1 {
		t.Errorf("missed = %d", n)
	}
	st.MarkSeen(ctx, "alice")
	if n, _ := st.MissedCount(ctx, "alice"); n != 0 {
		t.Errorf("missed after seen = %d", n)
	}
	if n, _ := st.MissedCount(ctx, "bob"); n != 1 {
		t.Errorf("bob missed = %d", n)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{PBX: "pbx.example:5060", SIPListen: "10.0.0.2:5070", AnnounceWebRTC: "10.8.0.1"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	var off Config
	if err := off.Validate(); err != nil {
		t.Fatalf("disabled config: %v", err)
	}
	bad := []Config{
		{PBX: "nohostport", AnnounceWebRTC: "10.8.0.1", SIPListen: "10.0.0.2:5070"},
		{PBX: "pbx:5060", SIPListen: "0.0.0.0:5070", AnnounceWebRTC: "10.8.0.1"},
		{PBX: "pbx:5060", SIPListen: "10.0.0.2:5070"},
		{PBX: "pbx:5060", SIPListen: "10.0.0.2:5070", AnnounceWebRTC: "10.8.0.1", Transport: "sctp"},
		{PBX: "pbx:5060", SIPListen: "10.0.0.2:5070", AnnounceWebRTC: "10.8.0.1", DialPlan: []string{"("}},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("bad config %d accepted", i)
		}
	}
}

func TestG711RoundTrip(t *testing.T) {
	for _, v := range []int16{0, 100, -100, 1000, -8000, 32000, -32000} {
		got := ulawToLinear(linearToUlaw(v))
		d := int(got) - int(v)
		if d < 0 {
			d = -d
		}
		if d > int(v)/16+16 && d > -int(v)/16+16 {
			t.Errorf("µ-law %d → %d", v, got)
		}
	}
}

func TestParseChromeOffer(t *testing.T) {
	b, err := os.ReadFile("testdata/chrome-offer.sdp")
	if err != nil {
		t.Fatal(err)
	}
	md, err := parseSDP(b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range relayable(md.Codecs) {
		names = append(names, c.String())
	}
	if got := strings.Join(names, " "); got != "OPUS/48000 G722/8000 PCMU/8000 PCMA/8000" {
		t.Errorf("relayable codecs %q", got)
	}
	if md.TelEvent != 126 {
		t.Errorf("telephone-event/8000 PT = %d, want 126 (not the 48 kHz one)", md.TelEvent)
	}
}

func TestSessionExpiresRefresher(t *testing.T) {
	tests := []struct {
		v        string
		uac      bool
		wantD    time.Duration
		wantMine bool
	}{
		{"1800;refresher=uac", true, 1800 * time.Second, true},
		{"1800;refresher=uas", true, 1800 * time.Second, false},
		{"600;refresher=uac", false, 600 * time.Second, false},
		{"600", false, 600 * time.Second, false},
		{"30;refresher=uac", true, 0, false}, // below RFC 4028 minimum 90
		{"junk", true, 0, false},
	}
	for _, tt := range tests {
		d, mine := parseSessionExpires(tt.v, tt.uac)
		if d != tt.wantD || mine != tt.wantMine {
			t.Errorf("parseSessionExpires(%q, %v) = %v, %v", tt.v, tt.uac, d, mine)
		}
	}
}
