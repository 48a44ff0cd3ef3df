/*
 * Where the kernel's file systems of settings and processes are mounted
 * in the caller's mount namespace, wherever that is: the Landlock fence
 * of a task without a mount namespace (landlock_fence.c) must leave every
 * one of them out, not only the top-level /proc and /sys.  A second proc
 * under /run or /mnt (a container runtime's, an administrator's), a
 * cgroup hierarchy mounted for delegation, a bind mount of one file of
 * /proc/sys: each is a way to the caller's /proc/PID files or the
 * machine's settings beneath a directory the fence would grant.
 *
 * With a mount namespace the task's view is a copy of the caller's, and
 * those mounts come along: a second proc shows the machine's processes
 * past the task's pid namespace (and, to a root task, the kernel's
 * settings), so the init covers each (hidden_mounts.c) but those beneath
 * /proc and /sys, which the task's own /proc and a read-only /sys cover;
 * beneath /sys, those that show the machine's secrets even read-only
 * (debugfs, tracefs, ...: secret_types) are covered too.
 *
 * The caller's terminals, POSIX shared memory, message queues, huge page
 * files and device nodes are the same kind of door: cordon gives the task
 * its own /dev/pts, /dev/shm and /dev/mqueue (and, asked, a minimal /dev),
 * but a second mount of them elsewhere (a chroot's `mount --rbind /dev`)
 * came along into the view: a task read what the user typed on the
 * caller's terminal and wrote into the caller's shared memory through
 * it.  Those are covered too (a devpts, mqueue, hugetlbfs or devtmpfs
 * anywhere but where cordon puts the task's own, and any other mount of
 * the file system that holds /dev/shm), in the init only: the fence of a
 * task without a mount namespace is about writing to the kernel's
 * settings, and such a task's /dev is the caller's anyway.
 *
 * Read from /proc/thread-self/mountinfo, whose file system type is the mount's
 * source's, so a bind mount of a piece of /proc shows as proc; read again
 * only when the mount table changed (the file polls POLLPRI then), a
 * path of it no longer leads to its mount (a parent directory renamed),
 * or a task's view was copied from another table than the one read.
 * Parent side: allocates.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fork_reset.h"
#include "confine.h"
#include "held_fds.h"
#include "per_task_state.h"

static const char *const kernel_types[] = {
    "proc",     "sysfs",    "cgroup",      "cgroup2", "debugfs", "tracefs",
    "securityfs", "bpf",    "configfs",    "efivarfs", "pstore", "binfmt_misc",
    "fusectl",  "selinuxfs", "smackfs",
    /* a namespace's file bound (`ip netns add` puts one at /run/netns/NAME):
     * it names and pins a namespace of the machine's */
    "nsfs",
};

static bool kernel_type(const char *type)
{
    for (size_t i = 0; i < sizeof kernel_types / sizeof *kernel_types; i++)
        if (!strcmp(type, kernel_types[i]))
            return true;
    return false;
}

/* Of those, the ones a read-only /sys still shows too much through, at
 * their usual places beneath it (/sys/kernel/debug, /sys/kernel/tracing,
 * /sys/kernel/security, /sys/fs/pstore, /sys/fs/bpf, ...): a root task
 * under --isolate isolated read the scheduler's table of every process on
 * the machine (debugfs's sched/debug) and the kernel's trace buffers; the
 * IMA list of every file run, crash logs of earlier boots and EFI
 * variables are as near.  Covered wherever they are, /sys included.  The
 * cgroup hierarchies beneath /sys/fs/cgroup stay (runtimes read their
 * limits there), and so do SELinux's and Smack's, which programs read to
 * label their files. */
static const char *const secret_types[] = {
    "debugfs", "tracefs", "securityfs", "pstore", "bpf", "configfs", "efivarfs",
};

static bool secret_type(const char *type)
{
    for (size_t i = 0; i < sizeof secret_types / sizeof *secret_types; i++)
        if (!strcmp(type, secret_types[i]))
            return true;
    return false;
}

/* mountinfo writes a space, tab, newline and backslash of a path as \ooo. */
static void unescape(char *text)
{
    char *out = text;
    for (const char *in = text; *in; out++) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
            in[3] >= '0' && in[3] <= '7') {
            *out = (char)((in[1] - '0') << 6 | (in[2] - '0') << 3 | (in[3] - '0'));
            in += 4;
        } else {
            *out = *in++;
        }
    }
    *out = '\0';
}

