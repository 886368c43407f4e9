/* dmjson.c - dmctl's condensed query-status output and DM message helpers.
 * Mirrors dm/ctl/master/query_status.go (wrapTaskResult) of DM v1.0.7 with Go
 * encoding/json output (MarshalIndent "", "    "; HTML-safe string escapes). */
#include "dmjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "pbjson.h"

#define STATUS_CAP 64
#define ERROR_SUFFIX_FMT ". Please run `query-status %s` to get more details."

struct task {
    const char *name;         /* borrowed from the response */
    char status[STATUS_CAP];  /* dmctl's taskStatus without the error suffix */
};

/* Go's Stage.String(): the enum name, or the number for unknown values. */
static void stage_name(int stage, char *out, size_t cap)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&pb__stage__descriptor, stage);
    if (v)
        snprintf(out, cap, "%s", v->name);
    else
        snprintf(out, cap, "%d", stage);
}

static int error_occurred(const Pb__ProcessResult *r) { return r && r->n_errors > 0; }

/* One step of wrapTaskResult's switch for subtask `st` on a worker with `relay`. */
static void fold_status(struct task *t, const Pb__SubTaskStatus *st, const Pb__RelayStatus *relay)
{
    char sub[STATUS_CAP];
    stage_name(st->stage, sub, sizeof(sub));
    if (strncmp(t->status, "Error", 5) == 0)
        return;
    if (st->stage == PB__STAGE__Paused && error_occurred(st->result)) {
        snprintf(t->status, sizeof(t->status), "Error - Some error occurred in subtask");
    } else if (st->unit == PB__UNIT_TYPE__Sync && st->stage == PB__STAGE__Running && relay &&
               (relay->stage == PB__STAGE__Paused || relay->stage == PB__STAGE__Stopped)) {
        char rs[16];
        if (error_occurred(relay->result))
            snprintf(rs, sizeof(rs), "Error");
        else
            stage_name(relay->stage, rs, sizeof(rs));
        snprintf(t->status, sizeof(t->status), "Error - Relay status is %s", rs);
    } else if (strcmp(t->status, "Paused") == 0) {
        /* Paused sticks unless an error shows up */
    } else if (t->status[0] == '\0' || st->stage == PB__STAGE__Paused) {
        snprintf(t->status, sizeof(t->status), "%s", sub);
    } else if (strcmp(t->status, sub) != 0) {
        snprintf(t->status, sizeof(t->status), "Running");
    }
}

static const char *sub_name(const Pb__SubTaskStatus *st) { return st->name ? st->name : ""; }

/* Tasks in first-seen order; *ntasks set. Caller frees the array. */
static struct task *collect_tasks(const Pb__QueryStatusListResponse *resp, size_t *ntasks)
{
    size_t total = 0;
    for (size_t w = 0; w < resp->n_workers; w++)
        total += resp->workers[w]->n_subtaskstatus;
    struct task *tasks = calloc(total ? total : 1, sizeof(*tasks));
    if (!tasks)
        return NULL;
    size_t n = 0;
    for (size_t w = 0; w < resp->n_workers; w++) {
        const Pb__QueryStatusResponse *wr = resp->workers[w];
        for (size_t s = 0; s < wr->n_subtaskstatus; s++) {
            const Pb__SubTaskStatus *st = wr->subtaskstatus[s];
            size_t i = 0;
            while (i < n && strcmp(tasks[i].name, sub_name(st)) != 0)
                i++;
            if (i == n)
                tasks[n++].name = sub_name(st);
            fold_status(&tasks[i], st, wr->relaystatus);
        }
    }
    *ntasks = n;
    return tasks;
}

static int add_str(struct dm_buf *out, const char *s) { return pbjson_add_go_str(out, s, strlen(s)); }

