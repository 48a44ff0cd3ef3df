/* A task that keeps fds in flight over unix sockets, counted per user
 * against the sender's soft RLIMIT_NOFILE (tests/test_isolation.c):
 *
 *   fds_in_flight plain READY      raises its soft limit to its hard one,
 *                                  sends until the kernel refuses
 *   fds_in_flight waiting N READY  N threads each fill a datagram receiver
 *                                  of their own, then send and wait for
 *                                  room: the kernel checks the count once,
 *                                  before the wait, and counts the fds
 *                                  when the send goes through, so every
 *                                  waiting sender gets past any limit
 *
 * Then it prints how many are in flight and its hard limit, creates the
 * file READY, and holds them until that file is gone. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { COPIES = 253, MOST = 1000 };
static int carried_fd, receivers[MOST], sent[MOST];
static int waiting;

/* `fd` COPIES times in one message over `s`: COPIES, or -errno. */
static int send_copies(int s, int fd, int flags)
{
    char byte = 0;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(COPIES * sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                              .msg_controllen = sizeof control.space };
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(COPIES * sizeof(int));
    for (int k = 0; k < COPIES; k++)
        memcpy(CMSG_DATA(cmsg) + k * sizeof(int), &fd, sizeof(int));
    return sendmsg(s, &message, flags) == 1 ? COPIES : -errno;
}

/* Socket pairs whose receiving end holds its own copies, until refused. */
static long send_plainly(void)
{
    struct rlimit open_files;
    getrlimit(RLIMIT_NOFILE, &open_files);
    open_files.rlim_cur = open_files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &open_files);
    long in_flight = 0;
    for (int refused = 0; !refused && in_flight < 4000000;) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0)
            break;
        int n;
        while ((n = send_copies(pair[0], pair[1], MSG_DONTWAIT)) > 0)
            in_flight += n;
        refused = n != -EAGAIN;
        close(pair[0]);
    }
    return in_flight;
}

static void *send_when_let_in(void *arg)
{
    int i = (int)(long)arg;
    struct sockaddr_un address;
    socklen_t length = sizeof address;
    getsockname(receivers[i], (struct sockaddr *)&address, &length);
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0 && connect(s, (struct sockaddr *)&address, length) == 0) {
        while (send(s, "x", 1, MSG_DONTWAIT) == 1)
            ;
        __atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
        sent[i] = send_copies(s, carried_fd, 0);
    } else {
        __atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static long send_waiting(int threads)
{
    for (int i = 0; i < threads; i++) {
        receivers[i] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un autobind = { .sun_family = AF_UNIX };
        if (receivers[i] < 0 ||
            bind(receivers[i], (struct sockaddr *)&autobind, sizeof(sa_family_t)) != 0)
            return -1;
    }
    pthread_t thread[MOST];
    for (int i = 0; i < threads; i++)
        if (pthread_create(&thread[i], NULL, send_when_let_in, (void *)(long)i) != 0)
            return -1;
    while (__atomic_load_n(&waiting, __ATOMIC_SEQ_CST) < threads)
        usleep(1000);
    usleep(300000); /* each sender is waiting for room by now */
    char buffer[8];
    for (int i = 0; i < threads; i++)
        recv(receivers[i], buffer, sizeof buffer, MSG_DONTWAIT);
    long in_flight = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(thread[i], NULL);
        in_flight += sent[i] > 0 ? sent[i] : 0;
    }
    return in_flight;
}

int main(int argc, char **argv)
{
    bool plain = argc == 3 && strcmp(argv[1], "plain") == 0;
    int threads = argc == 4 && strcmp(argv[1], "waiting") == 0 ? atoi(argv[2]) : 0;
    if (!plain && (threads < 1 || threads > MOST))
        return 2;
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        return 1;
    carried_fd = pipe_fds[0];
    long in_flight = plain ? send_plainly() : send_waiting(threads);
    if (in_flight < 0)
        return 1;
    struct rlimit open_files;
    getrlimit(RLIMIT_NOFILE, &open_files);
    printf("%ld in flight, RLIMIT_NOFILE %llu\n", in_flight,
           (unsigned long long)open_files.rlim_max);
    fflush(stdout);
    const char *ready = argv[argc - 1];
    int made = open(ready, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (made < 0)
        return 1;
    close(made);
    for (int waited = 0; waited < 30000 && access(ready, F_OK) == 0; waited += 5)
        usleep(5000);
    return 0;
}
