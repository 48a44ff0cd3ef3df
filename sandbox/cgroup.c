/* Per-task control groups: where they go, how they are made, joined,
 * read, killed and removed.  See cgroup.h for the fallback order. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fork_reset.h"
#include "cgroup.h"
#include "confine.h"

/* Where new cgroups go, found once per process. */
static struct {
    char v2_parent[4096];       /* "" when there is no usable v2 hierarchy */
    bool v2_memory, v2_pids;    /* controllers enabled for its children */
    char v1_memory_parent[4096];
    char v1_pids_parent[4096];
} places;
/* Found once per process, by the first task that needs a cgroup; not
 * where a file could not be read for want of an fd or memory, which says
 * nothing of the machine (kept, every later task of the process ran
 * without a cgroup: its memory limit an RLIMIT_AS, its process limit its
 * user's RLIMIT_NPROC). */
static pthread_mutex_t places_lock = PTHREAD_MUTEX_INITIALIZER;
CORDON__RESET_IN_FORKED_COPIES(&places_lock);
static bool places_known;
static int places_shortage; /* -errno, while finding them */
static atomic_uint cgroup_sequence;

/* An open kernfs file read whole from its start: each read of one gives
 * the values of that moment.  A read shorter than asked reached the end
 * (kernfs fills what it can), which spares a second call. */
static int pread_file(int fd, char *buffer, size_t size)
{
    size_t len = 0;
    while (len + 1 < size) {
        size_t wanted = size - 1 - len;
        ssize_t n = pread(fd, buffer + len, wanted, (off_t)len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        len += (size_t)n;
        if ((size_t)n < wanted)
            break;
    }
    buffer[len] = '\0';
    return (int)len;
}

static int write_file(const char *dir, const char *name, const char *value)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n;
    do
        n = write(fd, value, strlen(value));
    while (n < 0 && errno == EINTR);
    int rc = n < 0 ? -errno : 0;
    close(fd);
    return rc;
}

static bool has_word(const char *list, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += len) {
        bool starts = p == list || p[-1] == ' ' || p[-1] == '\n';
        bool ends = p[len] == '\0' || p[len] == ' ' || p[len] == '\n';
        if (starts && ends)
            return true;
    }
    return false;
}

static bool has_word_in_list(const char *comma_list, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = comma_list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (strncmp(p, word, len) == 0 && (p[len] == ',' || p[len] == '\0'))
            return true;
    }
    return false;
}

/* The caller's own cgroup in one hierarchy, from /proc/self/cgroup:
 * "0::/path" for v2, "N:memory:/path" for v1 controllers. */
static void note_shortage(int error)
{
    if (error == EMFILE || error == ENFILE || error == ENOMEM)
        places_shortage = -error;
}

static bool own_cgroup(const char *controller, char *path, size_t size)
{
    char text[8192];
    int n = (int)cordon__read_small_file("/proc/self/cgroup", text, sizeof text);
    if (n < 0)
        note_shortage(-n);
    if (n <= 0)
        return false;
    char *line_state = NULL;
    for (char *line = strtok_r(text, "\n", &line_state); line;
         line = strtok_r(NULL, "\n", &line_state)) {
        char *controllers = strchr(line, ':');
        char *cgroup_path = controllers ? strchr(controllers + 1, ':') : NULL;
        if (!cgroup_path)
            continue;
        *cgroup_path++ = '\0';
        *controllers++ = '\0';
        /* v2 is "0::/path"; v1 lists its controllers, maybe several. */
        bool match = controller[0] == '\0' ? strcmp(line, "0") == 0 && !controllers[0]
                                           : has_word_in_list(controllers, controller);
        if (match) {
            snprintf(path, size, "%s", cgroup_path);
            return true;
        }
    }
    return false;
}

/* Mount points of the cgroup2 hierarchy and of v1 controllers, from
 * /proc/self/mountinfo. */
static bool mount_point(bool v2, const char *controller, char *out, size_t size)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) {
        note_shortage(errno);
        return false;
    }
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *dash = strstr(line, " - ");
        char target[2048], fstype[64], options[2048];
        if (!dash || sscanf(line, "%*s %*s %*s %*s %2047s", target) != 1 ||
            sscanf(dash + 3, "%63s %*s %2047s", fstype, options) != 2)
            continue;
        if (v2 && strcmp(fstype, "cgroup2") == 0)
            found = true;
        if (!v2 && strcmp(fstype, "cgroup") == 0) {
            found = has_word_in_list(options, controller);
        }
        if (found)
            snprintf(out, size, "%s", target);
    }
    fclose(f);
    return found;
}

/* A place cordon makes cgroups in is one no other user can change: owned
 * by this process's user and writable by no one else.  In one another
 * user could write, that user removed the cgroup cordon kept empty for
 * its next task, made one of the same name and moved a process of its own
 * into it: root's next task was charged that process's CPU (a false
 * CpuLimit) and killed it with the tree.  NULL where it is such a place,
 * else what is wrong with it, in `why`. */
static const char *foreign_place(const char *dir, char *why, size_t size)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        snprintf(why, size, "%s", strerror(errno));
    else if (st.st_uid != geteuid())
        snprintf(why, size, "it is owned by uid %u, not by this process's user (uid %u), and "
                 "that user could replace the cgroups cordon makes in it",
                 (unsigned)st.st_uid, (unsigned)geteuid());
    else if (st.st_mode & (S_IWGRP | S_IWOTH))
        snprintf(why, size, "it is writable by its group or others (mode %03o), who could "
                 "replace the cgroups cordon makes in it", (unsigned)(st.st_mode & 07777));
    else
        return NULL;
    return why;
}

