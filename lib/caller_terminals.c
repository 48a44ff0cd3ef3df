/*
 * The caller's terminals that a task could open by name in its view of
 * the caller's /dev: its controlling terminal and any of its fds 0-2 that
 * is a terminal, but the pseudo-terminals of /dev/pts, which the task's
 * own devpts replaces (sandbox/own_pts.c).  A task that opened one set its modes:
 * an interrupt key the console then typed killed the caller, and a
 * stopped flow froze its output (sandbox/covered_devices.c covers them).  Where
 * one is a virtual console or the system console, /dev/tty0 (the console
 * shown) and /dev/console (where the kernel's console goes) may be the
 * same terminal, and are named too, as are the terminals behind one the
 * caller holds by such an alias, and a virtual console's screens
 * (/dev/vcs*).
 *
 * Read in the parent before each start in a mount namespace: the
 * controlling terminal's number from /proc/self/stat, the fds' with
 * fstat (a terminal by its class in sysfs), each one's name from
 * /sys/dev/char/MAJOR:MINOR/uevent (else from its number, for the
 * consoles and serial lines): some 5 us a task without one here.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

/* Unix98 pseudo-terminal slaves: /dev/pts/N. */
#define PTY_SLAVE_FIRST_MAJOR 136
#define PTY_SLAVE_LAST_MAJOR 143
#define TTY_MAJOR 4
#define TTYAUX_MAJOR 5 /* /dev/tty, /dev/console, /dev/ptmx */
#define MEMORY_MAJOR 1 /* /dev/null, /dev/zero, ... */
#define VCS_MAJOR 7    /* a virtual console's screen */

static bool is_pseudo_terminal(dev_t device)
{
    return major(device) >= PTY_SLAVE_FIRST_MAJOR && major(device) <= PTY_SLAVE_LAST_MAJOR;
}

/* The controlling terminal's device number, 0 for none: /dev/tty opens
 * only where there is one (ENXIO at once; non-blocking, so that a serial
 * line's carrier is not waited for), and then /proc/self/stat's tty_nr
 * names it.  No ioctl (TIOCGDEV, isatty): a caller's own seccomp filter
 * may kill ioctl, and killed the caller at its task's start. */
static dev_t controlling_terminal(void)
{
    int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    close(fd);
    char text[1024];
    cordon__proc_stat stat;
    if (cordon__read_small_file("/proc/self/stat", text, sizeof text) <= 0 ||
        !cordon__proc_stat_parse(text, &stat))
        return 0;
    /* tty_nr packs the number as the kernel's new_encode_dev */
    unsigned value = (unsigned)stat.tty_nr;
    return makedev((value >> 8) & 0xfff, (value & 0xff) | ((value >> 12) & 0xfff00));
}

/* Whether the character device is a terminal, by its class in sysfs (no
 * ioctl, as above). */
static bool a_terminal(dev_t device)
{
    char path[64], target[256];
    snprintf(path, sizeof path, "/sys/dev/char/%u:%u/subsystem", major(device), minor(device));
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n <= 0)
        return major(device) == TTY_MAJOR; /* no sysfs: the consoles and serial lines */
    target[n] = '\0';
    const char *last = strrchr(target, '/');
    return strcmp(last ? last + 1 : target, "tty") == 0;
}

#define CONSOLE_MINOR 1 /* of TTYAUX_MAJOR: /dev/console */
bool cordon__terminal_that_opens_again(dev_t device)
{
    if (major(device) == TTYAUX_MAJOR)
        return minor(device) == CONSOLE_MINOR;
    return is_pseudo_terminal(device) || (major(device) != MEMORY_MAJOR && a_terminal(device));
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
    if (cordon__read_small_file(path, text, sizeof text) > 0) {
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

/* A terminal sysfs names, by the number it gives it there. */
static void add_named(cordon__caller_terminals *out, const char *name)
{
    char path[96], text[32];
    unsigned device_major, device_minor;
    if (!plain_name(name) || strlen(name) >= 32)
        return;
    snprintf(path, sizeof path, "/sys/class/tty/%s/dev", name);
    if (cordon__read_small_file(path, text, sizeof text) > 0 &&
        sscanf(text, "%u:%u", &device_major, &device_minor) == 2)
        add(out, makedev(device_major, device_minor), name);
}

/* The terminals behind an alias the caller holds: /dev/console's (where
 * the kernel's console goes: "tty0 ttyS0"), /dev/tty0's (the virtual
 * console shown).  A task opened the serial line behind a caller's
 * /dev/console by its own name, and set its modes. */
static void add_behind(cordon__caller_terminals *out, const char *alias, int depth)
{
    char path[96], text[256], *save = NULL;
    snprintf(path, sizeof path, "/sys/class/tty/%s/active", alias);
    if (depth > 1 || cordon__read_small_file(path, text, sizeof text) <= 0)
        return;
    for (char *name = strtok_r(text, " \n", &save); name; name = strtok_r(NULL, " \n", &save)) {
        if (strcmp(name, "tty0") == 0)
            add_behind(out, "tty0", depth + 1);
        else
            add_named(out, name);
    }
}

/* A virtual console's screen, read and written through /dev/vcsN (its
 * text), vcsaN (with attributes) and vcsuN (as Unicode): a task read the
 * caller's console and wrote a prompt of its own onto it. */
static void add_screens(cordon__caller_terminals *out)
{
    static const struct { const char *prefix; unsigned base; } screens[] = {
        { "vcs", 0 }, { "vcsu", 64 }, { "vcsa", 128 },
    };
    bool any = false;
    for (unsigned i = 0, count = out->count; i < count; i++) {
        dev_t device = out->devices[i];
        if (major(device) != TTY_MAJOR || minor(device) == 0 || minor(device) >= 64)
            continue;
        any = true;
        for (size_t k = 0; k < 3; k++) {
            char name[32];
            snprintf(name, sizeof name, "%s%u", screens[k].prefix, minor(device));
            add(out, makedev(VCS_MAJOR, screens[k].base + minor(device)), name);
        }
    }
    /* and the console shown, whichever it is */
    for (size_t k = 0; any && k < 3; k++)
        add(out, makedev(VCS_MAJOR, screens[k].base), screens[k].prefix);
}

void cordon__find_caller_terminals(cordon__caller_terminals *out)
{
    out->count = 0;
    dev_t found[4] = { controlling_terminal(), 0, 0, 0 };
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;
        /* the common ones (a pseudo-terminal, /dev/null) without a look */
        if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && !is_pseudo_terminal(st.st_rdev) &&
            major(st.st_rdev) != MEMORY_MAJOR && a_terminal(st.st_rdev))
            found[fd + 1] = st.st_rdev;
    }
    bool console = false;
    for (int i = 0; i < 4; i++) {
        add(out, found[i], NULL);
        console |= found[i] && a_console(found[i]);
        if (found[i] == makedev(TTYAUX_MAJOR, 1))
            add_behind(out, "console", 0);
        if (found[i] == makedev(TTY_MAJOR, 0))
            add_behind(out, "tty0", 1);
    }
    /* Any non-pseudo terminal may be where the kernel's console goes. */
    if (out->count)
        add(out, makedev(TTYAUX_MAJOR, 1), "console");
    if (console)
        add(out, makedev(TTY_MAJOR, 0), "tty0");
    add_screens(out);
}
