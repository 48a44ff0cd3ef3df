/* cordon run: exit statuses, every option with its units, validation
 * before anything runs, and the messages that name what was wrong. */
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "runner_support.h"

static void test_run_exit_status_is_the_commands_own(void **state)
{
    (void)state;
    captured c = CORDON("run", "--", "sh", "-c", "exit 3");
    expect_status(&c, 3);
    assert_string_equal(c.err, "");
    captured_free(&c);
    c = CORDON("run", "true");
    expect_status(&c, 0);
    captured_free(&c);
}

static void test_run_shell_line_output_passes_through(void **state)
{
    (void)state;
    captured c = CORDON("run", "--shell", "echo out; echo err >&2");
    expect_status(&c, 0);
    assert_string_equal(c.out, "out\n");
    assert_string_equal(c.err, "err\n");
    captured_free(&c);
}

/* A line that starts with '-' or '+' is a command line too: sh took it
 * for its options ("Illegal option -"). */
static void test_run_shell_line_starting_with_a_dash_is_a_command(void **state)
{
    (void)state;
    captured c = CORDON("run", "--shell", "-n 2>/dev/null; echo ran");
    expect_status(&c, 0);
    assert_string_equal(c.out, "ran\n");
    captured_free(&c);
    c = CORDON("run", "--shell", "+x 2>/dev/null || echo ran too");
    expect_status(&c, 0);
    assert_string_equal(c.out, "ran too\n");
    captured_free(&c);
}

static void test_run_signal_is_128_plus_n(void **state)
{
    (void)state;
    captured c = CORDON("run", "--shell", "kill -KILL $$");
    expect_status(&c, 128 + SIGKILL);
    assert_non_null(strstr(c.err, "cordon: SIGKILL"));
    captured_free(&c);
    c = CORDON("run", "--shell", "kill -SEGV $$");
    expect_status(&c, 128 + SIGSEGV);
    captured_free(&c);
}

static void test_run_timeout_is_124(void **state)
{
    (void)state;
    captured c = CORDON("run", "--timeout", "300ms", "--", "sleep", "10");
    expect_status(&c, 124);
    assert_true(c.seconds < 3.0);
    /* In a pid namespace (cordon run's default where the kernel lets
     * it) the whole tree; without one, the group and any cgroup. */
    if (strcmp(c.err, "cordon: Timeout: the task ran past its deadline of 300 ms; "
                      "its whole tree was killed\n") != 0 &&
        strcmp(c.err, "cordon: Timeout: the task ran past its deadline of 300 ms; "
                      "its process group and cgroup were killed\n") != 0 &&
        strcmp(c.err, "cordon: Timeout: the task ran past its deadline of 300 ms; "
                      "its process group was killed\n") != 0)
        fail_msg("stderr: %s", c.err);
    captured_free(&c);
}

static void test_run_not_found_is_127(void **state)
{
    (void)state;
    /* A PATH of the system's directories only: as root, cordon runs the
     * task as nobody, and a directory nobody cannot search (/root/bin)
     * would make it EACCES, as execvp does. */
    captured c = CORDON("run", "--env", "PATH=/usr/bin:/bin", "--", "cordon-no-such-command");
    expect_status(&c, 127);
    assert_string_equal(c.err, "cordon: ExecError: cannot execute 'cordon-no-such-command': "
                               "No such file or directory\n");
    captured_free(&c);
}

/* A script whose "#!" interpreter is not there (one for another machine)
 * and a program whose loader is not: the exec's "No such file or
 * directory" of a file the user can see said nothing more. */
static void test_run_missing_interpreter_is_named(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char script[256], expected[512];
    snprintf(script, sizeof script, "%s/script", dir);
    write_file(script, "#!/no/such/interpreter -x\necho never\n");
    assert_int_equal(chmod(script, 0755), 0);
    captured c = CORDON("run", "--", script);
    expect_status(&c, 127);
    snprintf(expected, sizeof expected,
             "cordon: ExecError: cannot execute '%s': No such file or directory\n"
             "  (the program is there, but /no/such/interpreter, which the kernel runs it "
             "with, is not)\n",
             script);
    assert_string_equal(c.err, expected);
    captured_free(&c);
    /* a missing program says only that */
    snprintf(script, sizeof script, "%s/absent", dir);
    c = CORDON("run", "--", script);
    expect_status(&c, 127);
    assert_null(strstr(c.err, "the program is there"));
    captured_free(&c);
    remove_tree(dir);
}

/* A root caller's task runs as nobody, which may not enter a directory
 * of root's mode 0700 (Debian's /root): it starts in /, and a relative
 * program was "No such file or directory" with nothing said of why. */
static char closed_directory[256];
static void enter_the_closed_directory(void)
{
    if (chdir(closed_directory) != 0)
        _exit(98);
}

static void test_run_relative_program_from_a_directory_the_task_may_not_enter(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* only a root caller's tasks run as another user by default */
    char *dir = make_temp_dir();
    snprintf(closed_directory, sizeof closed_directory, "%s", dir);
    char script[300];
    snprintf(script, sizeof script, "%s/run.sh", dir);
    write_file(script, "#!/bin/sh\necho ran\n");
    assert_int_equal(chmod(script, 0755), 0);
    assert_int_equal(chmod(dir, 0700), 0);
    const char *argv[8] = { runner_path(), "run", "--", "./run.sh", NULL };
    captured c = exec_capture_with(argv, NULL, 0, -1, enter_the_closed_directory);
    expect_status(&c, 127);
    char said[512];
    snprintf(said, sizeof said, "(the task runs as user 65534 (nobody), which may not enter "
             "this process's working directory '%s', so it started in /", dir);
    if (!strstr(c.err, said))
        fail_msg("said: %s", c.err);
    captured_free(&c);
    /* By its whole path, from anywhere: "Permission denied", and why (it
     * was said alone). */
    const char *whole[8] = { runner_path(), "run", "--", script, NULL };
    c = exec_capture_with(whole, NULL, 0, -1, NULL);
    expect_status(&c, 126);
    snprintf(said, sizeof said, "(the task runs as user 65534 (nobody), which may not reach or "
             "execute '%s' where this process's user may", script);
    if (!strstr(c.err, said))
        fail_msg("said: %s", c.err);
    captured_free(&c);
    /* run as this process's user, it runs there */
    const char *as_root[8] = { runner_path(), "run", "--user", "root", "--", "./run.sh", NULL };
    c = exec_capture_with(as_root, NULL, 0, -1, enter_the_closed_directory);
    expect_status(&c, 0);
    assert_string_equal(c.out, "ran\n");
    captured_free(&c);
    remove_tree(dir);
}

static void test_run_not_executable_is_126(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[256];
    snprintf(path, sizeof path, "%s/script", dir);
    write_file(path, "#!/bin/sh\necho never\n");
    chmod(path, 0644);
    captured c = CORDON("run", "--", path);
    expect_status(&c, 126);
    assert_non_null(strstr(c.err, "Permission denied"));
    assert_string_equal(c.out, "");
    captured_free(&c);
    remove_tree(dir);
}

static void test_run_quiet_says_nothing_of_its_own(void **state)
{
    (void)state;
    /* 1 s: under AddressSanitizer on a loaded machine, 100 ms ended
     * the task before its echo */
    captured c = CORDON("run", "--quiet", "--timeout", "1s", "--shell", "echo hi; sleep 5");
    expect_status(&c, 124);
    assert_string_equal(c.out, "hi\n");
    assert_string_equal(c.err, "");
    captured_free(&c);
}

/* A command's log (fd 3) is kept in --json and --audit's records; without
 * them cordon says it was written rather than drop it unsaid, and says
 * nothing where there was none or --quiet asked for silence. */
static void test_run_says_a_log_it_does_not_keep(void **state)
{
    (void)state;
    captured c = CORDON("run", "--shell", "echo hi; echo logged >&3");
    expect_status(&c, 0);
    assert_string_equal(c.out, "hi\n");
    assert_string_equal(c.err, "cordon: the task wrote 7 bytes to its log (fd 3), kept only "
                               "by --json and --audit\n");
    captured_free(&c);
    c = CORDON("run", "--quiet", "--shell", "echo logged >&3");
    expect_status(&c, 0);
    assert_string_equal(c.err, "");
    captured_free(&c);
    c = CORDON("run", "--shell", "echo hi");
    expect_status(&c, 0);
    assert_string_equal(c.err, "");
    captured_free(&c);
    c = CORDON("run", "--json", "--shell", "echo logged >&3");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "\"log_out\":\"logged\\n\""));
    assert_string_equal(c.err, "");
    captured_free(&c);
}

static void test_run_unknown_option_is_125(void **state)
{
    (void)state;
    captured c = CORDON("run", "--frobnicate", "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: run: unknown option '--frobnicate' "
                               "(see 'cordon run --help')\n");
    captured_free(&c);
    c = CORDON("run", "--timeout");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --timeout needs a value (see 'cordon run --help')\n");
    captured_free(&c);
    c = CORDON("run", "--json=yes", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --json takes no value\n");
    captured_free(&c);
}

static void test_run_without_a_command_is_125(void **state)
{
    (void)state;
    captured c = CORDON("run", "--timeout", "1s");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: run: no command (give -- CMD ARGS or --shell 'LINE')\n");
    captured_free(&c);
    c = CORDON("run", "--shell", "true", "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err,
                        "cordon: run: give either --shell 'LINE' or -- CMD ARGS, not both\n");
    captured_free(&c);
}

static void test_run_bad_times_name_the_option(void **state)
{
    (void)state;
    expect_run_option_error("--timeout", "1.5x", "cordon: --timeout: '1.5x' is not a time "
                                      "(e.g. 500ms, 1.5s, 2m)\n");
    expect_run_option_error("--cpu", "fast", "cordon: --cpu: 'fast' is not a time (e.g. 500ms, 1.5s, 2m)\n");
    /* M alone is a size, as --mem reads it: said so */
    expect_run_option_error("--timeout", "2M", "cordon: --timeout: '2M' is not a time (e.g. "
                            "500ms, 1.5s, 2m); M is a size (MiB), minutes are m or min\n");
    expect_run_option_error("--timeout", "-1s", "cordon: --timeout: '-1s' is not a time "
                                     "(e.g. 500ms, 1.5s, 2m)\n");
    expect_run_option_error("--timeout", "inf", "cordon: --timeout: 'inf' is not a time "
                                     "(e.g. 500ms, 1.5s, 2m)\n");
    /* M alone is a size's: --cpu 500M was 500 minutes beside --mem 500M */
    expect_run_option_error("--cpu", "500M", "cordon: --cpu: '500M' is not a time "
                                    "(e.g. 500ms, 1.5s, 2m); M is a size (MiB), minutes are m "
                                    "or min\n");
    /* 0 would mean "no limit" to the library; centuries would wrap. */
    expect_run_option_error("--timeout", "0s", "cordon: --timeout: '0s' is zero; leave the option out "
                                    "for no limit\n");
    expect_run_option_error("--cpu", "18446744073710ms", "cordon: --cpu: '18446744073710ms' is longer "
                                              "than 31 years; leave the option out for no limit\n");
}

/* --core: the library's cordon_set_core_dumps had no option; a task
 * under study could not keep a core. */
static void test_run_core_lets_the_task_dump_cores(void **state)
{
    (void)state;
    const char *const cases[][2] = { { NULL, " 0 " }, { "1M", " 1048576 " },
                                     { "unlimited", " unlimited " }, { "0", " 0 " } };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        captured c = cases[i][0] ? CORDON("run", "--core", cases[i][0], "--", "grep", "-i",
                                          "core file", "/proc/self/limits")
                                 : CORDON("run", "--", "grep", "-i", "core file",
                                          "/proc/self/limits");
        expect_status(&c, 0);
        if (!strstr(c.out, cases[i][1]))
            fail_msg("--core %s: %s", cases[i][0] ? cases[i][0] : "(none)", c.out);
        captured_free(&c);
    }
    expect_run_option_error("--core", "lots", "cordon: --core: 'lots' is not a size (e.g. 512K, "
                                              "256M, 1.5G)\n");
    expect_run_option_error("--core", "2000000T", "cordon: --core: '2000000T' is larger than "
                                                  "1048576T (1 EiB), the largest size cordon "
                                                  "takes; give 'unlimited' for cores of any "
                                                  "size\n");
}

