package auth

import (
	"html/template"
	"net/http"
)

// Refusal is a sign-in refused for a reason the agent can act on. Code is
// stable (tests and support read it); the texts are plain French and
// English.
type Refusal struct {
	Status int
	Code   string
	FR, EN string
}

// The reasons a sign-in is refused.
var (
	refusedState = Refusal{http.StatusBadRequest, "state",
		"La demande de connexion a expiré, a déjà servi ou ne vient pas de ce navigateur. Recommencez la connexion.",
		"The sign-in request expired, was already used, or did not come from this browser. Please sign in again."}
	refusedProvider = Refusal{http.StatusBadGateway, "provider",
		"Le fournisseur d'identité ne répond pas correctement. Réessayez dans quelques minutes ; si cela persiste, prévenez le support informatique.",
		"The identity provider is not answering properly. Try again in a few minutes; if it goes on, tell IT support."}
	refusedDenied = Refusal{http.StatusForbidden, "denied",
		"Le fournisseur d'identité n'a pas autorisé la connexion.",
		"The identity provider did not allow the sign-in."}
	refusedToken = Refusal{http.StatusForbidden, "token",
		"La réponse du fournisseur d'identité n'est pas valable (jeton refusé). Aucune session n'a été ouverte.",
		"The identity provider's answer is not valid (token refused). No session was opened."}
	refusedIssuer = Refusal{http.StatusForbidden, "issuer",
		"La réponse ne vient pas du fournisseur d'identité attendu. Aucune session n'a été ouverte.",
		"The answer did not come from the expected identity provider. No session was opened."}
	refusedMFA = Refusal{http.StatusForbidden, "mfa_required",
		"Kaz exige un second facteur (code à usage unique ou clé de sécurité). Reconnectez-vous en utilisant votre second facteur, ou demandez au support informatique de vous en attribuer un.",
		"Kaz requires a second factor (one-time code or security key). Sign in again using your second factor, or ask IT support to set one up for you."}
	refusedUser = Refusal{http.StatusForbidden, "account",
		"Votre compte n'est pas autorisé à utiliser Kaz (compte inconnu ou désactivé).",
		"Your account may not use Kaz (unknown or disabled account)."}
	refusedInternal = Refusal{http.StatusInternalServerError, "internal",
		"Une erreur interne a empêché la connexion. Réessayez ; si cela persiste, prévenez le support informatique.",
		"An internal error prevented the sign-in. Try again; if it goes on, tell IT support."}
)

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.TitleFR}} — Kaz</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}.en{color:#444;border-top:1px solid #ddd;margin-top:1.5rem;padding-top:1rem}
a.button,button{display:inline-block;padding:.5rem 1rem;border:1px solid #000091;background:#000091;color:#fff;border-radius:4px;text-decoration:none;font:inherit;cursor:pointer}
code{font-size:.85rem;color:#666}</style></head>
<body><main data-testid="auth-page" data-code="{{.Code}}">
<section lang="fr"><h1>{{.TitleFR}}</h1><p role="{{.Role}}">{{.FR}}</p></section>
<section lang="en" class="en"><h2>{{.TitleEN}}</h2><p>{{.EN}}</p></section>
{{if .Form}}<form method="post" action="{{.Form}}"><input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit" data-testid="confirm">{{.ButtonFR}} / {{.ButtonEN}}</button></form>
{{else if .Link}}<p><a class="button" href="{{.Link}}" data-testid="link">{{.ButtonFR}} / {{.ButtonEN}}</a></p>{{end}}
{{if .ReqID}}<p><code>Référence / reference: {{.Code}} {{.ReqID}}</code></p>{{end}}
</main></body></html>
`))

type page struct {
	Code, Role               string
	TitleFR, TitleEN, FR, EN string
	Form, CSRF, Link         string
	ButtonFR, ButtonEN       string
	ReqID                    string
}

func writePage(w http.ResponseWriter, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// No form-action: the sign-out form's answer redirects to the provider,
	// and browsers apply form-action to that redirect.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, p)
}

// writeRefusal writes the bilingual page of a refused sign-in.
func writeRefusal(w http.ResponseWriter, rf Refusal, reqID string) {
	writePage(w, rf.Status, page{
		Code: rf.Code, Role: "alert",
		TitleFR: "Connexion refusée", TitleEN: "Sign-in refused",
		FR: rf.FR, EN: rf.EN,
		Link: "/auth/login", ButtonFR: "Se connecter", ButtonEN: "Sign in",
		ReqID: reqID,
	})
}
