/*
 * The caller's terminals that a task could open by name in its view of
 * the caller's /dev: its controlling terminal and any of its fds 0-2 that
 * is a terminal, but the pseudo-terminals of /dev/pts, which the task's
 * own devpts replaces (own_pts.c).  A task that opened one set its modes:
 * an interrupt key the console then typed killed the caller, and a
 * stopped flow froze its output (covered_devices.c covers them).  Where
 * one is a virtual console or the system console, /dev/tty0 (the console
 * shown) and /dev/console (where the kernel's console goes) may be the
 * same terminal, and are named too.
 *
 * Read in the parent before each start in a mount namespace: the
 * controlling terminal's number with TIOCGDEV, the fds' with fstat, each one's name from /sys/dev/char/MAJOR:MINOR/uevent (else from
 * its number, for the consoles and serial lines).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "confine.h"

/* Unix98 pseudo-terminal slaves: /dev/pts/N. */
#define PTY_SLAVE_FIRST_MAJOR 136
#define PTY_SLAVE_LAST_MAJOR 143
#define TTY_MAJOR 4
#define TTYAUX_MAJOR 5 /* /dev/tty, /dev/console, /dev/ptmx */

static bool is_pseudo_terminal(dev_t device)
{
    return major(device) >= PTY_SLAVE_FIRST_MAJOR && major(device) <= PTY_SLAVE_LAST_MAJOR;
}

/* The controlling terminal's device number, 0 for none: /dev/tty opens
 * it (ENXIO at once without one; non-blocking, so that a serial line's
 * carrier is not waited for) and TIOCGDEV names it.  A tenth of the cost
 * of reading tty_nr from /proc/self/stat. */
static dev_t controlling_terminal(void)
{
    int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    unsigned int device = 0;
    int rc = ioctl(fd, TIOCGDEV, &device);
    close(fd);
    return rc == 0 ? (dev_t)device : 0;
}

static bool plain_name(const char *name)
{
    if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-' || *c == '.'))
            return false;
    return true;
}

/* The device's name in /dev, from sysfs, else from its number. */
static bool device_name(dev_t device, char name[32])
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/sys/dev/char/%u:%u/uevent", major(device), minor(device));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n > 0) {
        text[n] = '\0';
        const char *line = strstr(text, "DEVNAME=");
        if (line) {
            line += 8;
            size_t length = strcspn(line, "\n");
            if (length == 0 || length >= 32)
                return false;
            memcpy(name, line, length);
            name[length] = '\0';
            return plain_name(name);
        }
    }
    if (major(device) == TTY_MAJOR)
        snprintf(name, 32, minor(device) < 64 ? "tty%u" : "ttyS%u",
                 minor(device) < 64 ? minor(device) : minor(device) - 64);
    else if (major(device) == TTYAUX_MAJOR && minor(device) == 1)
        snprintf(name, 32, "console");
    else
        return false;
    return true;
}

static void add(cordon__caller_terminals *out, dev_t device, const char *known_name)
{
    if (!device || is_pseudo_terminal(device) || out->count >= CORDON__CALLER_TERMINALS)
        return;
    /* /dev/tty is each process's own controlling terminal, /dev/ptmx makes new ones */
    if (major(device) == TTYAUX_MAJOR && (minor(device) == 0 || minor(device) == 2))
        return;
    for (unsigned i = 0; i < out->count; i++)
        if (out->devices[i] == device)
            return;
    char *name = out->names[out->count];
    if (known_name)
        snprintf(name, 32, "%s", known_name);
    else if (!device_name(device, name))
        return;
    out->devices[out->count++] = device;
}

static bool a_console(dev_t device)
{
    return (major(device) == TTY_MAJOR && minor(device) < 64) ||
           (major(device) == TTYAUX_MAJOR && minor(device) == 1);
}

void cordon__find_caller_terminals(cordon__caller_terminals *out)
{
    out->count = 0;
    dev_t found[4] = { controlling_terminal(), 0, 0, 0 };
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && isatty(fd))
            found[fd + 1] = st.st_rdev;
    }
    bool console = false;
    for (int i = 0; i < 4; i++) {
        add(out, found[i], NULL);
        console |= found[i] && a_console(found[i]);
    }
    /* Any non-pseudo terminal may be where the kernel's console goes. */
    if (out->count)
        add(out, makedev(TTYAUX_MAJOR, 1), "console");
    if (console)
        add(out, makedev(TTY_MAJOR, 0), "tty0");
}