static void test_run_bad_sizes_name_the_option(void **state)
{
    (void)state;
    expect_run_option_error("--mem", "12Q", "cordon: --mem: '12Q' is not a size (e.g. 512K, 256M, 1.5G)\n");
    expect_run_option_error("--fsize", "M", "cordon: --fsize: 'M' is not a size (e.g. 512K, 256M, 1.5G)\n");
    expect_run_option_error("--mem", "0.4", "cordon: --mem: '0.4' is zero; leave the option out for no "
                                 "limit\n");
    expect_run_option_error("--fsize", "0", "cordon: --fsize: '0' is zero; leave the option out for no "
                                 "limit\n");
    /* A forgotten unit: 64 bytes could start no task at all. */
    expect_run_option_error("--mem", "64", "cordon: --mem 64: 64 bytes is too small to start any task; "
                                "did you mean 64M?\n");
    expect_run_option_error("--mem", "1", "cordon: --mem 1: 1 byte is too small to start any task; "
                                "did you mean 1M?\n");
    expect_run_option_error("--mem", "512K", "cordon: --mem 512K: 524288 bytes is too small to start any "
                                  "task; it takes at least 1M\n");
    /* No hint of a terabyte the machine does not have (it said "did you
     * mean 1048575M?"). */
    expect_run_option_error("--mem", "1048575", "cordon: --mem 1048575: 1048575 bytes is too small to "
                                     "start any task; it takes at least 1M\n");
    expect_run_option_error("--out-cap", "2G", "cordon: --out-cap: '2G' is out of range (1 byte to 1G)\n");
    expect_run_option_error("--out-cap", "0", "cordon: --out-cap: '0' is out of range (1 byte to 1G)\n");
}

/* A size written well but past the largest is said to be too large, with
 * the largest, in every option that takes a size (before: "is not a
 * size" for 4194304T, beside an accepted 1000000T); a time so long is
 * past 31 years, as a shorter one is. */
static void test_run_sizes_past_the_largest_say_so(void **state)
{
    (void)state;
    const char *const limits[] = { "--mem", "--fsize" };
    for (size_t i = 0; i < 2; i++) {
        char expected[300];
        snprintf(expected, sizeof expected, "cordon: %s: '4194304T' is larger than 1048576T "
                 "(1 EiB), the largest size cordon takes; leave the option out for no limit\n",
                 limits[i]);
        expect_run_option_error(limits[i], "4194304T", expected);
        snprintf(expected, sizeof expected, "cordon: %s: '99999999999999999999' is larger than "
                 "1048576T (1 EiB), the largest size cordon takes; leave the option out for no "
                 "limit\n", limits[i]);
        expect_run_option_error(limits[i], "99999999999999999999", expected);
    }
    expect_run_option_error("--mem", "1048577T", "cordon: --mem: '1048577T' is larger than "
                            "1048576T (1 EiB), the largest size cordon takes; leave the option "
                            "out for no limit\n");
    expect_run_option_error("--out-cap", "4194304T", "cordon: --out-cap: '4194304T' is out of "
                            "range (1 byte to 1G)\n");
    expect_run_option_error("--audit-output", "4194304T", "cordon: --audit-output: '4194304T' is "
                            "larger than 1048576T (1 EiB), the largest size cordon takes; give "
                            "'full' to keep all of it\n");
    expect_run_option_error("--timeout", "99999999999999999999", "cordon: --timeout: "
                            "'99999999999999999999' is longer than 31 years; leave the option "
                            "out for no limit\n");
    /* The largest itself is taken, and batch says the same. */
    char audit[] = "/tmp/cordon-run-largest-XXXXXX";
    int audit_fd = mkstemp(audit);
    assert_true(audit_fd >= 0);
    close(audit_fd);
    captured c = CORDON("run", "--mem", "1048576T", "--fsize", "1048576T", "--audit", audit,
                        "--audit-output", "1048576T", "--", "true");
    unlink(audit);
    expect_status(&c, 0);
    assert_string_equal(c.err, "");
    captured_free(&c);
    c = CORDON_IN("true\n", "batch", "--fsize", "4194304T");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --fsize: '4194304T' is larger than 1048576T (1 EiB), "
                               "the largest size cordon takes; leave the option out for no "
                               "limit\n");
    captured_free(&c);
}

/* A size in bytes is read as the integer it is: through a double,
 * 2^53 + 1 became 2^53 in the record and in the RLIMIT_FSIZE applied,
 * 2^60 came out 2^60 - 256, and 2^60 + 1 passed as 2^60.  A fraction
 * of a multiple is still taken. */
static void test_run_sizes_are_read_exactly(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--mem", "9007199254740993", "--fsize",
                        "9007199254740993", "--", "sh", "-c",
                        "grep 'Max file size' /proc/self/limits >&2");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "l = d['limits']\n"
                                  "assert (l['memory'], l['file_size']) == (2**53 + 1, 2**53 + 1), l\n"
                                  "assert d['std_err'].split()[3:5] == ['9007199254740993'] * 2, "
                                  "d['std_err']"), 0);
    captured_free(&c);
    c = CORDON("run", "--json", "--fsize", "1152921504606846976", "--mem", "1.5G", "--", "true");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "l = d['limits']\n"
                                  "assert (l['file_size'], l['memory']) == (2**60, 3 << 29), l"), 0);
    captured_free(&c);
    const char *const options[] = { "--mem", "--fsize" };
    for (size_t i = 0; i < 2; i++) {
        char expected[300];
        snprintf(expected, sizeof expected, "cordon: %s: '1152921504606846977' is larger than "
                 "1048576T (1 EiB), the largest size cordon takes; leave the option out for no "
                 "limit\n", options[i]);
        expect_run_option_error(options[i], "1152921504606846977", expected);
    }
    expect_run_option_error("--audit-output", "1152921504606846977", "cordon: --audit-output: "
                            "'1152921504606846977' is larger than 1048576T (1 EiB), the largest "
                            "size cordon takes; give 'full' to keep all of it\n");
}

static void test_run_bad_counts_name_the_option(void **state)
{
    (void)state;
    expect_run_option_error("--procs", "0", "cordon: --procs: '0' is not a whole number from 1 to 4194304\n");
    expect_run_option_error("--nofile", "3", "cordon: --nofile: '3' is not a whole number from 6 to 2147483584\n");
    expect_run_option_error("--nofile", "5", "cordon: --nofile: '5' is not a whole number from 6 to 2147483584\n");
    /* The most each takes is the library's, what any kernel holds (the
     * CLI stopped at 1,000,000, where the library took 4,194,304). */
    expect_run_option_error("--procs", "4194305",
                            "cordon: --procs: '4194305' is not a whole number from 1 to 4194304\n");
    expect_run_option_error("--nofile", "2147483585", "cordon: --nofile: '2147483585' is not a "
                                                      "whole number from 6 to 2147483584\n");
    captured c = CORDON("run", "--procs", "4194304", "--", "true");
    expect_status(&c, 0);
    captured_free(&c);
    expect_run_option_error("--retry", "x", "cordon: --retry: 'x' is not a whole number from 0 to 1000\n");
}

static void test_run_bad_env_user_cwd_name_the_option(void **state)
{
    (void)state;
    expect_run_option_error("--env", "NOVALUE", "cordon: --env: 'NOVALUE' is not KEY=VALUE\n");
    expect_run_option_error("--env", "=x", "cordon: --env: '=x' is not KEY=VALUE\n");
    expect_run_option_error("--user", "cordon-no-such-user", "cordon: --user: no such user "
                                                  "'cordon-no-such-user'\n");
    expect_run_option_error("--cwd", "/cordon/no/such/dir", "cordon: --cwd: '/cordon/no/such/dir': "
                                                 "No such file or directory\n");
    expect_run_option_error("--cwd", "/etc/passwd", "cordon: --cwd: '/etc/passwd' is not a directory\n");
    /* A path longer than 1 KiB is named whole and the reason follows it:
     * the message was cut at 1 KiB, mid-path, without the reason. */
    char long_dir[1 + 110 * 10 + 1] = "", said[sizeof long_dir + 80];
    for (int i = 0; i < 110; i++)
        strcat(long_dir, "/abcdefghi");
    snprintf(said, sizeof said, "cordon: --cwd: '%s': No such file or directory\n", long_dir);
    expect_run_option_error("--cwd", long_dir, said);
    /* Past 64 KiB its middle is cut, not its end: the reason stays (an
     * argument of 100,000 characters ended the message mid-argument). */
    char *huge = malloc(100002);
    assert_non_null(huge);
    huge[0] = '/';
    memset(huge + 1, 'a', 100000);
    huge[100001] = '\0';
    captured h = CORDON("run", "--cwd", huge, "--", "true");
    free(huge);
    expect_status(&h, 125);
    size_t said_len = strlen(h.err);
    static const char reason[] = "': File name too long\n";
    assert_true(said_len < 70000);
    assert_non_null(strstr(h.err, "aaa ... (cut) ... aaa"));
    assert_true(said_len > sizeof reason);
    assert_string_equal(h.err + said_len - (sizeof reason - 1), reason);
    captured_free(&h);
    captured c = CORDON("run", "--policy", "cordon-no-such-policy", "--", "true");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "cordon: --policy: no policy named 'cordon-no-such-policy'"));
    captured_free(&c);
    expect_run_option_error("--audit", "/cordon/no/such/dir/a.jsonl",
                 "cordon: --audit: cannot open '/cordon/no/such/dir/a.jsonl': "
                 "No such file or directory\n");
}

/* The options of records do nothing without the records: --audit-output
 * without --audit, --run-id without --audit or --json are refused, named,
 * by run and batch alike, before anything runs. */
static void test_run_record_options_without_records_are_refused(void **state)
{
    (void)state;
    static const struct { const char *option, *value, *message; } cases[] = {
        { "--audit-output", "1K", "cordon: --audit-output needs --audit FILE (it sets what "
                                  "each audit line keeps)\n" },
        { "--run-id", "nightly", "cordon: --run-id needs --audit FILE or --json (it names the "
                                 "records they write)\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        captured c = CORDON("run", cases[i].option, cases[i].value, "--", "true");
        expect_status(&c, 125);
        assert_string_equal(c.err, cases[i].message);
        captured_free(&c);
        c = CORDON_IN("true\n", "batch", cases[i].option, cases[i].value);
        expect_status(&c, 125);
        assert_string_equal(c.err, cases[i].message);
        captured_free(&c);
    }
    captured c = CORDON("run", "--json", "--run-id", "nightly", "--", "true");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "\"run_id\":\"nightly\""));
    captured_free(&c);
}

