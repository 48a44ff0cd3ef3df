/*
 * minijail policy files imported (cordon_policy_import detects them) and
 * loaded as "minijail:FILE": the translation, its notes and errors, and
 * the imported policy deciding calls as minijail would.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>

#include "support.h"
#include "scratch_files.h"


typedef struct imported {
    int rc;
    cordon_error err;
    char *policy, *notes;
    size_t policy_len, notes_len;
} imported;

static imported import(const char *path)
{
    imported i;
    memset(&i, 0, sizeof i);
    FILE *out = open_memstream(&i.policy, &i.policy_len);
    FILE *notes = open_memstream(&i.notes, &i.notes_len);
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

static const char service[] =
    "# a small service\n"
    "read: 1\n"
    "write: 1\n"
    "exit_group: 1\n"
    "openat: return EPERM\n"
    "mmap: arg2 in ~PROT_EXEC\n"
    "fcntl: arg1 == F_GETFL || arg1 == F_GETFD; return EPERM\n"
    "socket: arg0 == AF_UNIX && arg1 & SOCK_STREAM|SOCK_DGRAM; return EACCES\n"
    "ioctl: arg1 == TCGETS; return ENOTTY\n"
    "prctl: kill-process\n"
    "frobnicate: 1\n"
    "@frequency ./service.frequency\n"
    "@include more.policy\n";

static void test_minijail_translates_rules_and_notes_what_it_cannot(void **state)
{
    (void)state;
    write_scratch_file("more.policy", "getpid: 1  # from the include\n");
    char *path = write_scratch_file("service.policy", service);
    imported i = import(path);
    if (i.rc != 0)
        fail_msg("%s", i.err.message);
    static const char *const lines[] = {
        "default kill\n",
        "allow read    # ", "allow write    # ", "errno EPERM openat    # ",
        "allow mmap if arg2 & 0x4 == 0x0    # ",
        "allow socket if arg0 == 0x1 && arg1 & 0x1 == 0x1 || arg0 == 0x1 && arg1 & 0x2 == 0x2",
        "errno EACCES socket if arg0 != 0x1 || arg1 & 0x3 == 0x0    # ",
        "allow ioctl if arg1 == 0x5401    # ", "errno ENOTTY ioctl if arg1 != 0x5401    # ",
        "kill prctl    # ", "allow getpid    # ",
    };
    for (size_t l = 0; l < sizeof lines / sizeof *lines; l++)
        if (!strstr(i.policy, lines[l]))
            fail_msg("'%s' not in:\n%s", lines[l], i.policy);
    /* F_GETFL || F_GETFD negated compares arg1 twice: cordon kills those */
    char expected[400];
    snprintf(expected, sizeof expected, "%s:7:42: 'fcntl': cordon cannot write the calls that "
             "'; return EPERM' refuses", path);
    assert_non_null(strstr(i.notes, expected));
    snprintf(expected, sizeof expected, "%s:11:1: unknown syscall 'frobnicate' (left out: the "
             "default kills it)\n", path);
    assert_non_null(strstr(i.notes, expected));
    assert_non_null(strstr(i.notes, ":12:1: @frequency ignored"));
    imported_free(&i);
}

static cordon_policy *load_minijail(const char *path)
{
    char name[300];
    snprintf(name, sizeof name, "minijail:%s", path);
    cordon_error err;
    cordon_policy *p = cordon_policy_load(name, &err);
    if (!p)
        fail_msg("%s", err.message);
    return p;
}

static void expect(const cordon_policy *p, int nr, uint64_t a0, uint64_t a1, uint64_t a2,
                   const char *action, int errno_value)
{
    uint64_t args[6] = { a0, a1, a2 };
    cordon_decision d;
    assert_int_equal(cordon_policy_simulate(p, nr, args, &d), 0);
    if (strcmp(d.action, action) != 0 || d.errno_value != errno_value)
        fail_msg("syscall %d(0x%llx, 0x%llx, 0x%llx): %s %d, expected %s %d", nr,
                 (unsigned long long)a0, (unsigned long long)a1, (unsigned long long)a2,
                 d.action, d.errno_value, action, errno_value);
}

