/* --json and --audit: one object with the result's field names, output
 * that always parses whatever bytes the task wrote, and audit lines that
 * stay whole when many runners append at once. */
#include <limits.h>
#include <sched.h>
#include <sys/resource.h>

#include "runner_support.h"

static void test_json_has_every_field(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--timeout", "5s", "--shell",
                        "echo out; echo err >&2; echo note >&3; exit 4");
    expect_status(&c, 4);
    assert_int_equal(count_lines_starting(c.out, "{"), 1);
    assert_int_equal(python_check(c.out, c.out_len,
        "origin = {'run_id', 'host', 'started'}\n"
        "assert len(lines) == 1\n"
        "keys = {'command', 'policy', 'policy_file', 'limits', 'exit_code', 'signal',\n"
        "        'exception', 'message',\n"
        "        'std_out',\n"
        "        'std_err', 'log_out', 'exc_out', 'returns', 'dropped', 'usage', 'attempts',\n"
        "        'confinement', 'confinement_details', 'status'}\n"
        "assert set(d) == keys | origin, set(d) ^ (keys | origin)\n"
        "assert set(d['usage']) == {'wall_us', 'user_us', 'sys_us', 'max_rss_kb', 'minflt',\n"
        "    'majflt', 'nvcsw', 'nivcsw', 'inblock', 'oublock', 'tree_peak_kb'}, d['usage']\n"
        "assert d['command'] == 'echo out; echo err >&2; echo note >&3; exit 4'\n"
        "assert d['policy'] == 'default' and d['limits']['timeout_ms'] == 5000\n"
        "assert d['policy_file'].startswith('/'), d['policy_file']\n"
        "assert d['policy_file'].endswith('/default.policy'), d['policy_file']\n"
        "assert (d['exit_code'], d['signal'], d['exception']) == (4, 0, None)\n"
        "assert d['message'] == ''\n"
        "assert (d['std_out'], d['std_err'], d['log_out']) == ('out\\n', 'err\\n', 'note\\n')\n"
        "assert d['attempts'] == 1 and d['status'] == 4\n"
        "assert {'seccomp', 'landlock'} <= set(d['confinement']), d['confinement']\n"
        "assert d['usage']['wall_us'] > 0 and d['usage']['max_rss_kb'] > 0"), 0);
    assert_string_equal(c.err, "");
    captured_free(&c);
}

/* Which file the policy was read from: a default.policy on
 * CORDON_POLICY_PATH is `default` too (it let every call through), and
 * the record said only the name. */
static void test_json_names_the_policy_s_file(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[400], check[600];
    assert_int_equal(chmod(dir, 0755), 0); /* a place a policy is read from */
    snprintf(path, sizeof path, "%s/default.policy", dir);
    write_file(path, "default allow\n");
    const char *was = getenv("CORDON_POLICY_PATH");
    char *saved = was ? strdup(was) : NULL;
    setenv("CORDON_POLICY_PATH", dir, 1);
    captured c = CORDON("run", "--json", "--quiet", "--", "true");
    if (saved)
        setenv("CORDON_POLICY_PATH", saved, 1);
    else
        unsetenv("CORDON_POLICY_PATH");
    free(saved);
    expect_status(&c, 0);
    snprintf(check, sizeof check,
             "assert (d['policy'], d['policy_file']) == ('default', '%s'), d\n", path);
    assert_int_equal(python_check(c.out, c.out_len, check), 0);
    captured_free(&c);
    c = CORDON("run", "--json", "--quiet", "--policy", "none", "--", "true");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "assert (d['policy'], d['policy_file']) == (None, None), d"), 0);
    captured_free(&c);
    remove_tree(dir);
}

/* The tree's peak, counted by the task's memory cgroup: a task that
 * allocates until its 64 MiB limit stops it peaked at the limit. */
static void test_json_tree_peak_is_the_tasks(void **state)
{
    (void)state;
    char hostile[512];
    snprintf(hostile, sizeof hostile, "%s/hostile", getenv("CORDON_HOSTILE_DIR"));
    captured c = CORDON("run", "--json", "--mem", "64M", "--timeout", "20s", "--", hostile,
                        "allocate");
    assert_int_equal(python_check(c.out, c.out_len,
        "peak = d['usage']['tree_peak_kb']\n"
        "assert peak == 0 or 60 * 1024 <= peak <= 66 * 1024, peak\n"
        "assert peak == 0 or d['exception'] == 'MemoryLimit', d['exception']"), 0);
    captured_free(&c);
}