static void test_run_bad_retry_options_name_the_option(void **state)
{
    (void)state;
    captured c = CORDON("run", "--retry", "2", "--retry-on", "Timout", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --retry-on: unknown class 'Timout' (expected a signal "
                               "name like SIGSEGV, Timeout, CpuLimit, MemoryLimit, FileSizeLimit, "
                               "ProcessLimit, PolicyViolation, ExecError, ConfinementError, exit:N "
                               "or *)\n");
    captured_free(&c);
    c = CORDON("run", "--retry", "2", "--retry-on", "exit:300", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --retry-on: 'exit:300': the exit code must be from 1 "
                               "to 255 (exit 0 is a success, never retried)\n");
    captured_free(&c);
    /* with --retry 0 too, which had been told "needs --retry N" */
    for (int zero = 0; zero < 2; zero++) {
        c = zero ? CORDON("run", "--retry", "0", "--retry-on", "Timeout", "true")
                 : CORDON("run", "--retry-on", "Timeout", "true");
        expect_status(&c, 125);
        assert_string_equal(c.err, "cordon: --retry-on needs --retry N with N of 1 or more\n");
        captured_free(&c);
    }
    /* a real-time signal by either end's count, as bash's kill takes it:
     * "SIGRTMIN+20" was refused once its name became SIGRTMAX-10 */
    char kill_line[64];
    snprintf(kill_line, sizeof kill_line, "kill -%d $$", SIGRTMIN + 20);
    c = CORDON("run", "--retry", "1", "--retry-on", "SIGRTMIN+20", "--shell", kill_line);
    expect_status(&c, 128 + SIGRTMIN + 20);
    assert_non_null(strstr(c.err, "attempt 1 ended with SIGRTMAX-10; retrying"));
    captured_free(&c);
    c = CORDON("run", "--retry", "1", "--backoff", "100ms,y2", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --backoff: '100ms,y2' is not INITIAL[,xFACTOR][,max "
                               "LIMIT] (e.g. 100ms,x2,max 5s)\n");
    captured_free(&c);
    /* The factor is a plain number: no exponent, no hex float. */
    c = CORDON("run", "--retry", "1", "--backoff", "100ms,x1e2", "true");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "cordon: --backoff: '100ms,x1e2' is not"));
    captured_free(&c);
    /* The factor is from 1 to 1000, as the library's (the CLI stopped at
     * 100). */
    c = CORDON("run", "--retry", "1", "--backoff", "1ms,x1000", "true");
    expect_status(&c, 0);
    captured_free(&c);
    c = CORDON("run", "--retry", "1", "--backoff", "1ms,x1001", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --backoff: '1ms,x1001': the factor (xFACTOR) is from 1 "
                               "to 1000\n");
    captured_free(&c);
    /* A cap of 0 was read as no cap, and one below the first delay quietly
     * shortened it: both are refused. */
    const char *caps[] = { "1ms,max 0", "100ms,x2,max 0ms", "10ms,max 5ms" };
    for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
        c = CORDON("run", "--retry", "1", "--backoff", caps[i], "true");
        expect_status(&c, 125);
        char want[128];
        snprintf(want, sizeof want, "cordon: --backoff: '%s': the cap (max) is below the "
                 "first delay\n", caps[i]);
        assert_string_equal(c.err, want);
        captured_free(&c);
    }
    /* A delay is a time as --timeout's is: past 31 years it is refused,
     * where before it was taken and slept on (a value too large to count
     * was "not INITIAL..."). */
    const char *too_long[] = { "1000000001s", "99999999999999s", "18446744073709551s",
                               "1s,max 1000000001s" };
    for (size_t i = 0; i < sizeof too_long / sizeof *too_long; i++) {
        c = CORDON("run", "--retry", "1", "--backoff", too_long[i], "true");
        expect_status(&c, 125);
        char want[128];
        snprintf(want, sizeof want, "cordon: --backoff: '%s': a time longer than 31 years\n",
                 too_long[i]);
        assert_string_equal(c.err, want);
        captured_free(&c);
    }
    const char *twice[] = { "100ms,max 5s,max 6s", "100ms,x2,x3", "100ms,max 0,max 5s" };
    for (size_t i = 0; i < 3; i++) {
        c = CORDON("run", "--retry", "1", "--backoff", twice[i], "true");
        expect_status(&c, 125);
        char want[160];
        snprintf(want, sizeof want, "cordon: --backoff: '%s': each part (xFACTOR, max LIMIT) "
                 "is given once\n", twice[i]);
        assert_string_equal(c.err, want);
        captured_free(&c);
    }
    c = CORDON("run", "--retry", "1", "--backoff", "100ms,x0", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --backoff: '100ms,x0': the factor (xFACTOR) is from 1 "
                               "to 1000\n");
    captured_free(&c);
    c = CORDON("run", "--quiet", "--retry", "1", "--retry-on", "exit:1", "--backoff",
               "10ms,max 10ms", "false");
    expect_status(&c, 1);
    captured_free(&c);
    /* 0 is no delay, the default, as cordon_set_backoff's: it was refused
     * as "not INITIAL[,xFACTOR][,max LIMIT]", which it is. */
    const char *no_delay[] = { "0", "0ms", "0,x2", "0s,max 0" };
    for (size_t i = 0; i < sizeof no_delay / sizeof *no_delay; i++) {
        c = CORDON("run", "--retry", "2", "--retry-on", "exit:1", "--backoff", no_delay[i],
                   "false");
        expect_status(&c, 1);
        assert_non_null(strstr(c.err, "attempt 2 exited with 1; retrying"));
        captured_free(&c);
    }
}

/* A bad option anywhere stops cordon before the command starts. */
static void test_run_validates_every_option_before_running(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char marker[256], line[512];
    snprintf(marker, sizeof marker, "%s/ran", dir);
    snprintf(line, sizeof line, "touch %s", marker);
    const char *bad[][2] = {
        { "--mem", "lots" }, { "--cwd", "/cordon/none" }, { "--retry-on", "SIGNOPE" },
        { "--user", "cordon-nobody-here" }, { "--policy", "" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        captured c = CORDON("run", "--retry", "1", bad[i][0], bad[i][1], "--shell", line);
        expect_status(&c, 125);
        assert_int_equal(access(marker, F_OK), -1);
        captured_free(&c);
    }
    remove_tree(dir);
}

static void test_run_stdin_is_the_runners(void **state)
{
    (void)state;
    captured c = CORDON_IN("line one\nline two\n", "run", "--", "cat");
    expect_status(&c, 0);
    assert_string_equal(c.out, "line one\nline two\n");
    captured_free(&c);
}

/* A stdin cordon cannot hand over (a directory: the library refuses it
 * with EISDIR) is cordon's own error, said naming stdin, before anything
 * is made: the task had quietly read /dev/null instead, and `cordon run
 * -- cat < /tmp` ended 0 with no output, as for an empty input. */
static void test_run_stdin_that_cannot_be_handed_over_is_an_error(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    const char *const said = "cordon: stdin is a directory, which cordon cannot hand to the "
                             "task as its input (give a file or a pipe, or </dev/null for "
                             "none)\n";
    captured c = CORDON_WITH(fd, NULL, "run", "--", "cat");
    expect_status(&c, 125);
    assert_string_equal(c.err, said);
    assert_string_equal(c.out, "");
    captured_free(&c);
    c = CORDON_WITH(fd, NULL, "run", "--json", "--audit", audit, "--", "cat");
    expect_status(&c, 125);
    assert_string_equal(c.err, said);
    assert_string_equal(c.out, "");
    assert_int_equal(access(audit, F_OK), -1);
    captured_free(&c);
    c = CORDON_WITH(fd, NULL, "learn", "--quiet", "--no-verify", "--", "cat");
    expect_status(&c, 125);
    assert_string_equal(c.err, said);
    assert_string_equal(c.out, "");
    captured_free(&c);
    /* Write-only (`0>file`): the task had read /dev/null and ended 0. */
    char file[300];
    snprintf(file, sizeof file, "%s/written", dir);
    int write_only = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(write_only >= 0);
    c = CORDON_WITH(write_only, NULL, "run", "--", "cat");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: stdin is not open for reading, and cordon cannot hand it "
                               "to the task (give a file or a pipe, or </dev/null for no input)\n");
    captured_free(&c);
    close(write_only);
    /* (batch reads its jobs from stdin: test_runner_batch.c says what it
     * does with a directory there) */
    close(fd);
    remove_tree(dir);
}

/* The first line must reach our pipe while the command still sleeps. */
static void test_run_output_passes_through_live(void **state)
{
    (void)state;
    int out[2];
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    const char *runner = runner_path();
    double start = now_seconds();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        execl(runner, "cordon", "run", "--shell", "echo first; sleep 2; echo second",
              (char *)NULL);
        _exit(99);
    }
    close(out[1]);
    struct pollfd p = { out[0], POLLIN, 0 };
    assert_int_equal(poll(&p, 1, 1500), 1);
    char buf[64] = "";
    assert_int_equal(read(out[0], buf, sizeof buf - 1), 6);
    assert_string_equal(buf, "first\n");
    assert_true(now_seconds() - start < 1.5);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(out[0]);
}

static void test_run_limits_take_units(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--timeout", "1.5s", "--cpu", "2s", "--mem", "256M",
                        "--fsize", "10M", "--procs", "50", "--nofile", "64", "--out-cap", "1.5K",
                        "--", "true");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "assert d['limits'] == {'timeout_ms': 1500, 'cpu_ms': 2000, "
                                  "'memory': 268435456, 'file_size': 10485760, 'processes': 50, "
                                  "'open_files': 64, 'output': 1536}, d['limits']"), 0);
    captured_free(&c);
    c = CORDON("run", "--json", "--timeout=250ms", "--cpu=2m", "--mem=1G", "--fsize=512K",
               "--", "true");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "l = d['limits']\n"
                                  "assert (l['timeout_ms'], l['cpu_ms'], l['memory'], "
                                  "l['file_size']) == (250, 120000, 1 << 30, 512 << 10), l"), 0);
    captured_free(&c);
    /* A bare number is seconds or bytes, and the help says so: a user's
     * --timeout 500 is 500 s, not 500 ms. */
    c = CORDON("run", "--json", "--timeout", "2", "--cpu", "3", "--fsize", "4096", "--", "true");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "l = d['limits']\n"
                                  "assert (l['timeout_ms'], l['cpu_ms'], l['file_size']) == "
                                  "(2000, 3000, 4096), l"), 0);
    captured_free(&c);
    c = CORDON("run", "--help");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "a bare number is bytes for a size, seconds for a time"));
    captured_free(&c);
}

static void test_run_cpu_limit(void **state)
{
    (void)state;
    captured c = CORDON("run", "--cpu", "200ms", "--timeout", "20s", "--shell",
                        "while :; do :; done");
    assert_true(c.status == 128 + SIGXCPU || c.status == 128 + SIGKILL);
    assert_non_null(strstr(c.err, "cordon: CpuLimit: "));
    captured_free(&c);
}

/* Whether this caller may count a child's CPU time with the kernel's
 * task-clock counter, as cordon does for a CPU limit where it can. */
