/*
 * A task's own network namespace (CORDON_NETWORK_NONE): it holds one
 * interface, loopback, and no route out, so the task reaches no address
 * of the machine's or the world's — not even the caller's 127.0.0.1,
 * which is another namespace's loopback.  The loopback of its own is
 * brought up here, so that programs that talk to themselves over
 * 127.0.0.1 still work.
 *
 * One ioctl on a socket, rather than a netlink conversation: it needs no
 * buffer and is a plain system call, safe between fork and exec.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "confine.h"

int cordon__bring_up_loopback(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    memcpy(request.ifr_name, "lo", 3);
    int rc = 0;
    if (ioctl(fd, SIOCGIFFLAGS, &request) != 0)
        rc = -errno;
    if (rc == 0 && !(request.ifr_flags & IFF_UP)) {
        request.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &request) != 0)
            rc = -errno;
    }
    close(fd);
    return rc;
}