/* The file systems through which the caller's terminals and shared
 * state show, and where cordon mounts the task's own of each. */
static const struct { const char *type, *own_place; } caller_state_types[] = {
    { "devpts", "/dev/pts" }, { "mqueue", "/dev/mqueue" },
    { "hugetlbfs", NULL },    { "devtmpfs", "/dev" },
};

/* One line: id parent major:minor root MOUNT_POINT options [tags] - TYPE ... */
typedef struct mount_line {
    const char *point, *type;
    dev_t device;
    size_t line;        /* of the table, from 0 */
} mount_line;

static bool read_line(char *line, mount_line *m)
{
    char *fields[5], *save = NULL, *word = strtok_r(line, " \n", &save);
    int count = 0;
    for (; word && count < 5; word = strtok_r(NULL, " \n", &save))
        fields[count++] = word;
    if (count < 5)
        return false;
    for (; word && strcmp(word, "-") != 0; word = strtok_r(NULL, " \n", &save))
        ;
    m->type = word ? strtok_r(NULL, " \n", &save) : NULL;
    unsigned major, minor;
    if (!m->type || sscanf(fields[2], "%u:%u", &major, &minor) != 2)
        return false;
    m->device = makedev(major, minor);
    unescape(fields[4]);
    m->point = fields[4];
    return m->point[0] == '/';
}

/* A mount of the caller's terminals or shared state, other than the one
 * cordon replaces with the task's own: `shm_device` is the file system
 * that holds the caller's /dev/shm, `shm_mount` where it is mounted. */
static bool caller_state_mount(const mount_line *m, dev_t shm_device, const char *shm_mount)
{
    for (size_t i = 0; i < sizeof caller_state_types / sizeof *caller_state_types; i++)
        if (!strcmp(m->type, caller_state_types[i].type))
            return !caller_state_types[i].own_place ||
                   strcmp(m->point, caller_state_types[i].own_place) != 0;
    return shm_device && m->device == shm_device && strcmp(m->point, shm_mount) != 0;
}

