// Package dav serves the document libraries over WebDAV (RFC 4918 class 1
// and 2, RFC 4331 quota properties, and the Microsoft extensions that
// Office and the Windows WebDAV redirector rely on) on top of docstore.
//
// The handler is mounted at /dav/: /dav/ lists the principal's libraries as
// collections and /dav/<library>/… maps onto the library's items. Every
// operation goes through docstore, which checks permissions and locks for
// the principal; this package translates the protocol.
//
// Security notes: request bodies are parsed with hard limits (size,
// nesting depth, no DTD or entity declarations); Destination headers must
// name this server; error responses carry plain messages and never the
// text of an internal error.
package dav
