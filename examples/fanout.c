/*
 * An async fan-out: 20 commands through a pool of 4, each result printed
 * as it finishes (in the order they end, not the order they were given).
 * One command is too slow for its deadline, one fails, and one is
 * cancelled by a done callback as soon as it is seen to be useless.
 *
 *   cc fanout.c $(pkg-config --cflags --libs cordon) -o fanout
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cordon.h>

#define COMMANDS 20
#define WORKERS  4

/* Runs on a task's collector thread when it ends: here it only cancels
 * the "lookout" task once the first task has ended (cordon_cancel is safe
 * from any thread). */
static void cancel_lookout(cordon_task *t, void *lookout)
{
    (void)t;
    cordon_cancel(lookout);
}

int main(void)
{
    cordon_task *tasks[COMMANDS];
    for (int i = 0; i < COMMANDS; i++) {
        char line[128];
        if (i == 7)
            snprintf(line, sizeof line, "sleep 5; echo never");        /* past its deadline */
        else if (i == 11)
            snprintf(line, sizeof line, "echo 'no such host' >&2; exit 2");
        else if (i == 1)
            snprintf(line, sizeof line, "sleep 30");                    /* cancelled */
        else
            snprintf(line, sizeof line, "sleep 0.%d; echo 'task %d: %d squared is %d'",
                     (i * 7) % 5, i, i, i * i);
        tasks[i] = cordon_shell_task(line);
        if (!tasks[i]) {
            perror("cordon_shell_task");
            return 1;
        }
        cordon_set_timeout_ms(tasks[i], 2000);
    }
    cordon_set_done_callback(tasks[0], cancel_lookout, tasks[1]);

    cordon_pool *pool = cordon_pool_new(WORKERS);
    if (!pool) {
        perror("cordon_pool_new");
        return 1;
    }
    for (int i = 0; i < COMMANDS; i++) {
        int rc = cordon_pool_submit(pool, tasks[i]);  /* never blocks: the rest queue */
        if (rc < 0)
            fprintf(stderr, "task %d: %s\n", i, strerror(-rc));
    }

    int finished = 0, succeeded = 0;
    cordon_task *done;
    int rc;
    while ((rc = cordon_pool_wait_any(pool, -1, &done)) != -ECHILD && done) {
        int i = 0;
        while (tasks[i] != done)
            i++;
        const cordon_result *r = cordon_task_result(done);
        finished++;
        if (rc < 0) {
            printf("[%2d/%d] #%-2d could not start: %s\n", finished, COMMANDS, i, strerror(-rc));
        } else if (cordon_succeeded(r)) {
            succeeded++;
            printf("[%2d/%d] #%-2d ok      %.*s", finished, COMMANDS, i, (int)r->std_out.len,
                   r->std_out.data);
        } else if (r->exception) {
            printf("[%2d/%d] #%-2d %-7s %s\n", finished, COMMANDS, i, r->exception, r->message);
        } else {
            printf("[%2d/%d] #%-2d exit %d  %s", finished, COMMANDS, i, r->exit_code,
                   r->std_err.data);
        }
    }
    printf("%d of %d succeeded, through a pool of %d\n", succeeded, COMMANDS, WORKERS);

    cordon_pool_free(pool);
    for (int i = 0; i < COMMANDS; i++)
        cordon_task_free(tasks[i]);
    return 0;
}
