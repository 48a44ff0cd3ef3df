/* A task that keeps fds in flight over unix sockets past any
 * RLIMIT_NOFILE (tests/test_isolation.c): each of its threads fills a
 * datagram receiver of its own, then sends 253 copies of an fd to it and
 * waits for room.  The kernel checks the user's count of fds in flight
 * once, before that wait, and counts them when the send goes through, so
 * every waiting sender gets past the check.  Once all wait, the main
 * thread makes room in each receiver, says how many went through by
 * creating the file READY, and holds them until that file is gone.
 *
 *   fds_in_flight THREADS READY
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

static void *send_when_let_in(void *arg)
{
    int i = (int)(long)arg;
    struct sockaddr_un address;
    socklen_t length = sizeof address;
    getsockname(receivers[i], (struct sockaddr *)&address, &length);
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&address, length) != 0) {
        sent[i] = -errno;
        __atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
        return NULL;
    }
    while (send(s, "x", 1, MSG_DONTWAIT) == 1)
        ;
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
        memcpy(CMSG_DATA(cmsg) + k * sizeof(int), &carried_fd, sizeof(int));
    __atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
    sent[i] = sendmsg(s, &message, 0) == 1 ? COPIES : -errno;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int threads = atoi(argv[1]);
    if (threads < 1 || threads > MOST)
        return 2;
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        return 1;
    carried_fd = pipe_fds[0];
    for (int i = 0; i < threads; i++) {
        receivers[i] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un autobind = { .sun_family = AF_UNIX };
        if (receivers[i] < 0 || bind(receivers[i], (struct sockaddr *)&autobind,
                                     sizeof(sa_family_t)) != 0)
            return 1;
    }
    pthread_t thread[MOST];
    for (int i = 0; i < threads; i++)
        if (pthread_create(&thread[i], NULL, send_when_let_in, (void *)(long)i) != 0)
            return 1;
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
    struct rlimit open_files;
    getrlimit(RLIMIT_NOFILE, &open_files);
    printf("%ld in flight, RLIMIT_NOFILE %llu\n", in_flight,
           (unsigned long long)open_files.rlim_max);
    fflush(stdout);
    int ready = open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (ready < 0)
        return 1;
    close(ready);
    for (int waited = 0; waited < 30000 && access(argv[2], F_OK) == 0; waited += 5)
        usleep(5000);
    return 0;
}
