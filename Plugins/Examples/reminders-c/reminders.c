/*
 * reminders — a third-party Gatehouse plugin in plain C that shows background work (ABI 1.2):
 *
 *   POST /reminders          schedules the one-off job "remind" (operation jobs.schedule) to run
 *                            REMIND_AFTER_SECONDS later with the request body as its payload;
 *   job "remind"             keeps what it was given in the kv store (key "last");
 *   job "heartbeat"          runs every 60 seconds and counts its runs (kv key "heartbeats");
 *   GET /reminders/last      and the service "lastReminder" (for plugins that list this one in
 *                            their manifest's "uses") answer {"last": <the last run or null>,
 *                            "heartbeats": <count>}.
 *
 * It needs nothing but gatehouse_plugin.h (`make`, see README.md). A real plugin would parse its
 * envelopes with a JSON library; this one only splices them into its own JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse_plugin.h"

#define EXPORT __attribute__((visibility("default")))
#define REMIND_AFTER_SECONDS 2

enum { ENDPOINT_SCHEDULE = 0, ENDPOINT_LAST = 1 };
enum { JOB_REMIND = 0, JOB_HEARTBEAT = 1 };
enum { SERVICE_LAST_REMINDER = 0 };

static const char manifest[] =
    "{\"endpoints\":["
    "{\"method\":\"POST\",\"path\":\"/reminders\",\"auth\":\"session\",\"summary\":\"Remind me shortly\",\"envelope\":[\"body\"]},"
    "{\"method\":\"GET\",\"path\":\"/reminders/last\",\"summary\":\"The last reminder that ran\",\"envelope\":[]}],"
    "\"jobs\":[{\"name\":\"remind\"},{\"name\":\"heartbeat\",\"everySeconds\":60}],"
    "\"services\":[\"lastReminder\"],"
    "\"errorCodes\":{\"REMINDER_NOT_SCHEDULED\":\"The reminder could not be scheduled\"}}";

typedef struct reminders_state {
    const gh_host_api *host;
    gh_host *handle;
} reminders_state;

static gh_bytes text(const char *s) { return (gh_bytes){(const uint8_t *)s, strlen(s)}; }

/* A buffer this plugin owns (released by reminders_free) holding the concatenation of `parts`. */
static gh_buf join(const gh_bytes *parts, size_t count) {
    size_t len = 0;
    for (size_t i = 0; i < count; i++) len += parts[i].len;
    gh_buf buf = {malloc(len ? len : 1), len};
    if (!buf.ptr) return (gh_buf){NULL, 0};
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        if (parts[i].len) memcpy(buf.ptr + at, parts[i].ptr, parts[i].len);
        at += parts[i].len;
    }
    return buf;
}

static void reminders_free(gh_buf buf) { free(buf.ptr); }

static gh_status reminders_init(const gh_host_api *host, gh_host *handle, gh_bytes config, void **out_state, gh_buf *out_error) {
    (void)config;
    /* jobs.schedule and GH_CALL_JOB / GH_CALL_SERVICE arrived with ABI 1.2. */
    if (host->abi_major != GATEHOUSE_ABI_MAJOR || host->abi_minor < 2) {
        gh_bytes message = text("reminders needs a host with ABI 1.2");
        *out_error = join(&message, 1);
        return GH_UNSUPPORTED;
    }
    reminders_state *state = calloc(1, sizeof *state);
    if (!state) return GH_ERROR;
    state->host = host;
    state->handle = handle;
    host->log(handle, GH_LOG_INFO, text("reminders ready"));
    *out_state = state;
    return GH_OK;
}

static void reminders_deinit(void *state) { free(state); }