bool cordon__cgroup_settings_valid(char *why, size_t size)
{
    const char *mode = getenv("CORDON_CGROUP");
    if (mode && mode[0] && strcmp(mode, "none") != 0 && strcmp(mode, "v1") != 0 &&
        strcmp(mode, "v2") != 0 && strcmp(mode, "auto") != 0) {
        snprintf(why, size, "CORDON_CGROUP='%.64s' is none of none, v1, v2 or auto", mode);
        return false;
    }
    if (mode && (strcmp(mode, "none") == 0 || strcmp(mode, "v1") == 0))
        return true; /* the v2 root is not used */
    const char *root = getenv("CORDON_CGROUP_ROOT");
    if (!root || !root[0])
        return true;
    if (root[0] != '/') {
        snprintf(why, size, "CORDON_CGROUP_ROOT='%.200s' is not an absolute path", root);
        return false;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", root);
    if (access(path, R_OK) != 0) {
        int error = errno;
        snprintf(why, size, "CORDON_CGROUP_ROOT='%.200s' is no v2 cgroup cordon can use (%s: %s)",
                 root, path, strerror(error));
        return false;
    }
    char wrong[256];
    if (foreign_place(root, wrong, sizeof wrong)) {
        snprintf(why, size, "CORDON_CGROUP_ROOT='%.200s' is no place for cordon's cgroups: %s",
                 root, wrong);
        return false;
    }
    return true;
}

static void find_v2_parent(const char *mode)
{
    const char *root = getenv("CORDON_CGROUP_ROOT");
    char mount[2048], own[2048];
    if (root && root[0])
        snprintf(places.v2_parent, sizeof places.v2_parent, "%s", root);
    else if (mount_point(true, NULL, mount, sizeof mount) && own_cgroup("", own, sizeof own))
        snprintf(places.v2_parent, sizeof places.v2_parent, "%s%s", mount,
                 strcmp(own, "/") == 0 ? "" : own);
    char wrong[256];
    if (!places.v2_parent[0] || strcmp(mode, "v1") == 0 ||
        foreign_place(places.v2_parent, wrong, sizeof wrong)) {
        places.v2_parent[0] = '\0';
        return;
    }
    char path[4200], enabled[1024];
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", places.v2_parent);
    int n = (int)cordon__read_small_file(path, enabled, sizeof enabled);
    if (n < 0) {
        note_shortage(-n);
        places.v2_parent[0] = '\0';
        return;
    }
    places.v2_memory = has_word(enabled, "memory");
    places.v2_pids = has_word(enabled, "pids");
}

static void find_v1_parent(const char *controller, char *out, size_t size)
{
    char mount[2048], own[2048];
    char wrong[256];
    if (mount_point(false, controller, mount, sizeof mount) &&
        own_cgroup(controller, own, sizeof own))
        snprintf(out, size, "%s%s", mount, strcmp(own, "/") == 0 ? "" : own);
    if (out[0] && foreign_place(out, wrong, sizeof wrong))
        out[0] = '\0'; /* the limits fall back, as where there is no cgroup */
}

static int64_t single_value_read(const char *dir, const char *file);

/* The cgroups, the caller's own and those above it, whose pids.max holds
 * the caller (a systemd unit's TasksMax, a user slice's, a container's),
 * in the v1 pids hierarchy and in v2: found once per process.  A task's
 * processes count in each of them too. */
#define PIDS_LIMITS_MAX 8
static struct {
    pthread_once_t once;
    int count;
    char dirs[PIDS_LIMITS_MAX][1024];
} pids_limits = { .once = PTHREAD_ONCE_INIT };

static void note_pids_limits_above(const char *mount, const char *own)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s%s", mount, strcmp(own, "/") == 0 ? "" : own);
    /* Up to the hierarchy's root, which has no pids.max. */
    while (strlen(dir) > strlen(mount) && pids_limits.count < PIDS_LIMITS_MAX) {
        if (single_value_read(dir, "pids.max") >= 0) /* a number, not "max" */
            snprintf(pids_limits.dirs[pids_limits.count++], sizeof *pids_limits.dirs, "%s", dir);
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
}

static void find_pids_limits(void)
{
    char mount[1024], own[1024];
    /* The readers note a shortage for the places, which are found under
     * this lock too. */
    pthread_mutex_lock(&places_lock);
    if (mount_point(false, "pids", mount, sizeof mount) && own_cgroup("pids", own, sizeof own))
        note_pids_limits_above(mount, own);
    if (mount_point(true, NULL, mount, sizeof mount) && own_cgroup("", own, sizeof own))
        note_pids_limits_above(mount, own);
    pthread_mutex_unlock(&places_lock);
}

uint64_t cordon__cgroup_pids_room(void)
{
    pthread_once(&pids_limits.once, find_pids_limits);
    uint64_t room = UINT64_MAX;
    for (int i = 0; i < pids_limits.count; i++) {
        int64_t most = single_value_read(pids_limits.dirs[i], "pids.max");
        int64_t now = single_value_read(pids_limits.dirs[i], "pids.current");
        if (most < 0 || now < 0)
            continue; /* "max" now, or gone */
        uint64_t left = now < most ? (uint64_t)(most - now) : 0;
        if (left < room)
            room = left;
    }
    return room;
}

static void find_places(void)
{
    const char *mode = getenv("CORDON_CGROUP");
    if (!mode || !mode[0])
        mode = "auto";
    if (strcmp(mode, "none") == 0)
        return;
    find_v2_parent(mode);
    if (strcmp(mode, "v2") != 0) {
        if (!places.v2_memory)
            find_v1_parent("memory", places.v1_memory_parent, sizeof places.v1_memory_parent);
        if (!places.v2_pids)
            find_v1_parent("pids", places.v1_pids_parent, sizeof places.v1_pids_parent);
    }
    const char *parents[] = { places.v2_parent, places.v1_memory_parent, places.v1_pids_parent };
    for (size_t i = 0; i < sizeof parents / sizeof *parents; i++)
        if (parents[i][0])
            cordon__cgroup_sweep_orphans(parents[i]);
}

static int know_places(void)
{
    int rc = 0;
    pthread_mutex_lock(&places_lock);
    if (!places_known) {
        places_shortage = 0;
        memset(&places, 0, sizeof places);
        find_places();
        rc = places_shortage;
        places_known = rc == 0;
        if (rc < 0)
            memset(&places, 0, sizeof places);
    }
    pthread_mutex_unlock(&places_lock);
    return rc;
}

/* Records `path` (now owned by cg) and opens its cgroup.procs. */
static int add_dir(cordon__cgroup *cg, char *path, cordon__cgroup_version version)
{
    int index = cg->count++;
    cg->dirs[index] = path;
    cg->versions[index] = version;
    char procs[4300];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", path);
    cg->join_fds[index] = open(procs, O_WRONLY | O_CLOEXEC);
    return cg->join_fds[index] < 0 ? -errno : index;
}

/* A name can be taken already: a process killed outright leaves its
 * cgroups behind, which the sweep removes only once no process has their
 * maker's pid, and never those named with this process's own.  A later
 * process given that pid found its first names taken, and its root task
 * ran without cordon's process share (max_processes null, its processes
 * in the caller's pids cgroup) or failed under --procs (ConfinementError).
 * The next names are tried. */
#define TAKEN_NAMES_SKIPPED 64

/* Makes a cgroup of a name of this process's below `parent`: 0, or
 * negative errno. */
static int make_named_dir(const char *parent, char *path, size_t size)
{
    for (int taken = 0;; taken++) {
        snprintf(path, size, "%s/cordon-%d-%u", parent, (int)getpid(),
                 atomic_fetch_add(&cgroup_sequence, 1));
        if (mkdir(path, 0755) == 0)
            return 0;
        if (errno != EEXIST || taken == TAKEN_NAMES_SKIPPED)
            return -errno;
    }
}

/* Makes one cgroup below `parent` and opens its cgroup.procs. */
static int make_dir(cordon__cgroup *cg, const char *parent, cordon__cgroup_version version)
{
    if (cg->count >= CORDON_CGROUP_MAX_DIRS)
        return -ENOSPC; /* never past the table: a task without it runs as without a cgroup */
    char path[4200];
    int rc = make_named_dir(parent, path, sizeof path);
    if (rc < 0)
        return rc;
    char *owned = strdup(path);
    if (!owned) {
        rmdir(path);
        return -ENOMEM;
    }
    return add_dir(cg, owned, version);
}

/* One from the pool; a pooled cgroup that has gone (removed by hand) is
 * dropped and the next one tried. */
static int reuse_dir(cordon__cgroup *cg, cordon__cgroup_pool_kind kind)
{
    if (cg->count >= CORDON_CGROUP_MAX_DIRS)
        return -ENOSPC;
    cordon__cgroup_version version = kind == CORDON__CGROUP_POOL_V2_TREE ? CGROUP_V2 : CGROUP_V1;
    for (char *path; (path = cordon__cgroup_pool_take(kind));) {
        int index = add_dir(cg, path, version);
        if (index >= 0)
            return index;
        cg->count--;
        cg->dirs[cg->count] = NULL;
        free(path);
    }
    return -ENOENT;
}

static int set_value(const char *dir, const char *name, uint64_t value)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRIu64, value);
    return write_file(dir, name, text);
}

