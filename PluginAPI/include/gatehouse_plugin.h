/*
 * gatehouse_plugin.h — the Gatehouse plugin ABI, version 1.
 *
 * This header is the whole contract between the Gatehouse host and a plugin. A plugin is a
 * shared library that exports exactly one symbol, `gatehouse_plugin_entry_v1`, and links
 * nothing from the host: everything it needs from the host comes through `gh_host_api`.
 *
 * Stability rules (see docs/plugin-abi.md):
 *   - The major version changes only when an existing declaration changes meaning or layout.
 *     The host refuses a plugin whose major differs from its own.
 *   - The minor version grows when something is added. Structures only ever grow at the end;
 *     each starts with its own size so either side can tell what the other knows. The host
 *     accepts plugins built against an older minor.
 *   - Only plain C data crosses the boundary: sized byte buffers, enums with explicit values,
 *     opaque handles. Nothing unwinds across it; errors are status codes plus messages.
 *
 * Ownership, everywhere below:
 *   - `gh_bytes` is borrowed: valid only for the duration of the call it is passed to.
 *   - A `gh_buf` filled in by the HOST is owned by the plugin afterwards and must be released
 *     with `host->free_buf`.
 *   - A `gh_buf` filled in by the PLUGIN (from `handle` or `init`) is released by the host
 *     with the descriptor's `free_buf`, so each side frees only what its own allocator made.
 *
 * Threading: the host may call `handle` from several threads at once, for different
 * requests, on its own worker threads (never on an event loop), so a plugin may block in
 * host calls. A plugin's state must be safe for concurrent use. `init`, `reconfigure`,
 * `quiesce` and `deinit` are never called concurrently with each other.
 */
#ifndef GATEHOUSE_PLUGIN_H
#define GATEHOUSE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GATEHOUSE_ABI_MAJOR 1
#define GATEHOUSE_ABI_MINOR 11

/* The name of the one exported symbol; the major version is part of it. */
#define GATEHOUSE_PLUGIN_ENTRY_SYMBOL "gatehouse_plugin_entry_v1"

/* ------------------------------------------------------------------ basic types */

/* A borrowed run of bytes (UTF-8 text unless said otherwise); not NUL-terminated. */
typedef struct gh_bytes {
    const uint8_t *ptr;
    size_t len;
} gh_bytes;

/* An owned run of bytes; see "Ownership" above for who frees it. {NULL, 0} is empty. */
typedef struct gh_buf {
    uint8_t *ptr;
    size_t len;
} gh_buf;

typedef enum gh_status {
    GH_OK = 0,
    GH_ERROR = 1,          /* failed; a message is in the error buffer when one was given */
    GH_NOT_FOUND = 2,      /* the thing asked for does not exist (kv key, row, ...) */
    GH_INVALID = 3,        /* bad input, or a signature / password / cookie that does not verify */
    GH_DENIED = 4,         /* not allowed (e.g. a table outside the plugin's reach) */
    GH_UNSUPPORTED = 5     /* the host does not offer this (operation or algorithm unknown) */
} gh_status;

typedef enum gh_log_level {
    GH_LOG_DEBUG = 0,
    GH_LOG_INFO = 1,
    GH_LOG_WARNING = 2,
    GH_LOG_ERROR = 3
} gh_log_level;

typedef enum gh_hash_alg {
    GH_HASH_SHA256 = 1,
    GH_HASH_SHA384 = 2,
    GH_HASH_SHA512 = 3,
    GH_HASH_SHA1 = 4       /* only for protocols that require it (TOTP) */
} gh_hash_alg;

/* What the host is asking `handle` to do; `index` picks the entry in the manifest's list. */
typedef enum gh_callback_kind {
    GH_CALL_ENDPOINT = 1,      /* manifest "endpoints"[index] */
    GH_CALL_BEFORE_HOOK = 2,   /* manifest "hooks"."before"[index] */
    GH_CALL_AFTER_HOOK = 3,    /* manifest "hooks"."after"[index] */
    GH_CALL_MIDDLEWARE = 4,    /* manifest "middlewares"[index] */
    GH_CALL_ON_REQUEST = 5,    /* index 0 */
    GH_CALL_ON_RESPONSE = 6,   /* index 0 */
    GH_CALL_EVENT = 7,         /* manifest "events"[index]; since ABI 1.1, only for plugins built for 1.1 or later */
    GH_CALL_JOB = 8,           /* manifest "jobs"[index], on a worker thread; since ABI 1.2 */
    GH_CALL_SERVICE = 9        /* manifest "services"[index], called by another plugin; since ABI 1.2 */
} gh_callback_kind;

