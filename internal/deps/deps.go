//go:build tools

// Package deps pins the project's main dependencies while their users are
// being written, so that go mod tidy keeps them.
package deps

import (
	_ "github.com/blevesearch/bleve/v2"
	_ "github.com/chromedp/chromedp"
	_ "github.com/coder/websocket"
	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/emiago/sipgo"
	_ "github.com/go-webauthn/webauthn/webauthn"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/meilisearch/meilisearch-go"
	_ "github.com/pion/webrtc/v4"
	_ "github.com/pquerna/otp/totp"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/skip2/go-qrcode"
	_ "github.com/studio-b12/gowebdav"
	_ "github.com/zitadel/oidc/v3/pkg/op"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/text/unicode/norm"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
