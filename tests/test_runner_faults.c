/* The runner when what it writes to fails: a stdout that is full
 * (/dev/full: ENOSPC), closed (EPIPE) or cut short (a file size limit:
 * a short write, then EFBIG), and an audit file on a disk that fills up.
 * Each gives a clear error and a non-zero exit; what was not written is
 * counted, the audit record keeps everything, and no half line is left
 * in the audit file. */
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "runner_support.h"

/* ---- stdout that takes nothing, or part ----------------------------------- */

/* Child setups (after the capture's dup2, before the exec). */
static void stdout_to_dev_full(void)
{
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
        _exit(98);
}

static void stdout_to_closed_pipe(void)
{
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0 || close(ends[0]) != 0 || dup2(ends[1], STDOUT_FILENO) < 0)
        _exit(98);
}

/* Where stdout_to_limited_file points stdout: a file of at most 1 KiB. */
static char limited_path[300];

static void stdout_to_limited_file(void)
{
    int fd = open(limited_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
        _exit(98);
    limit_file_size_1k();
}

static void test_runner_stdout_full_fails_the_run(void **state)
{
    (void)state;
    captured c = CORDON_WITH(-1, stdout_to_dev_full, "run", "--", "echo", "hello");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: stdout: cannot write: No space left on device; 6 bytes "
                               "for it were not written\n");
    captured_free(&c);
}

/* The command's own failure is the status; the lost output is still said. */
static void test_runner_stdout_full_keeps_a_failed_commands_status(void **state)
{
    (void)state;
    captured c = CORDON_WITH(-1, stdout_to_dev_full, "run", "--shell", "echo x; exit 3");
    expect_status(&c, 3);
    assert_string_equal(c.err, "cordon: stdout: cannot write: No space left on device; 2 bytes "
                               "for it were not written\n");
    captured_free(&c);
}

/* A reader that went away: what the task wrote before is captured (the
 * audit record has it), and the exit says what was lost, as the record's
 * status does. */
static void test_runner_stdout_closed_fails_the_run_and_audit_keeps_the_output(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    captured c = CORDON_WITH(-1, stdout_to_closed_pipe, "run", "--audit", audit, "--shell",
                             "echo first; exit 0");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: stdout: cannot write: Broken pipe; 6 bytes for it were "
                               "not written\n");
    captured_free(&c);
    FILE *f = fopen(audit, "r");
    assert_non_null(f);
    char line[65536];
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_int_equal(python_check(line, strlen(line),
        "assert len(lines) == 1\n"
        "assert d['std_out'] == 'first\\n', d['std_out']\n"
        "assert d['exit_code'] == 0 and d['status'] == 125, d['status']"), 0);
    remove_tree(dir);
}

/* ... and the task's stream loses its reader too, as in a shell pipeline:
 * `cordon run -- yes | head -1` ran until its deadline (or for ever),
 * cordon draining what no one would read.  Now yes meets EPIPE and
 * SIGPIPE at once (141, the shell's status of a writer whose reader
 * left); the record has what was read before. */
static void test_runner_stdout_closed_ends_an_endless_writer_with_sigpipe(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    captured c = CORDON_WITH(-1, stdout_to_closed_pipe, "run", "--timeout", "20s", "--audit",
                             audit, "--", "yes");
    expect_status(&c, 128 + SIGPIPE);
    assert_true(c.seconds < 10.0);
    assert_non_null(strstr(c.err, "cordon: SIGPIPE: Broken pipe\n"));
    assert_non_null(strstr(c.err, "cordon: stdout: cannot write: Broken pipe; "));
    captured_free(&c);
    FILE *f = fopen(audit, "r");
    assert_non_null(f);
    char line[65536 * 4];
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_int_equal(python_check(line, strlen(line),
        "assert d['exception'] == 'SIGPIPE' and d['status'] == 141, d['exception']\n"
        "assert d['std_out'].startswith('y\\ny\\n')"), 0);
    remove_tree(dir);
}

/* A batch whose reader is gone starts no further line (it ran every one,
 * `cordon batch jobs | head -1` waiting for all of them): those left are
 * "not run", in the summary and for --resume, and cordon's output lost
 * is its own failure (125). */
