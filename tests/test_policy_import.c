/*
 * Docker/OCI seccomp profiles imported: what the translation writes, what
 * it notes, the exact place of every refusal of a malformed or hostile
 * file, and tasks that behave under Docker's own default profile as that
 * profile says, call by call.
 */
#include <linux/sched.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "support.h"
#include "scratch_files.h"

#define DOCKER_DIR "tests/data/docker-seccomp/"

typedef struct imported {
    int rc;
    char *policy, *notes;
    cordon_error err;
} imported;

static imported import_file(const char *path)
{
    imported i = { 0, NULL, NULL, { 0, 0, 0, "" } };
    size_t policy_len = 0, notes_len = 0;
    FILE *out = open_memstream(&i.policy, &policy_len);
    FILE *notes = open_memstream(&i.notes, &notes_len);
    assert_non_null(out);
    assert_non_null(notes);
    i.rc = cordon_policy_import(path, out, notes, &i.err);
    fclose(out);
    fclose(notes);
    return i;
}

static void imported_free(imported *i)
{
    free(i->policy);
    free(i->notes);
}

/* The profile `text` in a file of the scratch directory; its path. */
static const char *profile(const char *text)
{
    return write_scratch_file("profile.json", text);
}

/* Imports `text` expecting a refusal at line:column; returns the message
 * without the "PATH:" in front. */
static const char *refused(const char *text, unsigned line, unsigned column)
{
    static imported i;
    const char *path = profile(text);
    i = import_file(path);
    if (i.rc == 0)
        fail_msg("imported, expected an error at %u:%u:\n%s", line, column, i.policy);
    assert_int_equal(i.rc, -EINVAL);
    assert_string_equal(i.policy, "");   /* nothing half-written */
    if (i.err.line != line || i.err.column != column)
        fail_msg("error at %u:%u, expected %u:%u: %s", i.err.line, i.err.column, line, column,
                 i.err.message);
    imported_free(&i);
    size_t prefix = strlen(path) + 1;
    assert_int_equal(strncmp(i.err.message, path, prefix - 1), 0);
    return i.err.message + prefix;
}

static imported accepted(const char *text)
{
    imported i = import_file(profile(text));
    if (i.rc != 0)
        fail_msg("%s", i.err.message);
    return i;
}

static void test_import_docker_default_translates_and_notes(void **state)
{
    (void)state;
    imported i = import_file(DOCKER_DIR "default.json");
    if (i.rc != 0)
        fail_msg("%s", i.err.message);
    const char *lines[] = {
        "default errno EPERM\n",
        "allow socket if arg0 < 38\n", "allow socket if arg0 == 39\n",
        "allow socket if arg0 > 40\n",
        "allow personality if arg0 == 0xffffffff\n",
        "allow clone if arg0 & 0x7e020000 == 0\n",
        "errno ENOSYS clone3\n",
        "allow process_vm_readv process_vm_writev ptrace\n",
        /* a capability the task lacks: left out, and said so */
        "# syscalls[22]: left out (includes.caps asks for 'CAP_SYS_CHROOT', and a cordon task "
        "has no capabilities): chroot\n",
        "# syscalls[20]: kept: excludes.caps names capabilities a cordon task never has\n",
        "# syscalls[19]: left out (includes.arches leaves out x86_64): clone\n",
    };
    for (size_t n = 0; n < sizeof lines / sizeof *lines; n++)
        if (!strstr(i.policy, lines[n]))
            fail_msg("no line %s", lines[n]);
    /* 32-bit names are listed, not allowed and not reported as unknown */
    assert_non_null(strstr(i.policy, "# not x86_64 calls (other architectures'): chown32 "));
    assert_null(strstr(i.notes, "chown32"));
    /* riscv_hwprobe is no call libseccomp or cordon knows: a note with
     * its place and path, never silence */
    assert_non_null(strstr(i.notes, DOCKER_DIR "default.json:297:5: syscalls[0].names[233]: "
                                    "unknown syscall 'riscv_hwprobe' (left out)\n"));
    /* the profile's own hole, which `policy check docker:` warns of, is a
     * note of the import too (it was said only by the check) */
    assert_non_null(strstr(i.notes, "docker:" DOCKER_DIR "default.json (imported):64:7: warning: "
                                    "arg0 of 'socket' is a 32-bit int: "));
    /* uretprobe (x86_64's 335, newer than libseccomp 2.5.4) is cordon's */
    assert_null(strstr(i.notes, "uretprobe"));
    assert_non_null(strstr(i.policy, " uretprobe"));
    imported_free(&i);

    cordon_error err;
    cordon_policy *p = cordon_policy_load("docker:" DOCKER_DIR "default.json", &err);
    if (!p)
        fail_msg("%s", err.message);
    assert_string_equal(cordon_policy_name(p), "docker:" DOCKER_DIR "default.json");
    assert_non_null(strstr(cordon_policy_description(p), "Docker seccomp profile"));
    cordon_policy_free(p);
}

