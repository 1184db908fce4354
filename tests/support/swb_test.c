/*
 * swb_test - helpers shared by the component and black-box tests.
 * See swb_test.h.
 */
#include "swb_test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "swb_mem.h"

#ifndef SWB_BINARY_DIR
#define SWB_BINARY_DIR "build"
#endif

/* Variables of the test harness that the spawned binaries must not see. */
static const char *const swb__test_env_private[] = {
    "SWB_TEST_STATE",
    "SWB_BIN_DIR",
    "SWB_TEST_TIMEOUT_MULTIPLIER",
    "SWB_TEST_KEEP",
};

double swb_test_tmout_multip(void)
{
        const char *s = getenv("SWB_TEST_TIMEOUT_MULTIPLIER");
        char *end;
        double m;
        if (!s || !*s)
                return 1.0;
        m = strtod(s, &end);
        if (end == s || m <= 0)
                return 1.0;
        return m;
}

int64_t swb_test_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t swb_test_deadline(int64_t ms)
{
        return swb_test_now_ms() + (int64_t)((double)ms * swb_test_tmout_multip());
}

static void swb__test_sleep_ms(int64_t ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
                ;
}

bool swb_test_wait_for(bool (*cond)(void *arg), void *arg, int64_t timeout_ms)
{
        int64_t deadline = swb_test_deadline(timeout_ms);
        for (;;) {
                if (cond(arg))
                        return true;
                if (swb_test_now_ms() >= deadline)
                        return cond(arg);
                swb__test_sleep_ms(20);
        }
}

char *swb_test_stack_env(const char *key)
{
        const char *state = getenv("SWB_TEST_STATE");
        char *path, line[4096], *val = NULL;
        size_t klen = strlen(key);
        FILE *fp;

        if (state && *state)
                path = swb_asprintf("%s/env", state);
        else
                path = swb_asprintf("%s/test-stack/env", SWB_BINARY_DIR);
        fp = fopen(path, "r");
        swb_free(path);
        if (!fp)
                return NULL;
        while (fgets(line, sizeof(line), fp)) {
                size_t n = strcspn(line, "\r\n");
                line[n] = '\0';
                if (!strncmp(line, key, klen) && line[klen] == '=') {
                        free(val); /* the last one wins, as in a shell */
                        val = strdup(line + klen + 1);
                }
        }
        fclose(fp);
        return val;
}

char *swb_test_redis_url;

int swb_test_redis_setup(void **state)
{
        (void)state;
        if (!(swb_test_redis_url = swb_test_stack_env("SWB_REDIS_URL"))) {
                fprintf(stderr,
                        "SWB_REDIS_URL not in the stack env ($SWB_TEST_STATE/env)\n");
                return -1;
        }
        return 0;
}

int swb_test_redis_teardown(void **state)
{
        (void)state;
        free(swb_test_redis_url);
        swb_test_redis_url = NULL;
        return 0;
}

static char *swb__test_bin_path(const char *prog)
{
        const char *dir = getenv("SWB_BIN_DIR");
        if (strchr(prog, '/'))
                return swb_strdup(prog);
        if (dir && *dir)
                return swb_asprintf("%s/%s", dir, prog);
        return swb_asprintf("%s/bin/%s", SWB_BINARY_DIR, prog);
}

/* Is `entry` ("K=V") the variable `name` (or "K=...")? */
static bool swb__test_env_is(const char *entry, const char *name, size_t n)
{
        return !strncmp(entry, name, n) && entry[n] == '=';
}

/*
 * The child's environment, built before fork() so the child only calls
 * async-signal-safe functions: ours minus the harness' private variables and
 * minus those `envp` overrides, then `envp`. The strings are borrowed.
 */
static char **swb__test_child_env(const char *const *envp)
{
        extern char **environ;
        size_t n = 0, m = 0, out = 0, i, j;
        char **env;

        while (environ && environ[n])
                n++;
        while (envp && envp[m])
                m++;
        env = swb_calloc(n + m + 1, sizeof(*env));
        for (i = 0; i < n; i++) {
                bool drop = false;
                for (j = 0; j < SWB_ARRAY_LEN(swb__test_env_private) && !drop; j++)
                        drop = swb__test_env_is(environ[i], swb__test_env_private[j],
                                                strlen(swb__test_env_private[j]));
                for (j = 0; j < m && !drop; j++) {
                        const char *eq = strchr(envp[j], '=');
                        size_t k = eq ? (size_t)(eq - envp[j]) : strlen(envp[j]);
                        drop = swb__test_env_is(environ[i], envp[j], k);
                }
                if (!drop)
                        env[out++] = environ[i];
        }
        for (j = 0; j < m; j++)
                env[out++] = (char *)envp[j];
        env[out] = NULL;
        return env;
}

pid_t swb_test_spawn(const char *prog, const char *const *argv, const char *const *envp,
                     const char *log_path)
{
        char *path = swb__test_bin_path(prog);
        char **args, **env;
        size_t n = 0, i;
        int fd = -1;
        pid_t pid;

        if (access(path, X_OK)) {
                fprintf(stderr, "swb_test_spawn: %s: %s\n", path, strerror(errno));
                swb_free(path);
                return -1;
        }
        if (log_path && (fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                                   0644)) < 0) {
                fprintf(stderr, "swb_test_spawn: %s: %s\n", log_path, strerror(errno));
                swb_free(path);
                return -1;
        }
        while (argv && argv[n])
                n++;
        args = swb_calloc(n + 2, sizeof(*args));
        args[0] = path;
        for (i = 0; i < n; i++)
                args[i + 1] = (char *)argv[i];
        env = swb__test_child_env(envp);

        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_DFL);
                if (fd >= 0 && (dup2(fd, 1) < 0 || dup2(fd, 2) < 0))
                        _exit(127);
                execve(args[0], args, env);
                _exit(127);
        }
        if (pid < 0)
                fprintf(stderr, "swb_test_spawn: fork: %s\n", strerror(errno));
        if (fd >= 0)
                close(fd);
        swb_free(env);
        swb_free(args);
        swb_free(path);
        return pid < 0 ? -1 : pid;
}

int swb_test_stop(pid_t pid, int sig, int64_t timeout_ms)
{
        int64_t deadline = swb_test_deadline(timeout_ms);
        int status;
        pid_t r;

        if (pid <= 0)
                return -1;
        kill(pid, sig);
        for (;;) {
                r = waitpid(pid, &status, WNOHANG);
                if (r == pid)
                        return status;
                if (r < 0 && errno != EINTR)
                        return -1; /* not our child (or already reaped) */
                if (swb_test_now_ms() >= deadline)
                        break;
                swb__test_sleep_ms(20);
        }
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return -1;
}

const char *swb_test_unique(void)
{
        /* A few rotating buffers, so two calls in one expression both hold. */
        static _Thread_local char bufs[8][64];
        static _Thread_local unsigned idx;
        static unsigned counter;
        struct timespec ts;
        char *b = bufs[idx++ % SWB_ARRAY_LEN(bufs)];

        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(b, sizeof(bufs[0]), "%ld-%lx-%u", (long)getpid(),
                 (unsigned long)(ts.tv_sec * 1000000L + ts.tv_nsec / 1000) &
                     0xffffffffUL,
                 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
        return b;
}