static void test_runner_batch_starts_nothing_once_its_reader_is_gone(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char jobs[300], audit[300];
    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    write_file(jobs, "echo 1\necho 2\necho 3\necho 4\necho 5\necho 6\necho 7\necho 8\n");
    captured c = CORDON_WITH(-1, stdout_to_closed_pipe, "batch", "-j", "1", "--audit", audit,
                             jobs);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, " not run: standard output's reader is gone\n"));
    assert_non_null(strstr(c.err, "cordon: stdout: cannot write: Broken pipe; "));
    captured_free(&c);
    /* the first line's output met the closed pipe: at most one more began
     * before the writer found that out */
    FILE *f = fopen(audit, "r");
    assert_non_null(f);
    char line[65536];
    int records = 0;
    while (fgets(line, sizeof line, f))
        records++;
    fclose(f);
    assert_in_range(records, 1, 2);
    remove_tree(dir);
}

/* Without --audit a task's output is only queued when it ends; a reader
 * that takes none of it and then goes away loses it.  The summary said
 * "3 succeeded" of such tasks while cordon exited 125; each is now
 * "output lost", and one whose output did get out stays a success. */
static void test_runner_batch_counts_output_lost_after_its_task_ended(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char jobs[300], args[400];
    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    write_file(jobs, "echo first\nsleep 0.5; head -c 200000 /dev/zero\n"
                     "sleep 0.5; head -c 200000 /dev/zero\n");
    snprintf(args, sizeof args, "batch -j 1 %s", jobs);
    /* reads the first line, then nothing, and goes */
    captured c = cordon_into(args, "head -n 1 >/dev/null; sleep 2");
    assert_non_null(strstr(c.err, "rc=125\n"));
    assert_non_null(strstr(c.err, ": 1 succeeded, 2 failed"));
    assert_non_null(strstr(c.err, "  output lost           2\n"));
    captured_free(&c);
    /* the same with a reader that takes it all: no loss */
    c = cordon_into(args, "sleep 1; cat >/dev/null");
    assert_non_null(strstr(c.err, "rc=0\n"));
    assert_non_null(strstr(c.err, ": 3 succeeded, 0 failed"));
    captured_free(&c);
    remove_tree(dir);
}

/* Started with its stdin closed, where a task running as root (a root
 * caller's, which owns the machine's /dev) left a FIFO as /dev/null: in a
 * /dev of the test's own.  The alarm ends a runner that would hang. */
static void stdin_closed_and_dev_null_a_fifo(void)
{
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", "/dev", "tmpfs", 0, "size=64k,mode=0755") != 0 ||
        mkfifo("/dev/null", 0666) != 0)
        _exit(97);
    close(STDIN_FILENO);
    alarm(20);
}

/* The runner holds a closed standard fd with /dev/null; a FIFO there made
 * its plain open wait for a writer for good, before anything ran.  Now it
 * is never opened but non-blocking and checked, and the runner goes on to
 * say what it could not do. */
static void test_runner_with_a_fifo_as_dev_null_hangs_nothing(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: a /dev of its own needs root\n");
        skip();
    }
    captured c = CORDON_WITH(-1, stdin_closed_and_dev_null_a_fifo, "run", "--", "true");
    if (c.status == 97) {
        captured_free(&c);
        print_message("skipped: no mount namespace of its own here\n");
        skip();
    }
    if (c.status == 1000 + SIGALRM)
        fail_msg("the runner hung opening /dev/null");
    /* the task's stdin would be /dev/null: it is not started (ENXIO) */
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "cordon: cannot run the task: "));
    captured_free(&c);
}

/* A short write, then EFBIG: the file holds exactly the first KiB of the
 * output, and the rest is counted. */
