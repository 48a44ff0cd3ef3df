/* cordon learn: run a command once with every call recorded, write the
 * smallest allow-list that lets that run through, and check it by running
 * the command again under it. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "help.h"
#include "output.h"
#include "runner.h"
#include "safe_open.h"
#include "stop_signals.h"
#include "task_setup.h"
#include "task_stdin.h"

/* learn's own options, taken out of argv before run's parser sees it */
typedef struct learn_options {
    const char *out;
    const char **merge;
    size_t merge_count;
    bool no_verify;
    bool help;            /* --help or -h as a value of learn's own */
    int out_dir_fd;       /* --out's directory, pinned before the run */
    const char *out_name; /* --out's last component, in it */
} learn_options;

/* The command's output, passed on as it comes; its stdout goes to
 * cordon's stderr when the policy goes to stdout (no --out): in the same
 * stream, a task's "allow ptrace" line became a rule of its own policy. */
static void pass_output(void *user, int stream, const char *data, size_t len)
{
    const learn_options *l = user;
    if (stream == 1 || stream == 2)
        (void)output_write(stream == 1 && l->out ? STDOUT_FILENO : STDERR_FILENO, data, len);
}

/* "--out FILE", "--out=FILE": the value, advancing *i past it; NULL if
 * argv[*i] is not `name`. */
static const char *take_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    const char *joined = runner_option_value(argv[*i], name);
    if (joined || strcmp(argv[*i], name) != 0)
        return joined;
    /* "--out -- cmd" wrote the policy to a file named "--" */
    if (*i + 1 >= argc || strcmp(argv[*i + 1], "--") == 0) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* Whether `word` is one of learn's own options. */
static bool learn_option(const char *word)
{
    static const char *const names[] = { "--out", "--merge", "--no-verify" };
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (strcmp(word, names[k]) == 0 || runner_option_value(word, names[k]))
            return true;
    return false;
}

/* Splits learn's options from run's; `rest` gets run's, argv[0] first.
 * learn's options are looked for where run's are, before "--" or the
 * command's first word, run's values stepped over as run takes them: a
 * command's own --out is never taken (`learn cmd --out f -- x` wrote the
 * policy to f when a "--" came later), nor a value of run's for the
 * command (`learn --policy nonet --out f cmd`). */
static int split_options(int argc, char **argv, learn_options *l, char **rest, int *rest_count)
{
    int n = 0;
    rest[n++] = argv[0];
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (argv[i][0] != '-' || argv[i][1] == '\0')
            break;
        bool missing = false;
        const char *name = argv[i];
        const char *value = take_value(argc, argv, &i, "--out", &missing);
        bool merge = !value && (value = take_value(argc, argv, &i, "--merge", &missing));
        /* A separate value that asks for help is help, as run's are
         * (runner_is_help_word): `--out --help` learned, and wrote the
         * policy to a file named "--help". */
        if (value && value == argv[i] && runner_is_help_word(value)) {
            l->help = true;
            return 0;
        }
        if (value && !merge) {
            if (runner_take_once("--out", &l->out, value) < 0)
                return -1;
        } else if (value) {
            l->merge = runner_realloc(l->merge, (l->merge_count + 1) * sizeof *l->merge);
            l->merge[l->merge_count++] = value;
        } else if (strcmp(argv[i], "--no-verify") == 0) {
            l->no_verify = true;
        } else if (runner_option_value(argv[i], "--no-verify")) {
            runner_error("--no-verify takes no value");
            return -1;
        } else if (!missing) {
            rest[n++] = argv[i];
            for (int v = options_separate_values(argc, argv, i, OPTIONS_RUN); v > 0; v--) {
                /* run's parser knows no option of learn's: `--ro --out F`
                 * had made "--out" the --ro path */
                if (learn_option(argv[i + 1])) {
                    runner_error("%s needs a value, and '%s' is an option (to give it as the "
                                 "value, write %s=%s)", argv[i], argv[i + 1], argv[i],
                                 argv[i + 1]);
                    return -1;
                }
                rest[n++] = argv[++i];
            }
        }
        if (missing) {
            runner_error("%s needs a value (see 'cordon learn --help')", name);
            return -1;
        }
    }
    for (; i < argc; i++)
        rest[n++] = argv[i];
    rest[n] = NULL;
    *rest_count = n;
    return 0;
}