static void limit_memory(cordon__cgroup *cg, int index, uint64_t bytes)
{
    const char *dir = cg->dirs[index];
    int rc;
    if (cg->versions[index] == CGROUP_V2) {
        rc = set_value(dir, "memory.max", bytes);
        set_value(dir, "memory.swap.max", 0); /* absent without swap accounting */
    } else {
        rc = set_value(dir, "memory.limit_in_bytes", bytes);
        set_value(dir, "memory.memsw.limit_in_bytes", bytes);
    }
    if (rc == 0)
        cg->memory_dir = index;
}

/* pids.max takes no number above PID_MAX_LIMIT, the most pids any kernel
 * has (CORDON_MAX_PROCESSES): a count past it (a task's limit of 4194304
 * and cordon's init) is "max", which holds as much. */
#define PID_MAX_LIMIT 4194304u

static void limit_pids(cordon__cgroup *cg, int index, uint64_t count)
{
    int rc = count > PID_MAX_LIMIT ? write_file(cg->dirs[index], "pids.max", "max")
                                          : set_value(cg->dirs[index], "pids.max", count);
    if (rc == 0)
        cg->pids_dir = index;
}

/* The v2 cgroup's memory.peak, counted from this task's start: a pooled
 * cgroup's peak is an earlier task's, and writing to the file (Linux 6.12)
 * starts a peak of the writer's own, read back through the same fd.  A
 * pooled cgroup whose kernel cannot do that counts nothing. */