/* What each probe returned: the result, or -errno. */
enum { PROBE_PERSONALITY_QUERY, PROBE_PERSONALITY_NO_RANDOMIZE, PROBE_CLONE_NEWUSER,
       PROBE_FORK, PROBE_CLONE3, PROBE_UNSHARE, PROBE_SOCKET_VSOCK, PROBE_SOCKET_UNIX,
       PROBE_SYSFS, PROBE_PTRACE_DETACH, PROBES };

static long outcome(long rc)
{
    return rc < 0 ? -errno : 0;
}

static int probe_calls(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    long r[PROBES];
    r[PROBE_PERSONALITY_QUERY] = outcome(personality(0xffffffff));
    r[PROBE_PERSONALITY_NO_RANDOMIZE] = outcome(personality(ADDR_NO_RANDOMIZE));
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    r[PROBE_CLONE_NEWUSER] = outcome(pid);
    pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    r[PROBE_FORK] = outcome(pid);
    r[PROBE_CLONE3] = outcome(syscall(SYS_clone3, NULL, 0));
    r[PROBE_UNSHARE] = outcome(unshare(0));
    long fd = socket(AF_VSOCK, SOCK_STREAM, 0);
    r[PROBE_SOCKET_VSOCK] = outcome(fd);
    if (fd >= 0)
        close((int)fd);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    r[PROBE_SOCKET_UNIX] = outcome(fd);
    if (fd >= 0)
        close((int)fd);
    r[PROBE_SYSFS] = outcome(syscall(SYS_sysfs, 3));
    r[PROBE_PTRACE_DETACH] = outcome(ptrace(PTRACE_DETACH, getpid(), 0, 0));
    cordon_return(ctx, r, sizeof r);
    return 0;
}

/* Each call as the profile decides it, for a task without capabilities
 * on x86_64 (entries quoted from default.json). */