static int add_path(cordon__path_list *list, const char *path, cordon__mount_place place)
{
    char **grown = realloc(list->paths, (list->count + 1) * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    list->paths = grown;
    cordon__mount_place *places = realloc(list->places, (list->count + 1) * sizeof *places);
    if (!places)
        return -ENOMEM;
    list->places = places;
    if (!(grown[list->count] = strdup(path)))
        return -ENOMEM;
    places[list->count++] = place;
    return 0;
}

/* Where `m` is, as the init finds it again in the task's view
 * (hidden_mounts.c); whether its path leads to it is known once the whole
 * table is read (lists_read). */
static cordon__mount_place place_of(const mount_line *m)
{
    return (cordon__mount_place){ .device = m->device, .line = m->line };
}

/* `point` is /dev/shm or a directory above it, other than the root. */
static bool above_dev_shm(const char *point)
{
    size_t len = strlen(point);
    return len > 1 && !strncmp("/dev/shm", point, len) && ("/dev/shm"[len] == '\0' ||
                                                          "/dev/shm"[len] == '/');
}

/* The mount that holds /dev/shm, if it is a tmpfs (a container's /dev/shm
 * may be a directory of its /dev): its file system, and in `point` where
 * it is mounted; 0 where there is none.  A /dev/shm that is a directory of
 * a disk, or of a root on tmpfs, is left out: every bind of that file
 * system would count as the caller's shared memory. */
static dev_t shm_mount_of(FILE *mounts, char *point, size_t size)
{
    struct stat st;
    if (stat("/dev/shm", &st) != 0)
        return 0;
    char *line = NULL;
    size_t line_size = 0, deepest = 0;
    mount_line m;
    while (getline(&line, &line_size, mounts) >= 0)
        if (read_line(line, &m) && m.device == st.st_dev && !strcmp(m.type, "tmpfs") &&
            above_dev_shm(m.point) && strlen(m.point) >= deepest && strlen(m.point) < size) {
            deepest = strlen(m.point);
            memcpy(point, m.point, deepest + 1);
        }
    free(line);
    rewind(mounts);
    return deepest ? st.st_dev : 0;
}

/* Each mount of the caller's, in the table's order, to `visit` with what
 * holds /dev/shm (shm_mount_of), until it returns non-zero; in `digest`
 * the digest of the table read (mount_table_digest.c). */
typedef int (*mount_visit)(const mount_line *m, dev_t shm_device, const char *shm_mount,
                           void *arg);

static int each_mount(mount_visit visit, void *arg, uint64_t *digest)
{
    /* The calling thread's: the one the task's view is copied from (a
     * thread may have a mount namespace of its own). */
    FILE *mounts = fopen("/proc/thread-self/mountinfo", "re");
    if (!mounts)
        return -errno;
    char shm_mount[PATH_MAX] = "";
    dev_t shm_device = shm_mount_of(mounts, shm_mount, sizeof shm_mount);
    char *line = NULL;
    size_t size = 0;
    ssize_t length;
    int rc = 0;
    mount_line m;
    cordon__mount_table_digest read;
    cordon__mount_table_digest_start(&read);
    for (size_t number = 0; rc == 0 && (length = getline(&line, &size, mounts)) >= 0; number++) {
        cordon__mount_table_digest_add(&read, line, (size_t)length);
        m.line = number;
        if (read_line(line, &m))
            rc = visit(&m, shm_device, shm_mount, arg);
    }
    if (rc == 0 && ferror(mounts))
        rc = -EIO;
    *digest = cordon__mount_table_digest_end(&read);
    free(line);
    fclose(mounts);
    return rc;
}

typedef struct kernel_and_state {
    cordon__path_list *kernel, *secret, *caller_state;
    cordon__path_list every;    /* every mount point of the table, in its order */
} kernel_and_state;

static int note_kernel_or_state(const mount_line *m, dev_t shm_device, const char *shm_mount,
                                void *arg)
{
    kernel_and_state *lists = arg;
    int rc = add_path(&lists->every, m->point, place_of(m));
    if (rc < 0)
        return rc;
    if (kernel_type(m->type))
        return add_path(secret_type(m->type) ? lists->secret : lists->kernel, m->point,
                        place_of(m));
    if (caller_state_mount(m, shm_device, shm_mount))
        return add_path(lists->caller_state, m->point, place_of(m));
    return 0;
}


/* Whether each mount's path leads to it, from the table alone (a stat of
 * the path, made after the read, raced a rename and took a mount its
 * path led to for one hidden): none of the table's later mounts is at its
 * point or above it (a second mount at the same point, a tmpfs over a
 * directory above). */
static void mark_reached(cordon__path_list *list, const cordon__path_list *every)
{
    for (size_t i = 0; i < list->count; i++) {
        bool hidden = false;
        for (size_t j = 0; j < every->count && !hidden; j++)
            hidden = every->places[j].line > list->places[i].line &&
                     cordon__path_at_or_beneath(list->paths[i], every->paths[j]);
        list->places[i].reached = !hidden;
    }
}

/* The mount points of the kernel's file systems of settings and
 * processes (proc, sysfs, cgroup, ...), those that show the machine's
 * secrets even read-only (debugfs, tracefs, securityfs, ...: `secret`),
 * and those of the caller's terminals and shared state.  0 or -errno. */
static int read_kernel_mounts(cordon__path_list *kernel, cordon__path_list *secret,
                              cordon__path_list *caller_state, uint64_t *digest)
{
    *kernel = (cordon__path_list){ .paths = NULL };
    *secret = (cordon__path_list){ .paths = NULL };
    *caller_state = (cordon__path_list){ .paths = NULL };
    kernel_and_state lists = { kernel, secret, caller_state, { .paths = NULL } };
    int rc = each_mount(note_kernel_or_state, &lists, digest);
    if (rc == 0) {
        mark_reached(kernel, &lists.every);
        mark_reached(secret, &lists.every);
        mark_reached(caller_state, &lists.every);
    }
    cordon__path_list_free(&lists.every);
    if (rc < 0) {
        cordon__path_list_free(kernel);
        cordon__path_list_free(secret);
        cordon__path_list_free(caller_state);
    }
    return rc;
}

/* ---- What a bind brings along ----------------------------------------
 *
 * A bind takes the mounts beneath its source with it (a user namespace
 * locks them to it): a bind of / to /mnt shows the caller's /proc at
 * /mnt/proc and its /sys, terminals and shared memory below /mnt, where
 * neither the task's own /proc, /sys and /dev nor the covers above are.
 * A writable bind in a read-only view is even cloned before those exist
 * (private_mounts.c): a task read the machine's processes, raised another
 * process's oom_score_adj and, as root, opened the kernel's settings for
 * writing through it; under a minimal /dev, a bind of / or /dev showed
 * the caller's terminals and shared memory. */

/* The file systems whose mounts a task's view covers wherever they are
 * reached: the kernel's, the caller's terminals, devices and shared
 * memory. */
static bool covered_kind(const mount_line *m, dev_t shm_device)
{
    if (kernel_type(m->type))
        return true;
    for (size_t i = 0; i < sizeof caller_state_types / sizeof *caller_state_types; i++)
        if (!strcmp(m->type, caller_state_types[i].type))
            return true;
    return shm_device && m->device == shm_device;
}

/* What follows `dir` in `path` beneath it (with its '/'), else NULL. */
static const char *rest_beneath(const char *path, const char *dir)
{
    if (!strcmp(dir, "/"))
        return path[1] ? path : NULL;
    size_t len = strlen(dir);
    return !strncmp(path, dir, len) && path[len] == '/' ? path + len : NULL;
}

bool cordon__path_at_or_beneath(const char *path, const char *dir)
{
    return !strcmp(path, dir) || rest_beneath(path, dir);
}

/* `m`'s place beneath a bind's target: in a view not made yet, which
 * the parent cannot look at (not `reached`). */
static int add_joined(cordon__path_list *list, const char *target, const char *rest,
                      const mount_line *m)
{
    char path[PATH_MAX];
    int len = snprintf(path, sizeof path, "%s%s", strcmp(target, "/") ? target : "", rest);
    if (len < 0 || (size_t)len >= sizeof path)
        return -ENAMETOOLONG;
    return add_path(list, path, (cordon__mount_place){ .device = m->device });
}

/* Whether `m` holds `path` (its mount point is the path or above it), at
 * least as deep as `depth`. */
static bool holds(const mount_line *m, const char *path, size_t depth)
{
    size_t len = strlen(m->point);
    return len >= depth && cordon__path_at_or_beneath(path, m->point);
}

/* What the walk learns of each bind. */
typedef struct bind_walk {
    const cordon__bind *binds;
    size_t count;
    cordon__path_list *covers;
    size_t depth[CORDON__MAX_BINDS];           /* of the mount that holds the source */
    bool source_covered[CORDON__MAX_BINDS];
    char holder[CORDON__MAX_BINDS][sizeof ((cordon__bind_refusal *)0)->mount];
} bind_walk;

static int note_bind_reach(const mount_line *m, dev_t shm_device, const char *shm_mount,
                           void *arg)
{
    (void)shm_mount;
    bind_walk *walk = arg;
    bool covered = covered_kind(m, shm_device);
    int rc = 0;
    for (size_t i = 0; i < walk->count && rc == 0; i++) {
        const cordon__bind *bind = &walk->binds[i];
        const char *rest = rest_beneath(m->point, bind->source);
        if (rest && covered)
            rc = add_joined(walk->covers, bind->target, rest, m);
        /* The mount that holds the source: a later one at the same point
         * is above the earlier. */
        if (holds(m, bind->source, walk->depth[i])) {
            walk->depth[i] = strlen(m->point);
            walk->source_covered[i] = covered && strcmp(m->type, "devtmpfs") != 0;
            snprintf(walk->holder[i], sizeof walk->holder[i], "%s (%s)", m->point, m->type);
        }
    }
    return rc;
}

int cordon__bind_reach(const cordon__bind *binds, size_t count, cordon__path_list *covers,
                       cordon__bind_refusal *refused, uint64_t *table_digest)
{
    *covers = (cordon__path_list){ .paths = NULL };
    refused->index = -1;
    if (!count)
        return 0;
    bind_walk *walk = calloc(1, sizeof *walk);
    if (!walk)
        return -ENOMEM;
    walk->binds = binds;
    walk->count = count < CORDON__MAX_BINDS ? count : CORDON__MAX_BINDS;
    walk->covers = covers;
    int rc = each_mount(note_bind_reach, walk, table_digest);
    for (size_t i = 0; rc == 0 && i < walk->count; i++)
        if (walk->source_covered[i]) {
            refused->index = (int)i;
            memcpy(refused->mount, walk->holder[i], sizeof refused->mount);
            rc = -EXDEV;
        }
    free(walk);
    if (rc < 0)
        cordon__path_list_free(covers);
    return rc;
}

void cordon__path_list_free(cordon__path_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->paths[i]);
    free(list->paths);
    free(list->places);
    list->paths = NULL;
    list->places = NULL;
    list->count = 0;
}