static int merge_earlier(cordon_learned *learned, const learn_options *l)
{
    for (size_t i = 0; i < l->merge_count; i++) {
        cordon_error err;
        cordon_policy *p = cordon_policy_load(l->merge[i], &err);
        int rc = p ? cordon_learned_merge(learned, p, &err) : -1;
        cordon_policy_free(p);
        if (rc < 0) {
            runner_error("--merge: %s", err.message);
            return -1;
        }
    }
    return 0;
}

/* The policy text, to --out FILE or stdout.  FILE may be in a directory
 * the task could write: a link or FIFO it planted there is refused, never
 * written through or waited on, and it is made in the directory pinned
 * before the run, whatever the task renamed or linked above it
 * (safe_open.h). */
static int write_policy(const char *text, size_t len, const learn_options *l)
{
    const char *out = l->out;
    int fd = out ? safe_open_replace_in("--out", l->out_dir_fd, l->out_name, out) : -1;
    if (out && fd < 0)
        return -1;
    FILE *f = out ? fdopen(fd, "w") : stdout;
    if (!f) {
        runner_error("--out: cannot write '%s': %s", out, strerror(errno));
        close(fd);
        return -1;
    }
    errno = 0;
    bool ok = fwrite(text, 1, len, f) == len;
    int saved = errno;
    ok = (out ? fclose(f) == 0 : fflush(f) == 0) && ok;
    saved = saved ? saved : errno;
    if (!ok && out)
        runner_error("--out: cannot write '%s': %s", out, strerror(saved));
    else if (!ok)
        runner_error("cannot write to stdout: %s", strerror(saved));
    return ok ? 0 : -1;
}

static const char *ending(const cordon_result *r, char *buf, size_t size)
{
    if (r->exception) {
        const char *line = r->exc_out.data;
        size_t n = strcspn(line, "\n");
        snprintf(buf, size, "%.*s", (int)n, line);
    } else {
        snprintf(buf, size, "exit %d", r->exit_code);
    }
    return buf;
}

/* The lines of the exception after its first (a hint where the program
 * or working directory lies, a crash's backtrace), as `run` shows them. */
static void exception_detail(const cordon_result *r)
{
    const char *rest = r->exc_out.len ? memchr(r->exc_out.data, '\n', r->exc_out.len) : NULL;
    if (!rest || rest + 1 == r->exc_out.data + r->exc_out.len)
        return;
    rest++;
    size_t len = r->exc_out.len - (size_t)(rest - r->exc_out.data);
    (void)output_write(STDERR_FILENO, rest, len);
    if (rest[len - 1] != '\n')
        (void)output_write(STDERR_FILENO, "\n", 1);
}

/* A violation, named or not, is the same only where the call is
 * (same_violation): the filter's bare kill names none. */
static bool violated(const cordon_result *r)
{
    return r->exception && strcmp(r->exception, "PolicyViolation") == 0;
}

/* The call a violation's first line names ("...' forbids CALL: killed
 * by ..."), its length in `*len`; NULL for any other ending. */
static const char *violated_call(const cordon_result *r, size_t *len)
{
    if (!violated(r))
        return NULL;
    const char *line = r->exc_out.data;
    if (!line)
        return NULL;
    size_t line_len = strcspn(line, "\n");
    const char *call = memmem(line, line_len, "' forbids ", 10);
    if (!call)
        return NULL;
    call += 10;
    const char *end = memmem(call, line_len - (size_t)(call - line), ": killed by ", 12);
    *len = end ? (size_t)(end - call) : line_len - (size_t)(call - line);
    return call;
}

/* Whether two calls' texts are one call's, any address aside: a pointer
 * argument differs from run to run (uname(0x7fffa57c33da) and
 * uname(0x7ffc2936f7da) are the same kill). */
static bool same_call(const char *a, size_t a_len, const char *b, size_t b_len)
{
    size_t i = 0, k = 0;
    while (i < a_len && k < b_len) {
        if (a_len - i > 2 && b_len - k > 2 && memcmp(a + i, "0x", 2) == 0 &&
            memcmp(b + k, "0x", 2) == 0) {
            for (i += 2; i < a_len && isxdigit((unsigned char)a[i]);)
                i++;
            for (k += 2; k < b_len && isxdigit((unsigned char)b[k]);)
                k++;
            continue;
        }
        if (a[i++] != b[k++])
            return false;
    }
    return i == a_len && k == b_len;
}

