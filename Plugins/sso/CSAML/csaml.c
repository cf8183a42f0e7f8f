#include "csaml.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <libxml/parser.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/crypto.h>
#include <xmlsec/io.h>

static pthread_once_t initialised = PTHREAD_ONCE_INIT;
static int ready = 0;

/* xmlsec and libxml2 report through callbacks that print by default: keep them quiet. */
static void quiet_xmlsec(const char *file, int line, const char *func, const char *object, const char *subject,
                         int reason, const char *message) {
    (void)file; (void)line; (void)func; (void)object; (void)subject; (void)reason; (void)message;
}

static void quiet_xml(void *context, const char *message, ...) { (void)context; (void)message; }

static void initialise(void) {
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet_xml);
    if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1) return;
    xmlSecErrorsSetCallback(quiet_xmlsec);
    if (xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) return;
    // No http://, ftp:// or file reads on xmlsec's behalf, whatever a document names.
    xmlSecIOCleanupCallbacks();
    ready = 1;
}

static void say(char *why, size_t size, const char *format, ...) {
    if (!why || size == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(why, size, format, args);
    va_end(args);
}

/* Registers every ID attribute below `node`; 0 on a duplicate. */
static int register_ids(xmlDocPtr doc, xmlNodePtr node) {
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) continue;
        xmlAttrPtr id = xmlHasNsProp(node, BAD_CAST "ID", NULL);
        if (id) {
            xmlChar *value = xmlNodeListGetString(doc, id->children, 1);
            int added = value && xmlGetID(doc, value) == NULL && xmlAddID(NULL, doc, value, id) != NULL;
            if (value) xmlFree(value);
            if (!added) return 0;
        }
        if (!register_ids(doc, node->children)) return 0;
    }
    return 1;
}

csaml_document *csaml_parse(const char *xml, size_t length, char *why, size_t why_size) {
    pthread_once(&initialised, initialise);
    if (length > (size_t)INT32_MAX) { say(why, why_size, "the document is too large"); return NULL; }
    xmlDocPtr doc = xmlReadMemory(xml, (int)length, "saml.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc) { say(why, why_size, "the document is not well-formed XML"); return NULL; }
    if (doc->intSubset || doc->extSubset) {
        say(why, why_size, "a document type declaration (DOCTYPE) is not allowed");
        xmlFreeDoc(doc);
        return NULL;
    }
    if (!register_ids(doc, xmlDocGetRootElement(doc))) {
        say(why, why_size, "an ID attribute is repeated");
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

static xmlSecKeyPtr load_certificate(const char *pem, size_t length) {
    return xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)pem, (xmlSecSize)length, xmlSecKeyDataFormatCertPem, NULL, NULL, NULL);
}

int csaml_certificate_is_usable(const char *pem, size_t pem_length) {
    pthread_once(&initialised, initialise);
    if (!ready) return 0;
    xmlSecKeyPtr key = load_certificate(pem, pem_length);
    if (!key) return 0;
    xmlSecKeyDestroy(key);
    return 1;
}

/* The one child element of `node` named `name` in the XML-DSig namespace; NULL if none or several. */
static xmlNodePtr only_child(xmlNodePtr node, const char *name) {
    xmlNodePtr found = NULL;
    for (xmlNodePtr child = node ? node->children : NULL; child; child = child->next) {
        if (child->type != XML_ELEMENT_NODE || !child->ns || !xmlStrEqual(child->ns->href, xmlSecDSigNs)) continue;
        if (!xmlStrEqual(child->name, BAD_CAST name)) continue;
        if (found) return NULL;
        found = child;
    }
    return found;
}

/* Whether `uri` is `#<ID of the signature's parent>` (the ID attribute without a namespace). */
static int names_parent(const xmlChar *uri, xmlNodePtr signature) {
    xmlAttrPtr id = signature->parent ? xmlHasNsProp(signature->parent, BAD_CAST "ID", NULL) : NULL;
    if (!uri || uri[0] != '#' || !id) return 0;
    xmlChar *value = xmlNodeListGetString(signature->doc, id->children, 1);
    int same = value && xmlStrEqual(uri + 1, value);
    if (value) xmlFree(value);
    return same;
}

/*
 * The shape SAML signatures have, checked before xmlsec computes anything: one SignedInfo with
 * exactly one Reference to the parent element, and no ds:Object (so no Manifest to follow).
 */
static int has_saml_shape(xmlNodePtr signature) {
    xmlNodePtr signed_info = only_child(signature, "SignedInfo");
    xmlNodePtr reference = only_child(signed_info, "Reference");
    for (xmlNodePtr child = signature->children; child; child = child->next) {
        if (child->type == XML_ELEMENT_NODE && xmlStrEqual(child->name, BAD_CAST "Object")) return 0;
    }
    if (!reference) return 0;
    xmlChar *uri = xmlGetNoNsProp(reference, BAD_CAST "URI");
    int ok = names_parent(uri, signature);
    if (uri) xmlFree(uri);
    return ok;
}

/* Whether the one Reference xmlsec processed names `#<ID of the signature's parent>`. */
static int references_parent(xmlSecDSigCtxPtr ctx, xmlNodePtr signature) {
    if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) return 0;
    xmlSecDSigReferenceCtxPtr reference = xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);
    return reference && names_parent(reference->uri, signature);
}

