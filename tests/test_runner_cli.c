/* The cordon command as a whole: dispatch, --help with every option and an
 * example, --version, and the progress line batch draws on a terminal. */
#include "runner_support.h"

static void test_cli_version(void **state)
{
    (void)state;
    captured c = CORDON("--version");
    expect_status(&c, 0);
    assert_string_equal(c.out, "cordon " CORDON_VERSION "\n");
    captured_free(&c);
    c = CORDON("--version", "extra"); /* was 0, the word ignored */
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --version takes nothing after it (found 'extra')\n");
    captured_free(&c);
}

/* A mistyped option names the one most likely meant, among the command's
 * own; a word near none gets no guess. */
static void test_cli_a_mistyped_option_names_the_one_meant(void **state)
{
    (void)state;
    const char *cases[][3] = {
        { "run", "--polcy", "did you mean '--policy'? " },
        { "run", "--timout", "did you mean '--timeout'? " },
        { "run", "--isloate", "did you mean '--isolate'? " },
        { "run", "--ro-bnd", "did you mean '--ro-bind'? " },
        { "batch", "--jbos", "did you mean '--jobs'? " },
        { "run", "--jobs", "" }, /* batch's, not run's */
        { "run", "--frobnicate", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        captured c = CORDON(cases[i][0], cases[i][1], "x", "--", "true");
        expect_status(&c, 125);
        char want[256];
        snprintf(want, sizeof want, "cordon: %s: unknown option '%s' (%ssee 'cordon %s --help')\n",
                 cases[i][0], cases[i][1], cases[i][2], cases[i][0]);
        assert_string_equal(c.err, want);
        captured_free(&c);
    }
}

/* A file option given "--" or another option as its value made a file of
 * that name ("--audit -- true" made ./--, "--audit --json" made ./--json
 * and printed no JSON; "learn --out --" wrote the policy to ./--): they
 * are refused, and nothing is made.  "--audit=--json" still names one. */
static void test_cli_an_option_or_the_end_of_options_is_no_value(void **state)
{
    (void)state;
    char dir[] = "/tmp/cordon-test-values-XXXXXX", previous[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(previous, sizeof previous));
    assert_int_equal(chdir(dir), 0);
    const char *const cases[][6] = {
        { "run", "--audit", "--", "true", NULL },
        { "run", "--audit", "--json", "--", "true", NULL },
        { "batch", "--out-dir", "--", "/dev/null", NULL },
        { "learn", "--out", "--", "true", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        captured c = cordon_with_input(NULL, cases[i]);
        expect_status(&c, 125);
        assert_non_null(strstr(c.err, "needs a value"));
        captured_free(&c);
        struct stat st;
        assert_int_not_equal(stat("--", &st), 0);
        assert_int_not_equal(stat("--json", &st), 0);
    }
    captured c = CORDON("run", "--audit=--json", "--", "true");
    expect_status(&c, 0);
    captured_free(&c);
    struct stat st;
    assert_int_equal(stat("--json", &st), 0);
    unlink("--json");
    assert_int_equal(chdir(previous), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void expect_help_mentions(const char *topic, const char *const words[])
{
    captured c = topic ? CORDON(topic, "--help") : CORDON("--help");
    expect_status(&c, 0);
    assert_string_equal(c.err, "");
    for (size_t i = 0; words[i]; i++) {
        if (!strstr(c.out, words[i]))
            fail_msg("'cordon %s --help' does not mention %s", topic ? topic : "", words[i]);
    }
    assert_non_null(strstr(c.out, "Example"));
    captured_free(&c);
}

static const char *const task_options[] = {
    "--policy", "--timeout", "--cpu", "--mem", "--fsize", "--core", "--procs", "--nofile", "--out-cap",
    "--user", "--cwd", "--env", "--clear-env", "--retry", "--retry-on", "--backoff", "--json",
    "--audit", "--quiet", "--raw", "exit:N", NULL,
};

/* --help or -h anywhere before the command prints the help, a mistake
 * before it too (the README: "so that it can end a half-written line");
 * the mistake had been said instead, exit 125. */
static void expect_usage(const char *usage, const char *const args[])
{
    captured c = cordon_with_input(NULL, args);
    if (c.status != 0 || !strstr(c.out, usage))
        fail_msg("'%s %s %s %s' gave %d: %s%s", args[0], args[1], args[2], args[3] ? args[3] : "",
                 c.status, c.out, c.err);
    captured_free(&c);
}

static void test_cli_help_anywhere_before_the_command_even_after_a_mistake(void **state)
{
    (void)state;
    expect_usage("Usage: cordon run", (const char *const[]){ "run", "--bogus", "-h", NULL });
    expect_usage("Usage: cordon run", (const char *const[]){ "run", "--timeout", "5x", "-h", NULL });
    expect_usage("Usage: cordon run", (const char *const[]){ "run", "--mem", "64", "--help", NULL });
    expect_usage("Usage: cordon run",
                 (const char *const[]){ "run", "--bind", "/a", "/b", "-h", NULL });
    expect_usage("Usage: cordon batch", (const char *const[]){ "batch", "-j", "x", "--help", NULL });
    expect_usage("Usage: cordon report", (const char *const[]){ "report", "--bogus", "-h", NULL });
    /* The command's own argument is its own. */
    captured c = CORDON("run", "--", "echo", "-h");
    expect_status(&c, 0);
    assert_string_equal(c.out, "-h\n");
    captured_free(&c);
    /* After "--", "-h" is the command's; an option is no value. */
    expect_usage("Usage: cordon run", (const char *const[]){ "run", "--timeout", "--help", NULL });
    c = CORDON("run", "--timeout", "--", "-h");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "--timeout needs a value"));
    captured_free(&c);
    c = CORDON("run", "--bind", "/tmp", "--", "-h");
    expect_status(&c, 125);
    captured_free(&c);
    /* Joined, a value is a value. */
    c = CORDON("run", "--hostname=-h", "--", "true");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "--hostname: '-h' is not a host name"));
    captured_free(&c);
    c = CORDON("report", "--sort=-h");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "--sort: '-h' is not cpu, rss or wall"));
    captured_free(&c);
}

