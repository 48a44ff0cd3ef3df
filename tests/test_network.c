/* Isolation of the network: a task with CORDON_NETWORK_NONE has a
 * network namespace of its own, with its loopback up and nothing else:
 * the caller's 127.0.0.1 is out of its reach, its own is not. */
#include <arpa/inet.h>
#include <grp.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "support.h"

/* A listener on the caller's 127.0.0.1; its port, or 0. */
static int listen_on_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof address;
    assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &len), 0);
    *port = ntohs(address.sin_port);
    return fd;
}

/* In the task: 0 if a TCP connection to 127.0.0.1:port was made, else
 * the errno. */
static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, (struct sockaddr *)&address, sizeof address) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

static int connects(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    return connect_to(*(int *)arg);
}

/* Its own loopback: a listener and a connection, both inside. */
static int talks_to_itself(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int port;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof address;
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(fd, 1) != 0 || getsockname(fd, (struct sockaddr *)&address, &len) != 0)
        return 100 + errno;
    port = ntohs(address.sin_port);
    return connect_to(port);
}

static cordon_task *without_network(cordon_fn fn, void *arg)
{
    cordon_task *t = cordon_function_task(fn, arg);
    assert_non_null(t);
    assert_int_equal(cordon_set_network(t, CORDON_NETWORK_NONE), 0);
    return t;
}

/* Skips where the machine makes no namespace (valgrind, a container that
 * refuses them): there the task must fail closed instead, tested below. */
static const cordon_result *require_network_namespace(cordon_task *t)
{
    cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    if (r->exception && strcmp(r->exception, "ConfinementError") == 0) {
        print_message("no network namespace here (%s): its tests are skipped\n",
                      r->exc_out.data);
        cordon_task_free(t);
        skip();
    }
    return r;
}

/* The same, before a test that forks a copy to try what it needs. */
static void require_network_namespace_here(void)
{
    const char *const argv[] = { "true", NULL };
    cordon_task *t = cordon_command_task(argv);
    assert_non_null(t);
    assert_int_equal(cordon_set_network(t, CORDON_NETWORK_NONE), 0);
    require_network_namespace(t);
    cordon_task_free(t);
}

static void test_network_none_cannot_reach_the_caller_s_loopback(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: the task gets no network namespace under it");
    int port;
    int listener = listen_on_loopback(&port);
    /* The caller itself reaches it: the listener is there. */
    assert_int_equal(connect_to(port), 0);
    cordon_task *t = without_network(connects, &port);
    const cordon_result *r = require_network_namespace(t);
    assert_null(r->exception);
    assert_true(r->exit_code == ECONNREFUSED || r->exit_code == ENETUNREACH);
    assert_true(r->confinement & CORDON_CONFINED_NETWORK_NAMESPACE);
    cordon_task_free(t);
    close(listener);
}

/* In the task: 0 if it made a unix socketpair of type `arg` (with
 * SOCK_CLOEXEC), else the errno. */
static int makes_a_pair_of(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int pair[2];
    if (socketpair(AF_UNIX, (int)(intptr_t)arg | SOCK_CLOEXEC, 0, pair) != 0)
        return errno;
    close(pair[0]);
    close(pair[1]);
    return 0;
}

#define DATAGRAMS ((void *)(intptr_t)SOCK_DGRAM)
#define STREAMS ((void *)(intptr_t)SOCK_STREAM)

/* A network namespace does not hold a unix socket bound to a path (the
 * caller's services: a container engine, a session bus, an ssh agent):
 * without a network the task cannot make one, under the default policy
 * and under nonet; with its network it can. */