int csaml_verify_signature(csaml_node *signature, const char *pem, size_t pem_length, char *why, size_t why_size) {
    pthread_once(&initialised, initialise);
    if (!ready) { say(why, why_size, "xmlsec could not be initialised"); return -1; }
    if (!has_saml_shape(signature)) {
        say(why, why_size, "the signature must have one Reference to the element that holds it, and no Object");
        return 0;
    }
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    if (!ctx) { say(why, why_size, "out of memory"); return -1; }
    // The configured certificate's key, and nothing KeyInfo says.
    ctx->signKey = load_certificate(pem, pem_length);
    if (!ctx->signKey) {
        xmlSecDSigCtxDestroy(ctx);
        say(why, why_size, "the configured certificate is not a usable PEM certificate");
        return -1;
    }
    // Only what SAML signatures use: no XPath, XSLT or base64 transforms, no HMAC or DSA.
    xmlSecTransformId references[] = {
        xmlSecTransformEnvelopedId, xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId, xmlSecTransformInclC14NId,
        xmlSecTransformInclC14NWithCommentsId, xmlSecTransformSha1Id, xmlSecTransformSha256Id, xmlSecTransformSha384Id,
        xmlSecTransformSha512Id,
    };
    xmlSecTransformId signatures[] = {
        xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId, xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
        xmlSecTransformRsaSha1Id, xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id, xmlSecTransformRsaSha512Id,
        xmlSecTransformEcdsaSha256Id, xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id,
    };
    // References inside this document only; Manifests never followed.
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    ctx->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
    int allowed = 1;
    for (size_t i = 0; i < sizeof references / sizeof *references; i++) {
        allowed = allowed && xmlSecDSigCtxEnableReferenceTransform(ctx, references[i]) >= 0;
    }
    for (size_t i = 0; i < sizeof signatures / sizeof *signatures; i++) {
        allowed = allowed && xmlSecDSigCtxEnableSignatureTransform(ctx, signatures[i]) >= 0;
    }
    int valid = 0;
    if (!allowed) {
        say(why, why_size, "xmlsec refused the transform list");
    } else if (xmlSecDSigCtxVerify(ctx, signature) < 0 || ctx->status != xmlSecDSigStatusSucceeded) {
        say(why, why_size, "the signature does not verify with the configured certificate");
    } else if (!references_parent(ctx, signature)) {
        say(why, why_size, "the signature does not cover the element that holds it");
    } else {
        valid = 1;
    }
    xmlSecDSigCtxDestroy(ctx);
    return valid;
}

void csaml_free_document(csaml_document *document) { xmlFreeDoc(document); }

csaml_node *csaml_root(csaml_document *document) { return xmlDocGetRootElement(document); }

csaml_node *csaml_first_child(csaml_node *node) { return node->children; }

csaml_node *csaml_next(csaml_node *node) { return node->next; }

csaml_node *csaml_parent(csaml_node *node) {
    return node->parent && node->parent->type == XML_ELEMENT_NODE ? node->parent : NULL;
}

int csaml_is_element(csaml_node *node, const char *name, const char *namespace_uri) {
    if (node->type != XML_ELEMENT_NODE) return 0;
    if (!name) return 1;
    return node->name && xmlStrEqual(node->name, BAD_CAST name) && node->ns && node->ns->href
        && xmlStrEqual(node->ns->href, BAD_CAST namespace_uri);
}

/* A malloc'd copy of libxml2's text (freed with its own allocator). */
static char *own(xmlChar *text) {
    if (!text) return NULL;
    char *copy = strdup((const char *)text);
    xmlFree(text);
    return copy;
}

char *csaml_attribute(csaml_node *node, const char *name) { return own(xmlGetNoNsProp(node, BAD_CAST name)); }

char *csaml_text(csaml_node *node) { return own(xmlNodeGetContent(node)); }

void csaml_free_text(char *text) { free(text); }

size_t csaml_deflate(const unsigned char *in, size_t length, unsigned char *out, size_t capacity) {
    if (length > UINT32_MAX || capacity > UINT32_MAX) return 0;
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    // Negative window bits: raw DEFLATE, as the binding requires.
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    stream.next_in = (Bytef *)in;
    stream.avail_in = (uInt)length;
    stream.next_out = out;
    stream.avail_out = (uInt)capacity;
    int status = deflate(&stream, Z_FINISH);
    size_t written = stream.total_out;
    deflateEnd(&stream);
    return status == Z_STREAM_END ? written : 0;
}