static bool may_count_a_child_s_cpu(void)
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    struct perf_event_attr attr = { .size = sizeof attr, .type = PERF_TYPE_SOFTWARE,
                                    .config = PERF_COUNT_SW_TASK_CLOCK, .inherit = 1,
                                    .exclude_kernel = 1, .exclude_hv = 1 };
    int fd = (int)syscall(SYS_perf_event_open, &attr, child, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd >= 0)
        close(fd);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return fd >= 0;
}

/* Without a pid namespace, a cgroup or a filter, a process of the task
 * left its session, where no scan of the session finds it: the tree's CPU
 * counter, inherited by every process the task starts, counted it, and
 * its RLIMIT_CPU or `timeout` ended it (nothing held it).  Such a task now
 * runs under cordon's own rules, which refuse setsid there: the spinner
 * stays in the session and its group, and the limit holds it either way.
 * Before the counter, it spun on to its own RLIMIT_CPU (2 s here). */
static void test_run_cpu_limit_counts_a_process_that_tries_to_leave_the_session(void **state)
{
    (void)state;
    if (!may_count_a_child_s_cpu() || getenv("CORDON_NO_CPU_COUNTER")) {
        print_message("skipped: the kernel's CPU counter is not this caller's to use "
                      "(perf_event_paranoid)\n");
        skip();
    }
    char command[1024];
    snprintf(command, sizeof command,
             "{ setsid timeout -s KILL 8 \"%s/hostile\" spin || timeout -s KILL 8 \"%s/hostile\" "
             "spin; } & sleep 10", getenv("CORDON_HOSTILE_DIR"), getenv("CORDON_HOSTILE_DIR"));
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    setenv("CORDON_CGROUP", "none", 1);
    captured c = CORDON("run", "--policy", "none", "--cpu", "300ms", "--timeout", "20s", "--shell",
                        command);
    unsetenv("CORDON_NO_NAMESPACES");
    unsetenv("CORDON_CGROUP");
    const char *used = strstr(c.err, "cordon: CpuLimit: the task's processes used ");
    assert_non_null(used);
    /* the limit, and what the spinner spun while the rest ended */
    assert_true(strtoul(used + strlen("cordon: CpuLimit: the task's processes used "), NULL, 10) <
                1000);
    assert_int_equal(c.status, 128 + SIGKILL);
    captured_free(&c);
}

/* The switch is on only for 1, yes, true or on: CORDON_NO_NAMESPACES=0
 * (or false, no, empty, anything else) keeps the namespaces (any value
 * turned them off before). */
static void test_run_namespace_switch_reads_0_and_empty_as_off(void **state)
{
    (void)state;
    captured plain = CORDON("run", "--json", "--", "true");
    if (!strstr(plain.out, "\"pid_namespace\"")) {
        print_message("skipped: this machine gives no pid namespace\n");
        captured_free(&plain);
        skip();
    }
    captured_free(&plain);
    const char *values[] = { "0", "", "false", "no", "2", "1", "yes", "TRUE", "on" };
    const bool namespaces[] = { true, true, true, true, true, false, false, false, false };
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        setenv("CORDON_NO_NAMESPACES", values[i], 1);
        captured c = CORDON("run", "--json", "--", "true");
        unsetenv("CORDON_NO_NAMESPACES");
        if ((strstr(c.out, "\"pid_namespace\"") != NULL) != namespaces[i])
            print_message("CORDON_NO_NAMESPACES='%s': %s\n", values[i], c.out);
        assert_int_equal(c.status, 0);
        assert_int_equal(strstr(c.out, "\"pid_namespace\"") != NULL, namespaces[i]);
        captured_free(&c);
    }
}

/* A CORDON_CGROUP or CORDON_CGROUP_ROOT cordon cannot follow is refused,
 * named, before any task starts: it was taken for "auto" (CORDON_CGROUP=off
 * made cgroups all the same, a misspelt root put them elsewhere). */
static void test_run_cgroup_settings_that_mean_nothing_are_refused(void **state)
{
    (void)state;
    const char *names[] = { "CORDON_CGROUP", "CORDON_CGROUP", "CORDON_CGROUP_ROOT",
                            "CORDON_CGROUP_ROOT" };
    const char *values[] = { "off", "V2", "sys/fs/cgroup", "/cordon/no/such/cgroup" };
    const char *said[] = { "CORDON_CGROUP='off' is none of none, v1, v2 or auto",
                           "CORDON_CGROUP='V2' is none of none, v1, v2 or auto",
                           "CORDON_CGROUP_ROOT='sys/fs/cgroup' is not an absolute path",
                           "CORDON_CGROUP_ROOT='/cordon/no/such/cgroup' is no v2 cgroup cordon "
                           "can use (/cordon/no/such/cgroup/cgroup.subtree_control: No such "
                           "file or directory)" };
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        setenv(names[i], values[i], 1);
        captured c = CORDON("run", "--", "true");
        unsetenv(names[i]);
        if (c.status != 125 || !strstr(c.err, said[i]))
            print_message("%s='%s': %d, %s\n", names[i], values[i], c.status, c.err);
        assert_int_equal(c.status, 125);
        assert_non_null(strstr(c.err, said[i]));
        captured_free(&c);
    }
    /* what the documentation names still runs */
    const char *good[] = { "none", "v1", "v2", "auto", "" };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        setenv("CORDON_CGROUP", good[i], 1);
        captured c = CORDON("run", "--", "true");
        unsetenv("CORDON_CGROUP");
        assert_int_equal(c.status, 0);
        captured_free(&c);
    }
    /* a root that v1 never reads does not matter there */
    setenv("CORDON_CGROUP", "v1", 1);
    setenv("CORDON_CGROUP_ROOT", "relative", 1);
    captured c = CORDON("run", "--", "true");
    unsetenv("CORDON_CGROUP");
    unsetenv("CORDON_CGROUP_ROOT");
    assert_int_equal(c.status, 0);
    captured_free(&c);
}

/* cordon sets CORDON_LOG_FD and CORDON_ATTEMPT itself: --env for either
 * is an error naming it (it was taken and silently replaced). */
static void test_run_env_refuses_what_cordon_sets(void **state)
{
    (void)state;
    captured c = CORDON("run", "--env", "CORDON_ATTEMPT=9", "--", "true");
    assert_int_equal(c.status, 125);
    assert_non_null(strstr(c.err, "--env: 'CORDON_ATTEMPT' is set by cordon itself"));
    captured_free(&c);
    c = CORDON("run", "--env", "CORDON_LOG_FD=9", "--", "true");
    assert_int_equal(c.status, 125);
    assert_non_null(strstr(c.err, "--env: 'CORDON_LOG_FD' is set by cordon itself"));
    captured_free(&c);
    /* a longer name that begins alike is the caller's to set */
    c = CORDON("run", "--env", "CORDON_LOG_FDX=9", "--shell", "echo $CORDON_LOG_FDX");
    assert_int_equal(c.status, 0);
    assert_string_equal(c.out, "9\n");
    captured_free(&c);
}

/* --user naming the runner's own user is no change of user: it runs
 * (refused before with "only root can run a task as another user"). */
static void test_run_user_naming_the_runner_s_own_user_runs(void **state)
{
    (void)state;
    char command[1024];
    snprintf(command, sizeof command,
             "%s\"%s\" run --quiet --user nobody -- id -u",
             geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "",
             getenv("CORDON_RUNNER"));
    if (geteuid() != 0 && geteuid() != 65534) {
        print_message("skipped: run as root or as nobody\n");
        skip();
    }
    FILE *out = popen(command, "r");
    assert_non_null(out);
    char line[64] = "";
    char *got = fgets(line, sizeof line, out);
    int status = pclose(out);
    if (!got || WEXITSTATUS(status) != 0)
        print_message("%s: status %d, printed '%s'\n", command, status, line);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(line, "65534\n");
    if (geteuid() != 0)
        return;
    /* a runner holding another group could not clear it: refused */
    snprintf(command, sizeof command,
             "setpriv --reuid=65534 --regid=65534 --groups=100 env CORDON_NO_NAMESPACES=1 "
             "\"%s\" run --user nobody -- id 2>&1", getenv("CORDON_RUNNER"));
    out = popen(command, "r");
    assert_non_null(out);
    char text[512] = "";
    size_t got_bytes = fread(text, 1, sizeof text - 1, out);
    text[got_bytes] = '\0';
    status = pclose(out);
    assert_int_equal(WEXITSTATUS(status), 125);
    assert_non_null(strstr(text, "holds other groups besides 65534"));
}

/* RLIMIT_NPROC binds no process of uid 0: a root task under --procs
 * without a pids cgroup is refused, not run with a limit that holds
 * nothing (a fork bomb made some 28,000 processes in 3 s). */
static void test_run_procs_as_root_without_a_pids_cgroup_is_refused(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: a task runs as root only for a root caller\n");
        skip();
    }
    setenv("CORDON_CGROUP", "none", 1);
    captured c = CORDON("run", "--user", "root", "--procs", "5", "--", "true");
    unsetenv("CORDON_CGROUP");
    assert_int_equal(c.status, 125);
    assert_non_null(strstr(c.err, "ConfinementError"));
    assert_non_null(strstr(c.err, "needs a pids cgroup"));
    captured_free(&c);
}

/* A copy of `source` that a task may execute but not read. */
static void copy_execute_only(const char *source, const char *copy)
{
    int in = open(source, O_RDONLY | O_CLOEXEC);
    int out = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    assert_true(in >= 0 && out >= 0);
    char buffer[65536];
    ssize_t got;
    while ((got = read(in, buffer, sizeof buffer)) > 0)
        assert_int_equal(write(out, buffer, (size_t)got), got);
    assert_int_equal(got, 0);
    close(in);
    close(out);
    assert_int_equal(chmod(copy, 0111), 0);
}

/* A copy of the hostile program that its task may execute but not read. */
static void make_execute_only_copy(const char *dir, char *copy, size_t size)
{
    char source[512];
    snprintf(source, sizeof source, "%s/hostile", getenv("CORDON_HOSTILE_DIR"));
    snprintf(copy, size, "%s/spinner", dir);
    copy_execute_only(source, copy);
    assert_int_equal(chmod(dir, 0711), 0); /* a task of root's runs as nobody */
}

/* What a task that runs `command` under a CPU limit of 300 ms ended with:
 * a CpuLimit under 1 s where a v2 cgroup counts the whole tree, else
 * (the counter and the scans) the ConfinementError that says the counter
 * lost a process: 0, else what the runner said. */
static const char *held_or_refused(const captured *c)
{
    const char *prefix = "cordon: CpuLimit: the task's processes used ";
    const char *used = strstr(c->err, prefix);
    if (used && strtoul(used + strlen(prefix), NULL, 10) < 1000 && c->status == 128 + SIGKILL)
        return NULL;
    if (strstr(c->err, "ConfinementError: a process of the task (") &&
        strstr(c->err, "left the CPU counter, which the kernel takes off a process whose exec "
                       "involved a file its user may not read") && c->status == 125)
        return NULL;
    return c->err;
}

/* The hostile program, made execute-only, run with `mode_args` under a
 * CPU limit of 300 ms in namespaces and, with `without_too`, without
 * them or a cgroup: held, or refused saying why, each time. */
