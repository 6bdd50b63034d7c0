// Package auth owns sign-in: Kaz's OpenID Connect relying party
// (coreos/go-oidc/v3 + x/oauth2, authorization code flow with PKCE S256),
// server-side sessions, app passwords (device passwords for WebDAV mounts,
// office suites and rclone), MS-OFBA for Microsoft Office, and the
// Principal type that every other part reads.
//
// Security notes:
//   - The state is single-use and bound to the browser by a short-lived
//     HttpOnly cookie holding its hash; the nonce, issuer (also RFC 9207's
//     iss parameter), audience, azp, expiry, signature and algorithm (the
//     provider's advertised asymmetric ones only) of the ID token are
//     checked, and the userinfo sub must equal the ID token's.
//   - With require_mfa, a sign-in whose acr/amr show no second factor is
//     refused: no session is created.
//   - Session ids and app passwords are random (256 and 150 bits) and stored
//     only as HMAC-SHA256 under a server secret kept in the database;
//     provider tokens kept for refresh and sign-out are AES-GCM encrypted.
//   - A session cookie is an ambient credential: every state-changing /api/
//     call made with it needs the session's CSRF token (X-Kaz-CSRF) and, when
//     sent, Kaz's own Origin. Basic credentials are not ambient and are
//     exempt. Failed app-password attempts are throttled per user name and
//     per client address.
//   - A provider identity (issuer, sub) is bound to one Kaz user name at its
//     first sign-in: a changed or reused user-name claim cannot move it onto
//     another account.
//   - Bearer access tokens are accepted only as RFC 9068 JWTs (typ at+jwt,
//     so an ID token is never taken for one) for Kaz's client id or public
//     URL, from an identity that signed in before, with a second factor
//     when required. Opaque tokens are refused.
//   - A disabled user authenticates by no means (RevokeUser also ends the
//     user's sessions and app passwords).
package auth