static void test_runner_stdout_cut_short_writes_a_prefix_and_fails(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    snprintf(limited_path, sizeof limited_path, "%s/out", dir);
    captured c = CORDON_WITH(-1, stdout_to_limited_file, "run", "--", "seq", "1000");
    expect_status(&c, 125);
    /* seq 1000 writes 3,893 bytes */
    assert_string_equal(c.err, "cordon: stdout: cannot write: File too large; 2869 bytes for it "
                               "were not written\n");
    captured_free(&c);
    const char *argv[] = { "/usr/bin/seq", "1000", NULL };
    captured whole = exec_capture(argv, NULL, 0);
    assert_int_equal(whole.out_len, 3893);
    assert_int_equal(file_size(limited_path), 1024);
    FILE *f = fopen(limited_path, "r");
    assert_non_null(f);
    char written[1024];
    assert_int_equal(fread(written, 1, sizeof written, f), sizeof written);
    fclose(f);
    assert_memory_equal(written, whole.out, sizeof written);
    captured_free(&whole);
    remove_tree(dir);
}

/* --json: the record cannot reach stdout; the audit file still gets it
 * whole, and the run fails. */
static void test_runner_json_to_full_stdout_fails_and_audit_keeps_the_record(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    captured c = CORDON_WITH(-1, stdout_to_dev_full, "run", "--json", "--audit", audit, "--",
                             "echo", "kept");
    expect_status(&c, 125);
    /* Said once, with the reason (was: a second line saying the record
     * was not written, before this one). */
    const char *said = "cordon: stdout: cannot write: No space left on device; ";
    assert_true(strncmp(c.err, said, strlen(said)) == 0);
    assert_non_null(strstr(c.err, " bytes for it were not written\n"));
    assert_ptr_equal(strchr(c.err, '\n'), c.err + strlen(c.err) - 1); /* one line */
    captured_free(&c);
    FILE *f = fopen(audit, "r");
    assert_non_null(f);
    char line[65536];
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_int_equal(python_check(line, strlen(line),
        "assert len(lines) == 1 and d['std_out'] == 'kept\\n', d"), 0);
    remove_tree(dir);
}

/* The runner's thread for stop signals, detached and left in sigwait,
 * showed as 288 bytes "possibly lost" at every exit: a leak checker's
 * --error-exitcode failed each run of cordon.  It is joined at exit now. */
static void test_runner_leaves_nothing_possibly_lost(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind within valgrind");
    if (access("/usr/bin/valgrind", X_OK) != 0 || strstr(runner_path(), "/asan/"))
        skip();
    char *dir = make_temp_dir();
    char audit[300];
    snprintf(audit, sizeof audit, "%s/a.jsonl", dir);
    captured c = CORDON("run", "--audit", audit, "--", "true");
    expect_status(&c, 0);
    captured_free(&c);
    const char *argv[] = { "/usr/bin/valgrind", "-q", "--leak-check=full",
                           "--errors-for-leak-kinds=definite,possible", "--error-exitcode=99",
                           runner_path(), "report", audit, NULL };
    c = exec_capture(argv, NULL, 0);
    if (c.status != 0)
        fail_msg("valgrind said (%d): %s", c.status, c.err);
    captured_free(&c);
    remove_tree(dir);
}

static void test_batch_stdout_full_fails_the_batch(void **state)
{
    (void)state;
    int input = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(input >= 0);
    char *dir = make_temp_dir();
    char tasks[300];
    snprintf(tasks, sizeof tasks, "%s/tasks", dir);
    write_file(tasks, "echo one\necho two\n");
    captured c = CORDON_WITH(input, stdout_to_dev_full, "batch", "--quiet", "-j", "1",
                             "--no-label", tasks);
    close(input);
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: stdout: cannot write: No space left on device; 8 bytes "
                               "for it were not written\n");
    captured_free(&c);
    remove_tree(dir);
}

/* The first line of `path`, in a buffer of the caller's. */
static void first_line(const char *path, char *line, size_t size)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, (int)size, f));
    fclose(f);
}

/* The audit line's status is the run's exit status: 125 when the task's
 * output or its --json record could not be written (it said 0, beside an
 * exit of 125, and --resume then skipped the task). */