static void test_import_docker_default_behaves_call_by_call(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    cordon_error err;
    cordon_policy *p = cordon_policy_load("docker:" DOCKER_DIR "default.json", &err);
    if (!p)
        fail_msg("%s", err.message);
    cordon_task *t = cordon_function_task(probe_calls, NULL);
    assert_int_equal(cordon_set_policy(t, p), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->returns.len, sizeof(long) * PROBES);
    const long *got = (const long *)(const void *)r->returns.data;
    /* A task of root's makes no unix socket (sandbox/policy.h). */
    long unix_socket = geteuid() == 0 ? -EACCES : 0;
    const struct { int probe; long expected; const char *why; } cases[] = {
        { PROBE_PERSONALITY_QUERY, 0, "syscalls[9]: personality(0xffffffff) allowed" },
        { PROBE_PERSONALITY_NO_RANDOMIZE, -EPERM, "no personality entry allows 0x40000" },
        { PROBE_CLONE_NEWUSER, -EPERM, "syscalls[18]: clone only without namespace flags" },
        { PROBE_FORK, 0, "syscalls[18]: clone without namespace flags" },
        { PROBE_CLONE3, -ENOSYS, "syscalls[20]: clone3 errnoRet 38 without CAP_SYS_ADMIN" },
        { PROBE_UNSHARE, -EPERM, "syscalls[17]: unshare needs CAP_SYS_ADMIN" },
        { PROBE_SOCKET_VSOCK, -EPERM, "syscalls[2-4]: family 40 (AF_VSOCK) is left out" },
        { PROBE_SOCKET_UNIX, unix_socket, "syscalls[2]: socket(arg0 < 38)" },
        { PROBE_SYSFS, -EPERM, "sysfs is in no entry: defaultErrnoRet 1" },
        { PROBE_PTRACE_DETACH, -ESRCH, "syscalls[1]: ptrace on kernels from 4.8" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (got[cases[i].probe] != cases[i].expected)
            fail_msg("%s: got %ld, expected %ld", cases[i].why, got[cases[i].probe],
                     cases[i].expected);
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* The same probes without a filter: each case above is decided by the
 * profile, not by the kernel anyway. */
static void test_import_probes_differ_without_the_profile(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("a function task unmaps the shared mappings valgrind keeps");
    cordon_task *t = cordon_function_task(probe_calls, NULL);
    assert_int_equal(cordon_set_policy(t, NULL), 0);
    /* A task of root's gets cordon's own rules, clone3's refusal among
     * them (sandbox/policy.h): a root caller's runs as nobody. */
    if (geteuid() == 0)
        assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    const cordon_result *r = run_task(t, 0);
    const long *got = (const long *)(const void *)r->returns.data;
    assert_int_equal(got[PROBE_PERSONALITY_NO_RANDOMIZE], 0);
    assert_int_not_equal(got[PROBE_CLONE3], -ENOSYS);
    assert_int_equal(got[PROBE_UNSHARE], 0);
    assert_int_not_equal(got[PROBE_SOCKET_VSOCK], -EPERM);
    assert_int_equal(got[PROBE_SYSFS], 0);
    cordon_task_free(t);
}

/* Docker's fixture asks for errno 12345, which libseccomp (and so Docker)
 * refuses; with that one value in range it imports. */
/* One entry naming read 120,000 times held the import's checks 39 s (and
 * a native policy of 30,000 rules libseccomp's compile 28 s), for a
 * policy no filter could hold: more rules than a policy holds are
 * refused, in the import (nothing written) and in the language. */
static void test_import_of_more_rules_than_a_policy_holds_is_refused(void **state)
{
    (void)state;
    size_t size = 64 + 8 * 5000;
    char *text = malloc(size);
    assert_non_null(text);
    size_t len = (size_t)snprintf(text, size, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
                                  "[{\"action\":\"SCMP_ACT_ALLOW\",\"names\":[");
    for (int i = 0; i < 5000; i++)
        len += (size_t)snprintf(text + len, size - len, "%s\"read\"", i ? "," : "");
    snprintf(text + len, size - len, "]}]}");
    imported i = import_file(profile(text));
    assert_int_equal(i.rc, -EINVAL);
    assert_string_equal(i.policy, "");
    assert_non_null(strstr(i.err.message, "the imported policy cannot be used: more than 4096 "
                                          "rules"));
    imported_free(&i);
    free(text);
    size = 32 + 16 * 4100;
    text = malloc(size);
    assert_non_null(text);
    len = (size_t)snprintf(text, size, "default allow\n");
    for (int n = 0; n < 4100; n++)
        len += (size_t)snprintf(text + len, size - len, "errno 1 read\n");
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(text, "many.policy", &err);
    assert_null(p);
    assert_int_equal(err.code, -E2BIG);
    assert_int_equal(err.line, 4098);
    assert_non_null(strstr(err.message, "more than 4096 rules"));
    free(text);
}

/* These fixtures allow no execve and kill nothing: their errno for it
 * stays the filter's (no listener would answer it without widening the
 * profile: policy_compile.c), and the linter's notes say that such a
 * profile starts no command, and that none ends (they allow no
 * exit_group either): two lines, nothing else. */
static void assert_only_the_own_exec_note(const char *notes)
{
    const char *said = strstr(notes, ": warning: the default 'errno EPERM' refuses execve, and "
                                     "so a command's own exec");
    assert_non_null(said);
    const char *second = strchr(notes, '\n') + 1;
    assert_non_null(strstr(second, ": warning: neither exit_group nor exit is let through"));
    assert_true(strchr(second, '\n') == notes + strlen(notes) - 1); /* two lines */
}

static void test_import_fixture_with_a_single_name_and_a_large_errno(void **state)
{
    (void)state;
    imported i = import_file(DOCKER_DIR "example.json");
    assert_int_equal(i.rc, -EINVAL);
    assert_string_equal(i.err.message, DOCKER_DIR "example.json:30:25: syscalls[3].errnoRet: "
                        "12345 is out of range (0 to 4094: libseccomp refuses more, and Docker "
                        "with it)");
    imported_free(&i);
    FILE *f = fopen(DOCKER_DIR "example.json", "r");
    assert_non_null(f);
    char text[4096];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    char *large = strstr(text, "12345");
    assert_non_null(large);
    memcpy(large, "4094 ", 5);
    i = accepted(text);
    assert_non_null(strstr(i.policy, "default errno EPERM\n"));
    assert_non_null(strstr(i.policy, "allow clone if arg0 & 0x7e020000 == 0\n"));
    assert_non_null(strstr(i.policy, "allow open\n"));
    assert_non_null(strstr(i.policy, "errno 4094 syslog\n"));
    assert_only_the_own_exec_note(i.notes);
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(i.policy, "imported", &err);
    if (!p)
        fail_msg("%s", err.message);
    cordon_policy_free(p);
    imported_free(&i);
}

static void test_import_fixture_conditional_on_capabilities(void **state)
{
    (void)state;
    imported i = import_file(DOCKER_DIR "conditional_include.json");
    if (i.rc != 0)
        fail_msg("%s", i.err.message);
    assert_non_null(strstr(i.policy, "allow chmod\n"));
    assert_non_null(strstr(i.policy, "# syscalls[1]: left out (includes.caps asks for "
                                     "'CAP_SYSLOG', and a cordon task has no capabilities): "
                                     "syslog\n"));
    assert_non_null(strstr(i.policy, "allow ptrace\n"));
    assert_null(strstr(i.policy, "allow syslog"));
    assert_only_the_own_exec_note(i.notes);
    imported_free(&i);
}

/* runc: comparisons of distinct arguments must all hold; an argument
 * compared twice makes each comparison a rule of its own. */
static void test_import_args_and_or(void **state)
{
    (void)state;
    imported i = accepted(
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
        " {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 97, \"args\": [\n"
        "   {\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"},\n"
        "   {\"index\": 0, \"value\": 10, \"op\": \"SCMP_CMP_EQ\"}]},\n"
        " {\"names\": [\"mmap\"], \"action\": \"SCMP_ACT_KILL_PROCESS\", \"args\": [\n"
        "   {\"index\": 2, \"value\": 4, \"valueTwo\": 4, \"op\": \"SCMP_CMP_MASKED_EQ\"},\n"
        "   {\"index\": 3, \"value\": 1, \"op\": \"SCMP_CMP_NE\"}]},\n"
        " {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_TRACE\"}]}\n");
    assert_non_null(strstr(i.policy, "default allow\n"));
    assert_non_null(strstr(i.policy, "errno EAFNOSUPPORT socket if arg0 == 2\n"
                                     "errno EAFNOSUPPORT socket if arg0 == 10\n"));
    assert_non_null(strstr(i.policy, "kill mmap if arg2 & 4 == 4 && arg3 != 1\n"));
    assert_non_null(strstr(i.policy, "errno ENOSYS getppid\n"));
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(i.policy, "imported", &err);
    if (!p)
        fail_msg("%s", err.message);
    cordon_policy_free(p);
    imported_free(&i);
}

static int call_getppid(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return (int)syscall(SYS_getppid);
}

static void test_import_kill_is_a_named_violation(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    profile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getppid\"],"
            " \"action\": \"SCMP_ACT_KILL\"}]}");
    char name[300];
    snprintf(name, sizeof name, "docker:%s/profile.json", scratch_dir);
    cordon_error err;
    cordon_policy *p = cordon_policy_load(name, &err);
    if (!p)
        fail_msg("%s", err.message);
    cordon_task *t = cordon_function_task(call_getppid, NULL);
    assert_int_equal(cordon_set_policy(t, p), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "PolicyViolation");
    assert_non_null(strstr(r->exc_out.data, "getppid("));
    cordon_task_free(t);
    cordon_policy_free(p);
}

static void test_import_malformed_json_names_its_place(void **state)
{
    (void)state;
    const struct { const char *text; unsigned line, column; const char *message; } cases[] = {
        { "", 1, 1, "expected a value, found end of input" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\",}", 1, 36,
          "expected a member name in double quotes, found '}'" },
        { "{\n  \"syscalls\": [1, 2\n", 3, 1,
          "expected ',' or ']' after an array item, found end of input" },
        { "{\"a\": 1,\n \"a\": 2}", 2, 2, "the member 'a' is given twice" },
        { "{\"a\": \"x\\u0000\"}", 1, 9, "a NUL character in a string" },
        { "{\"a\": \"\\ud800x\"}", 1, 8, "a high surrogate without its low half" },
        { "{\"a\": \"\\q\"}", 1, 8, "an unknown escape in a string" },
        { "{\"a\": \"x\ny\"}", 1, 9, "a control character in a string (escape it)" },
        { "{\"a\": \"open", 1, 7, "a string without its closing '\"'" },
        { "{\"a\": 012}", 1, 7, "a number with a leading zero" },
        { "{\"a\": 1.}", 1, 9, "expected a digit after '.'" },
        { "{\"a\": tru}", 1, 7,
          "expected a value (an object, array, string, number, true, false or null), "
          "found 't'" },
        { "{} {}", 1, 4, "expected end of input after the document, found '{'" },
        { "{\"a\" 1}", 1, 6, "expected ':' after a member name, found '1'" },
        { "\xef\xbb\xbf{}", 1, 1,
          "expected a value (an object, array, string, number, true, false or null), "
          "found byte 0xef" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *message = refused(cases[i].text, cases[i].line, cases[i].column);
        char expected[300];
        snprintf(expected, sizeof expected, "%u:%u: %s", cases[i].line, cases[i].column,
                 cases[i].message);
        assert_string_equal(message, expected);
    }
}

/* A file of neither kind is read as a minijail policy (it does not start
 * with '{'), and its refusal says so: "1:9: expected 'SYSCALL: …'" alone
 * named neither. */
static void test_import_of_neither_kind_says_what_it_was_read_as(void **state)
{
    (void)state;
    assert_string_equal(refused("not json\n", 1, 9),
                        "1:9: expected 'SYSCALL: \xe2\x80\xa6' (read as a minijail policy: a "
                        "Docker profile starts with '{')");
    /* A cordon policy given by mistake: its first rule comes after its
     * comments, and the refusal said nothing of what it was read as. */
    assert_string_equal(refused("# a cordon policy\n\n  # indented\ndeny kill\n", 4, 10),
                        "4:10: expected 'SYSCALL: \xe2\x80\xa6' (read as a minijail policy: a "
                        "Docker profile starts with '{')");
}

/* A hostile file cannot exhaust the stack or the time of the reader. */
static void test_import_nesting_and_members_are_bounded(void **state)
{
    (void)state;
    char deep[20001];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    assert_string_equal(refused(deep, 1, 33), "1:33: nested too deep (at most 32 levels)");
    /* keys are compared pairwise, so their number is bounded */
    char *wide = malloc(300 * 9 + 8);
    assert_non_null(wide);
    size_t used = (size_t)sprintf(wide, "{");
    for (int i = 0; i < 300; i++)
        used += (size_t)sprintf(wide + used, "%s\"k%03d\":0", i ? "," : "", i);
    strcpy(wide + used, "}");
    assert_string_equal(refused(wide, 1, 2 + 256 * 9),
                        "1:2306: an object with more than 256 members");
    free(wide);
}

static void test_import_profile_errors_name_their_json_path(void **state)
{
    (void)state;
    const struct { const char *text; unsigned line, column; const char *message; } cases[] = {
        { "[]", 1, 1, "the profile: expected an object, found an array" },
        { "{\"syscalls\": []}", 1, 1, "defaultAction: missing" },
        { "{\"defaultAction\": 5}", 1, 19, "defaultAction: expected a string, found a number" },
        { "{\"defaultAction\": \"SCMP_ACT_FROB\"}", 1, 19,
          "defaultAction: unknown action 'SCMP_ACT_FROB'" },
        { "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", 1, 19,
          "defaultAction: SCMP_ACT_NOTIFY needs a supervisor listening for the calls; cordon "
          "cannot import it" },
        { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}", 1, 56,
          "defaultErrnoRet: expected a whole number from 0 to 4094" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\", 7],"
          " \"action\": \"SCMP_ACT_ERRNO\"}]}", 1, 69,
          "syscalls[0].names[1]: expected a string, found a number" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
          " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"op\": \"SCMP_CMP_EQ\"}]}]}",
          1, 117, "syscalls[0].args[0]: index 6 is out of range (0 to 5)" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
          " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"op\": \"SCMP_CMP_FROB\"}]}]}",
          1, 126, "syscalls[0].args[0]: unknown op 'SCMP_CMP_FROB'" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"read\","
          " \"names\": [\"write\"], \"action\": \"SCMP_ACT_ERRNO\"}]}", 1, 59,
          "syscalls[0]: give either name or names, not both" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
          " \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"minKernel\": \"four\"}}]}", 1, 124,
          "syscalls[0].includes: expected minKernel as MAJOR.MINOR, e.g. \"4.8\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *message = refused(cases[i].text, cases[i].line, cases[i].column);
        char expected[400];
        snprintf(expected, sizeof expected, "%u:%u: %s", cases[i].line, cases[i].column,
                 cases[i].message);
        assert_string_equal(message, expected);
    }
}

/* A name is text from a hostile file: it must never become a line of the
 * policy (a newline in a name would have written "allow ptrace"). */
static void test_import_hostile_names_stay_in_their_comment(void **state)
{
    (void)state;
    imported i = accepted(
        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [\n"
        " {\"names\": [\"read\", \"x\\nallow ptrace\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
        "  \"comment\": \"a\\nallow mount\", \"frob\": 1}]}\n");
    assert_non_null(strstr(i.notes, ":2:21: syscalls[0].names[1]: unknown syscall "
                                    "'x\\x0aallow ptrace' (left out)\n"));
    assert_non_null(strstr(i.notes, ":3:40: syscalls[0]: unknown member 'frob' ignored "
                                    "(as Docker ignores it)\n"));
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(i.policy, "imported", &err);
    if (!p)
        fail_msg("%s", err.message);
    char *shown = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&shown, &len);
    cordon_policy_show(p, out, 0);
    fclose(out);
    assert_null(strstr(shown, "ptrace"));
    assert_null(strstr(shown, "mount"));
    assert_non_null(strstr(shown, "allow read"));
    free(shown);
    cordon_policy_free(p);
    imported_free(&i);
}

/* A hostile name is shown escaped and cut, within the message's buffer
 * (found by the fuzzer: escapes near the end overran it). */
static void test_import_long_escaped_names_are_cut_safely(void **state)
{
    (void)state;
    char text[1024];
    /* 3 plain bytes, then escapes: the cut came where the last one
     * left no room for "..." and the quote */
    size_t used = (size_t)sprintf(text, "{\"defaultAction\": \"abc");
    for (int i = 0; i < 40; i++)
        used += (size_t)sprintf(text + used, "\\u0001");
    strcpy(text + used, "\"}");
    const char *message = refused(text, 1, 19);
    assert_non_null(strstr(message, "1:19: defaultAction: unknown action 'abc\\x01\\x01"));
    assert_non_null(strstr(message, "\\x01...'"));
}

static void test_import_refuses_both_arch_forms_and_reads_either(void **state)
{
    (void)state;
    assert_string_equal(refused("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [],"
                                " \"archMap\": []}", 1, 69),
                        "1:69: archMap: give either architectures or archMap, not both");
    imported i = accepted("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
                          "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"]}");
    assert_non_null(strstr(i.notes, "architectures: the profile admits i386 and x32 calls "
                                    "too"));
    imported_free(&i);
    i = accepted("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
                 "[\"SCMP_ARCH_X86_64\"]}");
    assert_string_equal(i.notes, "");
    imported_free(&i);
}

static void test_import_missing_file_and_load_errors(void **state)
{
    (void)state;
    imported i = import_file("/nonexistent/profile.json");
    assert_int_equal(i.rc, -ENOENT);
    assert_non_null(strstr(i.err.message, "/nonexistent/profile.json"));
    imported_free(&i);
    cordon_error err;
    profile("{\"defaultAction\": 1}");
    char name[300];
    snprintf(name, sizeof name, "docker:%s/profile.json", scratch_dir);
    assert_null(cordon_policy_load(name, &err));
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 19);
}