/* Call by call, as minijail decides them. */
static void test_minijail_policy_decides_as_minijail_would(void **state)
{
    (void)state;
    write_scratch_file("more.policy", "getpid: 1\n");
    cordon_policy *p = load_minijail(write_scratch_file("service.policy", service));
    expect(p, SYS_read, 0, 0, 0, "allow", 0);
    expect(p, SYS_getpid, 0, 0, 0, "allow", 0);
    expect(p, SYS_openat, 0, 0, 0, "errno", EPERM);
    expect(p, SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, "allow", 0);
    expect(p, SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, "kill", 0);
    expect(p, SYS_socket, AF_UNIX, SOCK_STREAM, 0, "allow", 0);
    expect(p, SYS_socket, AF_UNIX, SOCK_DGRAM, 0, "allow", 0);
    expect(p, SYS_socket, AF_INET, SOCK_STREAM, 0, "errno", EACCES);
    expect(p, SYS_socket, AF_UNIX, 0, 0, "errno", EACCES);
    expect(p, SYS_ioctl, 1, TCGETS, 0, "allow", 0);
    expect(p, SYS_ioctl, 1, TCSETS, 0, "errno", ENOTTY);
    expect(p, SYS_fcntl, 1, F_GETFL, 0, "allow", 0);
    expect(p, SYS_fcntl, 1, F_SETFL, 0, "kill", 0); /* stricter than minijail: noted */
    expect(p, SYS_prctl, 0, 0, 0, "kill", 0);
    expect(p, SYS_execve, 0, 0, 0, "kill", 0);
    cordon_policy_free(p);
}

static int socket_then_inet(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    int refused = socket(AF_INET, SOCK_STREAM, 0) < 0 ? errno : 0;
    char line[64];
    int n = snprintf(line, sizeof line, "unix %s, inet %d\n", fd >= 0 ? "made" : "refused", refused);
    if (write(1, line, (size_t)n) < 0)
        return 1;
    syscall(SYS_getppid); /* not in the policy: killed */
    return 0;
}

static void test_minijail_policy_runs_a_task(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind's own calls in the task are not on this allow-list");
    cordon_policy *p = load_minijail(write_scratch_file(
        "task.policy", "write: 1\nexit_group: 1\nsocket: arg0 == AF_UNIX; return EACCES\n"
                       "close: 1\nrt_sigreturn: 1\nmunmap: 1\nbrk: 1\nmmap: 1\n"
                       "rt_sigprocmask: 1\nfstat: 1\nnewfstatat: 1\n"));
    cordon_task *t = cordon_function_task(socket_then_inet, NULL);
    cordon_set_policy(t, p);
    cordon_set_timeout_ms(t, 10000);
    /* A task of root's makes no unix socket (sandbox/policy.h): a root
     * caller's runs as nobody. */
    if (geteuid() == 0)
        assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    if (strcmp(r->std_out.data, "unix made, inet 13\n") != 0)
        fail_msg("stdout '%s', exc_out: %s", r->std_out.data, r->exc_out.data);
    assert_string_equal(r->exception, "PolicyViolation");
    if (!getenv("CORDON_UNDER_VALGRIND"))
        assert_non_null(strstr(r->exc_out.data, "forbids getppid()"));
    cordon_task_free(t);
    cordon_policy_free(p);
}