static int add_status(struct dm_buf *out, const struct task *t)
{
    if (strncmp(t->status, "Error", 5) != 0)
        return add_str(out, t->status);
    struct dm_buf tmp;
    dm_buf_init(&tmp, out->max);
    int rc = dm_buf_printf(&tmp, "%s" ERROR_SUFFIX_FMT, t->status, t->name);
    if (rc == DM_OK)
        rc = pbjson_add_go_str(out, tmp.data, tmp.len);
    dm_buf_free(&tmp);
    return rc;
}

struct jw { /* Go MarshalIndent writer state */
    struct dm_buf *out;
    bool pretty;
};

static int nl(const struct jw *j, int level)
{
    if (!j->pretty)
        return DM_OK;
    int rc = dm_buf_addc(j->out, '\n');
    for (int i = 0; rc == DM_OK && i < level; i++)
        rc = dm_buf_add(j->out, "    ", 4);
    return rc;
}

static int key(const struct jw *j, const char *k, bool first, int level)
{
    int rc = first ? DM_OK : dm_buf_addc(j->out, ',');
    if (rc == DM_OK)
        rc = nl(j, level);
    if (rc == DM_OK)
        rc = dm_buf_printf(j->out, j->pretty ? "\"%s\": " : "\"%s\":", k);
    return rc;
}

static int task_workers(const struct jw *j, const Pb__QueryStatusListResponse *resp,
                        const char *name, int level)
{
    int rc = dm_buf_addc(j->out, '[');
    bool first = true;
    for (size_t w = 0; rc == DM_OK && w < resp->n_workers; w++) {
        const Pb__QueryStatusResponse *wr = resp->workers[w];
        for (size_t s = 0; rc == DM_OK && s < wr->n_subtaskstatus; s++) {
            if (strcmp(sub_name(wr->subtaskstatus[s]), name) != 0)
                continue;
            rc = first ? DM_OK : dm_buf_addc(j->out, ',');
            if (rc == DM_OK)
                rc = nl(j, level + 1);
            if (rc == DM_OK)
                rc = add_str(j->out, wr->worker ? wr->worker : "");
            first = false;
        }
    }
    if (rc == DM_OK)
        rc = nl(j, level);
    return rc == DM_OK ? dm_buf_addc(j->out, ']') : rc;
}

/* {"taskName","taskStatus","workers"} at `level` (omitempty: empty name skipped). */
static int task_object(const struct jw *j, const Pb__QueryStatusListResponse *resp,
                       const struct task *t, int level)
{
    bool first = true;
    int rc = dm_buf_addc(j->out, '{');
    if (rc == DM_OK && t->name[0]) {
        rc = key(j, "taskName", first, level + 1);
        if (rc == DM_OK)
            rc = add_str(j->out, t->name);
        first = false;
    }
    if (rc == DM_OK)
        rc = key(j, "taskStatus", first, level + 1);
    if (rc == DM_OK)
        rc = add_status(j->out, t);
    if (rc == DM_OK)
        rc = key(j, "workers", false, level + 1);
    if (rc == DM_OK)
        rc = task_workers(j, resp, t->name, level + 1);
    if (rc == DM_OK)
        rc = nl(j, level);
    return rc == DM_OK ? dm_buf_addc(j->out, '}') : rc;
}

static int condensed(const struct jw *j, const Pb__QueryStatusListResponse *resp,
                     const struct task *tasks, size_t n)
{
    int rc = dm_buf_addc(j->out, '{');
    if (rc == DM_OK)
        rc = key(j, "result", true, 1);
    if (rc == DM_OK)
        rc = dm_buf_adds(j->out, resp->result ? "true" : "false");
    if (rc == DM_OK)
        rc = key(j, "msg", false, 1);
    if (rc == DM_OK)
        rc = add_str(j->out, resp->msg ? resp->msg : "");
    if (rc == DM_OK)
        rc = key(j, "tasks", false, 1);
    if (rc == DM_OK)
        rc = dm_buf_addc(j->out, '[');
    for (size_t i = 0; rc == DM_OK && i < n; i++) {
        rc = i ? dm_buf_addc(j->out, ',') : DM_OK;
        if (rc == DM_OK)
            rc = nl(j, 2);
        if (rc == DM_OK)
            rc = task_object(j, resp, &tasks[i], 2);
    }
    if (rc == DM_OK && n > 0) /* Go prints an empty slice as [] */
        rc = nl(j, 1);
    if (rc == DM_OK)
        rc = dm_buf_addc(j->out, ']');
    if (rc == DM_OK)
        rc = nl(j, 0);
    return rc == DM_OK ? dm_buf_addc(j->out, '}') : rc;
}