static void run_execute_only_under_a_cpu_limit(const char *mode_args, bool without_too)
{
    char *dir = make_temp_dir();
    char copy[512], command[1024];
    make_execute_only_copy(dir, copy, sizeof copy);
    snprintf(command, sizeof command, "exec \"%s\" %s", copy, mode_args);
    for (int without_namespaces = 0; without_namespaces < 1 + without_too; without_namespaces++) {
        if (without_namespaces) {
            setenv("CORDON_NO_NAMESPACES", "1", 1);
            setenv("CORDON_CGROUP", "none", 1);
        }
        captured c = CORDON("run", "--policy", "none", "--cpu", "300ms", "--timeout", "20s",
                            "--shell", command);
        unsetenv("CORDON_NO_NAMESPACES");
        unsetenv("CORDON_CGROUP");
        const char *said = held_or_refused(&c);
        if (said)
            fail_msg("without namespaces %d: status %d, %s", without_namespaces, c.status, said);
        captured_free(&c);
    }
    remove_tree(dir);
}

/* The kernel takes its CPU counter off a process that execs a file it may
 * not read (as off a set-user-ID one): where a v2 cgroup counts, the limit
 * holds it, and where the counter is all (no v2 cgroup) the task is ended
 * as soon as a scan sees such a process, with namespaces and without.
 * Spun to its own RLIMIT_CPU, 2 s, before. */
static void test_run_cpu_limit_counts_a_process_that_execs_an_unreadable_file(void **state)
{
    (void)state;
    run_execute_only_under_a_cpu_limit("spin", true);
}

/* A process the counter lost that lets the kernel reap its children
 * (SIGCHLD ignored): each child's CPU counted nowhere once it was gone,
 * and children of 50 ms one after another, some 2 s of CPU, ran under
 * 300 ms without a CpuLimit (a task made its own such program, Python
 * copied into a memfd of mode 0111).  Without namespaces a caller not
 * root may not look at such a process's program (it is undumpable, and
 * no user namespace of the caller's holds it): that half is root's. */
static void test_run_cpu_limit_holds_children_of_a_process_the_counter_lost(void **state)
{
    (void)state;
    run_execute_only_under_a_cpu_limit("autoreaped-one-by-one 40 50", geteuid() == 0);
}

/* A trampoline: an execute-only program that at once execs a readable
 * one, which then lets the kernel reap its children.  The kernel took the
 * counter off the process for good at the first exec, and the process
 * then ran a program its user may read: looking at the program it runs
 * missed it (1.5 s of CPU under 300 ms, as nobody, every time).  The
 * kernel's records of what the counter follows (lib/tree_cpu_followed.c)
 * see it, with namespaces and without. */
static void test_run_cpu_limit_holds_a_process_a_trampoline_took_off_the_counter(void **state)
{
    (void)state;
    char mode[600];
    snprintf(mode, sizeof mode, "trampoline %s/hostile autoreaped-one-by-one 40 50",
             getenv("CORDON_HOSTILE_DIR"));
    run_execute_only_under_a_cpu_limit(mode, true);
    /* Its first thread ended at once: a zombie, beside the thread that
     * runs on, which was taken for an ended process and never judged;
     * its children, of 8 ms each, end before a second look at them. */
    snprintf(mode, sizeof mode, "trampoline %s/hostile first-thread-ends-then-autoreaped 200 8",
             getenv("CORDON_HOSTILE_DIR"));
    run_execute_only_under_a_cpu_limit(mode, true);
}

/* What the records see of a tree that keeps its counter: a first thread
 * that ends before the others, a thread that is not the first exec'ing
 * (the kernel gives it the process's id), forks and execs one after
 * another and six at a time (a process whose exit was recorded may run on
 * in the kernel's exit for tens of ms: a make -j4 was ended so).  None of it is a process that left the counter, with
 * namespaces and without, where no v2 cgroup counts (the records are
 * then read). */
static void test_run_cpu_limit_follows_a_tree_that_keeps_its_counter(void **state)
{
    (void)state;
    char command[1024];
    const char *hostile = getenv("CORDON_HOSTILE_DIR");
    snprintf(command, sizeof command,
             "%s/hostile first-thread-ends 150 && %s/hostile exec-from-a-thread /bin/true && "
             "for i in $(seq 100); do /bin/true; done && "
             "for i in $(seq 20); do for j in 1 2 3 4 5 6; do /bin/true & done; wait; done && "
             "echo whole",
             hostile, hostile);
    setenv("CORDON_CGROUP", "none", 1);
    for (int without_namespaces = 0; without_namespaces < 2; without_namespaces++) {
        if (without_namespaces)
            setenv("CORDON_NO_NAMESPACES", "1", 1);
        captured c = CORDON("run", "--policy", "none", "--cpu", "20s", "--timeout", "60s",
                            "--shell", command);
        unsetenv("CORDON_NO_NAMESPACES");
        if (c.status != 0)
            fail_msg("without namespaces %d: status %d, %s", without_namespaces, c.status, c.err);
        assert_string_equal(c.out, "whole\n");
        captured_free(&c);
    }
    unsetenv("CORDON_CGROUP");
}

static void test_run_mem_limit(void **state)
{
    (void)state;
    char hostile[512];
    snprintf(hostile, sizeof hostile, "%s/hostile", getenv("CORDON_HOSTILE_DIR"));
    captured c = CORDON("run", "--mem", "64M", "--timeout", "20s", "--", hostile, "allocate");
    /* With a memory cgroup the task is killed; with only an rlimit its
     * malloc fails and it exits 3. */
    if (strstr(c.err, "MemoryLimit")) {
        expect_status(&c, 128 + SIGKILL);
        assert_non_null(strstr(c.err, "limit of 67108864 bytes"));
    } else {
        expect_status(&c, 3);
    }
    captured_free(&c);
}

static void test_run_fsize_limit(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char line[512];
    snprintf(line, sizeof line, "exec head -c 5000000 /dev/zero > %s/big", dir);
    captured c = CORDON("run", "--fsize", "1M", "--shell", line);
    assert_true(c.status != 0);
    assert_non_null(strstr(c.err, "cordon: FileSizeLimit: "));
    captured_free(&c);
    remove_tree(dir);
}

static void test_run_nofile_and_procs_limits(void **state)
{
    (void)state;
    captured c = CORDON("run", "--nofile", "17", "--shell", "ulimit -n");
    expect_status(&c, 0);
    assert_string_equal(c.out, "17\n");
    captured_free(&c);
    c = CORDON("run", "--procs", "20", "--timeout", "3s", "--shell",
               "bomb() { bomb | bomb & }; bomb; sleep 2; exit 1");
    assert_true(c.status != 0);
    /* With a pids cgroup cordon names the limit; a caller that may not
     * create cgroups gets only RLIMIT_NPROC, and the task sees fork fail. */
    if (!strstr(c.err, "cordon: ProcessLimit"))
        assert_non_null(strstr(c.err, "Cannot fork"));
    captured_free(&c);
}

static void test_run_out_cap_keeps_only_that_much(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--out-cap", "1K", "--shell", "head -c 5000 /dev/zero");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "assert len(d['std_out']) == 1024\n"
                                  "assert d['dropped']['std_out'] == 5000 - 1024"), 0);
    captured_free(&c);
}

static void test_run_env_clear_env_and_cwd(void **state)
{
    (void)state;
    captured c = CORDON("run", "--env", "GREETING=hello", "--env", "X=a=b", "--shell",
                        "echo \"$GREETING $X\"");
    expect_status(&c, 0);
    assert_string_equal(c.out, "hello a=b\n");
    captured_free(&c);
    c = CORDON("run", "--clear-env", "--env", "ONLY=1", "--", "/usr/bin/env");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "ONLY=1\n"));
    assert_null(strstr(c.out, "HOME="));
    captured_free(&c);
    c = CORDON("run", "--cwd", "/usr", "--", "pwd");
    expect_status(&c, 0);
    assert_string_equal(c.out, "/usr\n");
    captured_free(&c);
}

static void test_run_user_by_name_and_uid(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        /* another user than the runner's: refused, naming it */
        captured c = CORDON("run", "--user", "root", "--", "true");
        expect_status(&c, 125);
        assert_non_null(strstr(c.err, "cordon: --user: this runner cannot run its tasks as 'root'"));
        captured_free(&c);
        return;
    }
    captured c = CORDON("run", "--user", "nobody", "--shell", "id -u; id -G");
    expect_status(&c, 0);
    assert_string_equal(c.out, "65534\n65534\n");
    captured_free(&c);
    c = CORDON("run", "--user", "4321", "--shell", "id -u; id -g; id -G");
    expect_status(&c, 0);
    assert_string_equal(c.out, "4321\n4321\n4321\n");
    captured_free(&c);
    /* A uid with no passwd entry, as the manual says: HOME is /, USER and
     * LOGNAME the number. */
    if (!getpwuid(4321)) {
        c = CORDON("run", "--user", "4321", "--shell", "echo $HOME $USER $LOGNAME");
        expect_status(&c, 0);
        assert_string_equal(c.out, "/ 4321 4321\n");
        captured_free(&c);
    }
}

/* A task of root is root even without capabilities (core_pattern and
 * cgroup.procs are 0644 and root's): root's tasks run as nobody unless
 * --user root asks for root by name. */
static void test_run_as_root_tasks_run_as_nobody(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    captured c = CORDON("run", "--", "id", "-u");
    expect_status(&c, 0);
    assert_string_equal(c.out, "65534\n");
    captured_free(&c);
    c = CORDON_IN("id -u\nid -g\n", "batch", "-j", "1", "--quiet");
    expect_status(&c, 0);
    assert_string_equal(c.out, "[1] 65534\n[2] 65534\n");
    captured_free(&c);
    /* nobody's HOME, USER and LOGNAME, not root's; --env still sets them */
    const struct passwd *nobody = getpwnam("nobody");
    char expected[300];
    snprintf(expected, sizeof expected, "%s nobody nobody\n",
             nobody && nobody->pw_dir[0] == '/' ? nobody->pw_dir : "/");
    c = CORDON("run", "--shell", "echo $HOME $USER $LOGNAME");
    expect_status(&c, 0);
    assert_string_equal(c.out, expected);
    captured_free(&c);
    c = CORDON("run", "--env", "HOME=/tmp", "--shell", "echo $HOME $USER");
    expect_status(&c, 0);
    assert_string_equal(c.out, "/tmp nobody\n");
    captured_free(&c);
    c = CORDON("run", "--user", "root", "--shell", "id -u; id -G");
    expect_status(&c, 0);
    assert_string_equal(c.out, "0\n0\n");
    captured_free(&c);
    c = CORDON("run", "--user", "0", "--", "id", "-u");
    expect_status(&c, 0);
    assert_string_equal(c.out, "0\n");
    captured_free(&c);
    /* What nobody cannot open, it is told so. */
    char *dir = make_temp_dir();
    char private_dir[300];
    snprintf(private_dir, sizeof private_dir, "%s/private", dir);
    assert_int_equal(mkdir(private_dir, 0700), 0);
    c = CORDON("run", "--cwd", private_dir, "--", "ls");
    assert_true(c.status != 0);
    assert_non_null(strstr(c.err, "Permission denied"));
    captured_free(&c);
    remove_tree(dir);
}

static void write_proc_self(const char *name, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/%s", name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        _exit(98);
    close(fd);
}

/* The runner as the root of a user namespace that maps only that root to
 * a user outside (`unshare -r`, a rootless container): without setgroups,
 * and without nobody. */