static void test_runner_audit_status_says_the_output_was_lost(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300], line[65536];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    captured c = CORDON_WITH(-1, stdout_to_dev_full, "run", "--audit", audit, "--", "echo", "hi");
    expect_status(&c, 125);
    captured_free(&c);
    first_line(audit, line, sizeof line);
    assert_int_equal(python_check(line, strlen(line),
        "assert d['exit_code'] == 0 and d['status'] == 125, d['status']"), 0);
    unlink(audit);
    c = CORDON_WITH(-1, stdout_to_dev_full, "run", "--json", "--audit", audit, "--", "true");
    expect_status(&c, 125);
    captured_free(&c);
    first_line(audit, line, sizeof line);
    assert_int_equal(python_check(line, strlen(line), "assert d['status'] == 125, d"), 0);
    remove_tree(dir);
}

/* A batch line whose output (or --json record) could not be written is
 * recorded with status 125, so that --resume runs it again: it said 0,
 * and --resume skipped every line of a batch whose stdout was full. */
static void test_batch_lines_whose_output_was_lost_are_resumed(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char jobs[300], audit[300], audit_json[300];
    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    snprintf(audit_json, sizeof audit_json, "%s/json.jsonl", dir);
    write_file(jobs, "echo one\necho two\n");
    captured c = CORDON_WITH(-1, stdout_to_dev_full, "batch", "--quiet", "--audit", audit, jobs);
    expect_status(&c, 125);
    captured_free(&c);
    c = CORDON_WITH(-1, stdout_to_dev_full, "batch", "--quiet", "--json", "--audit", audit_json,
                    jobs);
    expect_status(&c, 125);
    captured_free(&c);
    const char *const audits[] = { audit, audit_json };
    for (size_t i = 0; i < 2; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = fopen(audits[i], "r");
        assert_non_null(f);
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            append_bytes(&text, &len, buf, n);
        fclose(f);
        assert_int_equal(python_check(text, len,
            "assert sorted((r['line'], r['status']) for r in lines) == [(1, 125), (2, 125)], "
            "lines"), 0);
        free(text);
    }
    c = CORDON("batch", "--quiet", "--resume", audit, jobs);
    expect_status(&c, 0);
    assert_int_equal(count_lines_starting(c.out, "[1] one"), 1);
    assert_int_equal(count_lines_starting(c.out, "[2] two"), 1);
    captured_free(&c);
    remove_tree(dir);
}

/* What cordon prints itself (help, its version, a policy, a report) and
 * stdout refuses: said, and 125, as every failure of cordon's own. */
static void test_runner_own_output_to_full_stdout_is_an_error(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    captured c = CORDON("run", "--quiet", "--audit", audit, "--", "true");
    expect_status(&c, 0);
    captured_free(&c);
    const char *const commands[][4] = {
        { "--version", NULL },
        { "--help", NULL },
        { "policy", "show", "default", NULL },
        { "report", audit, NULL },
    };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        const char *argv[64];
        cordon_argv(argv, commands[i]);
        c = exec_capture_with(argv, NULL, 0, -1, stdout_to_dev_full);
        expect_status(&c, 125);
        assert_string_equal(c.err, "cordon: cannot write to stdout: No space left on device\n");
        captured_free(&c);
    }
    remove_tree(dir);
}

/* Help and the version to a reader that went away (`cordon run --help |
 * head -1`): it took what it wanted, and that is no error: status 0 and
 * nothing said ("cordon: cannot write to stdout: Broken pipe" and 125
 * before).  What a command prints as its result (a policy, a report)
 * still fails so (above and below). */
static void test_runner_help_to_a_reader_gone_is_no_error(void **state)
{
    (void)state;
    const char *const commands[][3] = {
        { "--version", NULL }, { "--help", NULL }, { "run", "--help", NULL },
        { "batch", "--help", NULL }, { "help", "policy", NULL }, { "learn", "--help", NULL },
        { "report", "--help", NULL },
    };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        const char *argv[64];
        cordon_argv(argv, commands[i]);
        captured c = exec_capture_with(argv, NULL, 0, -1, stdout_to_closed_pipe);
        if (c.status != 0 || c.err_len != 0)
            fail_msg("cordon %s %s: status %d, said: %s", commands[i][0],
                     commands[i][1] ? commands[i][1] : "", c.status, c.err);
        captured_free(&c);
    }
}