/* A position in a docker: policy is a line of the text the import wrote,
 * not of the JSON file: named "docker:FILE:64:7", a user opened the
 * profile at line 64 and found another entry ('accept').  Such positions
 * are marked as the imported text's. */
static void test_import_positions_name_the_imported_text(void **state)
{
    (void)state;
    const char *name = "docker:" DOCKER_DIR "default.json";
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(cordon_policy_check(name, NULL, out, 0, NULL), 0);
    assert_int_equal(fclose(out), 0);
    char marked[256], unmarked[256];
    snprintf(marked, sizeof marked, "%s (imported):", name);
    snprintf(unmarked, sizeof unmarked, "\n%s:", name);
    if (!strstr(text, marked) || strstr(text, unmarked) ||
        strncmp(text, unmarked + 1, strlen(unmarked + 1)) == 0)
        fail_msg("check of %s:\n%s", name, text);
    free(text);

    cordon_error err;
    cordon_policy *p = cordon_policy_load(name, &err);
    if (!p)
        fail_msg("%s", err.message);
    assert_string_equal(cordon_policy_name(p), name);
    text = NULL;
    out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(cordon_policy_explain(p, "ptrace", NULL, 0, out, &err), 0);
    assert_int_equal(fclose(out), 0);
    if (!strstr(text, marked))
        fail_msg("explain ptrace under %s:\n%s", name, text);
    free(text);
    cordon_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_docker_default_translates_and_notes),
        cmocka_unit_test(test_import_docker_default_behaves_call_by_call),
        cmocka_unit_test(test_import_probes_differ_without_the_profile),
        cmocka_unit_test(test_import_fixture_with_a_single_name_and_a_large_errno),
        cmocka_unit_test(test_import_of_more_rules_than_a_policy_holds_is_refused),
        cmocka_unit_test(test_import_fixture_conditional_on_capabilities),
        cmocka_unit_test(test_import_args_and_or),
        cmocka_unit_test(test_import_kill_is_a_named_violation),
        cmocka_unit_test(test_import_malformed_json_names_its_place),
        cmocka_unit_test(test_import_of_neither_kind_says_what_it_was_read_as),
        cmocka_unit_test(test_import_nesting_and_members_are_bounded),
        cmocka_unit_test(test_import_profile_errors_name_their_json_path),
        cmocka_unit_test(test_import_hostile_names_stay_in_their_comment),
        cmocka_unit_test(test_import_long_escaped_names_are_cut_safely),
        cmocka_unit_test(test_import_refuses_both_arch_forms_and_reads_either),
        cmocka_unit_test(test_import_missing_file_and_load_errors),
        cmocka_unit_test(test_import_positions_name_the_imported_text),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
