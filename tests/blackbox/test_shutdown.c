/*
 * Black-box: SIGTERM ends a worker with exit 0 within 10 s even when the
 * broker has gone away (the group leave cannot complete then).
 */
#include "swb_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool file_has_data(void *arg)
{
        struct stat st;
        return !stat((const char *)arg, &st) && st.st_size > 0;
}

static bool worker_ready(void *arg)
{
        char buf[4096] = "";
        FILE *fp = fopen((const char *)arg, "r");
        size_t n;
        if (!fp)
                return false;
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        buf[n] = '\0';
        fclose(fp);
        return strstr(buf, "assigned") != NULL;
}

static void test_sigterm_with_broker_gone(void **state)
{
        char dir[128], addr[160], log[160], brokers[128] = "", env_b[200];
        const char *bargv[] = {"--addr-file", addr, NULL};
        const char *sargv[] = {NULL};
        const char *envp[3];
        pid_t broker, sup;
        FILE *fp;
        int st;
        int64_t t0;

        snprintf(dir, sizeof(dir), "/tmp/swb-shutdown-%s", swb_test_unique());
        mkdir(dir, 0755);
        snprintf(addr, sizeof(addr), "%s/addr", dir);
        snprintf(log, sizeof(log), "%s/supervisor.log", dir);
        broker = swb_test_spawn("swb-devbroker", bargv, NULL, NULL);
        assert_true(broker > 0);
        assert_true(swb_test_wait_for(file_has_data, addr, 10000));
        fp = fopen(addr, "r");
        assert_non_null(fp);
        assert_non_null(fgets(brokers, sizeof(brokers), fp));
        fclose(fp);
        brokers[strcspn(brokers, "\r\n")] = '\0';
        snprintf(env_b, sizeof(env_b), "SWB_BROKERS=%s", brokers);
        envp[0] = env_b;
        envp[1] = "SWB_ROUTE_MODEL=rule";
        envp[2] = NULL;
        sup = swb_test_spawn("swb-supervisor", sargv, envp, log);
        assert_true(sup > 0);
        assert_true(swb_test_wait_for(worker_ready, log, 30000));

        /* the broker goes away, then the worker is asked to stop */
        assert_int_equal(swb_test_stop(broker, SIGKILL, 5000) != -1, 1);
        t0 = swb_test_now_ms();
        st = swb_test_stop(sup, SIGTERM, 10000);
        if (st == -1)
                fail_msg("the supervisor did not exit within 10 s of SIGTERM with the broker gone");
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
        assert_true(swb_test_now_ms() - t0 < (int64_t)(10000 * swb_test_tmout_multip()));
        {
                char *cmd = malloc(strlen(dir) + 16);
                sprintf(cmd, "rm -rf '%s'", dir);
                assert_int_equal(system(cmd), 0);
                free(cmd);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sigterm_with_broker_gone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
