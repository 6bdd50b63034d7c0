// Package frontend holds Kaz's web application — plain ES modules, no build
// step — and serves it from the binary.
package frontend

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the web application.
func Handler() http.Handler {
	sub, _ := fs.Sub(static, "static")
	return http.FileServerFS(sub)
}