static void open_v2_peak(cordon__cgroup *cg, int index, bool reused)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/memory.peak", cg->dirs[index]);
    /* Read-only before Linux 6.12: a new cgroup's peak needs no reset. */
    int fd = open(path, (reused ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n;
    do
        n = reused ? write(fd, "reset\n", 6) : 6;
    while (n < 0 && errno == EINTR);
    if (n != 6) {
        close(fd);
        return;
    }
    cg->peak_fd = fd;
    cg->peak_dir = index;
}

/* A v1 memory limit's cgroup, in one of cordon's own that holds no limit,
 * each watched for OOMs (memory_oom_events_v1.c): the index of the inner
 * one, which the task joins, or negative errno.  Where the pair or its
 * watches cannot be made, one cgroup as before, whose OOM is told by its
 * peak alone. */
static int make_v1_memory_pair(cordon__cgroup *cg)
{
    if (cg->count + 2 > CORDON_CGROUP_MAX_DIRS)
        return make_dir(cg, places.v1_memory_parent, CGROUP_V1);
    int around = make_dir(cg, places.v1_memory_parent, CGROUP_V1);
    if (around < 0)
        return around;
    close(cg->join_fds[around]); /* the task joins the inner one alone */
    cg->join_fds[around] = -1;
    int inner = make_dir(cg, cg->dirs[around], CGROUP_V1);
    if (inner < 0)
        return inner; /* the outer one is removed with the rest */
    cg->oom_watch_fd = cordon__v1_oom_watch(cg->dirs[inner]);
    cg->enclosing_oom_watch_fd = cordon__v1_oom_watch(cg->dirs[around]);
    if (cg->oom_watch_fd < 0 || cg->enclosing_oom_watch_fd < 0) {
        if (cg->oom_watch_fd >= 0)
            close(cg->oom_watch_fd);
        if (cg->enclosing_oom_watch_fd >= 0)
            close(cg->enclosing_oom_watch_fd);
        cg->oom_watch_fd = cg->enclosing_oom_watch_fd = -1;
    }
    return inner;
}

/* A task that may write its cgroup (a root task with no filter, which
 * mounts cgroup2 in namespaces of its own; a task of a user its cgroup
 * was delegated to) makes cgroups inside it: 50 chains of 40 kept the
 * caller 61 s past a deadline of 1 s, removing them, and one of 12,000
 * five minutes, and chains deeper than the removal's walk stayed for
 * good.  The kernel bounds how deep and how many (cordon inside cordon
 * needs two levels).  The bounds' files are the cgroup's owner's, and a
 * root task wrote them through its own mount of cgroup2: a root cordon
 * gives them to nobody, whom no task that may make a cgroup here is (a
 * task of another user than root may not write the directory, root's),
 * and writes them again, with their mode, at each task (a nobody task
 * may raise them or open them to everyone, for a root task that reuses
 * the cgroup after it).  A cordon that is not root cannot give them
 * away: a task of its own user may raise them (README). */
#define INNER_CGROUPS_DEPTH "16"
#define INNER_CGROUPS_MOST  "512"
#define NOBODY 65534
static void bound_inner_cgroups(const char *dir, bool made_now)
{
    static const char *const bounds[2][2] = {
        { "cgroup.max.depth", INNER_CGROUPS_DEPTH },
        { "cgroup.max.descendants", INNER_CGROUPS_MOST },
    };
    for (int i = 0; i < 2; i++) {
        if (write_file(dir, bounds[i][0], bounds[i][1]) < 0 || geteuid() != 0)
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, bounds[i][0]);
        if (made_now)
            (void)lchown(path, NOBODY, NOBODY);
        /* its owner, a nobody task, may have opened it to everyone */
        (void)chmod(path, 0644);
    }
}

static int create_v2(cordon__cgroup *cg, uint64_t memory_bytes, uint64_t max_processes,
                     bool contain, bool count_memory)
{
    bool v2_memory = (memory_bytes || count_memory) && places.v2_memory;
    bool v2_pids = max_processes && places.v2_pids;
    if (!places.v2_parent[0] || !(contain || v2_memory || v2_pids))
        return 0;
    bool reusable = !(memory_bytes && places.v2_memory) && !v2_pids;
    int index = reusable ? reuse_dir(cg, CORDON__CGROUP_POOL_V2_TREE) : -ENOENT;
    bool reused = index >= 0;
    if (index < 0)
        index = make_dir(cg, places.v2_parent, CGROUP_V2);
    if (index == -ENOMEM)
        return index;
    if (index < 0)
        return 0;
    cg->v2_dir = index;
    /* A pooled one's too: a task of nobody's, the files' owner, may have
     * raised them for the next task, a root one, to use. */
    bound_inner_cgroups(cg->dirs[index], !reused);
    /* A pooled one may hold an earlier task's process share, read when
     * the caller had less room: this task's own bound is set after. */
    if (reused && places.v2_pids)
        write_file(cg->dirs[index], "pids.max", "max");
    if (reusable) {
        char events[4300];
        snprintf(events, sizeof events, "%s/cgroup.events", cg->dirs[index]);
        cg->events_fd = open(events, O_RDONLY | O_CLOEXEC);
        cg->reusable = cg->events_fd >= 0;
    }
    /* Read at the task's start and end, and by a CPU limit's checks: one
     * open for them all (closed with the task: an idle cordon holds no
     * descriptors). */
    char cpu_stat[4300];
    snprintf(cpu_stat, sizeof cpu_stat, "%s/cpu.stat", cg->dirs[index]);
    cg->cpu_stat_fd = open(cpu_stat, O_RDONLY | O_CLOEXEC);
    if (places.v2_memory)
        open_v2_peak(cg, index, reused);
    if (memory_bytes && places.v2_memory)
        limit_memory(cg, index, memory_bytes);
    if (v2_pids)
        limit_pids(cg, index, max_processes);
    return 0;
}