/* Either word as an option's separate value is the help too, for every
 * command and option alike: taken as the value, `run --shell -h` ran
 * `sh -c -h`, `run --audit -h -- echo RAN` ran and wrote ./-h, `batch
 * --out-dir -h` ran and made ./-h, `learn --out --help -- true` learned
 * and wrote ./--help, and `report --jobs --help` said no audit file was
 * given.  Nothing runs, and no file is made. */
static void test_cli_help_as_an_option_s_value_is_the_help(void **state)
{
    (void)state;
    char dir[] = "/tmp/cordon-test-help-value-XXXXXX", previous[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(previous, sizeof previous));
    assert_int_equal(chdir(dir), 0);
    static const struct {
        const char *usage;
        const char *args[8];
    } cases[] = {
        { "Usage: cordon run", { "run", "--shell", "-h", NULL } },
        { "Usage: cordon run", { "run", "--audit", "-h", "--", "echo", "RAN", NULL } },
        { "Usage: cordon run", { "run", "--cwd", "-h", "--", "echo", "RAN", NULL } },
        { "Usage: cordon run", { "run", "--hostname", "-h", "--", "echo", "RAN", NULL } },
        { "Usage: cordon run", { "run", "--timeout", "-h", NULL } },
        { "Usage: cordon run", { "run", "--bind", "/tmp", "--help", "--", "echo", "RAN", NULL } },
        { "Usage: cordon run", { "run", "--ro-bind", "/tmp", "-h", "--", "echo", "RAN", NULL } },
        { "Usage: cordon run", { "run", "--bind", "-h", "/tmp", "--", "echo", "RAN", NULL } },
        { "Usage: cordon batch", { "batch", "--out-dir", "-h", "-", NULL } },
        { "Usage: cordon batch", { "batch", "-j", "-h", NULL } },
        { "Usage: cordon learn", { "learn", "--out", "--help", "--", "echo", "RAN", NULL } },
        { "Usage: cordon learn", { "learn", "--out", "-h", "--", "echo", "RAN", NULL } },
        { "Usage: cordon learn", { "learn", "--merge", "-h", "--", "echo", "RAN", NULL } },
        { "Usage: cordon learn", { "learn", "--timeout", "-h", "--", "echo", "RAN", NULL } },
        { "Usage: cordon report", { "report", "--jobs", "--help", NULL } },
        { "Usage: cordon report", { "report", "--lines", "--help", NULL } },
        { "Usage: cordon report", { "report", "--top", "-h", NULL } },
        { "Usage: cordon report", { "report", "--sort", "-h", NULL } },
        /* help's topic a help word: the overview ("no command '-h'") */
        { "Usage: cordon COMMAND", { "help", "-h", NULL } },
        { "Usage: cordon COMMAND", { "--help", "--help", NULL } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        captured c = cordon_with_input("echo RAN\n", cases[i].args);
        if (c.status != 0 || !strstr(c.out, cases[i].usage) || strstr(c.out, "RAN"))
            fail_msg("case %zu ('%s %s %s ...') gave %d: %s%s", i, cases[i].args[0],
                     cases[i].args[1], cases[i].args[2], c.status, c.out, c.err);
        captured_free(&c);
        struct stat st;
        assert_int_not_equal(lstat("-h", &st), 0);
        assert_int_not_equal(lstat("--help", &st), 0);
    }
    assert_int_equal(chdir(previous), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_cli_help_lists_the_commands(void **state)
{
    (void)state;
    const char *const words[] = { "run", "batch", "policy", "report", "--version", "124",
                                  "125", "126", "127", NULL };
    expect_help_mentions(NULL, words);
    captured c = CORDON("-h");
    expect_status(&c, 0);
    captured_free(&c);
}

static void test_cli_run_help_lists_every_option(void **state)
{
    (void)state;
    expect_help_mentions("run", task_options);
    const char *const more[] = { "--shell", "--profile", "128+N", NULL };
    expect_help_mentions("run", more);
}

static void test_cli_batch_help_lists_every_option(void **state)
{
    (void)state;
    expect_help_mentions("batch", task_options);
    const char *const more[] = { "-j", "--out-dir", NULL };
    expect_help_mentions("batch", more);
}

/* What the help says of a limit or a policy is no more than holds
 * (`--policy none` had said "no seccomp filter at all", where a task
 * without a pid namespace of its own, or under a v2 cgroup, gets cordon's
 * own rules). */
static void test_cli_help_claims_no_more_than_holds(void **state)
{
    (void)state;
    const char *const words[] = {
        "RLIMIT_FSIZE: per file, not a total",
        "'none': no policy of the task's, only\n                      cordon's own rules where "
        "it needs them",
        "noexec stops execve and\n                      execveat only",
        "tasks run as nobody unless given\n                      --user root",
        "RLIMIT_NPROC, which counts all of the user's", NULL,
    };
    expect_help_mentions("run", words);
    expect_help_mentions("batch", words);
    const char *const run_only[] = { "through a read-only description of\nits own",
                                     "gets the rest dropped", NULL };
    expect_help_mentions("run", run_only);
    /* Escaping control bytes holds a task's output off the terminal's
     * controls, not off cordon's words: a task can print "cordon:
     * Timeout: ..." and exit 124.  The help said it could not "fake
     * cordon's lines". */
    const char *const escaping[] = {
        "cannot erase or overwrite a line", "move the cursor",
        "It can still print\n                      plain text that reads as cordon's",
        "only --json's \"exception\" is\n                      cordon's own word", NULL,
    };
    for (int i = 0; i < 2; i++) {
        expect_help_mentions(i ? "batch" : "run", escaping);
        captured c = CORDON(i ? "batch" : "run", "--help");
        assert_null(strstr(c.out, "fake cordon's lines"));
        captured_free(&c);
    }
}

static void test_cli_policy_and_report_help(void **state)
{
    (void)state;
    const char *const policy[] = { "check", "show", "--bpf", "list", NULL };
    expect_help_mentions("policy", policy);
    const char *const report[] = { "--sort", "cpu", "rss", "wall", "--top", NULL };
    expect_help_mentions("report", report);
}

static void test_cli_unknown_or_missing_command_is_125(void **state)
{
    (void)state;
    captured c = CORDON("frobnicate");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: unknown command 'frobnicate' (see 'cordon --help')\n");
    captured_free(&c);
    /* An option before any command is said to be one (before: "unknown
     * command '--frob'"). */
    c = CORDON("--frob");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: unknown option '--frob': cordon takes only --help and "
                               "--version before a command (see 'cordon --help')\n");
    captured_free(&c);
    c = CORDON("--timeout", "1s", "run", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: unknown option '--timeout': cordon takes only --help "
                               "and --version before a command (see 'cordon --help')\n");
    captured_free(&c);
    /* `cordon help help` is the overview (it was "no command 'help'") */
    c = CORDON("help", "help");
    expect_status(&c, 0);
    captured top = CORDON("--help");
    assert_string_equal(c.out, top.out);
    captured_free(&top);
    captured_free(&c);
    /* A typo of a command or of --help is named, as a command's options'
     * typos are (it was not). */
    c = CORDON("rnu", "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: unknown command 'rnu' (did you mean 'run'? see "
                               "'cordon --help')\n");
    captured_free(&c);
    c = CORDON("--hlep");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: unknown option '--hlep': cordon takes only --help and "
                               "--version before a command (did you mean '--help'? see "
                               "'cordon --help')\n");
    captured_free(&c);
    /* And in help's topic, and a top-level option written as a word. */
    c = CORDON("help", "rn");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: help: no command 'rn' (did you mean 'run'? run, batch, "
                               "policy, report, learn)\n");
    captured_free(&c);
    c = CORDON("version");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: unknown command 'version' (did you mean '--version'? "
                               "see 'cordon --help')\n");
    captured_free(&c);
    const char *argv[] = { runner_path(), NULL };
    c = exec_capture(argv, NULL, 0);
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: no command given (see 'cordon --help')\n");
    captured_free(&c);
    /* `cordon help TOPIC` for a command that does not exist says so, as
     * `cordon TOPIC` does, rather than printing the overview with 0. */
    c = CORDON("help", "frobnicate");
    expect_status(&c, 125);
    assert_string_equal(c.out, "");
    assert_string_equal(c.err, "cordon: help: no command 'frobnicate' (run, batch, policy, "
                               "report, learn)\n");
    captured_free(&c);
    c = CORDON("help", "learn");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "Usage: cordon learn"));
    captured_free(&c);
    /* --help and -h are help: they name a topic the same way (was: the
     * overview, the word ignored), and a word past it is refused as after
     * --version (was: ignored, 0). */
    const char *spellings[] = { "help", "--help", "-h" };
    for (size_t i = 0; i < 3; i++) {
        c = CORDON(spellings[i], "batch");
        expect_status(&c, 0);
        assert_non_null(strstr(c.out, "Usage: cordon batch"));
        captured_free(&c);
        c = CORDON(spellings[i], "run", "extra");
        expect_status(&c, 125);
        assert_string_equal(c.out, "");
        char want[160];
        snprintf(want, sizeof want, "cordon: %s takes at most a command's name after it "
                 "(found 'extra' after 'run')\n", spellings[i]);
        assert_string_equal(c.err, want);
        captured_free(&c);
    }
}