static bool beneath_proc(const char *path)
{
    return cordon__path_at_or_beneath(path, "/proc");
}

/* Beneath /proc or /sys, or one of them. */
static bool beneath_proc_or_sys(const char *path)
{
    return beneath_proc(path) || cordon__path_at_or_beneath(path, "/sys");
}

static int copy_list(const cordon__path_list *from, cordon__path_list *to)
{
    *to = (cordon__path_list){ .paths = NULL };
    for (size_t i = 0; i < from->count; i++) {
        int rc = add_path(to, from->paths[i], from->places[i]);
        if (rc < 0) {
            cordon__path_list_free(to);
            return rc;
        }
    }
    return 0;
}

static struct {
    pthread_mutex_t lock;
    pid_t owner;
    int watch;                  /* the mountinfo, polled for changes */
    cordon__path_list elsewhere;
    cordon__path_list caller_state; /* the caller's terminals and shared state */
    uint64_t *mount_ids;        /* the mount each path led to when read (0: unknown),
                                 * elsewhere's then caller_state's */
    uint64_t digest;            /* of the table read (mount_table_digest.c) */
    struct stat watch_stat;     /* the watch as opened (held_fds.h) */
    unsigned generation;
    bool known;
} cache CORDON__PER_TASK_STATE = { .lock = PTHREAD_MUTEX_INITIALIZER, .watch = -1 };
CORDON__RESET_IN_FORKED_COPIES(&cache.lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&cache.owner);