/* Output the library writes for a policy command (a diff, a filter's
 * disassembly, a check, an import, a learned policy) is more than stdio
 * holds, so the failed write is met inside the library call: said as
 * cordon's own output failure with its errno, never as the call's
 * "Input/output error". */
static void test_runner_policy_output_to_failing_stdout_names_the_write(void **state)
{
    (void)state;
    const char *const commands[][6] = {
        { "policy", "diff", "default", "compute", NULL },
        { "policy", "show", "--bpf", "default", NULL },
        { "policy", "check", "docker:tests/data/docker-seccomp/default.json", NULL },
        { "policy", "import", "tests/data/docker-seccomp/default.json", NULL },
        { "learn", "--quiet", "--no-verify", "--", "true", NULL },
    };
    void (*const setups[])(void) = { stdout_to_dev_full, stdout_to_closed_pipe };
    const char *const said[] = { "cordon: cannot write to stdout: No space left on device\n",
                                 "cordon: cannot write to stdout: Broken pipe\n" };
    for (size_t s = 0; s < 2; s++) {
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
            const char *argv[64];
            cordon_argv(argv, commands[i]);
            captured c = exec_capture_with(argv, NULL, 0, -1, setups[s]);
            expect_status(&c, 125);
            /* import also notes what it left out, on stderr, first */
            size_t len = strlen(c.err), want = strlen(said[s]);
            assert_true(len >= want);
            assert_string_equal(c.err + len - want, said[s]);
            assert_null(strstr(c.err, "Input/output error"));
            captured_free(&c);
        }
    }
}

/* ---- an audit file on a full disk ------------------------------------------ */

/* A small tmpfs in a mount namespace of this test process's own (its
 * mounts do not propagate out): root only. */
static bool mount_small_tmpfs(const char *dir)
{
    if (geteuid() != 0) {
        print_message("skipped: mounting a small tmpfs needs root\n");
        return false;
    }
    /* "none" where the kernel reads no type (valgrind checks a NULL one) */
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0777") != 0) {
        print_message("skipped: no mount namespace with a tmpfs here: %s\n", strerror(errno));
        return false;
    }
    return true;
}

/* Fills the file system of `path` until it refuses more. */
static void fill_up(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    char block[4096];
    memset(block, 'f', sizeof block);
    ssize_t n;
    while ((n = write(fd, block, sizeof block)) > 0)
        ;
    assert_int_equal(errno, ENOSPC);
    close(fd);
}

/* The record's first bytes fit in the last page of the file and the rest
 * does not: a short write, then ENOSPC.  The line is taken back whole;
 * the task's own output still passes through. */
static void test_runner_audit_on_a_full_disk_is_taken_back_whole(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    if (!mount_small_tmpfs(dir)) {
        remove_tree(dir);
        skip();
    }
    char audit[300], filler[300], message[600];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    snprintf(filler, sizeof filler, "%s/filler", dir);
    char earlier[4001];
    memset(earlier, 'x', 3999);
    earlier[3999] = '\n';
    earlier[4000] = '\0';
    write_file(audit, earlier);
    fill_up(filler);
    captured c = CORDON("run", "--quiet", "--audit", audit, "--", "echo", "passed");
    expect_status(&c, 125);
    snprintf(message, sizeof message,
             "cordon: --audit: cannot write '%s': No space left on device\n", audit);
    assert_string_equal(c.err, message);
    assert_string_equal(c.out, "passed\n");
    captured_free(&c);
    assert_int_equal(file_size(audit), 4000);
    /* Room again: the next record is appended after the earlier line. */
    assert_int_equal(unlink(filler), 0);
    c = CORDON("run", "--quiet", "--audit", audit, "--", "true");
    expect_status(&c, 0);
    captured_free(&c);
    assert_true(file_size(audit) > 4000);
    assert_int_equal(umount(dir), 0);
    remove_tree(dir);
}

/* ---- what --audit and --out-dir refuse to write to ------------------------- */