/* Whether both runs were killed at the same call: the base's kill that
 * ended the learning run is the learned policy's to repeat, by its own
 * rule or default (it was "check failed", the policy called incomplete).
 * Read from each whole first line: the ending as shown is cut at 255
 * bytes, and a long --out path cut the call off. */
static bool same_violation(const cordon_result *was, const cordon_result *is)
{
    size_t was_len, is_len;
    const char *was_call = violated_call(was, &was_len), *is_call = violated_call(is, &is_len);
    return was_call && is_call && same_call(was_call, was_len, is_call, is_len);
}

/* The learned policy's check: the command again, under it, its output
 * captured rather than shown a second time.  0 when it ended as the
 * learning run did. */
static int verify(const command_options *o, const char *text, const char *origin,
                  const cordon_result *learned_run)
{
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(text, origin, &err);
    if (!p) {
        runner_error("the learned policy does not compile: %s", err.message);
        return RUNNER_EXIT_OWN_ERROR;
    }
    cordon_task *t = task_build(&o->task, p, o->shell, o->command);
    int status = RUNNER_EXIT_OWN_ERROR;
    if (t) {
        stop_signals_watch(t);
        int rc = cordon_run(t);
        stop_signals_unwatch(t);
        const cordon_result *r = cordon_task_result(t);
        char was[256], is[256], why[256];
        ending(learned_run, was, sizeof was);
        ending(r, is, sizeof is);
        if (rc < 0)
            runner_error("cannot run the check: %s", task_run_error_text(rc, why, sizeof why));
        else if ((strcmp(was, is) == 0 && !violated(r)) || same_violation(learned_run, r))
            status = 0;
        else
            status = task_exit_status(rc, r) ? task_exit_status(rc, r) : 1;
        if (stop_signals_caught())
            runner_error("the check was stopped: cordon was stopped by a signal; nothing written");
        else if (!o->task.quiet || status)
            runner_error("%s: under the learned policy the command ended with %s (learning "
                         "run: %s)", status ? "check failed" : "checked", is, was);
    }
    cordon_task_free(t);
    cordon_policy_free(p);
    return status;
}