/* Opaque handle to the host side of one loaded plugin instance; passed back in host calls. */
typedef struct gh_host gh_host;

/* ------------------------------------------------------------------ host function table */

/*
 * Provided by the host to `init`; valid until `deinit` returns. `struct_size` tells how many
 * members this host fills: check `struct_size > offsetof(gh_host_api, member)` before using
 * a member added after the minor you built against. Every function is thread-safe.
 * Functions that fill an `out` buffer allocate it with the host allocator (free with free_buf).
 */
typedef struct gh_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;

    /* Releases a buffer the host filled in. NULL pointers are ignored. */
    void (*free_buf)(gh_buf buf);

    /* Writes one line to the server log, tagged with the plugin id. Never log secrets. */
    void (*log)(gh_host *host, gh_log_level level, gh_bytes message);

    /* The plugin's settings (`plugins.<id>` in the configuration) as a JSON object. */
    gh_status (*config)(gh_host *host, gh_buf *out_json);

    /* Fills `out[0..len)` from the system CSPRNG. */
    gh_status (*random_bytes)(gh_host *host, uint8_t *out, size_t len);

    /* Digest of `data`. */
    gh_status (*hash)(gh_host *host, gh_hash_alg alg, gh_bytes data, gh_buf *out_digest);

    /* HMAC of `data` under `key`; an empty key means the server secret. */
    gh_status (*hmac)(gh_host *host, gh_hash_alg alg, gh_bytes key, gh_bytes data, gh_buf *out_mac);

    /*
     * Better Auth's `symmetricEncrypt`: XChaCha20-Poly1305 with key SHA-256(server secret),
     * output hex(nonce || ciphertext) as text. `decrypt` returns GH_INVALID for anything that
     * does not authenticate.
     */
    gh_status (*encrypt)(gh_host *host, gh_bytes plaintext, gh_buf *out_hex);
    gh_status (*decrypt)(gh_host *host, gh_bytes hex, gh_buf *out_plaintext);

    /* The server's password hash (scrypt `salt:key` or argon2id); verify returns GH_OK or GH_INVALID. */
    gh_status (*password_hash)(gh_host *host, gh_bytes password, gh_buf *out_hash);
    gh_status (*password_verify)(gh_host *host, gh_bytes password, gh_bytes hash);

    /*
     * Signed values as in Better Auth's signed cookies: `sign` returns
     * `value.base64(HMAC-SHA256(secret, value))`; `verify` returns the value for a genuine
     * signed value and GH_INVALID otherwise. `cookie_name` turns "two_factor" into the full
     * cookie name ("better-auth.two_factor", with "__Secure-" on https).
     */
    gh_status (*sign_value)(gh_host *host, gh_bytes value, gh_buf *out_signed);
    gh_status (*verify_value)(gh_host *host, gh_bytes signed_value, gh_buf *out_value);
    gh_status (*cookie_name)(gh_host *host, gh_bytes base_name, gh_buf *out_name);

    /*
     * Key-value store with time-to-live (seconds; 0 = no expiry), namespaced by plugin id and
     * shared by every instance of the plugin, in every Gatehouse process on the same database;
     * it survives restarts. `kv_increment` adds `delta` atomically across processes (a missing
     * key counts as 0; a new key gets `ttl_seconds`) and returns the new value. Since ABI 1.2
     * these wait for the database: GH_DENIED in a callback declared "blocking": false.
     */
    gh_status (*kv_get)(gh_host *host, gh_bytes key, gh_buf *out_value);
    gh_status (*kv_set)(gh_host *host, gh_bytes key, gh_bytes value, int64_t ttl_seconds);
    gh_status (*kv_delete)(gh_host *host, gh_bytes key);
    gh_status (*kv_increment)(gh_host *host, gh_bytes key, int64_t delta, int64_t ttl_seconds, int64_t *out_value);

    /*
     * Everything else, as a JSON request and a JSON answer, named by `operation`: database
     * statements and batches ("db.query", "db.transaction", limited to the core tables and the
     * plugin's own), the internal adapter ("users.find", "sessions.create", ...), email, events
     * and more. The catalogue of operations, each with its request and answer, is in
     * docs/plugin-abi.md; a host answers GH_UNSUPPORTED for an operation it does not know, so
     * operations can be added without changing this header. On failure the status is not GH_OK
     * and, when `out_error` is not NULL, it holds a JSON `{code, message}`.
     */
    gh_status (*call)(gh_host *host, gh_bytes operation, gh_bytes request_json, gh_buf *out_json, gh_buf *out_error);
} gh_host_api;

