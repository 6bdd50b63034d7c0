// Package idp is Kaz's built-in OpenID provider, served at /idp/ for the
// default deployment: zitadel/oidc's op over Kaz's database, with its own
// login pages (password, then a TOTP code, a WebAuthn security key or a
// recovery code; enrolment of a first second factor at first sign-in).
// Kaz's relying party (server/auth) reaches it over HTTP like any other
// provider.
//
// Security notes:
//   - passwords are argon2id hashes (PHC strings); recovery codes and
//     refresh tokens and authorization codes are stored as SHA-256 hashes;
//     TOTP secrets and the RS256 signing key are stored in the database,
//     which must be protected like any secret store;
//   - failed attempts (password or second factor) lock the user and the
//     client address out for a while (Config.LockoutDuration);
//   - a sign-in is bound to the browser that typed the password (an
//     HttpOnly cookie) and every form carries a CSRF token derived from it;
//   - PKCE S256 is required; the ID token carries amr (RFC 8176) and acr
//     saying which factors were used, and a sid for back-channel logout;
//   - ending a provider session (RP-initiated logout, a disabled user)
//     sends logout tokens to the clients' backchannel_logout_uri.
package idp