static void become_root_of_a_user_namespace(void)
{
    /* A namespace maps its maker's own ids only: root first becomes a user. */
    if (getuid() == 0 && (setgroups(0, NULL) != 0 || setresgid(65533, 65533, 65533) != 0 ||
                          setresuid(65533, 65533, 65533) != 0 ||
                          prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)) /* its /proc/self its own */
        _exit(96);
    unsigned outside_uid = getuid(), outside_gid = getgid();
    if (unshare(CLONE_NEWUSER) != 0)
        _exit(97);
    char map[64];
    write_proc_self("setgroups", "deny");
    snprintf(map, sizeof map, "0 %u 1\n", outside_uid);
    write_proc_self("uid_map", map);
    snprintf(map, sizeof map, "0 %u 1\n", outside_gid);
    write_proc_self("gid_map", map);
}

/* Such a root is a user outside and owns none of the machine's root
 * files: its tasks run as it, as any user's do (they failed switching to
 * a nobody the namespace does not map). */
static void test_run_as_root_of_a_user_namespace_tasks_run_as_that_root(void **state)
{
    (void)state;
    captured c = CORDON_WITH(-1, become_root_of_a_user_namespace, "run", "--", "id", "-u");
    if (c.status == 97) {
        captured_free(&c);
        skip(); /* no user namespaces here */
    }
    expect_status(&c, 0);
    assert_string_equal(c.out, "0\n");
    captured_free(&c);
    c = CORDON_WITH(-1, become_root_of_a_user_namespace, "run", "--user", "root", "--", "id", "-u");
    expect_status(&c, 0);
    assert_string_equal(c.out, "0\n");
    captured_free(&c);
    /* A user the namespace does not map is named, before anything runs
     * (it was "cannot run the task: Invalid argument"). */
    c = CORDON_WITH(-1, become_root_of_a_user_namespace, "run", "--user", "12345", "--", "id");
    assert_int_not_equal(c.status, 0);
    assert_string_equal(c.out, "");
    assert_non_null(strstr(c.err, "cordon: --user: this runner cannot run its tasks as '12345' "
                                  "(uid 12345, gid 12345)"));
    captured_free(&c);
}

/* The machine's root without CAP_SETUID and CAP_SETGID (a runner inside
 * an outer task run as root): its tasks cannot be made nobody. */
static void lose_the_capabilities_to_change_ids(void)
{
    /* From the bounding set: root's exec would give them back otherwise. */
    if (prctl(PR_CAPBSET_DROP, CAP_SETUID, 0, 0, 0) != 0 ||
        prctl(PR_CAPBSET_DROP, CAP_SETGID, 0, 0, 0) != 0)
        _exit(96);
}

/* It says so before anything runs, and what to give instead; --user root
 * then runs the task as that root (never the machine's root silently). */
static void test_run_as_root_without_the_capabilities_to_change_ids(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    captured c = CORDON_WITH(-1, lose_the_capabilities_to_change_ids, "run", "--", "id", "-u");
    assert_int_not_equal(c.status, 0);
    assert_string_equal(c.out, "");
    assert_non_null(strstr(c.err, "cannot make its tasks nobody"));
    assert_non_null(strstr(c.err, "give --user root"));
    captured_free(&c);
    c = CORDON_WITH(-1, lose_the_capabilities_to_change_ids, "run", "--user", "root", "--",
                    "id", "-u");
    expect_status(&c, 0);
    assert_string_equal(c.out, "0\n");
    captured_free(&c);
    c = CORDON_WITH(-1, lose_the_capabilities_to_change_ids, "run", "--user", "nobody", "--",
                    "id", "-u");
    assert_int_not_equal(c.status, 0);
    assert_string_equal(c.out, "");
    assert_non_null(strstr(c.err, "cordon: --user: this runner cannot run its tasks as 'nobody'"));
    captured_free(&c);
}

static void test_run_as_anyone_else_tasks_run_as_the_caller(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip();
    char expected[32];
    snprintf(expected, sizeof expected, "%u\n", (unsigned)geteuid());
    captured c = CORDON("run", "--", "id", "-u");
    expect_status(&c, 0);
    assert_string_equal(c.out, expected);
    captured_free(&c);
}

/* stdin open read-write (0<>file) is reopened read-only for the task, so
 * that the readonly policy holds; the task still reads it. */
static void test_run_stdin_open_for_writing_is_handed_over_read_only(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/file", dir);
    write_file(path, "original\n");
    assert_int_equal(chmod(path, 0666), 0);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    captured c = CORDON_WITH(fd, NULL, "run", "--policy", "readonly", "--quiet", "--", "sh",
                             "-c", "echo X >&0");
    assert_true(c.status != 0);
    captured_free(&c);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[64] = "";
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    assert_string_equal(text, "original\n");
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    c = CORDON_WITH(fd, NULL, "run", "--policy", "readonly", "--", "cat");
    expect_status(&c, 0);
    assert_string_equal(c.out, "original\n");
    captured_free(&c);
    close(fd);
    /* Write-only: nothing to read, and nothing to write through. */
    fd = open(path, O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    c = CORDON_WITH(fd, NULL, "run", "--quiet", "--shell", "echo X >&0; cat");
    assert_string_equal(c.out, "");
    captured_free(&c);
    close(fd);
    assert_int_equal(file_size(path), 9);
    remove_tree(dir);
}

/* A socket cannot be opened again: it is relayed, read-only; nothing the
 * task writes to its stdin reaches the socket. */
static void test_run_stdin_socket_is_relayed_read_only(void **state)
{
    (void)state;
    int pair[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    assert_int_equal(write(pair[1], "sent\n", 5), 5);
    assert_int_equal(shutdown(pair[1], SHUT_WR), 0); /* a cat that gets it ends */
    captured c = CORDON_WITH(pair[0], NULL, "run", "--shell", "echo X >&0; cat");
    assert_string_equal(c.out, "sent\n");
    captured_free(&c);
    char buf[16];
    assert_int_equal(recv(pair[1], buf, sizeof buf, MSG_DONTWAIT), -1);
    assert_int_equal(errno, EAGAIN);
    close(pair[0]);
    close(pair[1]);
}

static void test_run_retry_on_exit_code(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char line[512];
    /* Fails with 75 twice, then succeeds. */
    snprintf(line, sizeof line, "echo x >> %s/n; test $(wc -l < %s/n) -ge 3 || exit 75", dir, dir);
    captured c = CORDON("run", "--retry", "5", "--retry-on", "exit:75", "--shell", line);
    expect_status(&c, 0);
    assert_string_equal(c.err, "cordon: attempt 1 exited with 75; retrying\n"
                               "cordon: attempt 2 exited with 75; retrying\n");
    captured_free(&c);
    remove_tree(dir);
}

/* Each attempt is numbered for the command, as cordon(1) says
 * (CORDON_ATTEMPT: 1, then n+1 for retry n): the runner's own loop of
 * cordon_run gave every attempt 1, in run and in batch. */
static void test_run_retry_numbers_each_attempt_for_the_command(void **state)
{
    (void)state;
    const char *line = "echo attempt $CORDON_ATTEMPT; test $CORDON_ATTEMPT -ge 3 || exit 75";
    captured c = CORDON("run", "--retry", "5", "--retry-on", "exit:75", "--shell", line);
    expect_status(&c, 0);
    assert_string_equal(c.out, "attempt 1\nattempt 2\nattempt 3\n");
    captured_free(&c);
    c = CORDON_IN("echo attempt $CORDON_ATTEMPT; test $CORDON_ATTEMPT -ge 2 || exit 75\n",
                  "batch", "--quiet", "--retry", "3", "--retry-on", "exit:75", "-");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "attempt 2\n"));
    captured_free(&c);
}

static void test_run_retry_stops_at_n_and_on_other_classes(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--retry", "2", "--retry-on", "SIGSEGV,Timeout",
                        "--timeout", "50ms", "--", "sleep", "5");
    expect_status(&c, 124);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "assert d['attempts'] == 3\n"
                                  "assert [h['exception'] for h in d['history']] == "
                                  "['Timeout'] * 3"), 0);
    captured_free(&c);
    c = CORDON("run", "--json", "--retry", "3", "--retry-on", "SIGSEGV", "--shell", "exit 75");
    expect_status(&c, 75);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "assert d['attempts'] == 1 and 'history' not in d"), 0);
    captured_free(&c);
}

static void test_run_retry_without_classes_retries_any_exception(void **state)
{
    (void)state;
    captured c = CORDON("run", "--retry", "1", "--shell", "kill -SEGV $$");
    expect_status(&c, 128 + SIGSEGV);
    assert_int_equal(count_lines_starting(c.err, "cordon: attempt 1 ended with SIGSEGV"), 1);
    captured_free(&c);
}

static void test_run_backoff_waits_between_attempts(void **state)
{
    (void)state;
    /* Delays 200 ms and 400 ms, capped at 300 ms: 500 ms in all. */
    captured c = CORDON("run", "--quiet", "--retry", "2", "--retry-on", "exit:1",
                        "--backoff", "200ms,x2,max 300ms", "--", "false");
    expect_status(&c, 1);
    assert_true(c.seconds >= 0.5);
    assert_true(c.seconds < 2.0);
    assert_string_equal(c.err, "");
    captured_free(&c);
}

static void ignore_sigchld(void)
{
    signal(SIGCHLD, SIG_IGN);
}

static void ignore_sigchld_without_namespaces(void)
{
    signal(SIGCHLD, SIG_IGN);
    setenv("CORDON_NO_NAMESPACES", "1", 1);
}

/* A SIGCHLD ignored by the parent survives exec: cordon kept it, so the
 * kernel reaped the task itself and its rusage was lost (max_rss_kb 0,
 * every count 0).  With or without a pid namespace (whose init reports
 * the figures otherwise), the figures are the task's. */
static void test_run_usage_survives_an_ignored_sigchld(void **state)
{
    (void)state;
    child_setup_fn setups[] = { ignore_sigchld, ignore_sigchld_without_namespaces };
    for (size_t i = 0; i < 2; i++) {
        captured c = CORDON_WITH(-1, setups[i], "run", "--json", "--", "sh", "-c",
                                 "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done");
        expect_status(&c, 0);
        assert_int_equal(python_check(c.out, c.out_len,
                                      "u = d['usage']\n"
                                      "assert u['max_rss_kb'] > 0 and u['minflt'] > 0 and "
                                      "u['user_us'] + u['sys_us'] > 0, u"), 0);
        captured_free(&c);
    }
}

static void test_run_profile_prints_after_the_run(void **state)
{
    (void)state;
    captured c = CORDON("run", "--profile", "--shell", "echo done");
    expect_status(&c, 0);
    assert_string_equal(c.out, "done\n");
    assert_true(c.err_len > 0);
    captured_free(&c);
}

/* A short command's first process was often seen only before its exec,
 * sharing the init's memory and name: its row said "cordon-init", at the
 * caller's copy's rss, as if a process of the task's were named so (4 of
 * 5 runs of `cordon run --profile -- true`).  Said as cordon's start. */
static void test_run_profile_names_no_process_after_cordon_s_init(void **state)
{
    (void)state;
    for (int run = 0; run < 10; run++) {
        captured c = CORDON("run", "--profile", "--", "true");
        expect_status(&c, 0);
        const char *processes = strstr(c.err, "\nprocesses of its group");
        assert_non_null(processes);
        if (strstr(processes, " cordon-init\n"))
            fail_msg("run %d: %s", run, processes);
        captured_free(&c);
    }
}

/* ---- a signal that stops the runner ---------------------------------- */

static char stop_pid_file[64];