/* ------------------------------------------------------------------ the plugin descriptor */

typedef struct gh_plugin_descriptor {
    uint32_t struct_size;   /* sizeof(gh_plugin_descriptor) as the plugin was compiled */
    uint16_t abi_major;     /* GATEHOUSE_ABI_MAJOR */
    uint16_t abi_minor;     /* GATEHOUSE_ABI_MINOR */

    const char *id;         /* unique, [a-z0-9-]+ */
    const char *version;    /* the plugin's own version, e.g. "1.2.0" */
    const char *name;       /* human-readable */
    /*
     * The Swift toolchain the plugin was built with (e.g. "6.3.1"), or NULL for a plugin with
     * no Swift code. Linux Swift has no stable ABI, so the host refuses a Swift plugin built
     * with another toolchain.
     */
    const char *swift_toolchain;
    /*
     * The manifest: a JSON document (UTF-8, NUL-terminated) declaring what the plugin adds —
     * endpoints, hooks, middlewares, onRequest/onResponse, rate limits, schema, error codes,
     * required plugins, event subscriptions (1.1), jobs, services and used plugins (1.2),
     * endpoints exempt from the origin check (1.3), endpoints that read their raw body or
     * serve every path below a prefix (1.4), user fields that stop email to the user and
     * endpoints under the form-CSRF rule (1.5), field defaults taken from settings (1.6),
     * well-known URIs served outside the base path (1.7), the statuses each endpoint answers
     * for the OpenAPI document (1.8), endpoint paths ending in `/` and the plugin directory's
     * management (`managesPlugins`, 1.10), headers the host adds to every answer of an endpoint,
     * its own refusals included (`responseHeaders`, 1.11).
     * Its format is specified in docs/plugin-abi.md.
     */
    const char *manifest_json;

    /*
     * Creates the plugin's state from its JSON settings. On failure returns non-GH_OK and may
     * fill `out_error` (freed by the host with `free_buf`). `host` and `handle` stay valid
     * until `deinit` returns.
     */
    gh_status (*init)(const gh_host_api *host, gh_host *handle, gh_bytes config_json, void **out_state, gh_buf *out_error);

    /* New settings for a live instance; NULL if the plugin must be re-created instead. */
    gh_status (*reconfigure)(void *state, gh_bytes config_json, gh_buf *out_error);

    /* No new calls will arrive; calls in flight may still finish. May be NULL. */
    void (*quiesce)(void *state);

    /* Every call has finished; release the state. */
    void (*deinit)(void *state);

    /*
     * Serves one callback. `envelope_json` describes the request (and, for after-hooks and
     * onResponse, the answer so far); the plugin fills `out_json` with its result envelope.
     * Both formats are in docs/plugin-abi.md; since 1.3 an answer may carry a text body that is
     * not JSON, with its own content type, and since 1.9 an after-hook or onResponse answer may
     * let the host reuse it for the same envelope (`reuseFor`), and since 1.10 a cookie may carry
     * its own `path` and `sameSite`. Returning non-GH_OK is answered
     * as a 500.
     */
    gh_status (*handle)(void *state, gh_callback_kind kind, uint32_t index, gh_bytes envelope_json, gh_buf *out_json);

    /* Releases a buffer this plugin filled in (from `init` or `handle`). */
    void (*free_buf)(gh_buf buf);
} gh_plugin_descriptor;

/* The one symbol a plugin exports. Returns a pointer to constant, static data. */
typedef const gh_plugin_descriptor *(*gh_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* GATEHOUSE_PLUGIN_H */
