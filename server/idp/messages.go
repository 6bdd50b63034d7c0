package idp

import (
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// messages holds every text of the login pages, French first.
var messages = map[string]map[string]string{
	"fr": {
		"title":            "Connexion à Kaz",
		"other_lang":       "English",
		"other_lang_code":  "en",
		"intro":            "Connectez-vous avec votre identifiant et votre mot de passe.",
		"username":         "Identifiant",
		"password":         "Mot de passe",
		"submit":           "Se connecter",
		"continue":         "Continuer",
		"bad_credentials":  "Mot de passe ou identifiant incorrect.",
		"bad_code":         "Code incorrect ou déjà utilisé. Vérifiez l'heure de votre téléphone et réessayez.",
		"bad_recovery":     "Code de secours incorrect ou déjà utilisé.",
		"locked":           "Trop d'essais : réessayez dans %d minutes.",
		"locked_one":       "Trop d'essais : réessayez dans 1 minute.",
		"disabled":         "Ce compte est désactivé. Contactez votre administrateur.",
		"internal":         "Une erreur est survenue. Réessayez dans un instant.",
		"expired_title":    "Demande de connexion expirée",
		"expired":          "Cette demande de connexion a expiré ou n'est plus valable. Revenez à l'accueil de Kaz pour recommencer.",
		"csrf":             "Le formulaire a expiré. Rechargez la page et réessayez.",
		"home":             "Revenir à l'accueil de Kaz",
		"factor_title":     "Second facteur",
		"factor_intro":     "Confirmez votre identité avec votre second facteur.",
		"totp_label":       "Code à 6 chiffres de votre application d'authentification",
		"totp_submit":      "Valider le code",
		"key_intro":        "Ou utilisez votre clé de sécurité.",
		"key_button":       "Utiliser ma clé de sécurité",
		"key_failed":       "La clé de sécurité n'a pas été acceptée. Réessayez ou utilisez un autre moyen.",
		"key_unsupported":  "Ce navigateur ne prend pas en charge les clés de sécurité.",
		"recovery_summary": "Vous n'avez plus accès à votre second facteur ?",
		"recovery_label":   "Code de secours",
		"recovery_submit":  "Utiliser le code de secours",
		"enrol_title":      "Ajoutez un second facteur",
		"enrol_intro":      "Pour protéger votre compte, Kaz demande un second facteur en plus du mot de passe. Choisissez l'une des deux méthodes.",
		"enrol_totp":       "Application d'authentification",
		"enrol_totp_steps": "Scannez ce QR code avec votre application (FreeOTP, Aegis, Google Authenticator…), puis saisissez le code à 6 chiffres qu'elle affiche.",
		"enrol_qr_alt":     "QR code à scanner avec votre application d'authentification",
		"enrol_manual":     "Impossible de scanner ? Saisissez cette clé dans l'application :",
		"enrol_key":        "Clé de sécurité",
		"enrol_key_intro":  "Branchez votre clé de sécurité (ou utilisez celle intégrée à l'ordinateur), donnez-lui un nom, puis suivez les instructions du navigateur.",
		"key_name":         "Nom de la clé",
		"key_name_default": "Ma clé de sécurité",
		"key_register":     "Enregistrer ma clé de sécurité",
		"codes_title":      "Vos codes de secours",
		"codes_intro":      "Conservez ces codes en lieu sûr (imprimez-les ou notez-les). Chacun permet une seule connexion si vous perdez votre second facteur. Ils ne seront plus affichés.",
		"codes_done":       "J'ai conservé mes codes, continuer",
		"logged_out_title": "Vous êtes déconnecté",
		"logged_out":       "Vous avez été déconnecté de Kaz.",
		"sign_in_again":    "Se reconnecter",
		"working":          "Veuillez suivre les instructions de votre navigateur…",
	},
	"en": {
		"title":            "Sign in to Kaz",
		"other_lang":       "Français",
		"other_lang_code":  "fr",
		"intro":            "Sign in with your user name and password.",
		"username":         "User name",
		"password":         "Password",
		"submit":           "Sign in",
		"continue":         "Continue",
		"bad_credentials":  "Wrong user name or password.",
		"bad_code":         "Wrong or already used code. Check your phone's clock and try again.",
		"bad_recovery":     "Wrong or already used recovery code.",
		"locked":           "Too many attempts: try again in %d minutes.",
		"locked_one":       "Too many attempts: try again in 1 minute.",
		"disabled":         "This account is disabled. Contact your administrator.",
		"internal":         "Something went wrong. Try again in a moment.",
		"expired_title":    "Sign-in request expired",
		"expired":          "This sign-in request has expired or is no longer valid. Go back to Kaz's home page to start again.",
		"csrf":             "The form has expired. Reload the page and try again.",
		"home":             "Back to Kaz's home page",
		"factor_title":     "Second factor",
		"factor_intro":     "Confirm who you are with your second factor.",
		"totp_label":       "6-digit code from your authenticator app",
		"totp_submit":      "Check the code",
		"key_intro":        "Or use your security key.",
		"key_button":       "Use my security key",
		"key_failed":       "The security key was not accepted. Try again or use another method.",
		"key_unsupported":  "This browser does not support security keys.",
		"recovery_summary": "Lost access to your second factor?",
		"recovery_label":   "Recovery code",
		"recovery_submit":  "Use the recovery code",
		"enrol_title":      "Add a second factor",
		"enrol_intro":      "To protect your account, Kaz asks for a second factor besides your password. Choose one of the two methods.",
		"enrol_totp":       "Authenticator app",
		"enrol_totp_steps": "Scan this QR code with your app (FreeOTP, Aegis, Google Authenticator…), then type the 6-digit code it shows.",
		"enrol_qr_alt":     "QR code to scan with your authenticator app",
		"enrol_manual":     "Cannot scan? Type this key into the app:",
		"enrol_key":        "Security key",
		"enrol_key_intro":  "Plug in your security key (or use the one built into the computer), name it, then follow the browser's instructions.",
		"key_name":         "Key name",
		"key_name_default": "My security key",
		"key_register":     "Register my security key",
		"codes_title":      "Your recovery codes",
		"codes_intro":      "Keep these codes somewhere safe (print them or write them down). Each one allows a single sign-in if you lose your second factor. They will not be shown again.",
		"codes_done":       "I have kept my codes, continue",
		"logged_out_title": "You are signed out",
		"logged_out":       "You have been signed out of Kaz.",
		"sign_in_again":    "Sign in again",
		"working":          "Follow your browser's instructions…",
	},
}

var langMatcher = language.NewMatcher([]language.Tag{language.French, language.English})

// pickLang chooses the page language: ?lang=, the kaz_lang cookie, the
// request's ui_locales, Accept-Language, then French.
func pickLang(r *http.Request, uiLocales []string) string {
	if l := r.URL.Query().Get("lang"); l == "fr" || l == "en" {
		return l
	}
	if c, err := r.Cookie("kaz_lang"); err == nil && (c.Value == "fr" || c.Value == "en") {
		return c.Value
	}
	for _, l := range uiLocales {
		if strings.HasPrefix(l, "fr") {
			return "fr"
		}
		if strings.HasPrefix(l, "en") {
			return "en"
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" && len(al) < 512 {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			if _, i, conf := langMatcher.Match(tags...); conf != language.No && i == 1 {
				return "en"
			}
		}
	}
	return "fr"
}

// lockedMinutes rounds a lock-out wait up to whole minutes.
func lockedMinutes(d time.Duration) int {
	m := int((d + time.Minute - 1) / time.Minute)
	if m < 1 {
		m = 1
	}
	return m
}