/* An option that takes one value, given twice, is refused with both
 * values named (the last one used to win silently), in every command;
 * nothing runs.  -j and --jobs are one option. */
static void test_cli_a_single_value_option_given_twice_is_refused(void **state)
{
    (void)state;
    const struct { const char *args[9]; const char *message; } cases[] = {
        { { "batch", "--shard", "0/4", "--shard", "1/4", "/dev/null", NULL },
          "cordon: --shard given twice ('0/4', then '1/4'): it takes one value\n" },
        { { "run", "--isolate", "judge", "--isolate=isolated", "--", "true", NULL },
          "cordon: --isolate given twice ('judge', then 'isolated'): it takes one value\n" },
        { { "run", "--timeout", "1s", "--policy", "none", "--timeout", "2s", "true", NULL },
          "cordon: --timeout given twice ('1s', then '2s'): it takes one value\n" },
        { { "batch", "-j2", "--jobs", "3", "/dev/null", NULL },
          "cordon: --jobs given twice ('2', then '3'): it takes one value\n" },
        { { "run", "--user", "nobody", "--user", "root", "--", "true", NULL },
          "cordon: --user given twice ('nobody', then 'root'): it takes one value\n" },
        { { "report", "--top", "3", "--top", "4", "/dev/null", NULL },
          "cordon: --top given twice ('3', then '4'): it takes one value\n" },
        { { "learn", "--out", "/nonexistent/a", "--out", "/nonexistent/b", "--", "true", NULL },
          "cordon: --out given twice ('/nonexistent/a', then '/nonexistent/b'): it takes one "
          "value\n" },
        { { "policy", "import", "--out", "/nonexistent/a", "--out", "/nonexistent/b", "x",
            NULL },
          "cordon: --out given twice ('/nonexistent/a', then '/nonexistent/b'): it takes one "
          "value\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        captured c = cordon_with_input(NULL, cases[i].args);
        expect_status(&c, 125);
        assert_string_equal(c.out, "");
        assert_string_equal(c.err, cases[i].message);
        captured_free(&c);
    }
}

/* A value refused says what would have been taken: --top's range (a
 * negative and a 20-digit count were "not a whole number" alike), an
 * import prefix with no file after it ("cannot read policy file ''"). */
static void test_cli_refused_values_say_what_is_taken(void **state)
{
    (void)state;
    const struct { const char *args[9]; const char *message; int status; } cases[] = {
        { { "report", "--top", "-1", "/dev/null", NULL },
          "cordon: --top: '-1' is not a whole number from 0 (every row) to "
          "18446744073709551614\n", 125 },
        { { "report", "--top", "99999999999999999999", "/dev/null", NULL },
          "cordon: --top: '99999999999999999999' is not a whole number from 0 (every row) to "
          "18446744073709551614\n", 125 },
        { { "run", "--policy", "docker:", "--", "true", NULL },
          "cordon: --policy: 'docker:' names no file: give docker:PATH\n", 125 },
        { { "run", "--policy", "minijail:", "--", "true", NULL },
          "cordon: --policy: 'minijail:' names no file: give minijail:PATH\n", 125 },
        { { "policy", "import", "docker:", NULL },
          "cordon: no profile given (the path of a Docker seccomp profile or a Minijail policy "
          "file)\n", 1 }, /* the import's failure, as for a file it cannot read */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        captured c = cordon_with_input(NULL, cases[i].args);
        expect_status(&c, cases[i].status);
        assert_string_equal(c.out, "");
        assert_string_equal(c.err, cases[i].message);
        captured_free(&c);
    }
}

/* The options that add one more each stay repeatable. */
static void test_cli_repeatable_options_add_up(void **state)
{
    (void)state;
    captured c = CORDON("run", "--quiet", "--env", "A=1", "--env", "B=2", "--", "sh", "-c",
                        "echo $A$B");
    expect_status(&c, 0);
    assert_string_equal(c.out, "12\n");
    captured_free(&c);
}

/* On a terminal batch redraws one progress line in place. */
/* Started with fd 0, 1 or 2 closed, cordon does not hand those numbers to
 * what it opens next: with stdin closed, a Landlock ruleset became the
 * task's stdin (StdinError); with stdout closed, the audit file would get
 * the task's output. */
static void test_cli_started_with_standard_fds_closed(void **state)
{
    (void)state;
    char audit[] = "/tmp/cordon-closed-fds-XXXXXX";
    int fd = mkstemp(audit);
    assert_true(fd >= 0);
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s run --quiet --ro /usr --ro /lib --ro /lib64 --exec /usr "
             "--exec /lib --exec /lib64 -- /usr/bin/true <&-", runner_path());
    int status = system(cmd);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    snprintf(cmd, sizeof cmd, "%s run --quiet --audit %s -- /bin/echo printed >&- 2>&-",
             runner_path(), audit);
    status = system(cmd);
    assert_true(WIFEXITED(status));
    FILE *f = fopen(audit, "r");
    assert_non_null(f);
    char line[8192] = "";
    assert_non_null(fgets(line, sizeof line, f));
    char rest[64];
    bool more = fgets(rest, sizeof rest, f) != NULL;
    fclose(f);
    unlink(audit);
    assert_true(line[0] == '{');
    assert_false(more);
    assert_non_null(strstr(line, "\"std_out\":\"printed\\n\""));
    /* What cordon owes a closed stdout is not delivered: a run that
     * succeeded is 125, as with a full stdout (it was 0, the record lost
     * in /dev/null); with nothing to write, 0.  So with a closed stderr:
     * the task's stderr was lost in the
     * /dev/null that held it, with status 0; its own status stands where
     * nothing was owed, and --json keeps the stream in the record. */
    const struct { const char *args; const char *closed; int status; } runs[] = {
        { "run --json -- true", ">&- 2>/dev/null", 125 },
        { "run -- echo printed", ">&- 2>/dev/null", 125 },
        { "run -- true", ">&- 2>/dev/null", 0 },
        { "run -- sh -c 'echo said >&2'", ">/dev/null 2>&-", 125 },
        { "run -- sh -c 'echo said >&2; exit 3'", ">/dev/null 2>&-", 3 },
        { "run -- sh -c 'exit 3'", ">/dev/null 2>&-", 3 },
        { "run -- true", ">/dev/null 2>&-", 0 },
        { "run --json -- sh -c 'echo said >&2'", ">/dev/null 2>&-", 0 },
        /* cordon's own lines (a batch's summary) fail no run: 125 for a
         * batch whose every task succeeded, before */
        { "batch /dev/stdin <<'EOF'\ntrue\necho a\nEOF\n", ">/dev/null 2>&-", 0 },
        { "batch /dev/stdin <<'EOF'\ntrue\necho said >&2\nEOF\n", ">/dev/null 2>&-", 125 },
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        /* the redirections go before a here-document */
        const char *here = strstr(runs[i].args, " <<'EOF'");
        int args_len = here ? (int)(here - runs[i].args) : (int)strlen(runs[i].args);
        snprintf(cmd, sizeof cmd, "%s %.*s %s %s", runner_path(), args_len, runs[i].args,
                 runs[i].closed, here ? here + 1 : "");
        status = system(cmd);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != runs[i].status)
            fail_msg("'%s' %s: %d", runs[i].args, runs[i].closed, WEXITSTATUS(status));
    }
}

