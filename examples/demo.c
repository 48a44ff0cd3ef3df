/* make demo: a short tour of cordon's library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cordon.h>

static void show(const char *title, cordon_task *t, int rc)
{
    const cordon_result *r = cordon_task_result(t);
    printf("\n== %s\n", title);
    printf("   returned %d, exit_code %d, exception %s, attempts %u\n", rc, r->exit_code,
           r->exception ? r->exception : "(none)", r->attempts);
    if (r->std_out.len)
        printf("   std_out: %.*s%s", (int)r->std_out.len, r->std_out.data,
               r->std_out.data[r->std_out.len - 1] == '\n' ? "" : "\n");
    if (r->log_out.len)
        printf("   log_out: %s", r->log_out.data);
    if (r->exc_out.len)
        printf("   exc_out:\n%s", r->exc_out.data);
    printf("   usage: wall %.2f ms, user %.2f ms, sys %.2f ms, peak rss %llu KiB\n",
           (double)r->usage.wall_us / 1000, (double)r->usage.user_us / 1000,
           (double)r->usage.sys_us / 1000, (unsigned long long)r->usage.max_rss_kb);
}

static int summarize(cordon_ctx *ctx, void *arg)
{
    const int *values = arg;
    long sum = 0;
    for (int i = 0; values[i]; i++)
        sum += values[i];
    printf("summing in pid %d", (int)getpid()); /* no newline, no flush: still captured */
    cordon_log(ctx, "summed %ld", sum);
    cordon_return(ctx, &sum, sizeof sum);
    return 0;
}

__attribute__((noinline)) static int parse_record(const char *record)
{
    return record[0] == '{'; /* record is NULL: the crash happens here */
}

static int crashes(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return parse_record(NULL);
}

static int flaky(cordon_ctx *ctx, void *arg)
{
    const char *counter_path = arg;
    FILE *f = fopen(counter_path, "a+");
    long size = f ? (fseek(f, 0, SEEK_END), ftell(f)) : 0;
    if (f) {
        fputc('x', f);
        fclose(f);
    }
    if (size < 2)
        cordon_raise(ctx, "ServerError", "attempt %ld: upstream returned 503", size + 1);
    cordon_log(ctx, "attempt %ld succeeded", size + 1);
    return 0;
}

int main(void)
{
    int values[] = { 3, 4, 5, 0 };
    cordon_task *t = cordon_function_task(summarize, values);
    int rc = cordon_run(t);
    show("a function task prints, logs and returns", t, rc);
    long sum = 0;
    memcpy(&sum, cordon_task_result(t)->returns.data, sizeof sum);
    printf("   returns: %ld (read from shared memory)\n", sum);
    cordon_task_free(t);

    t = cordon_function_task(crashes, NULL);
    show("a crash becomes an exception, the parent lives on", t, cordon_run(t));
    cordon_task_free(t);

    char counter[] = "/tmp/cordon-demo-XXXXXX";
    int fd = mkstemp(counter);
    if (fd >= 0)
        close(fd);
    t = cordon_function_task(flaky, counter);
    cordon_set_backoff(t, 50, 2.0, 1000);
    rc = cordon_run_and_retry(t, 5, "ServerError");
    show("a flaky call retried on ServerError with backoff", t, rc);
    size_t count = 0;
    const cordon_attempt *history = cordon_task_history(t, &count);
    for (size_t i = 0; i < count; i++)
        printf("   attempt %zu: %s\n", i + 1, history[i].exception ? history[i].exception : "ok");
    unlink(counter);
    cordon_task_free(t);

    const char *argv[] = { "ls", "-lG", "/", NULL };
    t = cordon_command_task(argv);
    cordon_set_timeout_ms(t, 5000);
    show("ls -lG / as a command task", t, cordon_run(t));
    cordon_task_free(t);

    t = cordon_shell_task("while :; do :; done");
    cordon_set_timeout_ms(t, 300);
    show("an endless loop meets its deadline", t, cordon_run(t));
    cordon_task_free(t);
    return 0;
}