static void test_network_none_cannot_reach_the_caller_s_socket_files(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: the task gets no network namespace under it");
    char path[64];
    int listener = listen_on_a_socket_file(path, sizeof path, "socket");
    const char *policies[] = { "default", "nonet" };
    for (int i = 0; i < 2; i++) {
        cordon_task *t = without_network(connects_to_a_socket_file, path);
        cordon_error err;
        cordon_policy *p = cordon_policy_load(policies[i], &err);
        assert_non_null(p);
        cordon_set_policy(t, p);
        const cordon_result *r = require_network_namespace(t);
        assert_null(r->exception);
        assert_int_equal(r->exit_code, EACCES);
        cordon_task_free(t);
        cordon_policy_free(p);
    }
    /* With a network, a task can; not one that runs as root, which no
     * unix socket reaches (sandbox/policy.h). */
    int with_network = geteuid() == 0 ? EACCES : 0;
    cordon_task *t = cordon_function_task(connects_to_a_socket_file, path);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, with_network);
    cordon_task_free(t);
    /* A datagram pair sends to any path it names: none without a network. */
    t = without_network(makes_a_pair_of, DATAGRAMS);
    r = require_network_namespace(t);
    assert_int_equal(r->exit_code, EACCES);
    cordon_task_free(t);
    t = cordon_function_task(makes_a_pair_of, DATAGRAMS);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, with_network);
    cordon_task_free(t);
    close(listener);
    unlink(path);
}

/* In the task: the errno of socket(family), or 0 if one was made. */
static int makes_a_socket_of(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int fd = socket((int)(intptr_t)arg, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

/* Only the families a network namespace holds are left without a
 * network: a vsock (the hypervisor's host) and the others are refused as
 * on a machine without them; IPv4 and IPv6 are the task's own.  With no
 * policy too: there a vsock had been made (and a port of the machine's
 * taken, under --isolate isolated --policy none). */
static void test_network_none_leaves_only_the_namespaces_families(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: the task gets no network namespace under it");
    cordon_policy *builtin = cordon_policy_load("default", NULL);
    assert_non_null(builtin);
    /* The third: no policy, but a process limit, whose cgroup gives the
     * task cordon's rules alone as its filter; with them vsock had been
     * made (the guard took them for a policy of the task's). */
    const cordon_policy *policies[] = { builtin, NULL, NULL };
    for (size_t p = 0; p < 3; p++) {
        const int refused[] = { AF_VSOCK, AF_BLUETOOTH, AF_TIPC, AF_ALG, AF_CAN, AF_X25 };
        for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
            cordon_task *t = without_network(makes_a_socket_of, (void *)(intptr_t)refused[i]);
            assert_int_equal(cordon_set_policy(t, policies[p]), 0);
            if (p == 2)
                assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 50), 0);
            const cordon_result *r = require_network_namespace(t);
            if (r->exit_code != EAFNOSUPPORT)
                fail_msg("policy %zu, family %d: errno %d", p, refused[i], r->exit_code);
            cordon_task_free(t);
        }
        const int kept[] = { AF_INET, AF_INET6, AF_UNIX };
        for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
            cordon_task *t = without_network(makes_a_socket_of, (void *)(intptr_t)kept[i]);
            assert_int_equal(cordon_set_policy(t, policies[p]), 0);
            if (p == 2)
                assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 50), 0);
            const cordon_result *r = require_network_namespace(t);
            /* a unix socket: the default's EACCES without a network, and
             * a root task's under none (sandbox/policy.h) */
            bool unix_refused = p == 0 || geteuid() == 0;
            if (r->exit_code != (kept[i] == AF_UNIX && unix_refused ? EACCES : 0))
                fail_msg("policy %zu, family %d: errno %d", p, kept[i], r->exit_code);
            cordon_task_free(t);
        }
    }
    cordon_policy_free(builtin);
}

/* In the task: the errno of a netlink socket of the protocol given (in
 * its 64-bit form when arg is negative), or 0. */
static int makes_a_netlink_socket(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    long protocol = (long)(intptr_t)arg;
    long fd = syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
                      protocol < 0 ? (1L << 32) | -protocol : protocol);
    if (fd < 0)
        return errno;
    close((int)fd);
    return 0;
}

/* The kernel's device events (NETLINK_KOBJECT_UEVENT) reach every network
 * namespace its first user namespace owns, a root caller's task's: under
 * --isolate judge such a task read the machine's device paths, numbers and
 * USB ids as they came.  Refused under any policy and under none, one
 * that allows every socket too; the task's own netlink (routes) is not. */