/* In the child before cordon's exec: a process of its own that sends
 * cordon SIGTERM a second later (once its task runs), after writing
 * cordon's pid down; it holds none of the test's pipes. */
static void terminate_in_a_second(void)
{
    pid_t cordon = getpid();
    if (fork() != 0)
        return;
    for (int fd = 0; fd < 1024; fd++)
        close(fd);
    int fd = open(stop_pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dprintf(fd, "%d", (int)cordon);
        close(fd);
    }
    usleep(1000 * 1000);
    kill(cordon, SIGTERM);
    _exit(0);
}

/* Directories of cordon's under /sys/fs/cgroup that runner `pid` made. */
static int cgroups_left_by(pid_t pid)
{
    char command[160], line[512];
    snprintf(command, sizeof command,
             "find /sys/fs/cgroup -name 'cordon-%d-*' -type d 2>/dev/null", (int)pid);
    FILE *found = popen(command, "r");
    assert_non_null(found);
    int count = 0;
    while (fgets(line, sizeof line, found)) {
        print_message("left: %s", line);
        count++;
    }
    pclose(found);
    return count;
}

static captured run_stopped(const char *const args[])
{
    snprintf(stop_pid_file, sizeof stop_pid_file, "/tmp/cordon-stop-%d", (int)getpid());
    unlink(stop_pid_file);
    const char *argv[64];
    cordon_argv(argv, args);
    captured c = exec_capture_with(argv, NULL, 0, -1, terminate_in_a_second);
    FILE *f = fopen(stop_pid_file, "r");
    assert_non_null(f);
    int pid = 0;
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    unlink(stop_pid_file);
    assert_int_equal(cgroups_left_by(pid), 0);
    return c;
}

/* SIGTERM (or ^C, SIGHUP) to cordon ends its tasks' runs first: each is
 * cancelled and cleaned up (its cgroups removed, the ones kept idle for a
 * next task too), and then cordon dies of the signal, as a shell expects.
 * Before, the signal's default action killed cordon at once: its tasks
 * died by their watch of it, but their cgroups stayed behind (and a
 * terminal handed over with --tty kept the task's modes). */
static void test_run_stopped_by_a_signal_ends_its_task_and_leaves_nothing(void **state)
{
    (void)state;
    captured c = run_stopped((const char *const[]){ "run", "--mem", "64M", "--shell",
                                                    "sleep 31.0311 & sleep 31.0312", NULL });
    assert_int_equal(c.status, 1000 + SIGTERM);
    assert_non_null(strstr(c.err, "Cancelled"));
    assert_true(c.seconds < 10);
    captured_free(&c);
    /* none left (marks no other test uses: the other lane runs beside) */
    assert_int_equal(system("pgrep -f 'sleep 31[.]031[12]$' >/dev/null"), 256);
    /* A batch: the lines running are cancelled, the rest not run. */
    char *dir = make_temp_dir();
    char jobs[300];
    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    write_file(jobs, "sleep 32.0321\nsleep 32.0322\nsleep 32.0323\n");
    c = run_stopped((const char *const[]){ "batch", "-j", "2", "--mem", "64M", jobs, NULL });
    assert_int_equal(c.status, 1000 + SIGTERM);
    assert_non_null(strstr(c.err, "0 succeeded, 2 failed, 1 not run: cordon was stopped by "
                                  "SIGTERM"));
    assert_int_equal(system("pgrep -f 'sleep 32[.]032[123]$' >/dev/null"), 256);
    captured_free(&c);
    /* learn: stopped while learning, it writes no policy. */
    char out[320];
    snprintf(out, sizeof out, "%s/learned.policy", dir);
    c = run_stopped((const char *const[]){ "learn", "--out", out, "--", "sleep", "30.125",
                                           NULL });
    assert_int_equal(c.status, 1000 + SIGTERM);
    assert_int_equal(access(out, F_OK), -1);
    captured_free(&c);
    remove_tree(dir);
}

/* A child setup: the caller's own CPU time, 1 s per process at most, and
 * 64 open files. */
static void caller_cpu_one_second(void)
{
    struct rlimit one = { 1, 1 }, files = { 64, 64 };
    setrlimit(RLIMIT_CPU, &one);
    setrlimit(RLIMIT_NOFILE, &files);
}

/* `--cpu 10s` under the caller's `ulimit -t 1`: the task has the caller's
 * 1 s, and the record says so (confinement_details.clamped_limits) and
 * that the kernel's SIGKILL at it was the caller's limit; before, a bare
 * "Killed" after 1 s under a record of cpu_ms 10000.  With the caller's
 * lower open files the same rule: the record says what held. */
static void test_run_a_limit_held_by_the_caller_s_own_says_so(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind refuses any change to the hard open-files limit: none is "
                        "clamped to say");
    captured c = CORDON_WITH(-1, caller_cpu_one_second, "run", "--cpu", "10s", "--nofile",
                             "1000", "--json", "--quiet", "--", "sh", "-c",
                             "while :; do :; done");
    expect_status(&c, 137);
    const char *code =
        "held = d['confinement_details']['clamped_limits']\n"
        "assert held['cpu_ms'] == 1000, held\n"
        "assert held['open_files'] == 64, held\n"
        "assert d['limits']['cpu_ms'] == 10000\n"
        "assert d['signal'] == 9 and d['exception'] == 'SIGKILL', d['exception']\n"
        "assert \"the caller's own CPU time limit, RLIMIT_CPU of 1 s per process\" "
        "in d['exc_out'], d['exc_out']\n";
    assert_int_equal(python_check(c.out, strlen(c.out), code), 0);
    captured_free(&c);
}

/* Once the task has ended, nothing protects a deadline any more: cordon
 * waits for a reader slower than its stall bound, as any program writing
 * to a pipe does.  Before, it gave up on the reader after 1.5 s and
 * exited 0, the rest of the output lost unsaid (and the audit line said
 * 125 while cordon exited 0). */
static void test_run_waits_for_a_slow_reader_at_exit(void **state)
{
    (void)state;
    captured c = cordon_into("run -- seq 1 200000", "sleep 2.5; tail -1");
    assert_string_equal(c.out, "200000\n");
    assert_non_null(strstr(c.err, "rc=0"));
    captured_free(&c);
    char *dir = make_temp_dir(), args[600], audit[512];
    snprintf(audit, sizeof audit, "%s/st.jsonl", dir);
    snprintf(args, sizeof args, "run --audit %s -- head -c 1000000 /dev/zero", audit);
    expect_a_slow_reader_gets_every_byte(args, audit);
    remove_tree(dir);
}

/* A deadline counts the time the task waits on its writes for cordon's
 * stdout's reader, as it counts a pipe's: 20 MB that a reader waiting
 * 2.5 s first took none of left `head` waiting past its deadline, and
 * the Timeout ("ran past its deadline") said nothing of the reader; it
 * now says how long cordon held the task's output back for it.  A reader that keeps up
 * leaves the same run its success and no such line. */
static void test_run_a_timeout_behind_a_stalled_reader_says_the_task_waited_for_it(void **state)
{
    (void)state;
    captured c = cordon_into("run --timeout 1s -- head -c 20000000 /dev/zero",
                             "sleep 2.5; cat >/dev/null");
    assert_non_null(strstr(c.err, "rc=124"));
    const char *lead = "cordon: the reader of cordon's stdout held the task's output back for ";
    const char *said = strstr(c.err, lead);
    if (!said || !strstr(said, " ms in all (the task's writes wait once its pipe is full), "
                                "which the deadline counts\n"))
        fail_msg("stderr: %s", c.err);
    unsigned long long waited = strtoull(said + strlen(lead), NULL, 10);
    assert_true(waited > 0 && waited <= 1100);
    captured_free(&c);
    c = cordon_into("run --timeout 20s -- head -c 20000000 /dev/zero", "cat >/dev/null");
    assert_non_null(strstr(c.err, "rc=0"));
    assert_null(strstr(c.err, "waited"));
    captured_free(&c);
}

/* A reader that takes a little at a time, without namespaces (no init
 * to keep the deadline or the CPU limit for the loop): the loop held the
 * task's stream (cordon_hold_output) instead of waiting in the output
 * callback for room, which kept it from the deadline and the limit:
 * `--timeout 300ms` ended `yes` after as long as such a reader lived
 * (12.8 s measured), and `--cpu 300ms` let three spinners use 5.9 s. */
static void test_run_a_slow_reader_holds_neither_deadline_nor_limit(void **state)
{
    (void)state;
    char *dir = make_temp_dir(), audit[512], args[700];
    snprintf(audit, sizeof audit, "%s/slow.jsonl", dir);
    const char *const runs[] = {
        "--timeout 300ms -- yes",
        "--cpu 300ms -- sh -c 'for i in 1 2 3; do (while :; do :; done) & done; yes'",
    };
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        unlink(audit);
        snprintf(args, sizeof args, "run --audit %s %s 2>/dev/null", audit, runs[i]);
        /* 4 KiB a second, for 2 s: past the 1.5 s the run may take */
        captured c = cordon_into(args, "for i in 1 2; do head -c 4096 >/dev/null; sleep 1; "
                                       "done");
        captured_free(&c);
        char *line = read_file_text(audit);
        char check[300];
        snprintf(check, sizeof check,
                 "u = d['usage']\n"
                 "assert d['exception'] == %s, d['exception']\n"
                 "assert u['wall_us'] < 1500000 and u['user_us'] + u['sys_us'] < 1500000, u",
                 i == 0 ? "'Timeout'" : "'CpuLimit'");
        if (python_check(line, strlen(line), check) != 0)
            fail_msg("%s: %s", runs[i], line);
        free(line);
    }
    unsetenv("CORDON_NO_NAMESPACES");
    remove_tree(dir);
}

/* A reader that goes away before it took everything is a loss: said, 125,
 * and the audit line says 125 too. */
static void test_run_reader_gone_at_exit_is_said(void **state)
{
    (void)state;
    char *dir = make_temp_dir(), args[600], audit[512];
    snprintf(audit, sizeof audit, "%s/st.jsonl", dir);
    snprintf(args, sizeof args, "run --audit %s -- head -c 1000000 /dev/zero", audit);
    captured c = cordon_into(args, "sleep 2.5; head -c 10 >/dev/null");
    if (!strstr(c.err, "rc=125") || !strstr(c.err, "stdout: cannot write: Broken pipe"))
        fail_msg("stderr: %s", c.err);
    captured_free(&c);
    char *line = read_file_text(audit);
    assert_non_null(strstr(line, "\"status\":125"));
    free(line);
    remove_tree(dir);
}

/* Waits up to 10 s for a process marked `mark` (one of its argv) to be
 * there and, with `ended`, gone again (and half a second more). */
static void wait_for_marked_process(const char *mark, bool ended)
{
    int i = 0;
    for (; i < 1000 && count_marked_processes(mark, false) == 0; i++)
        usleep(10 * 1000);
    for (; ended && i < 1000 && count_marked_processes(mark, false) > 0; i++)
        usleep(10 * 1000);
    if (i == 1000)
        fail_msg("the process marked %s did not %s", mark, ended ? "come and go" : "start");
    /* A killed process's argv is gone before cordon has reaped it and
     * said how its attempt ended. */
    if (ended)
        usleep(500 * 1000);
}

/* `cordon ARGS`, its stdout and stderr into files of `dir`, sent `sig`
 * once the task's process marked `mark` has started (cordon has long
 * taken its signals by then) or, with `ended`, once it has ended too;
 * returns cordon's wait status, leaves what it wrote in `*out` and
 * `*err`. */
