package httperr

// messagesFR translates every client-visible API error message into French,
// in the plain, polite words of an administration writing to its agents.
// Keys are the English messages exactly as written in the code; keys with
// fmt verbs are patterns (see catalog.go). Grouped by the part that sends
// them; TestEveryClientMessageHasFrench lists the ones missing.
var messagesFR = map[string]string{
	// internal/httperr
	"internal error": "Une erreur est survenue sur le serveur. Réessayez dans quelques instants ; si le problème persiste, contactez l'assistance.",

	// Sign-in and access (server/middleware.go, server/auth, server/api_admin.go)
	"authentication required": "Vous devez vous connecter.",
	"sign-in required":        "Vous devez vous connecter.",
	"forbidden":               "Vous n'avez pas accès à cette ressource.",
	"too many failed attempts, try again later":                    "Trop d'essais infructueux : réessayez dans quelques minutes.",
	"administrators only":                                          "Cette action est réservée aux administrateurs.",
	"no such user":                                                 "Cet utilisateur n'existe pas.",
	"you cannot disable your own account":                          "Vous ne pouvez pas désactiver votre propre compte.",
	"second factors are managed by the external identity provider": "Les seconds facteurs sont gérés par le fournisseur d'identité externe.",
	"sign-out refused: reload the page and try again":              "La déconnexion a été refusée : rechargez la page, puis réessayez.",
	"app passwords are managed from the web interface":             "Les mots de passe d'application se gèrent depuis l'interface web.",
	"the label must have 1 to 64 characters":                       "Le nom doit comporter entre 1 et 64 caractères.",
	"an app password with this label already exists":               "Un mot de passe d'application porte déjà ce nom.",
	"the request could not be read":                                "La demande n'a pas pu être lue. Rechargez la page, puis réessayez.",
	"no such app password":                                         "Ce mot de passe d'application n'existe pas.",

	// Account and second factors (server/idp)
	"second factors can only be changed from a browser session":                                      "Les seconds facteurs ne peuvent être modifiés que depuis le navigateur, une fois connecté.",
	"for your security, sign in again before changing your second factors":                           "Par sécurité, reconnectez-vous avant de modifier vos seconds facteurs.",
	"security keys need Kaz to be reached by a host name, not an IP address: ask your administrator": "Les clés de sécurité ne fonctionnent que si Kaz est ouvert par son nom, et non par une adresse IP : adressez-vous à votre administrateur.",
	"no enrolment in progress, or it expired: start again":                                           "Aucun enregistrement n'est en cours, ou il a expiré : recommencez.",
	"this account is not managed by Kaz's provider":                                                  "Ce compte n'est pas géré par le fournisseur d'identité de Kaz.",
	"invalid request body":                                                "La demande est invalide. Rechargez la page, puis réessayez.",
	"wrong code: check your phone's clock and try again":                  "Code incorrect : vérifiez l'heure de votre téléphone, puis réessayez.",
	"too many attempts: try again in a few minutes":                       "Trop d'essais infructueux : réessayez dans quelques minutes.",
	"no such second factor":                                               "Ce second facteur n'existe pas.",
	"this is your only second factor: add another one before removing it": "C'est votre seul second facteur : ajoutez-en un autre avant de le supprimer.",
	"the security key was not accepted: try again":                        "La clé de sécurité n'a pas été acceptée : réessayez.",
	"add a second factor first":                                           "Ajoutez d'abord un second facteur.",

	// Document libraries (server/api_docs.go)
	"document libraries are not available":                                              "Les bibliothèques de documents ne sont pas disponibles pour le moment.",
	"not found (or you do not have access)":                                             "Élément introuvable, ou vous n'y avez pas accès.",
	"your role in this library does not allow this":                                     "Votre rôle dans cette bibliothèque ne vous permet pas de faire cette action.",
	"an item with this name already exists":                                             "Un élément porte déjà ce nom.",
	"another item in this folder has the same name with different upper and lower case": "Un autre élément de ce dossier porte le même nom, à la casse près (majuscules et minuscules).",
	"the item is locked by someone else":                                                "Cet élément est verrouillé par une autre personne.",
	"the item changed meanwhile, or the destination exists":                             "L'élément a été modifié entre-temps, ou la destination existe déjà.",
	"the library's quota is exceeded":                                                   "L'espace de stockage de la bibliothèque est plein.",
	"the upload did not arrive whole; nothing was changed":                              "Le fichier n'est pas arrivé en entier ; rien n'a été modifié. Réessayez.",
	"the upload is longer than announced; nothing was changed":                          "Le fichier envoyé est plus long que prévu ; rien n'a été modifié.",
	"invalid name (forbidden characters, reserved or too long)":                         "Ce nom n'est pas valide : il contient des caractères interdits, est réservé ou est trop long.",
	"the parent folder does not exist, or the operation conflicts":                      "Le dossier parent n'existe pas, ou l'opération est en conflit avec une autre.",
	"this is a folder":                                   "Cet élément est un dossier.",
	"this is not a folder":                               "Cet élément n'est pas un dossier.",
	"a folder cannot be moved into itself":               "Un dossier ne peut pas être déplacé dans lui-même.",
	"this lock does not apply here":                      "Ce verrou ne s'applique pas à cet élément.",
	"invalid JSON body":                                  "La demande est invalide. Rechargez la page, puis réessayez.",
	"invalid version number":                             "Ce numéro de version n'est pas valide.",
	"invalid recycle bin entry":                          "Cet élément de la corbeille n'est pas valide.",
	"invalid 'before'":                                   "Le paramètre « before » n'est pas valide.",
	"invalid 'limit'":                                    "Le paramètre « limit » n'est pas valide.",
	"invalid date (use 2026-03-01)":                      "Date invalide : utilisez le format 2026-03-01.",
	"invalid quota (for example 500M, 10G or unlimited)": "Quota invalide : indiquez par exemple 500M, 10G ou unlimited.",

	// Search (server/api_search.go)
	"search is not available":                        "La recherche n'est pas disponible pour le moment.",
	"query too long":                                 "La recherche est trop longue : raccourcissez-la.",
	"limit must be a number between 1 and 100":       "Le nombre de résultats doit être compris entre 1 et 100.",
	"limit must be a number between 1 and 20":        "Le nombre de suggestions doit être compris entre 1 et 20.",
	"modified_after must be a date like 2026-03-01":  "La date de début doit être au format 2026-03-01.",
	"modified_before must be a date like 2026-03-01": "La date de fin doit être au format 2026-03-01.",
	"invalid search: sort by relevance or by date, and put the start date before the end date": "Recherche invalide : triez par pertinence ou par date, et indiquez une date de début antérieure à la date de fin.",
	"this page link has expired: search again":                                                 "Ce lien de page a expiré : relancez la recherche.",
	"a reindex is already running":                                                             "Une réindexation est déjà en cours.",

	// Telephony (server/api_phone.go, server/wire_phone.go, softphone)
	"telephony is not configured on this server":                  "La téléphonie n'est pas configurée sur ce serveur.",
	"this page may not use the phone (origin not allowed)":        "Cette page n'est pas autorisée à utiliser le téléphone.",
	"the phone is unavailable":                                    "Le téléphone n'est pas disponible pour le moment.",
	"phone unavailable":                                           "Le téléphone n'est pas disponible pour le moment.",
	"the softphone is not configured":                             "Le téléphone n'est pas configuré sur ce serveur.",
	"no phone account is configured for you":                      "Aucun compte téléphonique n'est configuré pour vous : adressez-vous à votre administrateur.",
	"the call history is unavailable":                             "L'historique des appels n'est pas disponible pour le moment.",
	"search text too long":                                        "Le texte recherché est trop long.",
	"the directory is unavailable":                                "L'annuaire n'est pas disponible pour le moment.",
	"phone accounts are unavailable":                              "Les comptes téléphoniques ne sont pas disponibles pour le moment.",
	"this user has no phone account":                              "Cet utilisateur n'a pas de compte téléphonique.",
	"invalid user name":                                           "Ce nom d'utilisateur n'est pas valide.",
	"invalid JSON body (expected extension, auth_user, password)": "La demande est invalide : indiquez le poste, l'identifiant SIP et le mot de passe.",
	"the extension must be 1 to 32 digits or letters":             "Le numéro de poste doit comporter de 1 à 32 chiffres ou lettres.",
	"the authentication user must be 1 to 32 digits or letters":   "L'identifiant SIP doit comporter de 1 à 32 chiffres ou lettres.",
	"password too long":                                           "Le mot de passe est trop long.",
	"no such Kaz user":                                            "Cet utilisateur n'existe pas dans Kaz.",
	"a password is required for a new phone account":              "Un mot de passe est obligatoire pour créer un compte téléphonique.",
	"the phone account could not be saved":                        "Le compte téléphonique n'a pas pu être enregistré. Réessayez.",
	"the phone account could not be removed":                      "Le compte téléphonique n'a pas pu être supprimé. Réessayez.",
}