/* An fd of the mountinfo, -1 where it cannot be had (no /proc): it polls
 * POLLPRI once the table changed since it was opened (true for -1). */
static int open_watch(void)
{
    return open("/proc/thread-self/mountinfo", O_RDONLY | O_CLOEXEC);
}

static bool changed_since_opened(int watch)
{
    struct pollfd table = { .fd = watch, .events = POLLPRI };
    int rc = -1;
    while (watch >= 0 && (rc = poll(&table, 1, 0)) < 0 && errno == EINTR)
        ;
    return rc != 0;
}

/* The mount `path` leads to, not following a link at its end; 0 where
 * it leads nowhere or the kernel does not say (before Linux 5.8). */
static uint64_t mount_id_at(const char *path)
{
    struct statx st;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID, &st) != 0 ||
        !(st.stx_mask & STATX_MNT_ID))
        return 0;
    return st.stx_mnt_id;
}

/* A rename of a directory above a mount moves the mount without
 * changing the table (nothing to poll): its path then leads nowhere,
 * or to whatever was left in its place.  A second proc in a chroot
 * whose parent an earlier task renamed stayed uncovered for the next
 * task, which set the caller's oom_score_adj through it. */
static size_t cached_count(void)
{
    return cache.elsewhere.count + cache.caller_state.count;
}

static const char *cached_path(size_t i)
{
    return i < cache.elsewhere.count ? cache.elsewhere.paths[i]
                                     : cache.caller_state.paths[i - cache.elsewhere.count];
}

static bool paths_moved(void)
{
    /* A path that led to no mount when read (hidden beneath a later
     * mount, unreachable) is 0 both times while it stays so. */
    for (size_t i = 0; i < cached_count(); i++)
        if (!cache.mount_ids || mount_id_at(cached_path(i)) != cache.mount_ids[i])
            return true;
    return false;
}

static void note_mount_ids(void)
{
    free(cache.mount_ids);
    cache.mount_ids = cached_count() ? calloc(cached_count(), sizeof *cache.mount_ids) : NULL;
    for (size_t i = 0; cache.mount_ids && i < cached_count(); i++)
        cache.mount_ids[i] = mount_id_at(cached_path(i));
}

/* The lists read again; on a failure to read them the old ones stay, the
 * generation moves on regardless (the fence is made again). */