/* The bound that held the tree's processes: --procs where given, else
 * cordon's share (a quarter of the fewest of pid_max, threads-max and the
 * runner's soft RLIMIT_NPROC); null only where nothing held it (root
 * without a pids cgroup). */
static void test_json_names_the_process_bound(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--procs", "100", "--", "true");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
        "assert d['confinement_details']['max_processes'] in (100, None), d\n"), 0);
    captured_free(&c);
    c = CORDON("run", "--json", "--", "true");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
        "import resource\n"
        "def setting(name):\n"
        "    return int(open('/proc/sys/kernel/' + name).read())\n"
        "threads = int(open('/proc/loadavg').read().split()[3].split('/')[1])\n"
        "most = min(setting('pid_max'), setting('threads-max')) - threads\n"
        "soft = resource.getrlimit(resource.RLIMIT_NPROC)[0]\n"
        "if soft != resource.RLIM_INFINITY and soft > 0:\n"
        "    most = min(most, soft)\n"
        "got = d['confinement_details']['max_processes']\n"
        "# the machine's threads come and go between cordon's count and this one\n"
        "near = got is not None and most // 4 - 250 <= got <= most // 4 + 250\n"
        "assert near or (got is None and __import__('os').geteuid() == 0), (got, most)\n"), 0);
    captured_free(&c);
}

static void test_json_prints_only_the_object(void **state)
{
    (void)state;
    /* A deadline the start and the echo fit in on a busy machine under a
     * sanitizer (100 ms did not: an empty std_out, 15 of 15 runs). */
    captured c = CORDON("run", "--json", "--timeout", "2s", "--shell",
                        "echo visible; echo also >&2; sleep 30");
    expect_status(&c, 124);
    assert_string_equal(c.err, "");
    assert_int_equal(python_check(c.out, c.out_len,
        "assert d['exception'] == 'Timeout' and d['std_out'] == 'visible\\n'\n"
        "assert d['exc_out'].startswith('Timeout: ') and d['status'] == 124\n"
        "killed = ('its whole tree was killed' if 'pid_namespace' in d['confinement'] else\n"
        "          'its process group and cgroup were killed' if 'cgroup' in d['confinement']\n"
        "          else 'its process group was killed')\n"
        "assert d['message'] == 'the task ran past its deadline of 2000 ms; ' + killed, "
        "d['message']"), 0);
    captured_free(&c);
}

static void test_json_command_words_are_quoted(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--policy", "none", "--", "printf", "%s|", "two words",
                        "it's");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
        "assert d['command'] == \"printf '%s|' 'two words' 'it'\\\\''s'\", d['command']\n"
        "assert d['policy'] is None\n"
        "assert d['std_out'] == 'two words|it\\'s|'"), 0);
    captured_free(&c);
}

/* Invalid UTF-8, NUL, control bytes, a valid multibyte character, a
 * surrogate encoded in UTF-8, an overlong form, and the line breaks some
 * readers split on (U+2028, NEL). */
static void test_json_escapes_bytes_that_are_not_utf8(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--shell",
                        "printf '\\377\\376a\\303\\251\\000z\\033\\355\\240\\200\\300\\257\"\\\\"
                        "\\342\\200\\250\\302\\205'");
    expect_status(&c, 0);
    /* A byte that is not UTF-8 is \udcXX (surrogateescape): it reads back
     * as that byte, where \u00XX read back as the character U+00XX. */
    assert_non_null(strstr(c.out, "\"std_out\":\"\\udcff\\udcfea\xc3\xa9\\u0000z\\u001b"
                                  "\\udced\\udca0\\udc80\\udcc0\\udcaf\\\"\\\\\\u2028\\u0085\""));
    assert_int_equal(python_check(c.out, c.out_len,
        "assert d['std_out'].encode('utf-8', 'surrogateescape') == "
        "b'\\xff\\xfea\\xc3\\xa9\\x00z\\x1b\\xed\\xa0\\x80\\xc0\\xaf\"\\\\\\xe2\\x80\\xa8\\xc2\\x85'"), 0);
    captured_free(&c);
}