/* `cordon batch -j 2` with its stderr on a terminal and its stdin a pipe
 * that `feed` fills (and closes, or hands on) in the batch's process
 * before its exec; what the terminal showed, and the batch's status. */
static char *batch_on_a_terminal(void (*feed)(int write_end), int *status)
{
    const char *runner = runner_path();
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    char *slave_name = ptsname(master);
    assert_non_null(slave_name);
    int slave = open(slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(slave >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in[2];
        if (pipe(in) < 0)
            _exit(98);
        feed(in[1]);
        dup2(in[0], 0);
        dup2(open("/dev/null", O_WRONLY), 1);
        dup2(slave, 2);
        execl(runner, "cordon", "batch", "-j", "2", (char *)NULL);
        _exit(99);
    }
    close(slave);
    char *text = NULL;
    size_t len = 0;
    char buf[4096];
    ssize_t n;
    while ((n = read(master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            append_bytes(&text, &len, buf, (size_t)n);
    assert_int_equal(waitpid(pid, status, 0), pid);
    close(master);
    assert_non_null(text);
    return text;
}

/* Three lines, all there at the start. */
static void feed_three_lines(int write_end)
{
    if (write(write_end, "sleep 0.3\nsleep 0.3\nfalse\n", 26) != 26)
        _exit(98);
    close(write_end);
}

static void test_cli_batch_progress_line_on_a_terminal(void **state)
{
    (void)state;
    int status;
    char *text = batch_on_a_terminal(feed_three_lines, &status);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    assert_non_null(strstr(text, "\r\033[Kcordon: 0/3 done, 0 failed, "));
    assert_non_null(strstr(text, " running, "));
    assert_non_null(strstr(text, " elapsed, ETA "));
    assert_non_null(strstr(text, "3/3 done, 1 failed, 0 running"));
    assert_non_null(strstr(text, "cordon: batch: 3 tasks in "));
    free(text);
}

/* A generator: a line, a pause, a line. */
static void feed_a_line_then_another(int write_end)
{
    if (fork() == 0) {
        if (write(write_end, "true\n", 5) != 5)
            _exit(1);
        sleep(2);
        _exit(write(write_end, "true\n", 5) == 5 ? 0 : 1);
    }
    close(write_end);
}

/* While a streamed input is still open the total is not known: the line
 * said "1/1 done, ..., ETA 0s" with more lines on their way. */
static void test_cli_batch_progress_while_the_input_is_open(void **state)
{
    (void)state;
    int status;
    char *text = batch_on_a_terminal(feed_a_line_then_another, &status);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_non_null(strstr(text, "\r\033[Kcordon: 1/1 done, 0 failed, 0 running, "));
    assert_non_null(strstr(text, " elapsed, more lines to come"));
    assert_null(strstr(text, "1/1 done, 0 failed, 0 running, 0s elapsed, ETA"));
    assert_non_null(strstr(text, "2/2 done, 0 failed, 0 running"));
    free(text);
}

/* --retry-on takes what cordon_run_and_retry takes, with the same meaning
 * (the README says the library takes --retry-on's forms): a list the
 * library refuses (exit:0, an empty item, classes apart by a space) is
 * refused by run and batch alike, naming the option and the value, and
 * a near miss the library would take as a class no command ends with
 * ("timeout", "segv") is refused naming the class meant, never accepted
 * to retry on nothing.  exit:0 was taken, and retried successful runs. */
static void test_cli_retry_on_takes_the_forms_the_library_takes(void **state)
{
    (void)state;
    const struct { const char *value, *said; } refused[] = {
        { "exit:0", "'exit:0': the exit code must be from 1 to 255 (exit 0 is a success, "
                    "never retried)" },
        { "Timeout,exit:0", "'exit:0': the exit code must be from 1 to 255" },
        { "exit:256", "'exit:256': the exit code must be from 1 to 255" },
        /* 3 is in the range: the sign is what is refused */
        { "exit:+3", "'exit:+3': the exit code is written in digits alone (exit:3)" },
        { "exit:-3", "'exit:-3': the exit code is written in digits alone (exit:3)" },
        { "Timeout,,SIGSEGV", "'Timeout,,SIGSEGV': an empty class" },
        { "Timeout,", "'Timeout,': an empty class" },
        { ",Timeout", "',Timeout': an empty class" },
        { "Timeout SIGSEGV", "'Timeout SIGSEGV': classes are separated by commas" },
        { "timeout", "unknown class 'timeout' (did you mean Timeout?" },
        { "segv", "unknown class 'segv' (did you mean SIGSEGV?" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char want[256];
        snprintf(want, sizeof want, "cordon: --retry-on: %s", refused[i].said);
        captured c = CORDON("run", "--retry", "2", "--retry-on", refused[i].value, "--", "true");
        expect_status(&c, 125);
        if (strncmp(c.err, want, strlen(want)) != 0)
            fail_msg("run --retry-on '%s' said: %s", refused[i].value, c.err);
        assert_null(strstr(c.err, "retrying"));
        captured_free(&c);
        c = CORDON_IN("true\n", "batch", "--retry", "1", "--retry-on", refused[i].value, "-");
        expect_status(&c, 125);
        if (strncmp(c.err, want, strlen(want)) != 0)
            fail_msg("batch --retry-on '%s' said: %s", refused[i].value, c.err);
        captured_free(&c);
    }
    /* What the CLI takes the library takes: the list whole (no -EINVAL)
     * and each form to the same ending (a SIGSEGV retried as sigsegv). */
    const char *const taken[] = { "exit:1", "exit:255", "*", " Timeout , SIGSEGV ",
                                  "sigsegv", "SIGRTMIN+20", "ConfinementError,exit:3" };
    for (size_t i = 0; i < sizeof taken / sizeof *taken; i++) {
        captured c = CORDON("run", "--retry", "1", "--retry-on", taken[i], "--", "true");
        expect_status(&c, 0);
        assert_string_equal(c.err, "");
        captured_free(&c);
        const char *argv[] = { "true", NULL };
        cordon_task *t = cordon_command_task(argv);
        assert_non_null(t);
        if (cordon_run_and_retry(t, 1, taken[i]) != 0)
            fail_msg("cordon_run_and_retry refuses '%s', which --retry-on takes", taken[i]);
        cordon_task_free(t);
    }
    const char *argv[] = { "/bin/sh", "-c", "kill -SEGV $$", NULL };
    cordon_task *t = cordon_command_task(argv);
    assert_non_null(t);
    cordon_run_and_retry(t, 1, "sigsegv");
    assert_int_equal(cordon_task_result(t)->attempts, 2);
    cordon_task_free(t);
    captured c = CORDON("run", "--retry", "1", "--retry-on", "sigsegv", "--shell", "kill -SEGV $$");
    assert_non_null(strstr(c.err, "attempt 1 ended with SIGSEGV; retrying"));
    captured_free(&c);
}

/* cordon keeps times to the millisecond: a time below 1 ms is refused
 * naming the option and the value (it was made 1 ms, and the Timeout
 * message then said "deadline of 1 ms" of a '100us'), and one that is
 * not a whole number of ms is rounded up, never down (1400us was 1 ms,
 * shorter than asked), for every option that takes a time. */
static void test_cli_times_below_cordon_s_resolution(void **state)
{
    (void)state;
    const char *const refused[][2] = {
        { "--timeout", "100us" }, { "--timeout", "0.0001ms" }, { "--timeout", "0.9ms" },
        { "--cpu", "100us" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char want[128];
        snprintf(want, sizeof want, "cordon: %s: '%s' is below cordon's 1 ms resolution\n",
                 refused[i][0], refused[i][1]);
        captured c = CORDON("run", refused[i][0], refused[i][1], "--", "true");
        expect_status(&c, 125);
        assert_string_equal(c.err, want);
        captured_free(&c);
        c = CORDON_IN("true\n", "batch", refused[i][0], refused[i][1], "-");
        expect_status(&c, 125);
        assert_string_equal(c.err, want);
        captured_free(&c);
    }
    const char *const backoffs[] = { "100us", "1ms,max 0.5ms" };
    for (size_t i = 0; i < sizeof backoffs / sizeof *backoffs; i++) {
        char want[128];
        snprintf(want, sizeof want,
                 "cordon: --backoff: '%s': a time below cordon's 1 ms resolution\n", backoffs[i]);
        captured c = CORDON("run", "--retry", "1", "--backoff", backoffs[i], "--", "true");
        expect_status(&c, 125);
        assert_string_equal(c.err, want);
        captured_free(&c);
    }
    /* An empty part was passed over quietly. */
    const char *const empty_parts[] = { "100ms,,x2", ",100ms", "100ms," };
    for (size_t i = 0; i < sizeof empty_parts / sizeof *empty_parts; i++) {
        char want[160];
        snprintf(want, sizeof want, "cordon: --backoff: '%s': an empty part (give "
                 "TIME[,xFACTOR][,max TIME])\n", empty_parts[i]);
        captured c = CORDON("run", "--retry", "1", "--backoff", empty_parts[i], "--", "true");
        expect_status(&c, 125);
        assert_string_equal(c.err, want);
        captured_free(&c);
    }
    const struct { const char *timeout, *cpu, *limits; } rounded[] = {
        { "1500us", "1.0005s", "\"limits\":{\"timeout_ms\":2,\"cpu_ms\":1001," },
        { "1400us", "1.1s", "\"limits\":{\"timeout_ms\":2,\"cpu_ms\":1100," },
        { "1ms", "2.5ms", "\"limits\":{\"timeout_ms\":1,\"cpu_ms\":3," },
    };
    for (size_t i = 0; i < sizeof rounded / sizeof *rounded; i++) {
        captured c = CORDON("run", "--json", "--timeout", rounded[i].timeout, "--cpu",
                            rounded[i].cpu, "--", "true");
        if (!strstr(c.out, rounded[i].limits))
            fail_msg("--timeout %s --cpu %s: %s", rounded[i].timeout, rounded[i].cpu, c.out);
        captured_free(&c);
    }
}

/* Sizes are binary whatever the spelling of the unit (1MB is not 10^6
 * bytes), and the help says so, as it says what it takes. */
/* learn --out FILE of a command never found: the policy learned from
 * cordon's own start replaced FILE, a good one, for a typo. */
static void test_cli_learn_keeps_its_out_file_when_the_command_never_ran(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char out[320];
    snprintf(out, sizeof out, "%s/kept.policy", dir);
    write_file(out, "default allow\n");
    captured c = CORDON("learn", "--out", out, "--", "/nonexistent/cordon-learn-typo");
    expect_status(&c, 127);
    char want[400];
    snprintf(want, sizeof want, "the command never ran, so there is no policy to learn ('%s' "
             "is left as it was)\n", out);
    if (!strstr(c.err, want))
        fail_msg("said: %s", c.err);
    char *text = read_file_text(out);
    assert_string_equal(text, "default allow\n");
    free(text);
    captured_free(&c);
    /* Without --out, nothing is printed for a policy, and nothing checked:
     * one of cordon's start alone had been printed, and checked, and the
     * two ways had said "the policy covers what ran until then" and "the
     * command never ran". */
    c = CORDON("learn", "--", "/nonexistent/cordon-learn-typo");
    expect_status(&c, 127);
    assert_string_equal(c.out, "");
    assert_non_null(strstr(c.err, "the command never ran, so there is no policy to learn\n"));
    assert_null(strstr(c.err, "covers what ran"));
    assert_null(strstr(c.err, "checked"));
    captured_free(&c);
    remove_tree(dir);
}

static void test_cli_sizes_are_binary_in_every_spelling(void **state)
{
    (void)state;
    const char *const spellings[] = { "1M", "1MB", "1Mb", "1mb", "1MiB", "1mib", "1024K",
                                      "1024kB", "1048576", "1048576B" };
    for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++) {
        captured c = CORDON("run", "--json", "--fsize", spellings[i], "--", "true");
        expect_status(&c, 0);
        if (!strstr(c.out, "\"file_size\":1048576,"))
            fail_msg("--fsize %s: %s", spellings[i], c.out);
        captured_free(&c);
    }
    const char *const said[] = {
        "powers of 1024 in any case and with or without B or\niB (1M, 1MB, 1mb and 1MiB are "
        "all 1048576 bytes)", NULL,
    };
    expect_help_mentions("run", said);
    expect_help_mentions("batch", said);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_version),
        cmocka_unit_test(test_cli_a_mistyped_option_names_the_one_meant),
        cmocka_unit_test(test_cli_an_option_or_the_end_of_options_is_no_value),
        cmocka_unit_test(test_cli_help_lists_the_commands),
        cmocka_unit_test(test_cli_help_anywhere_before_the_command_even_after_a_mistake),
        cmocka_unit_test(test_cli_help_as_an_option_s_value_is_the_help),
        cmocka_unit_test(test_cli_run_help_lists_every_option),
        cmocka_unit_test(test_cli_batch_help_lists_every_option),
        cmocka_unit_test(test_cli_help_claims_no_more_than_holds),
        cmocka_unit_test(test_cli_policy_and_report_help),
        cmocka_unit_test(test_cli_unknown_or_missing_command_is_125),
        cmocka_unit_test(test_cli_a_single_value_option_given_twice_is_refused),
        cmocka_unit_test(test_cli_repeatable_options_add_up),
        cmocka_unit_test(test_cli_refused_values_say_what_is_taken),
        cmocka_unit_test(test_cli_started_with_standard_fds_closed),
        cmocka_unit_test(test_cli_batch_progress_line_on_a_terminal),
        cmocka_unit_test(test_cli_batch_progress_while_the_input_is_open),
        cmocka_unit_test(test_cli_retry_on_takes_the_forms_the_library_takes),
        cmocka_unit_test(test_cli_times_below_cordon_s_resolution),
        cmocka_unit_test(test_cli_sizes_are_binary_in_every_spelling),
        cmocka_unit_test(test_cli_learn_keeps_its_out_file_when_the_command_never_ran),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