/* `jobs.schedule` with the request envelope ({"body": ...}) as the payload; answers {id, runAt}. */
static gh_status schedule(reminders_state *state, gh_bytes envelope, gh_buf *out) {
    char delay[32];
    snprintf(delay, sizeof delay, "%d", REMIND_AFTER_SECONDS);
    gh_bytes request_parts[] = {text("{\"name\":\"remind\",\"delaySeconds\":"), text(delay), text(",\"payload\":"), envelope, text("}")};
    gh_buf request = join(request_parts, 5);
    if (!request.ptr) return GH_ERROR;
    gh_buf answer = {0}, error = {0};
    gh_status status = state->host->call(state->handle, text("jobs.schedule"), (gh_bytes){request.ptr, request.len}, &answer, &error);
    reminders_free(request);
    state->host->free_buf(error);
    if (status != GH_OK) {
        state->host->free_buf(answer);
        gh_bytes refusal = text("{\"error\":{\"status\":500,\"code\":\"REMINDER_NOT_SCHEDULED\",\"message\":\"The reminder could not be scheduled\"}}");
        *out = join(&refusal, 1);
        return GH_OK;
    }
    gh_bytes parts[] = {text("{\"status\":200,\"body\":"), (gh_bytes){answer.ptr, answer.len}, text("}")};
    *out = join(parts, 3);
    state->host->free_buf(answer);
    return out->ptr ? GH_OK : GH_ERROR;
}

/* {"last": <kv "last" or null>, "heartbeats": <kv "heartbeats" or 0>}, inside `head` ... `tail`. */
static gh_status status_json(reminders_state *state, const char *head, const char *tail, gh_buf *out) {
    gh_buf last = {0}, beats = {0};
    int has_last = state->host->kv_get(state->handle, text("last"), &last) == GH_OK;
    int has_beats = state->host->kv_get(state->handle, text("heartbeats"), &beats) == GH_OK;
    gh_bytes parts[] = {
        text(head), text("{\"last\":"), has_last ? (gh_bytes){last.ptr, last.len} : text("null"),
        text(",\"heartbeats\":"), has_beats ? (gh_bytes){beats.ptr, beats.len} : text("0"), text("}"), text(tail),
    };
    *out = join(parts, 7);
    state->host->free_buf(last);
    state->host->free_buf(beats);
    return out->ptr ? GH_OK : GH_ERROR;
}

static gh_status run_job(reminders_state *state, uint32_t index, gh_bytes envelope) {
    switch (index) {
    case JOB_REMIND: /* {name, payload, id, runAt, scheduledAt}: keep it for GET /reminders/last */
        return state->host->kv_set(state->handle, text("last"), envelope, 0);
    case JOB_HEARTBEAT:
        return state->host->kv_increment(state->handle, text("heartbeats"), 1, 0, NULL);
    default:
        return GH_UNSUPPORTED;
    }
}

static gh_status reminders_handle(void *opaque, gh_callback_kind kind, uint32_t index, gh_bytes envelope, gh_buf *out) {
    reminders_state *state = opaque;
    switch (kind) {
    case GH_CALL_ENDPOINT:
        if (index == ENDPOINT_SCHEDULE) return schedule(state, envelope, out);
        if (index == ENDPOINT_LAST) return status_json(state, "{\"status\":200,\"body\":", "}", out);
        return GH_UNSUPPORTED;
    case GH_CALL_JOB: /* on a worker thread, never two runs of the same job at once; a failure is logged and counted */
        return run_job(state, index, envelope);
    case GH_CALL_SERVICE: /* envelope {service, request, caller}; the answer goes back to the caller unchanged */
        if (index == SERVICE_LAST_REMINDER) return status_json(state, "", "", out);
        return GH_UNSUPPORTED;
    default:
        return GH_UNSUPPORTED;
    }
}

static const gh_plugin_descriptor descriptor = {
    .struct_size = sizeof(gh_plugin_descriptor),
    .abi_major = GATEHOUSE_ABI_MAJOR,
    .abi_minor = GATEHOUSE_ABI_MINOR,
    .id = "reminders",
    .version = "1.0.0",
    .name = "Reminders",
    .swift_toolchain = NULL,
    .manifest_json = manifest,
    .init = reminders_init,
    .reconfigure = NULL,
    .quiesce = NULL,
    .deinit = reminders_deinit,
    .handle = reminders_handle,
    .free_buf = reminders_free,
};

EXPORT const gh_plugin_descriptor *gatehouse_plugin_entry_v1(void) { return &descriptor; }
