/*
 * swb-send: publish a request and print its reply.
 *   swb-send [--session ID] [--user ID] [--locale L] [--timeout-ms N] [--json] [--audit] TEXT...
 *   swb-send --chat            interactive session on stdin
 * Reads .swb/env (the dev stack's addresses) unless the variables are already set.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swb_client.h"
#include "swb_id.h"
#include "swb_log.h"
#include "swb_main.h"
#include "swb_mem.h"

static void load_env_file(const char *path)
{
        FILE *fp = fopen(path, "r");
        char line[1024];
        if (!fp)
                return;
        while (fgets(line, sizeof(line), fp)) {
                char *eq = strchr(line, '=');
                line[strcspn(line, "\r\n")] = '\0';
                if (!eq || line[0] == '#')
                        continue;
                *eq = '\0';
                setenv(line, eq + 1, 0); /* the caller's environment wins */
        }
        fclose(fp);
}

static void find_env_file(int argc, char **argv)
{
        char exe[PATH_MAX], *slash;
        ssize_t n;
        int i;
        for (i = 1; i + 1 < argc; i++)
                if (!strcmp(argv[i], "--env-file")) {
                        load_env_file(argv[i + 1]);
                        return;
                }
        if (getenv("SWB_STATE")) {
                char *p = swb_asprintf("%s/env", getenv("SWB_STATE"));
                load_env_file(p);
                swb_free(p);
                return;
        }
        if (!access(".swb/env", R_OK)) {
                load_env_file(".swb/env");
                return;
        }
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 32);
        if (n > 0) {
                exe[n] = '\0';
                if ((slash = strrchr(exe, '/'))) {
                        strcpy(slash, "/../../.swb/env");
                        load_env_file(exe);
                }
        }
}

static int print_reply(const json_t *reply, int as_json)
{
        if (as_json) {
                char *s = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS);
                printf("%s\n", s);
                free(s);
        } else
                printf("[%s] %s\n", json_string_value(json_object_get(reply, "agent")),
                       json_string_value(json_object_get(reply, "text")));
        fflush(stdout);
        return 0;
}

static int ask(swb_client_t *c, const char *session, const char *user, const char *locale,
               const char *text, int timeout_ms, int as_json, int audit)
{
        json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:s}", "session_id", session, "user_id",
                                user, "text", text, "locale", locale, "channel", "chat");
        json_t *reply = NULL;
        char errstr[512];
        swb_err_t err = swb_client_request(c, req, timeout_ms, &reply, errstr, sizeof(errstr));
        if (err) {
                fprintf(stderr, "swb-send: %s\n", errstr);
                json_decref(req);
                return err == SWB_ERR_TIMEOUT ? 3 : 1;
        }
        print_reply(reply, as_json);
        if (audit) {
                /* received, classified, routed/replied, and the agent's received + replied */
                json_t *ev = swb_client_audit(
                        c, json_string_value(json_object_get(req, "request_id")), 5, 3000);
                size_t i;
                for (i = 0; i < json_array_size(ev); i++) {
                        json_t *e = json_array_get(ev, i);
                        printf("  audit: %-12s %s\n",
                               json_string_value(json_object_get(e, "stage")),
                               json_string_value(json_object_get(e, "agent")));
                }
                json_decref(ev);
        }
        json_decref(reply);
        json_decref(req);
        return 0;
}

int main(int argc, char **argv)
{
        swb_config_t *cfg;
        swb_client_t *c;
        char errstr[512], session_buf[SWB_UUID_LEN], line[4096];
        const char *session = NULL, *user = "demo-user", *locale = "en";
        int i, chat = 0, as_json = 0, audit = 0, timeout_ms = 30000, rc = 0;
        size_t textlen = 0;
        char *text = NULL;

        find_env_file(argc, argv);
        cfg = swb_main_config("swb-send", &argc, argv,
                              "[--session ID] [--user ID] [--locale en|id] [--timeout-ms N] "
                              "[--json] [--audit] [--env-file FILE] (--chat | TEXT...)");
        swb_log_init("swb-send", SWB_LOG_WARN);
        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "--chat"))
                        chat = 1;
                else if (!strcmp(a, "--json"))
                        as_json = 1;
                else if (!strcmp(a, "--audit"))
                        audit = 1;
                else if (i + 1 < argc && !strcmp(a, "--session"))
                        session = argv[++i];
                else if (i + 1 < argc && !strcmp(a, "--user"))
                        user = argv[++i];
                else if (i + 1 < argc && !strcmp(a, "--locale"))
                        locale = argv[++i];
                else if (i + 1 < argc && !strcmp(a, "--env-file"))
                        i++;
                else if (i + 1 < argc && !strcmp(a, "--timeout-ms"))
                        timeout_ms = atoi(argv[++i]);
                else if (!strncmp(a, "--", 2)) {
                        fprintf(stderr, "swb-send: unknown option %s (see --help)\n", a);
                        swb_config_destroy(cfg);
                        return 2;
                } else {
                        size_t n = strlen(a);
                        text = swb_realloc(text, textlen + n + 2);
                        if (textlen)
                                text[textlen++] = ' ';
                        memcpy(text + textlen, a, n + 1);
                        textlen += n;
                }
        }
        if (!chat && !text) {
                fprintf(stderr, "swb-send: nothing to send: give TEXT or --chat (see --help)\n");
                swb_config_destroy(cfg);
                return 2;
        }
        if (!session) {
                swb_id_uuid4(session_buf);
                session = session_buf;
        }
        if (!(c = swb_client_new(cfg, audit, errstr, sizeof(errstr)))) {
                fprintf(stderr, "swb-send: %s (is the stack up? make up)\n", errstr);
                swb_free(text);
                swb_config_destroy(cfg);
                return 1;
        }
        if (text)
                rc = ask(c, session, user, locale, text, timeout_ms, as_json, audit);
        if (chat) {
                if (isatty(0))
                        printf("session %s - type a message, Ctrl-D to quit\n> ", session);
                fflush(stdout);
                while (fgets(line, sizeof(line), stdin)) {
                        line[strcspn(line, "\r\n")] = '\0';
                        if (*line)
                                rc = ask(c, session, user, locale, line, timeout_ms, as_json,
                                         audit);
                        if (isatty(0))
                                printf("> ");
                        fflush(stdout);
                }
        }
        swb_client_destroy(c);
        swb_free(text);
        swb_config_destroy(cfg);
        return rc;
}