static void read_again(void)
{
    if (cache.watch >= 0)
        close(cache.watch);
    /* Opened first: a change while the table is read is seen next time. */
    cache.watch = open_watch();
    if (cache.watch >= 0 &&
        (fstat(cache.watch, &cache.watch_stat) != 0 || cordon__held_fd_mark(cache.watch) < 0)) {
        close(cache.watch);
        cache.watch = -1;
    }
    cordon__path_list kernel, secret, caller_state;
    uint64_t digest;
    if (read_kernel_mounts(&kernel, &secret, &caller_state, &digest) == 0) {
        cache.digest = digest;
        cordon__path_list_free(&cache.elsewhere);
        cordon__path_list_free(&cache.caller_state);
        cache.caller_state = caller_state;
        for (size_t i = 0; i < kernel.count; i++)
            if (!beneath_proc_or_sys(kernel.paths[i]) &&
                add_path(&cache.elsewhere, kernel.paths[i], kernel.places[i]) < 0)
                break;
        /* Beneath /proc the task's own proc hides them already. */
        for (size_t i = 0; i < secret.count; i++)
            if (!beneath_proc(secret.paths[i]) &&
                add_path(&cache.elsewhere, secret.paths[i], secret.places[i]) < 0)
                break;
        cordon__path_list_free(&kernel);
        cordon__path_list_free(&secret);
    }
    note_mount_ids();
    cache.generation++;
    cache.known = true;
}

/* Under the lock: the lists as they are now. */
static void bring_up_to_date(void)
{
    /* A forked copy's fd of its parent's may be its own file by now (a
     * daemon closes what it inherits): forgotten, not closed. */
    if (cache.owner != getpid()) {
        cache.owner = getpid();
        cache.watch = -1;
        cache.known = false;
    }
    /* So is one the caller closed (closefrom(3)): its number polled, the
     * caller's pipe there said no change for good, and was closed at the
     * next one (held_fds.h). */
    if (cache.watch >= 0 && !cordon__held_fd_is_marked(cache.watch, NULL, &cache.watch_stat)) {
        cache.watch = -1;
        cache.known = false;
    }
    if (!cache.known || changed_since_opened(cache.watch) || paths_moved())
        read_again();
}

/* One cover for each path: mounts stacked at one point (a chroot's proc
 * mounted twice) are covered whole by one on top, where a cover of the
 * lower one went (the kernel puts a mount on a covered point on top), and
 * the upper one's path then led to that cover, not to the mount it had
 * led to: every start failed.  The top one's is kept. */
static void one_per_path(cordon__path_list *list)
{
    /* Marked first (a line past every one), then dropped. */
    for (size_t i = 0; i < list->count; i++)
        for (size_t j = 0; j < list->count && list->places[i].line != SIZE_MAX; j++)
            if (list->places[j].line < list->places[i].line &&
                !strcmp(list->paths[j], list->paths[i]))
                list->places[j].line = SIZE_MAX;
    size_t kept = 0;
    for (size_t i = 0; i < list->count; i++) {
        if (list->places[i].line == SIZE_MAX) {
            free(list->paths[i]);
            continue;
        }
        list->paths[kept] = list->paths[i];
        list->places[kept++] = list->places[i];
    }
    list->count = kept;
}

/* A mount beneath another of the list is gone from the view once the
 * one above is covered: not finding it then is no sign of a rename. */
static void beneath_another_unreached(cordon__path_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        for (size_t j = 0; j < list->count && list->places[i].reached; j++)
            if (j != i && rest_beneath(list->paths[i], list->paths[j]))
                list->places[i].reached = false;
}

int cordon__mounts_to_hide(cordon__path_list *copy, uint64_t *table_digest)
{
    pthread_mutex_lock(&cache.lock);
    bring_up_to_date();
    *table_digest = cache.digest;
    int rc = copy_list(&cache.elsewhere, copy);
    for (size_t i = 0; rc == 0 && i < cache.caller_state.count; i++)
        rc = add_path(copy, cache.caller_state.paths[i], cache.caller_state.places[i]);
    pthread_mutex_unlock(&cache.lock);
    if (rc < 0) {
        cordon__path_list_free(copy);
    } else {
        one_per_path(copy);
        beneath_another_unreached(copy);
    }
    return rc;
}

void cordon__mounts_to_hide_forget(void)
{
    pthread_mutex_lock(&cache.lock);
    cache.known = false;
    pthread_mutex_unlock(&cache.lock);
}

int cordon__kernel_mounts_elsewhere(cordon__path_list *copy, unsigned *generation)
{
    pthread_mutex_lock(&cache.lock);
    bring_up_to_date();
    int rc = copy ? copy_list(&cache.elsewhere, copy) : 0;
    if (generation)
        *generation = cache.generation;
    pthread_mutex_unlock(&cache.lock);
    return rc;
}
