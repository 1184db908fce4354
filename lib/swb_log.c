#include "swb_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

swb_log_level_t swb_log_level = SWB_LOG_INFO;
static const char *swb__log_component = "swb";
static int swb__log_fd = 2;

static const char *const swb__level_names[] = {"debug", "info", "warn", "error", "off"};

void swb_log_init(const char *component, swb_log_level_t level)
{
        if (component)
                swb__log_component = component;
        swb_log_level = level;
}

void swb_log_set_fd(int fd)
{
        swb__log_fd = fd;
}

int swb_log_level_parse(const char *name)
{
        size_t i;
        if (!name)
                return -1;
        for (i = 0; i < sizeof(swb__level_names) / sizeof(swb__level_names[0]); i++)
                if (!strcasecmp(name, swb__level_names[i]))
                        return (int)i;
        if (!strcasecmp(name, "warning"))
                return SWB_LOG_WARN;
        return -1;
}

void swb_json_escape(char *buf, size_t size, size_t *pos, const char *s)
{
        size_t p = *pos;
        if (!size)
                return;
        for (; s && *s && p + 7 < size; s++) {
                unsigned char c = (unsigned char)*s;
                switch (c) {
                case '"':
                case '\\':
                        buf[p++] = '\\';
                        buf[p++] = (char)c;
                        break;
                case '\n':
                        buf[p++] = '\\';
                        buf[p++] = 'n';
                        break;
                case '\r':
                        buf[p++] = '\\';
                        buf[p++] = 'r';
                        break;
                case '\t':
                        buf[p++] = '\\';
                        buf[p++] = 't';
                        break;
                default:
                        if (c < 0x20)
                                p += (size_t)snprintf(buf + p, size - p, "\\u%04x", c);
                        else
                                buf[p++] = (char)c;
                }
        }
        if (p >= size)
                p = size - 1;
        buf[p] = '\0';
        *pos = p;
}

static void swb__append(char *buf, size_t size, size_t *pos, const char *s)
{
        size_t n = strlen(s);
        if (*pos + n >= size)
                n = size - *pos - 1;
        memcpy(buf + *pos, s, n);
        *pos += n;
        buf[*pos] = '\0';
}

static void swb__field(char *buf, size_t size, size_t *pos, const char *k, const char *v)
{
        if (!v || !*v)
                return;
        swb__append(buf, size, pos, ",\"");
        swb__append(buf, size, pos, k);
        swb__append(buf, size, pos, "\":\"");
        swb_json_escape(buf, size, pos, v);
        swb__append(buf, size, pos, "\"");
}

void swb_log_write(swb_log_level_t level, const swb_corr_t *corr, const char *fmt, ...)
{
        char line[4096], msg[2048], ts[40];
        size_t pos = 0;
        struct timeval tv;
        struct tm tm;
        va_list ap;
        ssize_t r;

        if (level < swb_log_level || level >= SWB_LOG_OFF)
                return;
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        pos = (size_t)snprintf(line, sizeof(line),
                               "{\"ts\":\"%s.%03dZ\",\"level\":\"%s\",\"component\":\"", ts,
                               (int)(tv.tv_usec / 1000), swb__level_names[level]);
        swb_json_escape(line, sizeof(line) - 2, &pos, swb__log_component);
        swb__append(line, sizeof(line) - 2, &pos, "\",\"msg\":\"");
        swb_json_escape(line, sizeof(line) - 2, &pos, msg);
        swb__append(line, sizeof(line) - 2, &pos, "\"");
        if (corr) {
                swb__field(line, sizeof(line) - 2, &pos, "request_id", corr->request_id);
                swb__field(line, sizeof(line) - 2, &pos, "session_id", corr->session_id);
                swb__field(line, sizeof(line) - 2, &pos, "trace_id", corr->trace_id);
        }
        line[pos++] = '}';
        line[pos++] = '\n';
        r = write(swb__log_fd, line, pos);
        (void)r;
}