static int learn_and_write(const command_options *o, const learn_options *l, cordon_task *t,
                           cordon_learned *learned)
{
    if (!o->task.quiet)
        cordon_set_output_callback(t, pass_output, (void *)l);
    stop_signals_watch(t);
    unsigned runs_before = cordon_learned_runs(learned);
    int rc = cordon_learn(t, learned);
    stop_signals_unwatch(t);
    /* Stopped by a signal: nothing written, nothing checked. */
    if (stop_signals_caught())
        return RUNNER_EXIT_OWN_ERROR;
    if (rc == -EOPNOTSUPP) {
        runner_error("learn needs seccomp user notification (Linux 5.5), which this kernel "
                     "does not offer");
        return RUNNER_EXIT_OWN_ERROR;
    }
    if (rc < 0) {
        char why[256];
        runner_error("cannot run the task: %s", task_run_error_text(rc, why, sizeof why));
        return RUNNER_EXIT_OWN_ERROR;
    }
    output_flush(STDOUT_FILENO);
    output_flush(STDERR_FILENO);
    const cordon_result *r = cordon_task_result(t);
    char buf[256];
    /* The command never ran (not found, not executable, its confinement
     * refused): a policy of cordon's own start replaced the file --out
     * names, a good one, for a typo in the command; without --out, one of
     * cordon's start alone was printed, and checked, as the command's; a
     * ConfinementError wrote `default kill` alone. */
    if (cordon_learned_runs(learned) == runs_before) {
        runner_error("the learning run ended with %s: the command never ran, so there is no "
                     "policy to learn%s%s%s", ending(r, buf, sizeof buf),
                     l->out ? " ('" : "", l->out ? l->out : "", l->out ? "' is left as it was)" : "");
        exception_detail(r);
        return task_exit_status(0, r);
    }
    if (r->exception) {
        runner_error("the learning run ended with %s; the policy covers what ran until then",
                     ending(r, buf, sizeof buf));
        exception_detail(r);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    char *title = task_command_text(o->shell, o->command);
    int written = mem ? cordon_learned_write(learned, mem, title) : -ENOMEM;
    free(title);
    if (mem && fclose(mem) != 0 && written == 0)
        written = -ENOMEM;
    if (written < 0) {
        runner_error("cannot write the policy: %s", strerror(-written));
        free(text);
        return RUNNER_EXIT_OWN_ERROR;
    }
    /* Checked before it is written: the check runs the command again, and
     * a file written first was the task's to replace (in a directory it
     * may write, `default allow` in its place, reported "checked"); what
     * it plants there meanwhile is refused or replaced as the learning
     * run's is (safe_open.h). */
    int status = l->no_verify ? 0 : verify(o, text, l->out ? l->out : "learned", r);
    /* A check that failed still writes it (its status says so); one
     * stopped by a signal writes nothing, as the learning run's stop. */
    if (stop_signals_caught()) {
        free(text);
        return status ? status : RUNNER_EXIT_OWN_ERROR;
    }
    if (write_policy(text, len, l) < 0)
        status = RUNNER_EXIT_OWN_ERROR;
    if (status == 0 && r->exception)
        status = task_exit_status(0, r);
    free(text);
    return status;
}

/* learn prints a policy, not a result: the options of retries and of
 * records are none of its own.  Said before the checks of the options
 * they depend on, which would name an option learn does not take. */
static const char *inapplicable_option(const task_options *t)
{
    return t->retry ? "--retry" : t->retry_on_count ? "--retry-on"
           : t->backoff_ms ? "--backoff" : t->json ? "--json" : t->audit ? "--audit"
           : t->audit_output_given ? "--audit-output" : t->run_id ? "--run-id"
           : t->profile ? "--profile" : t->tty ? "--tty" : NULL;
}

static int prepare_and_learn(command_options *o, learn_options *l)
{
    const char *inapplicable = inapplicable_option(&o->task);
    if (inapplicable) {
        runner_error("learn: %s does not apply (learn runs the command once and writes a "
                     "policy)", inapplicable);
        return RUNNER_EXIT_OWN_ERROR;
    }
    if (options_validate(o, OPTIONS_RUN) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    /* Checked again when written (a task may change what stands there
     * meanwhile); checked here so that a bad --out refuses the command
     * before it runs, and its side effects happen for nothing. */
    if (l->out && (safe_check_replace("--out", l->out) < 0 ||
                   (l->out_dir_fd = safe_pin_parent("--out", l->out, &l->out_name)) < 0))
        return RUNNER_EXIT_OWN_ERROR;
    cordon_policy *base;
    if (task_policy_open(&o->task, &base) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    if (task_options_check(&o->task, base) < 0 || task_stdin_check(false) < 0) {
        cordon_policy_free(base);
        return RUNNER_EXIT_OWN_ERROR;
    }
    cordon_learned *learned = cordon_learned_new();
    int status = RUNNER_EXIT_OWN_ERROR;
    if (!learned)
        runner_error("out of memory");
    else if (merge_earlier(learned, l) == 0) {
        output_start();
        cordon_task *t = task_build(&o->task, base, o->shell, o->command);
        if (t && task_stdin_give(t, false) == 0)
            status = learn_and_write(o, l, t, learned);
        cordon_task_free(t);
    }
    cordon_learned_free(learned);
    cordon_policy_free(base);
    return status;
}

int learn_main(int argc, char **argv)
{
    learn_options l = { NULL, NULL, 0, false, false, -1, NULL };
    char **rest = runner_alloc(((size_t)argc + 1) * sizeof *rest);
    int rest_count = 0;
    command_options o;
    int status;
    if (split_options(argc, argv, &l, rest, &rest_count) < 0) {
        memset(&o, 0, sizeof o);
        status = RUNNER_EXIT_OWN_ERROR;
    } else if (options_parse(rest_count, rest, OPTIONS_RUN, &o) < 0) {
        status = RUNNER_EXIT_OWN_ERROR;
    } else if (l.help || o.help) {
        status = help_print("learn");
    } else {
        status = prepare_and_learn(&o, &l);
    }
    options_free(&o);
    /* A task's output, or cordon's own, that never reached its reader is
     * cordon's failure when nothing else failed. */
    if (output_finish() < 0 && status == 0)
        status = RUNNER_EXIT_OWN_ERROR;
    if (l.out_dir_fd >= 0)
        close(l.out_dir_fd);
    free(l.merge);
    free(rest);
    return status;
}