int dmjson_condensed_status(const Pb__QueryStatusListResponse *resp, bool pretty,
                            struct dm_buf *out)
{
    size_t n = 0, start = out->len;
    struct task *tasks = collect_tasks(resp, &n);
    if (!tasks)
        return DM_E_NOMEM;
    struct jw j = {out, pretty};
    int rc = condensed(&j, resp, tasks, n);
    free(tasks);
    if (rc != DM_OK && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

int dmjson_task_status(const Pb__QueryStatusListResponse *resp, const char *name,
                       struct dm_buf *out)
{
    size_t n = 0;
    struct task *tasks = collect_tasks(resp, &n);
    if (!tasks)
        return DM_E_NOMEM;
    int rc = DM_E_NOT_FOUND;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tasks[i].name, name) != 0)
            continue;
        if (strncmp(tasks[i].status, "Error", 5) == 0)
            rc = dm_buf_printf(out, "%s" ERROR_SUFFIX_FMT, tasks[i].status, name);
        else
            rc = dm_buf_adds(out, tasks[i].status);
        break;
    }
    free(tasks);
    return rc;
}

/* ---- stack traces and codes ---------------------------------------------------- */

/* A Go stack frame location line: "\t/path/file.go:123" (+ optional " +0x1f"). */
static bool is_frame_location(const char *s, size_t n)
{
    if (n < 2 || s[0] != '\t')
        return false;
    return memmem(s, n, ".go:", 4) != NULL || memmem(s, n, ".s:", 3) != NULL;
}

/* A frame function line: no spaces (Go symbol like pkg/path.(*T).Method). */
static bool is_frame_function(const char *s, size_t n)
{
    if (n == 0)
        return false;
    if (n >= 11 && strncmp(s, "github.com/", 11) == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ' ' || s[i] == '\t')
            return false;
    return memchr(s, '.', n) != NULL;
}

static size_t line_len(const char *s)
{
    const char *e = strchr(s, '\n');
    return e ? (size_t)(e - s) : strlen(s);
}

char *dmjson_strip_stack(const char *msg)
{
    struct dm_buf b;
    dm_buf_init(&b, SIZE_MAX / 2);
    const char *s = msg ? msg : "";
    int rc = DM_OK;
    while (rc == DM_OK && *s) {
        size_t n = line_len(s);
        const char *next = s[n] ? s + n + 1 : s + n;
        bool drop = is_frame_location(s, n) ||
                    (is_frame_function(s, n) && is_frame_location(next, line_len(next))) ||
                    (n >= 11 && strncmp(s, "github.com/", 11) == 0);
        if (!drop && b.len > 0)
            rc = dm_buf_addc(&b, '\n');
        if (!drop && rc == DM_OK)
            rc = dm_buf_add(&b, s, n);
        s = next;
    }
    while (rc == DM_OK && b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' ' ||
                                        b.data[b.len - 1] == '\t' || b.data[b.len - 1] == '\r'))
        b.data[--b.len] = '\0';
    if (rc != DM_OK) {
        dm_buf_free(&b);
        return NULL;
    }
    return dm_buf_take(&b);
}

int dmjson_error_code(const char *msg)
{
    const char *p = msg ? strstr(msg, "[code=") : NULL;
    if (!p)
        return 0;
    p += 6;
    long v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 9) {
        v = v * 10 + (*p++ - '0');
        digits++;
    }
    return (digits > 0 && (*p == ':' || *p == ']')) ? (int)v : 0;
}
