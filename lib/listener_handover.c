/*
 * The seccomp listener arrives from the task's child over a socket pair
 * (lib/child.c sends it once the filter is in).  That socket is open in
 * the task's process before the filter — through a function's set-up
 * hook, which is the task's code — so what arrives on it is hostile
 * input: a hook could send a listener of its own (from a filter it
 * installed itself, or a helper process's) ahead of cordon's, and the
 * parent would watch that one while cordon's filter, with no one
 * listening, turned every kill into ENOSYS.
 *
 * cordon's child sends either one byte carrying one fd, a seccomp
 * listener (a command's child the parent waits for in vfork), or an offer:
 * the listener's fd number, which the parent takes out of the sender (its
 * pid from SCM_CREDENTIALS) with pidfd_getfd, answering 'T'; where that
 * is refused it answers 'S' and the one byte with the fd follows.  No fd
 * then travels over a unix socket, where a task of the same user holding
 * fds in flight made the send fail.  Whatever else arrives — a message
 * past those, another shape, another kind of fd — means the channel is
 * not cordon's alone, and no listener received on it can be trusted to be
 * the filter's: the hand-over is refused, the task ended and the ending
 * named ConfinementError.  A forged message ahead of cordon's is always
 * seen: cordon's own follows it (or the child fails its set-up), and the
 * socket is read to the end after the task's end as well.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* Messages read at one wake-up: cordon sends one, more is refused. */
#define HANDOVER_READS 4
#define MAX_FDS CORDON__HANDOVER_MAX_FDS

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The fds a message carried, at most MAX_FDS (the kernel closes the
 * rest, and says so with MSG_CTRUNC); their number. */
static int received_fds(struct msghdr *message, int fds[MAX_FDS])
{
    int count = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n && count < MAX_FDS; i++)
            memcpy(&fds[count++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    return count;
}

/* The kernel names a listener's file "anon_inode:seccomp notify".  Without
 * /proc the kind cannot be read; the count of messages still holds. */
static bool not_a_listener(int fd)
{
    char path[32], target[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    return strcmp(target, "anon_inode:seccomp notify") != 0;
}

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* The sender's pid, from the credentials the kernel attached (SO_PASSCRED
 * on the parent's end), or 0. */
static pid_t sender_of(struct msghdr *message)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(c), sizeof cred);
            return cred.pid;
        }
    }
    return 0;
}

/* The offered fd taken out of its sender, or -errno. */
static int take_offered(pid_t sender, const char *data)
{
    int number;
    memcpy(&number, data + 1, sizeof number);
    if (sender <= 0)
        return -ESRCH;
    int pidfd = (int)syscall(SYS_pidfd_open, sender, 0);
    if (pidfd < 0)
        return -errno;
    int fd = (int)syscall(SYS_pidfd_getfd, pidfd, number, 0);
    int saved = errno;
    close(pidfd);
    return fd < 0 ? -saved : fd;
}

/* NULL once answered; what was wrong otherwise.  A child gone before the
 * answer (ended by the deadline, a limit, a kill, while it offered) has no
 * end of the socket left: the hand-over ends with it, and nothing is
 * forged (the task never ran, and no process is left to send more). */
static const char *answer(cordon__attempt_state *s, char word, const char *offer)
{
    char reply[CORDON__ANSWER_SIZE] = { word };
    memcpy(reply + 1, offer + 1 + sizeof(int), CORDON__ANSWER_SIZE - 1); /* the offer's word */
    ssize_t n;
    do
        n = send(s->listener_socket, reply, sizeof reply, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof reply)
        return NULL;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
        close_fd(&s->listener_socket);
        return NULL;
    }
    return "a socket that takes no answer";
}

/* An offer: the fd taken (and 'T'), or 'S' asked for; what was wrong, or
 * NULL (a taken fd that is no listener goes to fds[0], *count 1). */
static const char *accept_offer(cordon__attempt_state *s, struct msghdr *message,
                                const char *data, int fds[MAX_FDS], int *count)
{
    int taken = take_offered(sender_of(message), data);
    if (taken >= 0 && not_a_listener(taken)) {
        fds[0] = taken;
        *count = 1;
        return "an offered fd that is not a seccomp listener";
    }
    if (taken >= 0) {
        s->listener_fd = taken;
        s->listener_received = true;
        return answer(s, CORDON__LISTENER_TAKEN, data);
    }
    s->listener_send_asked = true;
    return answer(s, CORDON__LISTENER_SEND, data);
}

/* One message: false when there is none to read now, or it ended the
 * hand-over (the end of the socket, or a refusal, which ends the task). */
static bool receive_one(cordon__attempt_state *s, void (*end_task)(cordon__attempt_state *))
{
    char data[CORDON__OFFER_SIZE + 3];
    struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(MAX_FDS * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
    } control;
    struct msghdr message = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.space, .msg_controllen = sizeof control.space,
    };
    ssize_t n;
    do
        n = recvmsg(s->listener_socket, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return false;
    if (n <= 0) { /* the end: every copy of the child's end is closed */
        close_fd(&s->listener_socket);
        return false;
    }
    int fds[MAX_FDS];
    int count = received_fds(&message, fds);
    bool offer = n == (ssize_t)CORDON__OFFER_SIZE && data[0] == CORDON__LISTENER_OFFER &&
                 count == 0 && !s->listener_send_asked;
    const char *problem = s->listener_received ? "a second message"
                          : message.msg_flags & (MSG_CTRUNC | MSG_TRUNC)
                              ? "a message not of cordon's shape"
                          : offer ? accept_offer(s, &message, data, fds, &count)
                          : n != 1 || count != 1 ? "a message not of cordon's shape"
                          : not_a_listener(fds[0]) ? "an fd that is not a seccomp listener" : NULL;
    if (offer && !problem)
        return s->listener_received; /* 'S': the fd follows */
    if (problem) {
        /* Nothing received is answered any more, and nothing closed
         * before the attempt ends: a listener closed now (cordon's may be
         * among them, or still in the socket) would answer a call the
         * task is held in with ENOSYS and let it run on while it dies. */
        s->handover_forged = problem;
        for (int i = 0; i < count; i++)
            s->forged_fds[s->forged_fd_count++] = fds[i];
        if (s->listener_fd >= 0)
            s->forged_fds[s->forged_fd_count++] = s->listener_fd;
        s->listener_fd = -1;
        end_task(s);
        return false;
    }
    s->listener_fd = fds[0];
    s->listener_received = true;
    return true;
}

void cordon__listener_receive(cordon__attempt_state *s,
                              void (*end_task)(cordon__attempt_state *))
{
    for (int i = 0; i < HANDOVER_READS && s->listener_socket >= 0 && !s->handover_forged; i++) {
        if (!receive_one(s, end_task))
            break;
    }
}

void cordon__listener_release(cordon__attempt_state *s)
{
    close_fd(&s->listener_socket);
    close_fd(&s->listener_fd);
    for (int i = 0; i < s->forged_fd_count; i++)
        close(s->forged_fds[i]);
    s->forged_fd_count = 0;
}