static void test_runner_audit_refuses_a_socket_and_a_directory(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char sock_path[300], message[600];
    snprintf(sock_path, sizeof sock_path, "%s/audit.sock", dir);
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(sock >= 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    assert_true(strlen(sock_path) < sizeof addr.sun_path);
    memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
    assert_int_equal(bind(sock, (struct sockaddr *)&addr, sizeof addr), 0);
    captured c = CORDON("run", "--audit", sock_path, "--", "true");
    expect_status(&c, 125);
    snprintf(message, sizeof message, "cordon: --audit: '%s' is a socket; cordon writes only to "
             "a regular file with one name\n", sock_path);
    assert_string_equal(c.err, message);
    captured_free(&c);
    close(sock);
    c = CORDON("run", "--audit", dir, "--", "true");
    expect_status(&c, 125);
    snprintf(message, sizeof message, "cordon: --audit: '%s' is a directory; cordon writes only "
             "to a regular file with one name\n", dir);
    assert_string_equal(c.err, message);
    captured_free(&c);
    remove_tree(dir);
}

/* A directory where a task's output file goes is never removed or
 * written into: the batch fails, saying so.  An --out-dir that is a file
 * is refused before anything runs. */
static void test_batch_out_dir_refuses_a_directory_in_place_and_a_file(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char out[300], planted[400], file[300], message[800];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(planted, sizeof planted, "%s/1.out", out);
    snprintf(file, sizeof file, "%s/file", dir);
    assert_int_equal(mkdir(out, 0777), 0);
    assert_int_equal(mkdir(planted, 0777), 0);
    write_file(file, "");
    /* never removed: the line is not run (it ran, and its output was
     * lost), and fails the batch */
    captured c = CORDON_IN("echo hi\n", "batch", "--quiet", "--out-dir", out, "-");
    expect_status(&c, 1);
    snprintf(message, sizeof message, "cordon: --out-dir: '%s' is a directory, which cordon "
             "does not remove: line 1 is not run\n", planted);
    assert_string_equal(c.err, message);
    captured_free(&c);
    struct stat st;
    assert_int_equal(stat(planted, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    c = CORDON_IN("echo hi\n", "batch", "--quiet", "--out-dir", file, "-");
    expect_status(&c, 125);
    snprintf(message, sizeof message, "cordon: --out-dir: '%s' is not a directory\n", file);
    assert_string_equal(c.err, message);
    assert_string_equal(c.out, "");
    captured_free(&c);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runner_stdout_full_fails_the_run),
        cmocka_unit_test(test_runner_stdout_full_keeps_a_failed_commands_status),
        cmocka_unit_test(test_runner_stdout_closed_fails_the_run_and_audit_keeps_the_output),
        cmocka_unit_test(test_runner_stdout_closed_ends_an_endless_writer_with_sigpipe),
        cmocka_unit_test(test_runner_batch_starts_nothing_once_its_reader_is_gone),
        cmocka_unit_test(test_runner_batch_counts_output_lost_after_its_task_ended),
        cmocka_unit_test(test_runner_with_a_fifo_as_dev_null_hangs_nothing),
        cmocka_unit_test(test_runner_stdout_cut_short_writes_a_prefix_and_fails),
        cmocka_unit_test(test_runner_json_to_full_stdout_fails_and_audit_keeps_the_record),
        cmocka_unit_test(test_runner_leaves_nothing_possibly_lost),
        cmocka_unit_test(test_batch_stdout_full_fails_the_batch),
        cmocka_unit_test(test_runner_audit_status_says_the_output_was_lost),
        cmocka_unit_test(test_batch_lines_whose_output_was_lost_are_resumed),
        cmocka_unit_test(test_runner_own_output_to_full_stdout_is_an_error),
        cmocka_unit_test(test_runner_help_to_a_reader_gone_is_no_error),
        cmocka_unit_test(test_runner_policy_output_to_failing_stdout_names_the_write),
        cmocka_unit_test(test_runner_audit_refuses_a_socket_and_a_directory),
        cmocka_unit_test(test_batch_out_dir_refuses_a_directory_in_place_and_a_file),
        /* last: it leaves this process in a mount namespace of its own */
        cmocka_unit_test(test_runner_audit_on_a_full_disk_is_taken_back_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
