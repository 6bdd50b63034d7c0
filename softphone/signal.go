package softphone

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Message is one signaling message on the browser WebSocket (see
// docs of the protocol: every message is {"type": ...}).
type Message struct {
	Type string `json:"type"`

	Tab       string `json:"tab,omitempty"`
	Available *bool  `json:"available,omitempty"`
	Value     *bool  `json:"value,omitempty"`
	Ref       string `json:"ref,omitempty"`
	Number    string `json:"number,omitempty"`
	SDP       string `json:"sdp,omitempty"`
	CallID    string `json:"call_id,omitempty"`
	Reason    string `json:"reason,omitempty"`
	On        *bool  `json:"on,omitempty"`
	Digit     string `json:"digit,omitempty"`
	Target    string `json:"target,omitempty"`

	// Server → client fields.
	Extension  string      `json:"extension,omitempty"`
	Calls      []CallInfo  `json:"calls,omitempty"`
	State      string      `json:"state,omitempty"`
	Code       int         `json:"code,omitempty"`
	From       string      `json:"from,omitempty"`
	Name       string      `json:"name,omitempty"`
	MessageKey string      `json:"message_key,omitempty"`
	Text       string      `json:"message,omitempty"`
	ICEServers []ICEServer `json:"ice_servers,omitempty"`
}

// CallInfo describes a call in the welcome message and in Status.
type CallInfo struct {
	CallID    string    `json:"call_id"`
	User      string    `json:"user,omitempty"`
	Direction string    `json:"direction"`
	Number    string    `json:"number"`
	Name      string    `json:"name"`
	State     string    `json:"state"`
	Started   time.Time `json:"started"`
	Codec     string    `json:"codec,omitempty"`
}

const maxSDP = 64 << 10

// ParseMessage decodes and checks one client → server message.
func ParseMessage(b []byte) (Message, error) {
	var m Message
	if len(b) > maxSDP+4096 {
		return m, errors.New("message too large")
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, fmt.Errorf("bad JSON: %w", err)
	}
	if len(m.SDP) > maxSDP {
		return Message{}, errors.New("sdp too large")
	}
	if len(m.Tab) > 128 || len(m.Ref) > 128 || len(m.CallID) > 128 || len(m.Number) > 64 || len(m.Target) > 64 || len(m.Reason) > 64 {
		return Message{}, errors.New("field too long")
	}
	switch m.Type {
	case "hello", "ping":
	case "available":
		if m.Value == nil {
			return Message{}, errors.New("available needs value")
		}
	case "dial":
		if m.Number == "" || m.SDP == "" {
			return Message{}, errors.New("dial needs number and sdp")
		}
	case "accept", "resume":
		if m.CallID == "" || m.SDP == "" {
			return Message{}, errors.New(m.Type + " needs call_id and sdp")
		}
	case "decline", "hangup":
		if m.CallID == "" {
			return Message{}, errors.New(m.Type + " needs call_id")
		}
	case "hold":
		if m.CallID == "" || m.On == nil {
			return Message{}, errors.New("hold needs call_id and on")
		}
	case "dtmf":
		if m.CallID == "" || len(m.Digit) != 1 || dtmfEvent(m.Digit[0]) < 0 {
			return Message{}, errors.New("dtmf needs call_id and one digit of 0-9*#A-D")
		}
	case "transfer":
		if m.CallID == "" || m.Target == "" {
			return Message{}, errors.New("transfer needs call_id and target")
		}
	default:
		return Message{}, fmt.Errorf("unknown message type %q", m.Type)
	}
	return m, nil
}

// dtmfEvent maps a DTMF digit to its RFC 4733 event code, or -1.
func dtmfEvent(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c == '*':
		return 10
	case c == '#':
		return 11
	case c >= 'A' && c <= 'D':
		return 12 + int(c-'A')
	case c >= 'a' && c <= 'd':
		return 12 + int(c-'a')
	}
	return -1
}

// dtmfDigit is the inverse of dtmfEvent.
func dtmfDigit(ev int) string {
	const digits = "0123456789*#ABCD"
	if ev < 0 || ev >= len(digits) {
		return ""
	}
	return digits[ev : ev+1]
}

// plain-language error texts, by message_key.
var messageTexts = map[string]string{
	"phone.no_account":          "Aucun compte téléphonique n'est configuré pour vous. / No phone account is configured for you.",
	"phone.not_allowed":         "Ce numéro n'est pas autorisé. / This number is not allowed.",
	"phone.rate_limited":        "Trop d'appels en peu de temps ; réessayez dans une minute. / Too many calls in a short time; try again in a minute.",
	"phone.limit":               "Trop d'appels en cours sur le serveur ; réessayez plus tard. / Too many calls on the server; try again later.",
	"phone.no_codec":            "Aucun codec audio commun avec le standard. / No audio codec in common with the PBX.",
	"phone.bad_message":         "Message incompréhensible. / Message not understood.",
	"phone.no_call":             "Cet appel n'existe plus. / This call no longer exists.",
	"phone.not_available":       "Passez en « disponible » pour appeler. / Set yourself available to call.",
	"phone.error":               "Erreur interne du téléphone. / Internal phone error.",
	"phone.bad_sdp":             "Description média invalide. / Invalid media description.",
	"phone.reg.auth_failed":     "Le standard refuse l'identifiant ou le mot de passe du poste. / The PBX rejects the extension's user name or password.",
	"phone.reg.pbx_unreachable": "Le standard téléphonique ne répond pas. / The PBX does not answer.",
	"phone.reg.pbx_error":       "Le standard téléphonique est en erreur. / The PBX reports an error.",
	"phone.reg.rejected":        "Le standard refuse l'enregistrement du poste. / The PBX refuses to register the extension.",
	"phone.not_registered":      "Le téléphone n'est pas encore enregistré auprès du standard. / The phone is not registered at the PBX yet.",
}

func errMsg(ref, key string) Message {
	return Message{Type: "error", Ref: ref, MessageKey: key, Text: messageTexts[key]}
}