void cordon__cgroup_init_empty(cordon__cgroup *cg)
{
    memset(cg, 0, sizeof *cg);
    cg->memory_dir = cg->pids_dir = cg->v2_dir = cg->events_fd = cg->cpu_stat_fd = -1;
    cg->peak_dir = cg->peak_fd = cg->share_pids_dir = -1;
    cg->oom_watch_fd = cg->enclosing_oom_watch_fd = -1;
    for (int i = 0; i < CORDON_CGROUP_MAX_DIRS; i++)
        cg->join_fds[i] = -1;
}

/* CORDON_CGROUP=none, read at each task: the machine's places are known
 * once per process (and a forked copy inherits them), the setting is not. */
static bool cgroups_refused(void)
{
    const char *mode = getenv("CORDON_CGROUP");
    return mode && strcmp(mode, "none") == 0;
}

int cordon__cgroup_create(cordon__cgroup *cg, uint64_t memory_bytes, uint64_t max_processes,
                          bool contain, bool count_memory)
{
    cordon__cgroup_init_empty(cg);
    if ((!memory_bytes && !max_processes && !contain && !count_memory) || cgroups_refused())
        return 0; /* nothing to find the machine's cgroups for, or none wanted */
    int rc = know_places();
    if (rc < 0)
        return rc;
    rc = create_v2(cg, memory_bytes, max_processes, contain, count_memory);
    bool v1_memory = memory_bytes ? cg->memory_dir < 0 : count_memory && cg->peak_dir < 0;
    if (rc == 0 && v1_memory && places.v1_memory_parent[0]) {
        int index = memory_bytes ? make_v1_memory_pair(cg)
                                 : make_dir(cg, places.v1_memory_parent, CGROUP_V1);
        rc = index == -ENOMEM ? index : 0;
        if (index >= 0 && memory_bytes)
            limit_memory(cg, index, memory_bytes);
        if (index >= 0)
            cg->peak_dir = index; /* made for this task: its peak starts at 0 */
    }
    if (rc == 0 && max_processes && cg->pids_dir < 0 && places.v1_pids_parent[0]) {
        int index = make_dir(cg, places.v1_pids_parent, CGROUP_V1);
        rc = index == -ENOMEM ? index : 0;
        if (index >= 0)
            limit_pids(cg, index, max_processes);
    }
    if (rc < 0)
        cordon__cgroup_destroy(cg);
    return rc;
}

int cordon__cgroup_hold_process_share(cordon__cgroup *cg, uint64_t share)
{
    if (!share || cgroups_refused())
        return 0;
    int rc = know_places();
    if (rc < 0)
        return rc;
    if (places.v2_pids && cg->v2_dir < 0 && (rc = create_v2(cg, 0, 0, true, false)) < 0)
        return rc;
    if (places.v2_pids && cg->v2_dir >= 0) {
        limit_pids(cg, cg->v2_dir, share);
        return 0;
    }
    if (!places.v1_pids_parent[0] || cg->count >= CORDON_CGROUP_MAX_DIRS)
        return 0;
    int index = reuse_dir(cg, CORDON__CGROUP_POOL_V1_PIDS);
    if (index < 0)
        index = make_dir(cg, places.v1_pids_parent, CGROUP_V1);
    if (index == -ENOMEM)
        return index;
    if (index < 0)
        return 0;
    limit_pids(cg, index, share);
    cg->share_pids_dir = index;
    return 0;
}

static int write_to_procs(const cordon__cgroup *cg, const char *pid_text, size_t len,
                          int skipped)
{
    for (int i = 0; i < cg->count; i++) {
        if (cg->join_fds[i] < 0 || i == skipped)
            continue;
        ssize_t n;
        do
            n = write(cg->join_fds[i], pid_text, len);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)len)
            return n < 0 ? -errno : -EIO;
    }
    return 0;
}

int cordon__cgroup_join(const cordon__cgroup *cg, bool except_v2)
{
    /* "0": the writing process */
    return write_to_procs(cg, "0", 1, except_v2 ? cg->v2_dir : -1);
}

/* Called between the fork and the child's end, while every page the
 * caller writes is copied: the digits by hand, not snprintf, whose deep
 * stack frames cost copies of stack pages. */
int cordon__cgroup_move(const cordon__cgroup *cg, pid_t pid)
{
    char pid_text[24];
    size_t len = 0;
    for (unsigned value = (unsigned)pid; len == 0 || value > 0; value /= 10)
        pid_text[sizeof pid_text - ++len] = (char)('0' + value % 10);
    return write_to_procs(cg, pid_text + sizeof pid_text - len, len, -1);
}

/* Whether `dir` ends with `rel` (a path /proc/PID/cgroup gives, relative
 * to the hierarchy's root) at a component's start.  Never the root ("/"):
 * a cgroup of cordon's is none. */
static bool dir_is(const char *dir, const char *rel, size_t rel_len)
{
    size_t dir_len = strlen(dir);
    if (rel_len < 2 || rel[0] != '/' || rel_len > dir_len)
        return false;
    return memcmp(dir + dir_len - rel_len, rel, rel_len) == 0;
}