static void test_json_random_binary_output_parses(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--", "head", "-c", "200000", "/dev/urandom");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
        "assert 100000 < len(d['std_out']) <= 200000\n"
        "assert all(ord(ch) < 0xD800 or 0xDC80 <= ord(ch) <= 0xDCFF or ord(ch) > 0xDFFF\n"
        "           for ch in d['std_out'])\n"
        "assert len(d['std_out'].encode('utf-8', 'surrogateescape')) == 200000"), 0);
    captured_free(&c);
}

/* A few fds in all: cordon's own start takes them, and no task is run.
 * Set in the test before the fork. */
static rlim_t fds_in_all;

static void few_fds_in_all(void)
{
    struct rlimit few = { fds_in_all, fds_in_all };
    setrlimit(RLIMIT_NOFILE, &few);
}

/* In a forked child: no cmocka there, a file not written is exit 77. */
static void write_or_skip(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        _exit(77);
    close(fd);
}

/* Root of a user namespace of its own whose count of mount namespaces is
 * 0 (that namespace's own limit, not the machine's): no task's start can
 * make its mount namespace. */
static void no_mount_namespace_left(void)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    char map[64];
    if (unshare(CLONE_NEWUSER) != 0)
        _exit(77);
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    write_or_skip("/proc/self/uid_map", map);
    write_or_skip("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    write_or_skip("/proc/self/gid_map", map);
    write_or_skip("/proc/sys/user/max_mnt_namespaces", "0");
}

/* A task cordon could not start never exited: its record's exit_code and
 * signal are null, not the 0 a script reads as success (they were 0, 0
 * beside status 125), and its error says what was used up. */
static void test_json_a_task_never_started_has_no_exit_code(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind keeps fds of its own in the runner's copy before its exec");
    /* Root of a user namespace runs its tasks as itself (--user root). */
    const char *const as_caller[] = { "run", "--json", "--", "/bin/true", NULL };
    const char *const as_root[] = { "run", "--json", "--user", "root", "--", "/bin/true", NULL };
    /* Out of fds at each step of the start: the policy's variant for the
     * task, compiled through a pipe, had made a ConfinementError record
     * at 8 to 14 fds, and the namespace probe, short of a pidfd at 7, had
     * said no process could be started: the same cause as the others. */
    const char *const fds_used_up = "Too many open files: cordon has no file descriptor left";
    const struct {
        child_setup_fn setup;
        rlim_t fds;
        const char *const *args;
        const char *error;
    } starts[] = {
        { few_fds_in_all, 6, as_caller, fds_used_up },
        { few_fds_in_all, 7, as_caller, fds_used_up },
        { few_fds_in_all, 8, as_caller, fds_used_up },
        { few_fds_in_all, 9, as_caller, fds_used_up },
        { few_fds_in_all, 10, as_caller, fds_used_up },
        { few_fds_in_all, 11, as_caller, fds_used_up },
        { few_fds_in_all, 12, as_caller, fds_used_up },
        { few_fds_in_all, 14, as_caller, fds_used_up },
        { few_fds_in_all, 16, as_caller, fds_used_up },
        { no_mount_namespace_left, 0, as_root,
          "No space left on device: a count the kernel keeps" },
    };
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++) {
        fds_in_all = starts[i].fds;
        captured c = cordon_with(-1, starts[i].setup, starts[i].args);
        if (c.status == 77) {
            captured_free(&c);
            continue; /* no user namespace to be had here */
        }
        expect_status(&c, 125);
        char check[512];
        snprintf(check, sizeof check,
                 "assert (d['exit_code'], d['signal'], d['exception']) == (None, None, None), d\n"
                 "assert d['status'] == 125 and d['error'].startswith('%s'), d['error']",
                 starts[i].error);
        if (python_check(c.out, c.out_len, check) != 0)
            fail_msg("%s", c.out);
        if (!strstr(c.err, starts[i].error))
            fail_msg("%s", c.err);
        captured_free(&c);
    }
}

static void test_json_history_after_retries(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--retry", "2", "--shell", "kill -ABRT $$");
    expect_status(&c, 128 + SIGABRT);
    assert_int_equal(python_check(c.out, c.out_len,
        "assert d['attempts'] == 3 and len(d['history']) == 3\n"
        "for h in d['history']:\n"
        "    assert h['exception'] == 'SIGABRT' and h['signal'] == 6, h\n"
        "    assert set(h) == {'exception', 'exit_code', 'signal', 'usage'}"), 0);
    captured_free(&c);
}

