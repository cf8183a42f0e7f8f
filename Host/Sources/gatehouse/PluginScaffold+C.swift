import Foundation

extension PluginScaffold {
    /// A C plugin built from the header alone: a copy of the checkout's header, the source, a
    /// Makefile (`make` → NAME.so, `make test` → a tiny host that loads it and checks the answer),
    /// and a README.
    static func cProject(id: String, gatehouse: Gatehouse) throws(Failure) -> Project {
        [
            ("gatehouse_plugin.h", try gatehouse.header()),
            ("\(id).c", #"""
            /*
             * \#(id) — a Gatehouse plugin in C, built with nothing but gatehouse_plugin.h (README.md).
             *
             * GET /api/auth/\#(id)/hello answers {"message": "hello from \#(id)", "settings": <plugins.\#(id)>}.
             */
            #include <stdlib.h>
            #include <string.h>

            #include "gatehouse_plugin.h"

            #define EXPORT __attribute__((visibility("default")))

            typedef struct plugin_state {
                const gh_host_api *host;
                gh_host *handle;
            } plugin_state;

            /* The endpoint calls only `config`, a non-blocking host function, and reads nothing of the
               request, so it runs on the request's own thread with an empty envelope. */
            static const char manifest[] =
                "{\"endpoints\":[{\"method\":\"GET\",\"path\":\"/\#(id)/hello\",\"summary\":\"Greets the caller\","
                "\"blocking\":false,\"envelope\":[]}]}";

            /* Releases what this plugin allocated (answers, init errors). */
            static void plugin_free(gh_buf buf) { free(buf.ptr); }

            static gh_status plugin_init(const gh_host_api *host, gh_host *handle, gh_bytes config, void **out_state, gh_buf *out_error) {
                (void)config;
                (void)out_error;
                if (host->abi_major != GATEHOUSE_ABI_MAJOR) return GH_UNSUPPORTED;
                plugin_state *state = calloc(1, sizeof *state);
                if (!state) return GH_ERROR;
                state->host = host;
                state->handle = handle;
                *out_state = state;
                return GH_OK;
            }

            static void plugin_deinit(void *state) { free(state); }

            static gh_status plugin_handle(void *opaque, gh_callback_kind kind, uint32_t index, gh_bytes envelope, gh_buf *out) {
                (void)envelope;
                plugin_state *state = opaque;
                if (kind != GH_CALL_ENDPOINT || index != 0) return GH_UNSUPPORTED;
                gh_buf config = {0};
                if (state->host->config(state->handle, &config) != GH_OK) return GH_ERROR;
                static const char head[] = "{\"status\":200,\"body\":{\"message\":\"hello from \#(id)\",\"settings\":";
                static const char tail[] = "}}";
                size_t len = sizeof head - 1 + config.len + sizeof tail - 1;
                uint8_t *text = malloc(len);
                if (text) {
                    memcpy(text, head, sizeof head - 1);
                    memcpy(text + sizeof head - 1, config.ptr, config.len);
                    memcpy(text + sizeof head - 1 + config.len, tail, sizeof tail - 1);
                    *out = (gh_buf){text, len};
                }
                state->host->free_buf(config);
                return text ? GH_OK : GH_ERROR;
            }

            static const gh_plugin_descriptor descriptor = {
                .struct_size = sizeof(gh_plugin_descriptor),
                .abi_major = GATEHOUSE_ABI_MAJOR,
                .abi_minor = GATEHOUSE_ABI_MINOR,
                .id = "\#(id)",
                .version = "0.1.0",
                .name = "\#(id)",
                .swift_toolchain = NULL,
                .manifest_json = manifest,
                .init = plugin_init,
                .reconfigure = NULL,
                .quiesce = NULL,
                .deinit = plugin_deinit,
                .handle = plugin_handle,
                .free_buf = plugin_free,
            };

            EXPORT const gh_plugin_descriptor *gatehouse_plugin_entry_v1(void) { return &descriptor; }

            """#),
            ("test.c", #"""
            /*
             * `make test`: loads \#(id).so as the server does (dlopen, the entry symbol, init with
             * settings, one endpoint call, deinit) with a host table that has what the plugin uses, and
             * checks the answer.
             */
            #include <dlfcn.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>

            #include "gatehouse_plugin.h"

            static const char settings[] = "{\"greeting\":\"Welcome\"}";

            static void host_free(gh_buf buf) { free(buf.ptr); }

            static void host_log(gh_host *handle, gh_log_level level, gh_bytes message) {
                (void)handle;
                fprintf(stderr, "log %d: %.*s\n", (int)level, (int)message.len, (const char *)message.ptr);
            }

            static gh_status host_config(gh_host *handle, gh_buf *out) {
                (void)handle;
                out->len = sizeof settings - 1;
                out->ptr = malloc(out->len);
                if (!out->ptr) return GH_ERROR;
                memcpy(out->ptr, settings, out->len);
                return GH_OK;
            }

            static int fail(const char *what) {
                fprintf(stderr, "FAIL: %s\n", what);
                return 1;
            }

            int main(int argc, char **argv) {
                void *library = dlopen(argc > 1 ? argv[1] : "./\#(id).so", RTLD_NOW | RTLD_LOCAL);
                if (!library) return fail(dlerror());
                gh_plugin_entry_fn entry = (gh_plugin_entry_fn)dlsym(library, GATEHOUSE_PLUGIN_ENTRY_SYMBOL);
                if (!entry) return fail("the entry symbol is missing");
                const gh_plugin_descriptor *plugin = entry();
                if (plugin->abi_major != GATEHOUSE_ABI_MAJOR || strcmp(plugin->id, "\#(id)") != 0) return fail("unexpected descriptor");

                gh_host_api host = {0}; /* the server fills every member; this test only what the plugin calls */
                host.struct_size = sizeof host;
                host.abi_major = GATEHOUSE_ABI_MAJOR;
                host.abi_minor = GATEHOUSE_ABI_MINOR;
                host.free_buf = host_free;
                host.log = host_log;
                host.config = host_config;

                void *state = NULL;
                gh_buf error = {0};
                if (plugin->init(&host, NULL, (gh_bytes){(const uint8_t *)settings, sizeof settings - 1}, &state, &error) != GH_OK) {
                    plugin->free_buf(error);
                    return fail("init");
                }
                gh_buf answer = {0};
                if (plugin->handle(state, GH_CALL_ENDPOINT, 0, (gh_bytes){(const uint8_t *)"{}", 2}, &answer) != GH_OK) return fail("handle");
                static const char expected[] =
                    "{\"status\":200,\"body\":{\"message\":\"hello from \#(id)\",\"settings\":{\"greeting\":\"Welcome\"}}}";
                int ok = answer.len == sizeof expected - 1 && memcmp(answer.ptr, expected, answer.len) == 0;
                if (!ok) fprintf(stderr, "answer: %.*s\n", (int)answer.len, (const char *)answer.ptr);
                plugin->free_buf(answer);
                plugin->deinit(state);
                if (!ok) return fail("unexpected answer");
                puts("ok: \#(id) answers GET /\#(id)/hello");
                return 0;
            }

            """#),
            ("Makefile", #"""
            # `make` builds \#(id).so from the header alone; `make test` loads it with a tiny host (test.c).
            CC ?= cc
            CFLAGS ?= -O2 -Wall -Wextra

            all: \#(id).so

            \#(id).so: \#(id).c gatehouse_plugin.h
            \#t$(CC) $(CFLAGS) -shared -fPIC -fvisibility=hidden -I . -o $@ \#(id).c
            \#tchmod go-w $@  # Gatehouse refuses a group- or world-writable library

            test-\#(id): test.c gatehouse_plugin.h
            \#t$(CC) $(CFLAGS) -I . -o $@ test.c -ldl

            test: \#(id).so test-\#(id)
            \#t./test-\#(id) ./\#(id).so

            clean:
            \#trm -f \#(id).so test-\#(id)

            .PHONY: all test clean

            """#),
            (".gitignore", "\(id).so\ntest-\(id)\n"),
            ("README.md", """
            # \(id)

            A Gatehouse plugin in C. It adds `GET /api/auth/\(id)/hello`, which answers its settings
            (`plugins.\(id)` in gatehouse.yaml). `gatehouse_plugin.h` is a copy of the header of the ABI
            it was built for; the source needs nothing else.

            ```sh
            make                                      # the plugin: \(id).so
            make test                                 # loads it with a tiny host (test.c) and checks the answer
            gatehouse plugins check \(id).so
            # drop it in (copy, then rename, so a running server never sees half a file):
            cp \(id).so /path/to/plugins.d/.\(id).so.tmp && mv /path/to/plugins.d/.\(id).so.tmp /path/to/plugins.d/\(id).so
            curl http://localhost:3000/api/auth/\(id)/hello
            ```

            If the server lists `pluginTrust.publicKeys`, sign the library and copy the signature first:
            `gatehouse plugins sign --key plugin-signing.key \(id).so` writes `\(id).so.sig`.

            The ABI, the manifest and the host functions are described in Gatehouse's docs/plugin-abi.md.

            """),
        ]
    }
}