static void test_network_none_hears_no_device_events(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: the task gets no network namespace under it");
    char dir[] = "/tmp/cordon-uevent-XXXXXX", allow_all[64];
    assert_non_null(mkdtemp(dir));
    snprintf(allow_all, sizeof allow_all, "%s/allow-socket.policy", dir);
    FILE *f = fopen(allow_all, "w");
    assert_non_null(f);
    fputs("default allow\nallow socket\n", f);
    fclose(f);
    cordon_policy *loaded = cordon_policy_load(allow_all, NULL);
    cordon_policy *builtin = cordon_policy_load("default", NULL);
    assert_non_null(loaded);
    assert_non_null(builtin);
    const cordon_policy *policies[] = { builtin, NULL, loaded };
    for (size_t i = 0; i < 3; i++) {
        const long protocols[] = { NETLINK_KOBJECT_UEVENT, -NETLINK_KOBJECT_UEVENT,
                                   NETLINK_ROUTE };
        for (size_t k = 0; k < 3; k++) {
            cordon_task *t = without_network(makes_a_netlink_socket,
                                             (void *)(intptr_t)protocols[k]);
            assert_int_equal(cordon_set_policy(t, policies[i]), 0);
            const cordon_result *r = require_network_namespace(t);
            if (r->exit_code != (k < 2 ? EACCES : 0))
                fail_msg("policy %zu, protocol %ld: errno %d", i, protocols[k], r->exit_code);
            cordon_task_free(t);
        }
    }
    /* nor through an io_uring's own sockets (IORING_OP_SOCKET), under a
     * policy that lets io_uring_setup through and under none */
    for (size_t i = 1; i < 3; i++) {
        cordon_task *t = without_network(makes_an_io_uring, NULL);
        assert_int_equal(cordon_set_policy(t, policies[i]), 0);
        const cordon_result *r = require_network_namespace(t);
        if (r->exit_code != EPERM)
            fail_msg("policy %zu: io_uring_setup: errno %d", i, r->exit_code);
        cordon_task_free(t);
    }
    /* a command under the judge preset, as the CLI runs one */
    const char *const argv[] = { "/bin/sh", "-c", "exec python3 -c 'import socket; "
                                 "socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15)' "
                                 "2>&1 | grep -c PermissionError", NULL };
    if (access("/usr/bin/python3", X_OK) == 0) {
        cordon_task *t = cordon_command_task(argv);
        assert_int_equal(cordon_set_isolation(t, "judge"), 0);
        const cordon_result *r = require_network_namespace(t);
        assert_int_equal(r->exit_code, 0); /* grep found the refusal */
        cordon_task_free(t);
    }
    cordon_policy_free(loaded);
    cordon_policy_free(builtin);
    unlink(allow_all);
    rmdir(dir);
}

/* In the task: the errno of socket() for a family given as the 64-bit
 * value the kernel truncates to an int (high bits set), or 0. */
static int makes_a_socket_of_a_wide_family(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    long fd = syscall(SYS_socket, (1L << 32) | (long)(intptr_t)arg, SOCK_STREAM, 0);
    if (fd < 0)
        return errno;
    close((int)fd);
    return 0;
}

/* A task without a network gets no unix socket bound to a path, no vsock
 * and no datagram pair whatever its policy allows by rules of its own:
 * outright (a deny-list that names socket), or family by family with
 * ranges as an imported Docker profile does ("arg0 > 0x28", which also
 * holds for AF_UNIX with bits above the 32 the kernel reads). */