static void test_audit_appends_one_line_per_task(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[256];
    snprintf(path, sizeof path, "%s/audit.jsonl", dir);
    for (int i = 0; i < 3; i++) {
        char line[64];
        snprintf(line, sizeof line, "echo task %d; exit %d", i, i);
        captured c = CORDON("run", "--quiet", "--audit", path, "--shell", line);
        expect_status(&c, i);
        assert_string_equal(c.out, i == 0 ? "task 0\n" : i == 1 ? "task 1\n" : "task 2\n");
        captured_free(&c);
    }
    /* --json and --audit write the same object; the audit line says what
     * of the output it left out (here nothing). */
    captured c = CORDON("run", "--json", "--audit", path, "--", "echo", "same");
    expect_status(&c, 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = calloc(1, 1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    assert_true(n > c.out_len);
    memcpy(text + n, c.out, c.out_len);
    assert_int_equal(python_check(text, n + c.out_len,
        "assert [l['exit_code'] for l in lines] == [0, 1, 2, 0, 0]\n"
        "assert lines[2]['std_out'] == 'task 2\\n' and lines[3]['command'] == 'echo same'\n"
        "assert lines[3].pop('truncated') == dict(std_out=0, std_err=0, log_out=0,\n"
        "                                         exc_out=0, returns=0)\n"
        "assert lines[3] == lines[4]"), 0);
    free(text);
    captured_free(&c);
    remove_tree(dir);
}

/* A line a killed runner left unfinished does not swallow the next one,
 * and a write that fails is taken back whole. */
static void test_audit_survives_an_unfinished_line_and_a_full_disk(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[256];
    snprintf(path, sizeof path, "%s/audit.jsonl", dir);
    write_file(path, "{\"command\":\"cut off");
    captured c = CORDON("run", "--quiet", "--audit", path, "--", "echo", "next");
    expect_status(&c, 0);
    captured_free(&c);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[8192] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    assert_true(n > 0);
    assert_non_null(strstr(text, "{\"command\":\"cut off\n{\"command\":\"echo next\""));
    /* A file that cannot grow: the line is taken back, the file left as
     * it was. */
    char full[256], message[512];
    snprintf(full, sizeof full, "%s/full.jsonl", dir);
    write_kilobyte_file(full);
    c = CORDON_WITH(-1, limit_file_size_1k, "run", "--quiet", "--audit", full, "--", "true");
    expect_status(&c, 125);
    snprintf(message, sizeof message, "cordon: --audit: cannot write '%s': File too large\n",
             full);
    assert_string_equal(c.err, message);
    assert_int_equal(file_size(full), 1000);
    captured_free(&c);
    remove_tree(dir);
}

/* Eight runners append lines of about 300 KB each at once: a torn line
 * would not parse. */
static void test_audit_concurrent_appends_are_not_torn(void **state)
{
    (void)state;
    enum { RUNNERS = 8, EACH = 3 };
    /* static: still reachable in the forked children when valgrind looks
     * for leaks at their _exit. */
    static char *dir;
    dir = make_temp_dir();
    char path[256];
    snprintf(path, sizeof path, "%s/audit.jsonl", dir);
    const char *runner = runner_path();
    pid_t pids[RUNNERS];
    for (int i = 0; i < RUNNERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            int null_fd = open("/dev/null", O_WRONLY);
            dup2(null_fd, 1);
            for (int k = 0; k < EACH; k++) {
                pid_t p = fork();
                if (p == 0) {
                    execl(runner, "cordon", "run", "--audit", path, "--audit-output", "full",
                          "--policy", "none",
                          "--", "head", "-c", "100000", "/dev/zero", (char *)NULL);
                    _exit(99);
                }
                int st;
                waitpid(p, &st, 0);
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                    _exit(1);
            }
            _exit(0);
        }
    }
    for (int i = 0; i < RUNNERS; i++) {
        int st;
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 16u << 20;
    char *text = malloc(cap);
    size_t n = fread(text, 1, cap, f);
    fclose(f);
    assert_int_equal(python_check(text, n,
        "assert len(lines) == 24, len(lines)\n"
        "assert data.count('\\n') == 24\n"
        "assert all(l['std_out'] == '\\x00' * 100000 for l in lines)"), 0);
    free(text);
    remove_tree(dir);
}

/* Runs `cordon ARGS` with stdout into `out_path`; cordon's peak RSS in KB
 * (wait4), after asserting it exited 0. */
static long cordon_peak_kb(const char *const args[], const char *out_path)
{
    const char *argv[64];
    cordon_argv(argv, args);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        dup2(null, 0);
        dup2(out, 1);
        dup2(null, 2); /* the task's stderr, passed on without --json */
        execv(argv[0], (char *const *)argv);
        _exit(99);
    }
    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0)
        assert_int_equal(errno, EINTR);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return usage.ru_maxrss;
}