static void test_minijail_errors_name_file_line_column(void **state)
{
    (void)state;
    const struct { const char *text; const char *message; } cases[] = {
        { "read: 1\nwrite: arg0 === 1\n", "2:15: expected a number or a constant" },
        { "read: arg7 == 1\n", "1:7: expected an argument arg0 to arg5" },
        { "read: arg0 == O_RDONLYY\n", "1:15: unknown constant 'O_RDONLYY' (did you mean 'O_RDONLY'?)" },
        { "read: return EPERMM\n", "1:14: unknown errno name 'EPERMM' (did you mean 'EPERM'?)" },
        { "read: 1\nread: 1\n", "2:1: 'read' has a rule already, at " },
        { "read 1\n", "1:7: expected 'SYSCALL: …'" },
        { "read: user-notify\n", "1:7: user-notify needs a supervisor" },
        { "@denylist\nfrobnicate: kill\n", "2:1: unknown syscall 'frobnicate': a deny-list cannot leave it out" },
        { "@bogus\n", "1:1: unknown directive '@bogus'" },
        { "@include nosuch.policy\n", "1:10: cannot include " },
        { "read: arg0 == 1; retrun EPERM\n", "1:18: expected 'return ERRNO' after ';'" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char *path = write_scratch_file("bad.policy", cases[c].text);
        imported i = import(path);
        assert_int_equal(i.rc, -EINVAL);
        char expected[400];
        snprintf(expected, sizeof expected, "%s:%s", path, cases[c].message);
        if (strncmp(i.err.message, expected, strlen(expected)) != 0)
            fail_msg("case %zu: '%s', expected '%s'", c, i.err.message, expected);
        assert_int_equal(i.policy_len, 0); /* nothing written on failure */
        imported_free(&i);
    }
}

/* Ten includes a file over six levels (the most nesting allows): 10^6
 * files read, for an import of nothing. */
static void test_minijail_includes_multiplying_are_bounded(void **state)
{
    (void)state;
    char name[32], text[400];
    for (int level = 0; level < 6; level++) {
        snprintf(name, sizeof name, "mfan%d.policy", level);
        text[0] = '\0';
        for (int i = 0; i < 10; i++)
            snprintf(text + strlen(text), sizeof text - strlen(text), "@include mfan%d.policy\n",
                     level + 1);
        write_scratch_file(name, text);
    }
    write_scratch_file("mfan6.policy", "");
    alarm(60); /* before the bound: most of a minute */
    imported i = import(write_scratch_file("mfan.policy", "@include mfan0.policy\n"));
    alarm(0);
    assert_int_equal(i.rc, -EINVAL);
    assert_non_null(strstr(i.err.message, ": more than 256 includes in all"));
    assert_int_equal(i.policy_len, 0);
    imported_free(&i);
}

/* A cycle of includes is named as one, file by file, whatever the paths
 * it is written with; it was once reported as nesting too deep. */
static void test_minijail_include_cycle_names_its_files(void **state)
{
    (void)state;
    char a[300], b[300], expected[1400];
    snprintf(a, sizeof a, "%s", write_scratch_file("cycle_a.policy", "read: 1\n@include cycle_b.policy\n"));
    snprintf(b, sizeof b, "%s", write_scratch_file("cycle_b.policy", "@include ./cycle_a.policy\n"));
    imported i = import(a);
    assert_int_equal(i.rc, -EINVAL);
    snprintf(expected, sizeof expected, "%s:1:10: include cycle: '%s' includes '%s', which "
             "includes '%s/./cycle_a.policy'", b, a, b, scratch_dir);
    assert_string_equal(i.err.message, expected);
    assert_int_equal(i.policy_len, 0);
    imported_free(&i);

    char self[256];
    snprintf(self, sizeof self, "%s", write_scratch_file("cycle_self.policy", "@include cycle_self.policy\n"));
    i = import(self);
    assert_int_equal(i.rc, -EINVAL);
    snprintf(expected, sizeof expected, "%s:1:10: include cycle: '%s' includes '%s'", self, self,
             self);
    assert_string_equal(i.err.message, expected);
    imported_free(&i);
}

static void test_minijail_denylist_allows_by_default(void **state)
{
    (void)state;
    cordon_policy *p = load_minijail(write_scratch_file(
        "deny.policy", "@denylist\nptrace: kill\nsetsid: return EPERM\n"));
    expect(p, SYS_read, 0, 0, 0, "allow", 0);
    expect(p, SYS_ptrace, 0, 0, 0, "kill", 0);
    expect(p, SYS_setsid, 0, 0, 0, "errno", EPERM);
    cordon_policy_free(p);
}

/* A Docker profile is still read as JSON. */
static void test_json_is_still_a_docker_profile(void **state)
{
    (void)state;
    imported i = import(write_scratch_file("profile.json", "  {\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n"));
    assert_int_equal(i.rc, 0);
    assert_non_null(strstr(i.policy, "default allow"));
    imported_free(&i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minijail_translates_rules_and_notes_what_it_cannot),
        cmocka_unit_test(test_minijail_policy_decides_as_minijail_would),
        cmocka_unit_test(test_minijail_policy_runs_a_task),
        cmocka_unit_test(test_minijail_errors_name_file_line_column),
        cmocka_unit_test(test_minijail_includes_multiplying_are_bounded),
        cmocka_unit_test(test_minijail_include_cycle_names_its_files),
        cmocka_unit_test(test_minijail_denylist_allows_by_default),
        cmocka_unit_test(test_json_is_still_a_docker_profile),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