static void test_network_none_holds_against_a_policy_s_own_allows(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: the task gets no network namespace under it");
    static const char *const policies[] = {
        "default allow\nallow socket socketpair\n",
        "default errno ENOSYS\nallow socket if arg0 < 0x26\nallow socket if arg0 == 0x27\n"
        "allow socket if arg0 > 0x28\nallow socketpair connect close munmap exit_group write\n",
    };
    char path[64];
    int listener = listen_on_a_socket_file(path, sizeof path, "socket-own");
    for (size_t i = 0; i < sizeof policies / sizeof *policies; i++) {
        cordon_error err;
        cordon_policy *p = cordon_policy_parse(policies[i], "own-allows.policy", &err);
        if (!p)
            fail_msg("%s", err.message);
        struct { cordon_fn fn; void *arg; int expected; } cases[] = {
            { connects_to_a_socket_file, path, EACCES },
            { makes_a_socket_of, (void *)(intptr_t)AF_VSOCK, EAFNOSUPPORT },
            { makes_a_socket_of_a_wide_family, (void *)(intptr_t)AF_UNIX, EAFNOSUPPORT },
            { makes_a_pair_of, DATAGRAMS, EACCES },
            { makes_a_socket_of, (void *)(intptr_t)AF_INET, 0 },
        };
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            cordon_task *t = without_network(cases[c].fn, cases[c].arg);
            cordon_set_policy(t, p);
            const cordon_result *r = require_network_namespace(t);
            if (r->exception || r->exit_code != cases[c].expected)
                fail_msg("policy %zu, case %zu: %s exit %d, expected %d\n%s", i, c,
                         r->exception ? r->exception : "no exception", r->exit_code,
                         cases[c].expected, r->exc_out.data);
            cordon_task_free(t);
        }
        cordon_policy_free(p);
    }
    close(listener);
    unlink(path);
}