/* Whether the JSON object in `path` (its first line) holds 4 MiB of 0x01
 * as std_out and as std_err. */
static void expect_control_bytes_record(const char *path)
{
    char code[600];
    snprintf(code, sizeof code,
             "import json, sys\n"
             "d = json.loads(open(sys.argv[1], encoding='utf-8').readline())\n"
             "sys.exit(0 if d['std_out'] == d['std_err'] == '\\x01' * 4194304 else 1)\n");
    const char *argv[] = { "/usr/bin/env", "python3", "-c", code, path, NULL };
    captured c = exec_capture(argv, NULL, 0);
    if (c.status != 0)
        fail_msg("the record in %s does not read back: %s", path, c.err);
    captured_free(&c);
}

/* A record is written as it is made, never held whole: each control byte
 * becomes six (\u0001), and the whole object in a doubling buffer took
 * cordon to some 13 times the output it captured (1.7 GB for 128 MB).
 * The caps bound cordon's memory only so. */
static void test_json_record_memory_is_bounded_by_the_output(void **state)
{
    (void)state;
    /* The kernel keeps a copy's peak from before its exec as the exec'd
     * program's: a copy of valgrind's process peaks at some 50 MB. */
    SKIP_UNDER_VALGRIND("a fork of valgrind's process brings its peak to the CLI's");
    char *dir = make_temp_dir(), out[512], audit[512];
    snprintf(out, sizeof out, "%s/out.json", dir);
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    const char *task = "head -c 4194304 /dev/zero | tr '\\0' '\\1'; "
                       "head -c 4194304 /dev/zero | tr '\\0' '\\1' >&2";
    /* 8 MiB captured: six times that would be the record itself.  Under
     * AddressSanitizer its quarantine keeps what cordon frees (the run
     * peaked at 112 MiB): only the records are checked there. */
#if defined(__SANITIZE_ADDRESS__)
    long limit_kb = LONG_MAX;
#else
    long limit_kb = 6 * 8192;
#endif
    long kb = cordon_peak_kb((const char *const[]){ "run", "--json", "--shell", task, NULL }, out);
    if (kb > limit_kb)
        fail_msg("cordon run --json peaked at %ld KB for 8 MiB of output", kb);
    expect_control_bytes_record(out);
    kb = cordon_peak_kb((const char *const[]){ "run", "--audit", audit, "--audit-output", "full",
                                               "--shell", task, NULL }, out);
    if (kb > limit_kb)
        fail_msg("cordon run --audit-output full peaked at %ld KB for 8 MiB of output", kb);
    expect_control_bytes_record(audit);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_has_every_field),
        cmocka_unit_test(test_json_names_the_policy_s_file),
        cmocka_unit_test(test_json_prints_only_the_object),
        cmocka_unit_test(test_json_command_words_are_quoted),
        cmocka_unit_test(test_json_escapes_bytes_that_are_not_utf8),
        cmocka_unit_test(test_json_random_binary_output_parses),
        cmocka_unit_test(test_json_history_after_retries),
        cmocka_unit_test(test_json_a_task_never_started_has_no_exit_code),
        cmocka_unit_test(test_json_tree_peak_is_the_tasks),
        cmocka_unit_test(test_json_names_the_process_bound),
        cmocka_unit_test(test_audit_appends_one_line_per_task),
        cmocka_unit_test(test_audit_survives_an_unfinished_line_and_a_full_disk),
        cmocka_unit_test(test_audit_concurrent_appends_are_not_torn),
        cmocka_unit_test(test_json_record_memory_is_bounded_by_the_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