/* Whether /proc/PID/cgroup puts the process in `dir`, on any of its lines
 * ("ID:CONTROLLERS:PATH", v1 and v2 alike). */
static bool lists_dir(pid_t pid, const char *dir)
{
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
    if (cordon__read_small_file(path, text, sizeof text) <= 0)
        return false;
    for (char *line = text; *line;) {
        char *end = strchrnul(line, '\n');
        char *colon = memchr(line, ':', (size_t)(end - line));
        char *rel = colon ? memchr(colon + 1, ':', (size_t)(end - colon - 1)) : NULL;
        if (rel && dir_is(dir, rel + 1, (size_t)(end - rel - 1)))
            return true;
        line = *end ? end + 1 : end;
    }
    return false;
}

/* Kills `pid` if it is still the process `dir` listed.  Between the read
 * of the list and the kill, that process may end and be reaped (the init
 * reaps what it kills meanwhile, the task its own children) and its pid
 * go to any new process of the machine, which root would have killed.
 * A pidfd holds whatever process has the pid now; it is signalled only if
 * /proc/PID/cgroup puts that process in `dir`, read while the pidfd's
 * process was unreaped (a signal 0 through it succeeds after the read),
 * so that the pid still named it then. */
static int kill_member(pid_t pid, const char *dir)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) /* before Linux 5.3 the check alone; else gone */
        return errno == ENOSYS && lists_dir(pid, dir) && kill(pid, SIGKILL) == 0;
    bool member = lists_dir(pid, dir) &&
                  syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
    int killed = member && syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) == 0;
    close(pidfd);
    return killed;
}

/* One line of cgroup.procs: a pid in digits alone, else nothing. */
static int kill_line(const char *line, size_t len, pid_t spared, const char *dir)
{
    if (len == 0 || len > 10)
        return 0;
    long long pid = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] < '0' || line[i] > '9')
            return 0;
        pid = pid * 10 + (line[i] - '0');
    }
    if (pid <= 0 || pid > INT32_MAX || (pid_t)pid == spared)
        return 0;
    return kill_member((pid_t)pid, dir);
}

/* Kills what `dir`'s cgroup.procs lists, but `spared` (0: none).  Read in
 * pieces, a pid killed only once its line is whole: the list was read
 * once into 64 KiB, and past some 11,000 processes (a task's own making)
 * its last line was cut mid-number, a prefix of a task's pid naming
 * another process, which root would have killed. */
static int kill_listed_but(const char *dir, pid_t spared)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char text[4096];
    size_t kept = 0; /* the start of a line not yet whole */
    int killed = 0;
    for (;;) {
        ssize_t n = read(fd, text + kept, sizeof text - kept);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t end = kept + (size_t)n, start = 0;
        for (size_t i = 0; i < end; i++) {
            if (text[i] == '\n') {
                killed += kill_line(text + start, i - start, spared, dir);
                start = i + 1;
            }
        }
        kept = end - start;
        memmove(text, text + start, kept);
        if (kept == sizeof text) /* no line of a pid is that long */
            kept = 0;
    }
    close(fd);
    return killed;
}

/* v1 has no cgroup.kill: kill what is listed until nothing is. */
static int kill_listed(const char *dir)
{
    return kill_listed_but(dir, 0);
}

void cordon__cgroup_kill_all_but(const cordon__cgroup *cg, pid_t spared)
{
    /* Every process of the task is in each of its cgroups: one list. */
    if (cg->count > 0)
        kill_listed_but(cg->dirs[cg->v2_dir >= 0 ? cg->v2_dir : 0], spared);
}

/* cgroup.events says whether any process is left; unreadable counts as
 * populated, so that nothing is skipped on a guess. */