/* In the task: the errno of a unix datagram socket, or 0 if one was made. */
static int makes_a_unix_datagram_socket(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

/* Policies whose own rules the variant meets: an io_uring makes sockets no
 * filter sees (refused without a network); an allow cut down where the
 * policy's own kill has the same condition (libseccomp refused the two
 * together, and the task did not start); a policy whose own rules tell
 * socket types apart (only streams were asked); a masked allow of
 * socketpair kept for the types left (stream pairs were refused). */
static void test_network_none_meets_the_policy_s_own_rules(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: the task gets no network namespace under it");
    static const struct {
        const char *policy;
        cordon_fn fn;
        void *arg;
        int expected;
    } cases[] = {
        { "default allow\n", makes_an_io_uring, NULL, EPERM },
        { "default allow\nallow socket\nkill socket if arg0 == AF_INET6\n", makes_a_socket_of,
          (void *)(intptr_t)AF_INET, 0 },
        { "default allow\nallow socket\nkill socket if arg0 == AF_INET6\n", makes_a_socket_of,
          (void *)(intptr_t)AF_UNIX, EACCES },
        /* a policy that refuses only stream sockets: datagrams reach paths too */
        { "default allow\nerrno EPERM socket if arg1 == SOCK_STREAM\n",
          makes_a_unix_datagram_socket, NULL, EACCES },
        { "default errno EPERM\nallow socketpair if arg1 & SOCK_CLOEXEC == SOCK_CLOEXEC\n"
          "allow close munmap exit_group write\n", makes_a_pair_of, STREAMS, 0 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        cordon_error err;
        cordon_policy *p = cordon_policy_parse(cases[c].policy, "own-rules.policy", &err);
        if (!p)
            fail_msg("%s", err.message);
        cordon_task *t = without_network(cases[c].fn, cases[c].arg);
        cordon_set_policy(t, p);
        const cordon_result *r = require_network_namespace(t);
        if (r->exception || r->exit_code != cases[c].expected)
            fail_msg("case %zu: %s exit %d, expected %d\n%s", c,
                     r->exception ? r->exception : "no exception", r->exit_code,
                     cases[c].expected, r->exc_out.data);
        cordon_task_free(t);
        cordon_policy_free(p);
    }
}

static void test_network_none_has_its_own_loopback(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: the task gets no network namespace under it");
    cordon_task *t = without_network(talks_to_itself, NULL);
    const cordon_result *r = require_network_namespace(t);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

static void test_network_none_command_sees_only_loopback(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: the task gets no network namespace under it");
    cordon_task *t = shell("grep -c : /proc/net/dev; grep -o 'lo:' /proc/net/dev");
    assert_int_equal(cordon_set_network(t, CORDON_NETWORK_NONE), 0);
    const cordon_result *r = require_network_namespace(t);
    assert_string_equal(r->std_out.data, "1\nlo:\n");
    cordon_task_free(t);
}

/* The default is the caller's network. */
static void test_network_host_is_the_default(void **state)
{
    (void)state;
    int port;
    int listener = listen_on_loopback(&port);
    cordon_task *t = cordon_function_task(connects, &port);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_false(r->confinement & CORDON_CONFINED_NETWORK_NAMESPACE);
    cordon_task_free(t);
    close(listener);
}

/* A socket() as the task asks it: family (its 64-bit form given), type
 * and protocol. */
typedef struct socket_asked {
    long family;
    int type, protocol;
    int expected; /* errno, or 0 */
} socket_asked;

/* In the task: the errno of the socket() asked, or 0 if one was made. */
static int makes_the_socket_asked(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const socket_asked *asked = arg;
    long fd = syscall(SYS_socket, asked->family, asked->type | SOCK_CLOEXEC, asked->protocol);
    if (fd < 0)
        return errno;
    close((int)fd);
    return 0;
}

static int calls_modify_ldt(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char table[16];
    return syscall(SYS_modify_ldt, 0, table, sizeof table) < 0 ? errno : 0;
}

/* On the caller's network the default policy refuses the socket families
 * a kernel built with modules loads for whoever names them (kernel code
 * nothing on the machine used), as a kernel without them does, and
 * modify_ldt as a kernel built without it: a vsock (the hypervisor's) and
 * an XDP socket had been made, and modify_ldt answered.  The internet's
 * and netlink's sockets stay. */
static void test_network_host_default_refuses_families_of_kernel_modules(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2)");
    const socket_asked cases[] = {
        { AF_VSOCK, SOCK_STREAM, 0, EAFNOSUPPORT },
        { AF_XDP, SOCK_RAW, 0, EAFNOSUPPORT },
        { AF_PACKET, SOCK_DGRAM, 0, EAFNOSUPPORT },
        { AF_TIPC, SOCK_RDM, 0, EAFNOSUPPORT },
        { AF_RDS, SOCK_SEQPACKET, 0, EAFNOSUPPORT },
        { AF_CAN, SOCK_RAW, 1, EAFNOSUPPORT },
        { AF_ALG, SOCK_SEQPACKET, 0, EAFNOSUPPORT },
        { AF_KEY, SOCK_RAW, 2, EAFNOSUPPORT },
        { AF_UNSPEC, SOCK_STREAM, 0, EAFNOSUPPORT },
        { (1L << 32) | AF_VSOCK, SOCK_STREAM, 0, EAFNOSUPPORT },
        { AF_INET, SOCK_STREAM, 0, 0 },
        { AF_INET6, SOCK_DGRAM, IPPROTO_UDP, 0 },
        { AF_INET, SOCK_DGRAM, IPPROTO_ICMP, -1 /* ping's: as the machine allows */ },
        { AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, 0 },
        { AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cordon_task *t = cordon_function_task(makes_the_socket_asked, (void *)&cases[i]);
        const cordon_result *r = run_task(t, 0);
        if (cases[i].expected >= 0 && r->exit_code != cases[i].expected)
            fail_msg("socket(%ld, %d, %d): errno %d (%s), expected %d", cases[i].family,
                     cases[i].type, cases[i].protocol, r->exit_code, strerror(r->exit_code),
                     cases[i].expected);
        cordon_task_free(t);
    }
    cordon_task *t = cordon_function_task(calls_modify_ldt, NULL);
    assert_int_equal(run_task(t, 0)->exit_code, ENOSYS);
    cordon_task_free(t);
}

/* Without a network, the refusals hold whatever forms a policy refuses
 * itself: asked which forms it let through (one upper-bit form, five
 * types), a policy that refused bit 32, or a type without SOCK_CLOEXEC,
 * went without them, and socket(0x200000001, ...) or a close-on-exec
 * unix socket reached the caller's services.  Both pass policy check. */
static void test_network_none_holds_whatever_forms_the_policy_refuses_itself(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: the task gets no network namespace under it");
    static const struct {
        const char *policy;
        socket_asked asked;
    } cases[] = {
        { "include default\nerrno EAFNOSUPPORT socket if arg0 & 0x100000000 == 0x100000000\n",
          { (2L << 32) | AF_UNIX, SOCK_STREAM, 0, EAFNOSUPPORT } },
        { "include default\nerrno EAFNOSUPPORT socket if arg0 & 0x100000000 == 0x100000000\n",
          { (0x7fffffffL << 32) | AF_UNIX, SOCK_DGRAM, 0, EAFNOSUPPORT } },
        { "include default\nerrno EINVAL socket if arg1 & 0x80000 == 0 || "
          "arg1 & 0x800 == 0x800\n",
          { AF_UNIX, SOCK_STREAM /* with SOCK_CLOEXEC */, 0, EACCES } },
        { "include default\nerrno EINVAL socket if arg1 & 0x80000 == 0 || "
          "arg1 & 0x800 == 0x800\n",
          { AF_INET, SOCK_STREAM, 0, 0 } },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        cordon_error err;
        cordon_policy *p = cordon_policy_parse(cases[c].policy, "own-forms.policy", &err);
        if (!p)
            fail_msg("%s", err.message);
        cordon_task *t = without_network(makes_the_socket_asked, (void *)&cases[c].asked);
        assert_int_equal(cordon_set_policy(t, p), 0);
        const cordon_result *r = require_network_namespace(t);
        if (r->exception || r->exit_code != cases[c].asked.expected)
            fail_msg("case %zu: %s exit %d, expected %d\n%s", c,
                     r->exception ? r->exception : "no exception", r->exit_code,
                     cases[c].asked.expected, r->exc_out.data ? r->exc_out.data : "");
        cordon_task_free(t);
        cordon_policy_free(p);
    }
}

/* Without namespaces the task never runs on the caller's network. */
static void test_network_none_without_namespaces_fails_closed(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        cordon_task *t = cordon_shell_task("echo ran");
        if (!t || cordon_set_network(t, CORDON_NETWORK_NONE) != 0)
            _exit(1);
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        bool closed = rc == CORDON_EXCEPTION && r->exception &&
                      strcmp(r->exception, "ConfinementError") == 0 && r->std_out.len == 0 &&
                      !(r->confinement & CORDON_CONFINED_NETWORK_NAMESPACE);
        /* No task ran, so no mechanism held one: the result listed the
         * filter, Landlock and the cgroup as holding it. */
        bool nothing_held = r->confinement == 0 && r->confinement_details == NULL;
        _exit(closed ? (nothing_held ? 0 : 3) : 2);
    }
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A root caller's spare keeper still running as root among its children:
 * a process named cordon-spares whose parent is this one and whose real
 * uid is 0. */
static bool a_root_keeper_is_left(void)
{
    DIR *proc = opendir("/proc");
    bool found = false;
    struct dirent *e;
    while (proc && !found && (e = readdir(proc)) != NULL) {
        char path[300], line[256], comm[64] = "";
        long ppid = -1, uid = -1;
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) {
            sscanf(line, "Name: %63s", comm);
            sscanf(line, "PPid: %ld", &ppid);
            sscanf(line, "Uid: %ld", &uid);
        }
        if (f)
            fclose(f);
        found = ppid == getpid() && uid == 0 && strcmp(comm, "cordon-spares") == 0;
    }
    if (proc)
        closedir(proc);
    return found;
}

/* Runs `id -u` without a network: 0 when it ran, 1 when it was not
 * started with a ConfinementError whose report holds `why`, 2 otherwise. */
static int id_without_network(const char *why)
{
    const char *const argv[] = { "id", "-u", NULL };
    cordon_task *t = cordon_command_task(argv);
    if (!t || cordon_set_network(t, CORDON_NETWORK_NONE) != 0)
        return 2;
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    int outcome = 2;
    if (rc == 0 && !r->exception && (r->confinement & CORDON_CONFINED_NETWORK_NAMESPACE))
        outcome = 0;
    else if (rc == CORDON_EXCEPTION && strcmp(r->exception, "ConfinementError") == 0 &&
             r->std_out.len == 0 && why && strstr(r->exc_out.data, why))
        outcome = 1;
    if (outcome == 2)
        fprintf(stderr, "rc %d, %s, out '%s': %s", rc, r->exception ? r->exception : "none",
                r->std_out.data, r->exc_out.data);
    cordon_task_free(t);
    return outcome;
}

/* A root caller that switches itself to nobody after some tasks ran: its
 * next task without a network is refused with the reason (undumpable, so
 * no user namespace's id maps can be written), not made as root's were
 * (EPERM, said as nothing more); dumpable again, it runs as nobody in a
 * network namespace of its own; and no keeper of spares is left running
 * as root. */
static void test_network_none_after_the_caller_switched_from_root_to_nobody(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    if (geteuid() != 0) {
        print_message("skipped: the caller must be root to switch to nobody\n");
        skip();
    }
    require_network_namespace_here();
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        /* The second task without a network starts the keeper. */
        for (int i = 0; i < 3; i++)
            if (id_without_network(NULL) != 0)
                _exit(10);
        if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
            setresuid(65534, 65534, 65534) != 0)
            _exit(11);
        if (id_without_network("it is neither root nor dumpable, so the id maps of a user "
                               "namespace cannot be written") != 1)
            _exit(12);
        if (a_root_keeper_is_left())
            _exit(13);
        if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
            _exit(14);
        int dumpable = id_without_network("the kernel or the container refused them");
        _exit(dumpable == 1 ? 77 : dumpable == 0 ? 0 : 15);
    }
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        print_message("skipped in part: this machine makes no user namespace for nobody\n");
        return;
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* i386's socketcall hides a socket's family from the filter, so a policy
 * that lets in i386 cannot hold a task without a network: the task is not
 * started, and the ConfinementError names the 'arch' line and the way
 * out, for a run and for an async run alike (it said only "Invalid
 * argument", as cordon's own failure). */
static void test_network_none_under_an_i386_policy_names_the_arch_line(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open: no task gets a network namespace under it");
    cordon_error err;
    memset(&err, 0, sizeof err);
    cordon_policy *p = cordon_policy_parse("default allow\narch i386\n", "old.policy", &err);
    if (!p)
        fail_msg("%s", err.message);
    for (int async = 0; async < 2; async++) {
        const char *const argv[] = { "true", NULL };
        cordon_task *t = cordon_command_task(argv);
        assert_non_null(t);
        assert_int_equal(cordon_set_network(t, CORDON_NETWORK_NONE), 0);
        assert_int_equal(cordon_set_policy(t, p), 0);
        if (async) {
            assert_int_equal(cordon_run_async(t), 0);
            assert_int_equal(cordon_join(t), CORDON_EXCEPTION);
        } else {
            assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
        }
        const cordon_result *r = cordon_task_result(t);
        assert_string_equal(r->exception, "ConfinementError");
        assert_int_equal(r->exit_code, 125);
        assert_non_null(strstr(r->message, "the task was not started: old.policy:2:1: 'arch i386' "
                                           "lets in the i386 ABI"));
        assert_non_null(strstr(r->message, "drop the 'arch i386' or give the task the network"));
        assert_null(r->confinement_details);
        cordon_task_free(t);
    }
    cordon_policy_free(p);
}

/* The same refusal, said by cordon_task_check before any run (the
 * runner refuses such options once, before its files are made); a task
 * with the network, or without the policy, passes. */
static void test_network_none_under_an_i386_policy_is_found_by_the_check(void **state)
{
    (void)state;
    cordon_error err;
    memset(&err, 0, sizeof err);
    cordon_policy *p = cordon_policy_parse("default allow\narch i386\n", "old.policy", &err);
    if (!p)
        fail_msg("%s", err.message);
    const char *const argv[] = { "true", NULL };
    cordon_task *t = cordon_command_task(argv);
    assert_non_null(t);
    assert_int_equal(cordon_set_policy(t, p), 0);
    assert_int_equal(cordon_task_check(t, &err), 0);
    assert_int_equal(cordon_set_network(t, CORDON_NETWORK_NONE), 0);
    assert_int_equal(cordon_task_check(t, &err), -EINVAL);
    assert_non_null(strstr(err.message, "old.policy:2:1: 'arch i386' lets in the i386 ABI"));
    assert_int_equal(err.line, 2);
    assert_int_equal(cordon_task_check(t, NULL), -EINVAL);
    assert_int_equal(cordon_set_policy(t, NULL), 0);
    assert_int_equal(cordon_task_check(t, &err), 0);
    assert_int_equal(cordon_task_check(NULL, &err), -EINVAL);
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* In the task: a listener on the caller's port (*arg) beside the caller's
 * own, with SO_REUSEPORT: 0 when it listens there, else the errno of the
 * step refused. */
static int joins_the_callers_listener(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return errno;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(*(int *)arg) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
                     bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
                     listen(fd, 8) != 0
                 ? errno : 0;
    close(fd);
    return rc;
}

/* The kernel lets a socket of the same user join a listener that set
 * SO_REUSEPORT and hands it a share of the connections: a task took 88 of
 * 200 of its caller's (and a batch task 109 of 200 of a sibling's).
 * Sharing the caller's network, under the default policy (its own rule)
 * and under none (cordon's guard), the option is refused. */
static void test_network_host_a_task_cannot_join_the_caller_s_listener(void **state)
{
    (void)state;
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof address;
    assert_true(listener >= 0);
    assert_int_equal(setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), 0);
    assert_int_equal(bind(listener, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal(listen(listener, 8), 0);
    assert_int_equal(getsockname(listener, (struct sockaddr *)&address, &len), 0);
    int port = ntohs(address.sin_port);
    for (int no_policy = 0; no_policy < 2; no_policy++) {
        cordon_task *t = cordon_function_task(joins_the_callers_listener, &port);
        if (no_policy)
            cordon_set_policy(t, NULL);
        const cordon_result *r = run_task(t, 0);
        if (r->exit_code != EPERM)
            fail_msg("%s: the task's listener: %s", no_policy ? "no policy" : "default",
                     r->exit_code ? strerror(r->exit_code) : "joined the caller's");
        cordon_task_free(t);
    }
    close(listener);
    /* With a network of its own the listeners it finds are its own: no
     * filter refuses the option (the default policy does, which cannot
     * tell the two apart). */
    cordon_task *own = without_network(joins_the_callers_listener, &port);
    cordon_set_policy(own, NULL);
    assert_int_equal(require_network_namespace(own)->exit_code, 0);
    cordon_task_free(own);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_network_none_cannot_reach_the_caller_s_loopback),
        cmocka_unit_test(test_network_none_cannot_reach_the_caller_s_socket_files),
        cmocka_unit_test(test_network_none_leaves_only_the_namespaces_families),
        cmocka_unit_test(test_network_none_hears_no_device_events),
        cmocka_unit_test(test_network_none_holds_against_a_policy_s_own_allows),
        cmocka_unit_test(test_network_none_meets_the_policy_s_own_rules),
        cmocka_unit_test(test_network_none_has_its_own_loopback),
        cmocka_unit_test(test_network_none_command_sees_only_loopback),
        cmocka_unit_test(test_network_host_is_the_default),
        cmocka_unit_test(test_network_host_default_refuses_families_of_kernel_modules),
        cmocka_unit_test(test_network_none_holds_whatever_forms_the_policy_refuses_itself),
        cmocka_unit_test(test_network_host_a_task_cannot_join_the_caller_s_listener),
        cmocka_unit_test(test_network_none_without_namespaces_fails_closed),
        cmocka_unit_test(test_network_none_after_the_caller_switched_from_root_to_nobody),
        cmocka_unit_test(test_network_none_under_an_i386_policy_names_the_arch_line),
        cmocka_unit_test(test_network_none_under_an_i386_policy_is_found_by_the_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
