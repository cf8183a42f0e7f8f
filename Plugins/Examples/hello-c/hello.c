/*
 * hello-c — a third-party Gatehouse plugin in plain C, built with nothing but the header:
 *
 *   cc -shared -fPIC -fvisibility=hidden -I PluginAPI/include \
 *      -o plugins.d/hello-c.so Plugins/Examples/hello-c/hello.c
 *
 * It adds one endpoint, GET /hello-c, which answers with its settings (`plugins.hello-c`),
 * and one after-hook on /sign-in/email that adds the header `x-hello-c: seen`.
 */
#include <stdlib.h>
#include <string.h>

#include "gatehouse_plugin.h"

#define EXPORT __attribute__((visibility("default")))

typedef struct hello_state {
    const gh_host_api *host;
    gh_host *handle;
} hello_state;

/* Both callbacks only use non-blocking host functions and need no request data, so they ask
   to run on the request's own thread with an empty envelope. */
static const char manifest[] =
    "{\"endpoints\":[{\"method\":\"GET\",\"path\":\"/hello-c\",\"summary\":\"Greets from a C plugin\","
    "\"blocking\":false,\"envelope\":[]}],"
    "\"hooks\":{\"after\":[{\"matcher\":\"/sign-in/email\",\"blocking\":false,\"envelope\":[]}]},"
    "\"errorCodes\":{\"HELLO_FAILED\":\"Hello failed\"}}";

/* Copies `len` bytes of `text` into a buffer this plugin owns (released by hello_free). */
static gh_buf own(const char *text, size_t len) {
    gh_buf buf = {malloc(len), len};
    if (buf.ptr) memcpy(buf.ptr, text, len);
    else buf.len = 0;
    return buf;
}

static void hello_free(gh_buf buf) { free(buf.ptr); }

static gh_status hello_init(const gh_host_api *host, gh_host *handle, gh_bytes config, void **out_state, gh_buf *out_error) {
    (void)config;
    if (host->struct_size < sizeof(gh_host_api) || host->abi_major != GATEHOUSE_ABI_MAJOR) {
        static const char message[] = "host ABI too old";
        *out_error = own(message, sizeof message - 1);
        return GH_UNSUPPORTED;
    }
    hello_state *state = calloc(1, sizeof *state);
    if (!state) return GH_ERROR;
    state->host = host;
    state->handle = handle;
    static const char line[] = "hello-c ready";
    host->log(handle, GH_LOG_INFO, (gh_bytes){(const uint8_t *)line, sizeof line - 1});
    *out_state = state;
    return GH_OK;
}

static void hello_deinit(void *state) { free(state); }

static gh_status hello_handle(void *opaque, gh_callback_kind kind, uint32_t index, gh_bytes envelope, gh_buf *out) {
    (void)envelope;
    (void)index;
    hello_state *state = opaque;
    if (kind == GH_CALL_ENDPOINT) {
        gh_buf config = {0};
        if (state->host->config(state->handle, &config) != GH_OK) return GH_ERROR;
        static const char head[] = "{\"status\":200,\"body\":{\"message\":\"hello from C\",\"settings\":";
        static const char tail[] = "}}";
        size_t len = sizeof head - 1 + config.len + sizeof tail - 1;
        char *text = malloc(len);
        if (!text) {
            state->host->free_buf(config);
            return GH_ERROR;
        }
        memcpy(text, head, sizeof head - 1);
        memcpy(text + sizeof head - 1, config.ptr, config.len);
        memcpy(text + sizeof head - 1 + config.len, tail, sizeof tail - 1);
        state->host->free_buf(config);
        *out = (gh_buf){(uint8_t *)text, len};
        return GH_OK;
    }
    if (kind == GH_CALL_AFTER_HOOK) {
        static const char keep[] = "{\"action\":\"keep\",\"headers\":{\"x-hello-c\":\"seen\"}}";
        *out = own(keep, sizeof keep - 1);
        return GH_OK;
    }
    return GH_UNSUPPORTED;
}

static const gh_plugin_descriptor descriptor = {
    .struct_size = sizeof(gh_plugin_descriptor),
    .abi_major = GATEHOUSE_ABI_MAJOR,
    .abi_minor = GATEHOUSE_ABI_MINOR,
    .id = "hello-c",
    .version = "1.0.0",
    .name = "Hello from C",
    .swift_toolchain = NULL,
    .manifest_json = manifest,
    .init = hello_init,
    .reconfigure = NULL,
    .quiesce = NULL,
    .deinit = hello_deinit,
    .handle = hello_handle,
    .free_buf = hello_free,
};

EXPORT const gh_plugin_descriptor *gatehouse_plugin_entry_v1(void) { return &descriptor; }