static bool populated(const cordon__cgroup *cg)
{
    char text[256];
    ssize_t n;
    do
        n = pread(cg->events_fd, text, sizeof text - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return true;
    text[n] = '\0';
    return strstr(text, "populated 0") == NULL;
}

/* A killed cgroup is not pooled: Linux (6.18 here) kills at birth every
 * child that clone3 starts in a cgroup that was ever killed, as though the
 * kill were still going on. */
static int kill_v2(cordon__cgroup *cg, int index)
{
    if (index == cg->v2_dir)
        cg->v2_killed = true;
    return write_file(cg->dirs[index], "cgroup.kill", "1");
}

void cordon__cgroup_kill(cordon__cgroup *cg)
{
    for (int i = 0; i < cg->count; i++) {
        /* Most tasks leave nothing behind: one read instead of a kill. */
        if (i == cg->v2_dir && cg->reusable && !populated(cg))
            continue;
        if (cg->versions[i] == CGROUP_V2 && kill_v2(cg, i) == 0)
            continue;
        kill_listed(cg->dirs[i]);
    }
}

/* The number after `key` in a flat keyed file such as memory.events. */
static uint64_t keyed_value(const char *dir, const char *file, const char *key)
{
    char path[4200], text[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (cordon__read_small_file(path, text, sizeof text) <= 0)
        return 0;
    size_t len = strlen(key);
    char *state = NULL;
    for (char *line = strtok_r(text, "\n", &state); line; line = strtok_r(NULL, "\n", &state)) {
        if (strncmp(line, key, len) == 0 && line[len] == ' ')
            return strtoull(line + len + 1, NULL, 10);
    }
    return 0;
}

/* A file that holds one number: the number, or -1 when it cannot be read. */
static int64_t single_value_read(const char *dir, const char *file)
{
    char path[4200], text[64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (cordon__read_small_file(path, text, sizeof text) <= 0 || text[0] < '0' || text[0] > '9')
        return -1;
    return (int64_t)strtoull(text, NULL, 10);
}

/* The same, 0 when it cannot be read. */
static uint64_t single_value(const char *dir, const char *file)
{
    int64_t value = single_value_read(dir, file);
    return value < 0 ? 0 : (uint64_t)value;
}

/* An OOM kill (hierarchical: a victim in this cgroup, whoever's limit
 * chose it) counts only when this cgroup's own limit was reached too. */
bool cordon__cgroup_oom_killed(const cordon__cgroup *cg)
{
    if (cg->memory_dir < 0)
        return false;
    const char *dir = cg->dirs[cg->memory_dir];
    if (cg->versions[cg->memory_dir] == CGROUP_V2) {
        char path[4200];
        snprintf(path, sizeof path, "%s/memory.events.local", dir);
        bool local = access(path, F_OK) == 0;
        uint64_t own = keyed_value(dir, local ? "memory.events.local" : "memory.events", "oom");
        return own > 0 && keyed_value(dir, "memory.events", "oom_kill") > 0;
    }
    /* v1 counts an OOM kill in the victim's cgroup only, whatever limit
     * chose it.  An OOM of the task's cgroup is notified there and not in
     * the one around it, which has no limit; one above both, in both. */
    bool reached;
    if (cg->oom_watch_fd >= 0 && cg->enclosing_oom_watch_fd >= 0) {
        uint64_t seen = cordon__v1_oom_count(cg->oom_watch_fd);
        reached = seen > cordon__v1_oom_count(cg->enclosing_oom_watch_fd);
    } else {
        /* No watch: whether this limit was reached at some time (charges
         * stop at it; a megabyte of slack for batching), which page cache
         * alone also does. */
        uint64_t limit = single_value(dir, "memory.limit_in_bytes");
        reached = limit && single_value(dir, "memory.max_usage_in_bytes") + (1u << 20) >= limit;
    }
    return reached && keyed_value(dir, "memory.oom_control", "oom_kill") > 0;
}

uint64_t cordon__cgroup_oom_kills(const cordon__cgroup *cg)
{
    if (!cg || cg->memory_dir < 0)
        return 0;
    const char *dir = cg->dirs[cg->memory_dir];
    return cg->versions[cg->memory_dir] == CGROUP_V2
               ? keyed_value(dir, "memory.events", "oom_kill")
               : keyed_value(dir, "memory.oom_control", "oom_kill");
}

uint64_t cordon__cgroup_pids_refusals(const cordon__cgroup *cg)
{
    if (!cg || cg->pids_dir < 0)
        return 0;
    return keyed_value(cg->dirs[cg->pids_dir], "pids.events", "max");
}

/* A refused fork counts in pids.events of the cgroup it was made in (v1)
 * or of it and its ancestors, whichever limit refused it: an enclosing
 * limit (a container's, an outer cordon's) is not the task's.  Its own
 * was reached only if its count came to its pids.max (pids.peak, where
 * the kernel has it). */
bool cordon__cgroup_pids_limited(const cordon__cgroup *cg)
{
    if (cg->pids_dir < 0)
        return false;
    const char *dir = cg->dirs[cg->pids_dir];
    if (keyed_value(dir, "pids.events", "max") == 0)
        return false;
    char path[4200];
    snprintf(path, sizeof path, "%s/pids.peak", dir);
    if (access(path, F_OK) != 0)
        return true;
    uint64_t limit = single_value(dir, "pids.max");
    return limit && single_value(dir, "pids.peak") >= limit;
}

uint64_t cordon__cgroup_memory_peak(const cordon__cgroup *cg)
{
    if (cg->peak_dir < 0)
        return 0;
    if (cg->versions[cg->peak_dir] == CGROUP_V1)
        return single_value(cg->dirs[cg->peak_dir], "memory.max_usage_in_bytes");
    char text[64];
    ssize_t n;
    do
        n = pread(cg->peak_fd, text, sizeof text - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    return strtoull(text, NULL, 10);
}

/* Out of line, so that the path's room is not in the frame of every read
 * of the open file: each page of the caller's stack written after a fork
 * is a copy-on-write fault while the task lives. */
static __attribute__((noinline)) int cpu_stat_text_by_path(const cordon__cgroup *cg, char *text,
                                                           size_t size)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cpu.stat", cg->dirs[cg->v2_dir]);
    return (int)cordon__read_small_file(path, text, size);
}

static int cpu_stat_text(const cordon__cgroup *cg, char *text, size_t size)
{
    if (cg->cpu_stat_fd >= 0)
        return pread_file(cg->cpu_stat_fd, text, size);
    return cpu_stat_text_by_path(cg, text, size);
}

/* cpu.stat's usage_usec, user_usec and system_usec: one read. */
static int read_cpu_stat(const cordon__cgroup *cg, uint64_t values[3])
{
    static const char *const keys[3] = { "usage_usec ", "user_usec ", "system_usec " };
    if (cg->v2_dir < 0)
        return -ENOENT;
    char text[1024];
    if (cpu_stat_text(cg, text, sizeof text) <= 0)
        return -ENOENT;
    for (int i = 0; i < 3; i++) {
        const char *line = strstr(text, keys[i]);
        if (line != text && (!line || line[-1] != '\n'))
            return -ENOENT;
        values[i] = strtoull(line + strlen(keys[i]), NULL, 10);
    }
    return 0;
}

static int64_t read_cpu_usage_us(const cordon__cgroup *cg)
{
    uint64_t values[3];
    int rc = read_cpu_stat(cg, values);
    return rc < 0 ? rc : (int64_t)values[0];
}

void cordon__cgroup_cpu_start(cordon__cgroup *cg)
{
    uint64_t values[3] = { 0, 0, 0 };
    cg->cpu_started = read_cpu_stat(cg, values) == 0;
    cg->cpu_base_us = values[0];
    cg->user_base_us = values[1];
    cg->system_base_us = values[2];
}

int64_t cordon__cgroup_cpu_usage_us(const cordon__cgroup *cg)
{
    int64_t used = read_cpu_usage_us(cg);
    if (used < 0)
        return used;
    return (uint64_t)used > cg->cpu_base_us ? used - (int64_t)cg->cpu_base_us : 0;
}

static uint64_t since(uint64_t now, uint64_t base)
{
    return now > base ? now - base : 0;
}

int cordon__cgroup_cpu_times(const cordon__cgroup *cg, uint64_t *user_us, uint64_t *system_us)
{
    uint64_t values[3];
    int rc = cg->cpu_started ? read_cpu_stat(cg, values) : -ENOENT;
    if (rc < 0)
        return rc;
    *user_us = since(values[1], cg->user_base_us);
    *system_us = since(values[2], cg->system_base_us);
    return 0;
}

static void pause_briefly(void)
{
    struct timespec pause_time = { 0, 2 * 1000 * 1000 };
    nanosleep(&pause_time, NULL);
}

static uint64_t monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

/* Whether the wait for killed processes to leave may go on: a bounded
 * number of attempts, and before `until_ns` where there is one. */
static bool may_wait_more(int attempt, uint64_t until_ns)
{
    return attempt < 500 && (!until_ns || monotonic_ns() < until_ns);
}

/* Kills until cgroup.events says nobody is left; killed processes leave
 * the cgroup as they exit, so give them time. */
static bool emptied(cordon__cgroup *cg, int index, uint64_t until_ns)
{
    for (int attempt = 0; may_wait_more(attempt, until_ns); attempt++) {
        if (!populated(cg))
            return true;
        kill_v2(cg, index);
        pause_briefly();
    }
    return !populated(cg);
}

bool cordon__cgroup_destroy_by(cordon__cgroup *cg, uint64_t until_ns)
{
    /* The last made first: a v1 memory limit's cgroup before the one
     * around it, which cannot be removed while it holds it. */
    for (int i = cg->count - 1; i >= 0; i--) {
        if (cg->join_fds[i] >= 0)
            close(cg->join_fds[i]);
        cg->join_fds[i] = -1;
        if (!cg->dirs[i]) /* removed by an earlier call, that ran out of time */
            continue;
        if (i == cg->v2_dir && cg->reusable && emptied(cg, i, until_ns) && !cg->v2_killed &&
            (!cg->task_may_chmod || cordon__cgroup_file_modes_as_made(cg->dirs[i]))) {
            /* none of the task's own cgroups is handed to the next task */
            if (keyed_value(cg->dirs[i], "cgroup.stat", "nr_descendants"))
                cordon__cgroup_remove_inner(AT_FDCWD, cg->dirs[i]);
            cordon__cgroup_pool_give_back(CORDON__CGROUP_POOL_V2_TREE, cg->dirs[i]);
            cg->dirs[i] = NULL;
            continue;
        }
        /* pids.current counts a process until it is reaped: 0, none is
         * left, and none can come in (nothing of the task is left). */
        if (i == cg->share_pids_dir && single_value_read(cg->dirs[i], "pids.current") == 0) {
            cordon__cgroup_pool_give_back(CORDON__CGROUP_POOL_V1_PIDS, cg->dirs[i]);
            cg->dirs[i] = NULL;
            continue;
        }
        /* Killed processes leave the cgroup as they exit: give them time.
         * A cgroup the task made inside its own keeps it from rmdir too. */
        int attempt = 0;
        for (; rmdir(cg->dirs[i]) != 0 && errno == EBUSY; attempt++) {
            if (!may_wait_more(attempt, until_ns)) {
                if (until_ns && attempt < 500)
                    return false; /* the rest is left for a later call */
                break;
            }
            cordon__cgroup_remove_inner(AT_FDCWD, cg->dirs[i]);
            if (cg->versions[i] == CGROUP_V2)
                write_file(cg->dirs[i], "cgroup.kill", "1");
            else
                kill_listed(cg->dirs[i]);
            pause_briefly();
        }
        free(cg->dirs[i]);
        cg->dirs[i] = NULL;
    }
    if (cg->events_fd >= 0)
        close(cg->events_fd);
    if (cg->cpu_stat_fd >= 0)
        close(cg->cpu_stat_fd);
    if (cg->peak_fd >= 0)
        close(cg->peak_fd);
    if (cg->oom_watch_fd >= 0)
        close(cg->oom_watch_fd);
    if (cg->enclosing_oom_watch_fd >= 0)
        close(cg->enclosing_oom_watch_fd);
    cg->oom_watch_fd = cg->enclosing_oom_watch_fd = -1;
    cg->count = 0;
    cg->memory_dir = cg->pids_dir = cg->v2_dir = cg->events_fd = cg->cpu_stat_fd = -1;
    cg->peak_dir = cg->peak_fd = cg->share_pids_dir = -1;
    cg->reusable = false;
    return true;
}

void cordon__cgroup_destroy(cordon__cgroup *cg)
{
    (void)cordon__cgroup_destroy_by(cg, 0);
}
