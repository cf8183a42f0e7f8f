#ifndef GATEHOUSE_CSAML_H
#define GATEHOUSE_CSAML_H

/*
 * SAML messages read with libxml2 and their XML signatures checked with xmlsec1, behind plain
 * functions: xmlsec's crypto API is mostly macros, and libxml2's headers pull in ICU, which Swift
 * cannot import beside Foundation. Documents and nodes are opaque; text comes back malloc'd, freed
 * with csaml_free_text.
 */

#include <stddef.h>

typedef struct _xmlDoc csaml_document;
typedef struct _xmlNode csaml_node;

/*
 * Parses a SAML message: no network, no DTD loaded, no entity substituted, nothing printed. A
 * document with a DOCTYPE is refused (entity tricks, billion laughs), as is one whose `ID`
 * attributes are not unique: each `ID` is registered as an XML ID, so a signature's
 * `Reference URI="#…"` finds its element. Returns NULL with `why` filled on refusal.
 */
csaml_document *csaml_parse(const char *xml, size_t length, char *why, size_t why_size);
void csaml_free_document(csaml_document *document);

csaml_node *csaml_root(csaml_document *document);
/* Any kind of node (elements, text, comments); NULL past the end. */
csaml_node *csaml_first_child(csaml_node *node);
csaml_node *csaml_next(csaml_node *node);
csaml_node *csaml_parent(csaml_node *node);
/* Whether `node` is an element; with `name` and `namespace_uri`, that element in that namespace. */
int csaml_is_element(csaml_node *node, const char *name, const char *namespace_uri);
/* An attribute without a namespace (`ID`, `Recipient`), or NULL. */
char *csaml_attribute(csaml_node *node, const char *name);
/* The text of every text node below `node`, joined: comments and elements add nothing. */
char *csaml_text(csaml_node *node);
void csaml_free_text(char *text);

/*
 * Checks the enveloped XML signature `signature` (a ds:Signature element) with the key of the PEM
 * certificate `pem` only, never one named in KeyInfo. Valid only if it has exactly one Reference,
 * no ds:Object (no Manifest is ever followed, and no URI outside the document is ever read),
 * that Reference points (`#ID`) at the signature's parent element, its transforms are the
 * enveloped-signature transform and canonicalization, its algorithms RSA or ECDSA with SHA-1 or
 * SHA-2, and the digest and signature match. Returns 1 when valid, 0 when not, -1 when the
 * certificate is unusable; `why` says which.
 */
int csaml_verify_signature(csaml_node *signature, const char *pem, size_t pem_length, char *why, size_t why_size);

/* Whether `pem` holds a certificate whose public key xmlsec can use. */
int csaml_certificate_is_usable(const char *pem, size_t pem_length);

/*
 * Raw DEFLATE (RFC 1951, no zlib header) of `length` bytes, as SAML's HTTP-Redirect binding sends
 * a message (zlib). Writes at most `capacity` bytes to `out`; returns how many, or 0 on failure
 * (`capacity` too small). `length + length / 1000 + 64` is always enough.
 */
size_t csaml_deflate(const unsigned char *in, size_t length, unsigned char *out, size_t capacity);

#endif
