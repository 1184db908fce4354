#include "swb_sse.h"

#include <string.h>

#include "swb_buf.h"
#include "swb_mem.h"

struct swb_sse_s {
        swb_sse_event_fn *on_event;
        void *opaque;
        size_t max;

        swb_buf_t line; /* the current, unterminated line */
        swb_buf_t data; /* data of the pending event, each line + '\n' */
        swb_buf_t type; /* event type of the pending event ("" = message) */
        swb_buf_t id;   /* last event id */
        bool pending_cr;  /* the last byte fed was CR: skip one LF */
        bool started;     /* the first line (BOM check) was seen */
        int64_t retry_ms;
        uint64_t n_events;
        swb_err_t err; /* sticky */
};

static void swb__sbuf_set(swb_buf_t *b, const char *s, size_t n)
{
        b->len = 0;
        swb_buf_put(b, s, n);
}

static const char *swb__sbuf_str(const swb_buf_t *b)
{
        return b->p ? b->p : "";
}

swb_sse_t *swb_sse_new(size_t max_event_size, swb_sse_event_fn *on_event, void *opaque)
{
        swb_sse_t *sse = swb_calloc(1, sizeof(*sse));

        sse->on_event = on_event;
        sse->opaque = opaque;
        sse->max = max_event_size ? max_event_size : SWB_SSE_DEFAULT_MAX_EVENT;
        sse->retry_ms = -1;
        return sse;
}

void swb_sse_destroy(swb_sse_t *sse)
{
        if (!sse)
                return;
        swb_free(sse->line.p);
        swb_free(sse->data.p);
        swb_free(sse->type.p);
        swb_free(sse->id.p);
        swb_free(sse);
}

static swb_err_t swb__sse_dispatch(swb_sse_t *sse)
{
        swb_sse_event_t ev;
        swb_err_t err;

        if (sse->data.len == 0) {
                sse->type.len = 0;
                return SWB_OK;
        }
        sse->data.len--; /* the '\n' after the last data line */
        sse->data.p[sse->data.len] = '\0';
        ev.type = sse->type.len ? sse->type.p : "message";
        ev.data = sse->data.p;
        ev.data_len = sse->data.len;
        ev.id = swb__sbuf_str(&sse->id);
        sse->n_events++;
        err = sse->on_event(sse->opaque, &ev);
        sse->data.len = 0;
        sse->data.p[0] = '\0';
        sse->type.len = 0;
        return err;
}

static bool swb__field_is(const char *f, size_t n, const char *name)
{
        return n == strlen(name) && !memcmp(f, name, n);
}

/* One complete line, without its line end. */
static swb_err_t swb__sse_line(swb_sse_t *sse, const char *line, size_t n)
{
        const char *colon, *value;
        size_t flen, vlen;

        if (!sse->started) {
                sse->started = true;
                if (n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
                        line += 3;
                        n -= 3;
                }
        }
        if (n == 0)
                return swb__sse_dispatch(sse);
        if (line[0] == ':')
                return SWB_OK; /* comment */
        colon = memchr(line, ':', n);
        if (colon) {
                flen = (size_t)(colon - line);
                value = colon + 1;
                vlen = n - flen - 1;
                if (vlen && *value == ' ') {
                        value++;
                        vlen--;
                }
        } else {
                flen = n;
                value = "";
                vlen = 0;
        }
        if (swb__field_is(line, flen, "data")) {
                if (sse->data.len + vlen + 1 > sse->max)
                        return SWB_ERR_TOO_LARGE;
                swb_buf_put(&sse->data, value, vlen);
                swb_buf_put(&sse->data, "\n", 1);
        } else if (swb__field_is(line, flen, "event")) {
                swb__sbuf_set(&sse->type, value, vlen);
        } else if (swb__field_is(line, flen, "id")) {
                if (!memchr(value, '\0', vlen))
                        swb__sbuf_set(&sse->id, value, vlen);
        } else if (swb__field_is(line, flen, "retry")) {
                int64_t ms = 0;
                size_t i;
                if (vlen == 0)
                        return SWB_OK;
                for (i = 0; i < vlen; i++) {
                        if (value[i] < '0' || value[i] > '9')
                                return SWB_OK;
                        if (ms < INT64_MAX / 10 - 10)
                                ms = ms * 10 + (value[i] - '0');
                }
                sse->retry_ms = ms;
        }
        return SWB_OK;
}

/* Complete the buffered line plus buf[0..n). */
static swb_err_t swb__sse_end_line(swb_sse_t *sse, const char *buf, size_t n)
{
        swb_err_t err;

        if (sse->line.len == 0)
                return swb__sse_line(sse, buf, n);
        swb_buf_put(&sse->line, buf, n);
        err = swb__sse_line(sse, sse->line.p, sse->line.len);
        sse->line.len = 0;
        return err;
}

swb_err_t swb_sse_feed(swb_sse_t *sse, const char *buf, size_t len)
{
        size_t i = 0;
        swb_err_t err;

        if (sse->err)
                return sse->err;
        while (i < len) {
                const char *p = buf + i;
                size_t rest = len - i, n;

                if (sse->pending_cr) {
                        sse->pending_cr = false;
                        if (*p == '\n') {
                                i++;
                                continue;
                        }
                }
                for (n = 0; n < rest; n++)
                        if (p[n] == '\n' || p[n] == '\r')
                                break;
                if (sse->line.len + n > sse->max) {
                        sse->err = SWB_ERR_TOO_LARGE;
                        return sse->err;
                }
                if (n == rest) { /* no line end yet: keep the piece */
                        swb_buf_put(&sse->line, p, n);
                        break;
                }
                err = swb__sse_end_line(sse, p, n);
                if (err) {
                        sse->err = err;
                        return err;
                }
                if (p[n] == '\r')
                        sse->pending_cr = true;
                i += n + 1;
        }
        return SWB_OK;
}

swb_err_t swb_sse_finish(swb_sse_t *sse)
{
        swb_err_t err = sse->err;

        if (!err && sse->line.len) {
                err = swb__sse_end_line(sse, "", 0);
        }
        if (!err)
                err = swb__sse_dispatch(sse);
        sse->err = err;
        if (err)
                return err;
        /* Ready for a new stream. */
        sse->line.len = 0;
        sse->data.len = 0;
        sse->type.len = 0;
        sse->id.len = 0;
        if (sse->id.p)
                sse->id.p[0] = '\0';
        sse->pending_cr = false;
        sse->started = false;
        return SWB_OK;
}

int64_t swb_sse_retry_ms(const swb_sse_t *sse)
{
        return sse->retry_ms;
}

uint64_t swb_sse_events(const swb_sse_t *sse)
{
        return sse->n_events;
}