static int cordon_stopped(const char *dir, int sig, const char *mark, bool ended, char **out,
                          char **err, const char *const args[])
{
    char out_path[512], err_path[512];
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    snprintf(err_path, sizeof err_path, "%s/err", dir);
    const char *argv[64];
    cordon_argv(argv, args);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fds[3] = { open("/dev/null", O_RDONLY),
                       open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644),
                       open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) };
        for (int i = 0; i < 3; i++)
            dup2(fds[i], i);
        signal(sig, SIG_DFL); /* one left ignored is never taken */
        execv(argv[0], (char *const *)argv);
        _exit(99);
    }
    wait_for_marked_process(mark, ended);
    kill(pid, sig);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    *out = read_file_text(out_path);
    *err = read_file_text(err_path);
    return status;
}

/* Every signal whose default ends a process stops cordon the same way:
 * killed by SIGUSR1, SIGUSR2, SIGALRM or SIGPROF it left no record, the task's
 * cgroups behind, and (without namespaces) a tree that ran on with no
 * deadline. */
static void test_run_stopped_by_any_terminating_signal_says_so(void **state)
{
    (void)state;
    char *dir = make_temp_dir(), *out, *err;
    const int signals[] = { SIGUSR1, SIGUSR2, SIGALRM, SIGPROF, SIGXCPU, SIGRTMIN + 5 };
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++) {
        char expected[96], check[300];
        snprintf(expected, sizeof expected, "cordon was stopped by %s",
                 signals[i] == SIGUSR1 ? "SIGUSR1" : signals[i] == SIGUSR2 ? "SIGUSR2"
                 : signals[i] == SIGALRM ? "SIGALRM" : signals[i] == SIGPROF ? "SIGPROF"
                 : signals[i] == SIGXCPU ? "SIGXCPU" : "SIGRTMIN+5");
        int status = cordon_stopped(dir, signals[i], "28.0282", false, &out, &err,
                                    (const char *const[]){
            "run", "--json", "--shell", "sleep 28.0281 & sleep 28.0282", NULL });
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == signals[i]);
        snprintf(check, sizeof check,
                 "assert d['exception'] == 'Cancelled', d\n"
                 "assert d['status'] == %d, d['status']\n"
                 "assert d['message'].startswith(%s), d['message']\n",
                 128 + signals[i], "'" "cordon was stopped by" "'");
        assert_int_equal(python_check(out, strlen(out), check), 0);
        assert_non_null(strstr(out, expected));
        free(out);
        free(err);
    }
    assert_int_equal(system("pgrep -f 'sleep 28[.]028[12]$' >/dev/null"), 256);
    remove_tree(dir);
}

/* cordon stopped by a signal dies of it, and its record says the status a
 * shell sees (130 for SIGINT), not the task's 137; the user is told what
 * stopped it, not of a library call (cordon_cancel) they never made. */
static void test_run_stopped_by_a_signal_says_so(void **state)
{
    (void)state;
    char *dir = make_temp_dir(), *out, *err;
    int status = cordon_stopped(dir, SIGINT, "29.0291", false, &out, &err, (const char *const[]){
        "run", "--json", "--shell", "sleep 29.0291", NULL });
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
    assert_int_equal(python_check(out, strlen(out),
                                  "assert d['status'] == 130, d['status']\n"
                                  "assert d['exception'] == 'Cancelled'\n"
                                  "assert d['message'].startswith("
                                  "'cordon was stopped by SIGINT'), d['message']\n"
                                  "assert 'cordon_cancel' not in d['exc_out'], d['exc_out']"),
                     0);
    free(out);
    free(err);
    status = cordon_stopped(dir, SIGINT, "29.0292", false, &out, &err, (const char *const[]){
        "run", "--shell", "sleep 29.0292", NULL });
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
    if (!strstr(err, "cordon: Cancelled: cordon was stopped by SIGINT") ||
        strstr(err, "cordon_cancel"))
        fail_msg("stderr: %s", err);
    free(out);
    free(err);
    /* Stopped during an attempt that would be retried: no "retrying" for
     * a retry that never comes. */
    status = cordon_stopped(dir, SIGINT, "29.0293", false, &out, &err, (const char *const[]){
        "run", "--retry", "3", "--shell", "sleep 29.0293", NULL });
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
    if (!strstr(err, "cordon: Cancelled: cordon was stopped by SIGINT") || strstr(err, "retrying"))
        fail_msg("stderr: %s", err);
    free(out);
    free(err);
    /* Stopped in --backoff's wait: the last attempt's result stands, and
     * the user and the record are told it was the last (its Timeout was
     * all they heard). */
    status = cordon_stopped(dir, SIGINT, "29.0294", true, &out, &err, (const char *const[]){
        "run", "--retry", "3", "--backoff", "20s", "--timeout", "200ms", "--json", "--shell",
        "sleep 29.0294", NULL });
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
    assert_int_equal(python_check(out, strlen(out),
                                  "assert d['exception'] == 'Timeout', d['exception']\n"
                                  "assert d['attempts'] == 1, d['attempts']\n"
                                  "assert d['stopped_by'] == 'SIGINT', d.get('stopped_by')\n"
                                  "assert d['status'] == 130, d['status']"),
                     0);
    free(out);
    free(err);
    status = cordon_stopped(dir, SIGINT, "29.0295", true, &out, &err, (const char *const[]){
        "run", "--retry", "3", "--backoff", "20s", "--timeout", "200ms", "--shell", "sleep 29.0295",
        NULL });
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
    if (!strstr(err, "cordon: cordon was stopped by SIGINT after attempt 1; no other attempt "
                     "was made, and that attempt's result stands"))
        fail_msg("stderr: %s", err);
    free(out);
    free(err);
    char jobs[600];
    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    write_file(jobs, "sleep 29.0296\n");
    status = cordon_stopped(dir, SIGTERM, "29.0296", false, &out, &err, (const char *const[]){
        "batch", jobs, NULL });
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    if (!strstr(err, "line 1: Cancelled: cordon was stopped by SIGTERM") ||
        strstr(err, "cordon_cancel"))
        fail_msg("stderr: %s", err);
    free(out);
    free(err);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_exit_status_is_the_commands_own),
        cmocka_unit_test(test_run_a_limit_held_by_the_caller_s_own_says_so),
        cmocka_unit_test(test_run_shell_line_output_passes_through),
        cmocka_unit_test(test_run_shell_line_starting_with_a_dash_is_a_command),
        cmocka_unit_test(test_run_signal_is_128_plus_n),
        cmocka_unit_test(test_run_timeout_is_124),
        cmocka_unit_test(test_run_not_found_is_127),
        cmocka_unit_test(test_run_missing_interpreter_is_named),
        cmocka_unit_test(test_run_relative_program_from_a_directory_the_task_may_not_enter),
        cmocka_unit_test(test_run_not_executable_is_126),
        cmocka_unit_test(test_run_quiet_says_nothing_of_its_own),
        cmocka_unit_test(test_run_says_a_log_it_does_not_keep),
        cmocka_unit_test(test_run_unknown_option_is_125),
        cmocka_unit_test(test_run_without_a_command_is_125),
        cmocka_unit_test(test_run_bad_times_name_the_option),
        cmocka_unit_test(test_run_core_lets_the_task_dump_cores),
        cmocka_unit_test(test_run_bad_sizes_name_the_option),
        cmocka_unit_test(test_run_sizes_past_the_largest_say_so),
        cmocka_unit_test(test_run_sizes_are_read_exactly),
        cmocka_unit_test(test_run_bad_counts_name_the_option),
        cmocka_unit_test(test_run_bad_env_user_cwd_name_the_option),
        cmocka_unit_test(test_run_bad_retry_options_name_the_option),
        cmocka_unit_test(test_run_record_options_without_records_are_refused),
        cmocka_unit_test(test_run_validates_every_option_before_running),
        cmocka_unit_test(test_run_stdin_is_the_runners),
        cmocka_unit_test(test_run_stdin_that_cannot_be_handed_over_is_an_error),
        cmocka_unit_test(test_run_output_passes_through_live),
        cmocka_unit_test(test_run_limits_take_units),
        cmocka_unit_test(test_run_cpu_limit),
        cmocka_unit_test(test_run_cpu_limit_counts_a_process_that_tries_to_leave_the_session),
        cmocka_unit_test(test_run_namespace_switch_reads_0_and_empty_as_off),
        cmocka_unit_test(test_run_cgroup_settings_that_mean_nothing_are_refused),
        cmocka_unit_test(test_run_env_refuses_what_cordon_sets),
        cmocka_unit_test(test_run_user_naming_the_runner_s_own_user_runs),
        cmocka_unit_test(test_run_procs_as_root_without_a_pids_cgroup_is_refused),
        cmocka_unit_test(test_run_cpu_limit_counts_a_process_that_execs_an_unreadable_file),
        cmocka_unit_test(test_run_cpu_limit_holds_a_process_a_trampoline_took_off_the_counter),
        cmocka_unit_test(test_run_cpu_limit_follows_a_tree_that_keeps_its_counter),
        cmocka_unit_test(test_run_cpu_limit_holds_children_of_a_process_the_counter_lost),
        cmocka_unit_test(test_run_mem_limit),
        cmocka_unit_test(test_run_stopped_by_a_signal_ends_its_task_and_leaves_nothing),
        cmocka_unit_test(test_run_fsize_limit),
        cmocka_unit_test(test_run_nofile_and_procs_limits),
        cmocka_unit_test(test_run_out_cap_keeps_only_that_much),
        cmocka_unit_test(test_run_env_clear_env_and_cwd),
        cmocka_unit_test(test_run_user_by_name_and_uid),
        cmocka_unit_test(test_run_as_root_tasks_run_as_nobody),
        cmocka_unit_test(test_run_as_anyone_else_tasks_run_as_the_caller),
        cmocka_unit_test(test_run_as_root_of_a_user_namespace_tasks_run_as_that_root),
        cmocka_unit_test(test_run_as_root_without_the_capabilities_to_change_ids),
        cmocka_unit_test(test_run_stdin_open_for_writing_is_handed_over_read_only),
        cmocka_unit_test(test_run_stdin_socket_is_relayed_read_only),
        cmocka_unit_test(test_run_retry_on_exit_code),
        cmocka_unit_test(test_run_retry_numbers_each_attempt_for_the_command),
        cmocka_unit_test(test_run_retry_stops_at_n_and_on_other_classes),
        cmocka_unit_test(test_run_retry_without_classes_retries_any_exception),
        cmocka_unit_test(test_run_backoff_waits_between_attempts),
        cmocka_unit_test(test_run_profile_prints_after_the_run),
        cmocka_unit_test(test_run_profile_names_no_process_after_cordon_s_init),
        cmocka_unit_test(test_run_usage_survives_an_ignored_sigchld),
        cmocka_unit_test(test_run_waits_for_a_slow_reader_at_exit),
        cmocka_unit_test(test_run_a_timeout_behind_a_stalled_reader_says_the_task_waited_for_it),
        cmocka_unit_test(test_run_a_slow_reader_holds_neither_deadline_nor_limit),
        cmocka_unit_test(test_run_reader_gone_at_exit_is_said),
        cmocka_unit_test(test_run_stopped_by_a_signal_says_so),
        cmocka_unit_test(test_run_stopped_by_any_terminating_signal_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
