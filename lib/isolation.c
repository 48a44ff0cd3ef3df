/*
 * What a task is given of the files, the network and the mounts: the
 * options (cordon_allow_path, cordon_set_network, cordon_add_tmpfs,
 * cordon_add_bind, cordon_set_minimal_dev, cordon_set_hostname,
 * cordon_set_cgroup_namespace and the presets of cordon_set_isolation),
 * and their preparation before each fork: the task's own Landlock
 * ruleset (sandbox/landlock_rules.c), the namespaces they need.  Nothing
 * is silently left out: a rule that cannot be made fails the run, a
 * namespace the machine lacks fails the task.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/policy.h"

#define TMPFS_MAX 8 /* the launch's tmpfs_access */
#define BIND_MAX 8  /* the launch's bind_access */
#define HOSTNAME_MAX 64
#define PRESET_HOSTNAME "cordon"
#define ACCESS_ALL (CORDON_READ | CORDON_WRITE | CORDON_EXEC)

typedef struct cordon__isolation {
    cordon__path_rule *rules;      /* paths owned */
    size_t rule_count;
    char *tmpfs[TMPFS_MAX];
    cordon__file_identity tmpfs_given[TMPFS_MAX]; /* what each named when given */
    char *tmpfs_resolved[TMPFS_MAX]; /* where each led when given, or NULL */
    size_t tmpfs_count;
    bool system_paths;             /* cordon_allow_system_paths */
    bool read_everything;          /* the "isolated" preset: READ|EXEC on / */
    bool needs_own_proc;           /* a preset: pid and mount namespaces or nothing */
    cordon_network network;
    cordon__bind binds[BIND_MAX];  /* paths owned, resolved */
    size_t bind_count;
    bool minimal_dev;
    char hostname[HOSTNAME_MAX + 1]; /* "": the caller's UTS namespace */
    bool cgroup_namespace;
} cordon__isolation;

_Static_assert(TMPFS_MAX == sizeof ((cordon__launch *)0)->tmpfs_access / sizeof(unsigned),
               "one access per tmpfs");
_Static_assert(BIND_MAX == sizeof ((cordon__launch *)0)->bind_access / sizeof(unsigned),
               "one access per bind");
/* The flags of the header are the sandbox's, bit for bit. */
_Static_assert(CORDON_READ == CORDON__ACCESS_READ && CORDON_WRITE == CORDON__ACCESS_WRITE &&
               CORDON_EXEC == CORDON__ACCESS_EXEC, "access flags");

static const cordon__path_rule system_rules[] = {
    { .path = "/usr", .access = CORDON_READ | CORDON_EXEC, .optional = true },
    { .path = "/bin", .access = CORDON_READ | CORDON_EXEC, .optional = true },
    { .path = "/sbin", .access = CORDON_READ | CORDON_EXEC, .optional = true },
    { .path = "/lib", .access = CORDON_READ | CORDON_EXEC, .optional = true },
    { .path = "/lib32", .access = CORDON_READ | CORDON_EXEC, .optional = true },
    { .path = "/lib64", .access = CORDON_READ | CORDON_EXEC, .optional = true },
    { .path = "/libx32", .access = CORDON_READ | CORDON_EXEC, .optional = true },
    { .path = "/etc/ld.so.cache", .access = CORDON_READ, .optional = true },
    { .path = "/etc/ld.so.conf", .access = CORDON_READ, .optional = true },
    { .path = "/etc/ld.so.conf.d", .access = CORDON_READ, .optional = true },
    { .path = "/etc/passwd", .access = CORDON_READ, .optional = true },
    { .path = "/etc/group", .access = CORDON_READ, .optional = true },
    { .path = "/etc/nsswitch.conf", .access = CORDON_READ, .optional = true },
    { .path = "/etc/localtime", .access = CORDON_READ, .optional = true },
    { .path = "/dev/null", .access = CORDON_READ | CORDON_WRITE, .optional = true },
    { .path = "/dev/zero", .access = CORDON_READ | CORDON_WRITE, .optional = true },
    { .path = "/dev/full", .access = CORDON_READ | CORDON_WRITE, .optional = true },
    { .path = "/dev/random", .access = CORDON_READ | CORDON_WRITE, .optional = true },
    { .path = "/dev/urandom", .access = CORDON_READ | CORDON_WRITE, .optional = true },
};
#define SYSTEM_RULE_COUNT (sizeof system_rules / sizeof *system_rules)

static int settable(cordon_task *t)
{
    int busy = cordon__task_settable(t);
    if (busy < 0)
        return busy;
    if (!t->isolation && !(t->isolation = calloc(1, sizeof *t->isolation)))
        return -ENOMEM;
    return 0;
}

/* Where `path` leads now (resolved, as /proc/self/fd shows what was
 * opened), where each run's rule must still lead: *resolved is the
 * caller's to free. */
static int resolve(const char *path, char **resolved)
{
    int fd = cordon__open_path(path, true);
    if (fd < 0)
        return fd;
    char link[32], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    int rc = n < 0 ? -errno : (size_t)n >= sizeof target - 1 ? -ENAMETOOLONG : 0;
    close(fd);
    if (rc < 0)
        return rc;
    target[n] = '\0';
    return (*resolved = strdup(target)) ? 0 : -ENOMEM;
}

/* A path strictly beneath a tmpfs of the task's is hidden by it in the
 * task's view: a rule there would grant nothing the task can reach (a
 * scratch directory in /tmp under a private /tmp).  Refused, rather than
 * a task that fails in a puzzling way. */
/* `path` lies strictly beneath `dir`, both resolved. */
static bool resolved_beneath(const char *path, const char *dir)
{
    size_t len = strlen(dir);
    return strncmp(path, dir, len) == 0 && (path[len] == '/' || (len == 1 && path[1]));
}

static bool at_or_beneath(const char *path, const char *dir)
{
    return path && (strcmp(path, dir) == 0 || resolved_beneath(path, dir));
}

static bool hidden_by(const char *path, const char *tmpfs)
{
    char *real_path = realpath(path, NULL), *real_tmpfs = realpath(tmpfs, NULL);
    bool hidden = real_path && real_tmpfs && resolved_beneath(real_path, real_tmpfs);
    free(real_path);
    free(real_tmpfs);
    return hidden;
}

static bool same_place(const char *a, const char *b)
{
    char *real_a = realpath(a, NULL), *real_b = realpath(b, NULL);
    bool same = real_a && real_b && strcmp(real_a, real_b) == 0;
    free(real_a);
    free(real_b);
    return same;
}

const char *cordon__isolation_hiding_tmpfs(const cordon__isolation *iso, const char *path)
{
    for (size_t i = 0; iso && i < iso->tmpfs_count; i++)
        if (hidden_by(path, iso->tmpfs[i]))
            return iso->tmpfs[i];
    return NULL;
}

/* `mount` is a new mount point (a tmpfs or a bind's target), `path` a new
 * rule's path: either may not lie beneath a mount point of the task's,
 * nor a mount point of the task's beneath it. */
static bool conflicts(const cordon__isolation *iso, const char *path, const char *mount)
{
    if (mount) {
        for (size_t i = 0; i < iso->rule_count; i++)
            if (hidden_by(iso->rules[i].path, mount))
                return true;
        /* The same mount point twice: the second would cover the first,
         * and its directory is no longer the one it named when given. */
        for (size_t i = 0; i < iso->tmpfs_count; i++)
            if (hidden_by(mount, iso->tmpfs[i]) || hidden_by(iso->tmpfs[i], mount) ||
                same_place(mount, iso->tmpfs[i]))
                return true;
        for (size_t i = 0; i < iso->bind_count; i++)
            if (hidden_by(mount, iso->binds[i].target) ||
                hidden_by(iso->binds[i].target, mount) || same_place(mount, iso->binds[i].target))
                return true;
    }
    if (path) {
        for (size_t i = 0; i < iso->tmpfs_count; i++)
            if (hidden_by(path, iso->tmpfs[i]))
                return true;
        for (size_t i = 0; i < iso->bind_count; i++)
            if (hidden_by(path, iso->binds[i].target))
                return true;
    }
    return false;
}

static int add_rule(cordon__isolation *iso, const char *path, unsigned access, char *resolved)
{
    cordon__path_rule *grown = realloc(iso->rules, (iso->rule_count + 1) * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    iso->rules = grown;
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    iso->rules[iso->rule_count++] = (cordon__path_rule){
        .path = copy, .access = access, .resolved = resolved,
    };
    return 0;
}

int cordon_allow_path(cordon_task *t, const char *path, unsigned access)
{
    CORDON__NO_CANCELLATION;
    if (!path || !*path || !access || (access & ~ACCESS_ALL))
        return -EINVAL;
    int rc = settable(t);
    if (rc < 0)
        return rc;
    if (cordon__landlock_abi() < 1)
        return -EOPNOTSUPP;
    char *resolved = NULL;
    if ((rc = resolve(path, &resolved)) < 0)
        return rc;
    /* A relative path is the caller's directory's now, as it was looked
     * up: opened again at each run, it had led from wherever the caller
     * had gone since (cordon_run then failed, -ESTALE, saying nothing). */
    char absolute[PATH_MAX];
    if ((rc = cordon__absolute_path(path, absolute)) < 0) {
        free(resolved);
        return rc;
    }
    path = absolute;
    if (conflicts(t->isolation, path, NULL) || (rc = add_rule(t->isolation, path, access,
                                                              resolved)) < 0) {
        free(resolved);
        return rc < 0 ? rc : -EXDEV;
    }
    return 0;
}

int cordon_allow_system_paths(cordon_task *t)
{
    CORDON__NO_CANCELLATION;
    int rc = settable(t);
    if (rc < 0)
        return rc;
    if (cordon__landlock_abi() < 1)
        return -EOPNOTSUPP;
    t->isolation->system_paths = true;
    return 0;
}

int cordon_set_network(cordon_task *t, cordon_network network)
{
    CORDON__NO_CANCELLATION;
    if (network != CORDON_NETWORK_HOST && network != CORDON_NETWORK_NONE)
        return -EINVAL;
    int rc = settable(t);
    if (rc < 0)
        return rc;
    t->isolation->network = network;
    return 0;
}

/* What a mount point named when it was given, for the init to check
 * (sandbox/private_mounts.c); none for the ones the init mounts itself
 * before the task's binds and tmpfs (a /dev/pts, /dev/shm and /dev/mqueue
 * of the task's own, fresh for each task), whose directory is then
 * another than the caller's. */
static cordon__file_identity given_mount_point(const char *path, const struct stat *st)
{
    static const char *const own[] = { "/dev/pts", "/dev/shm", "/dev/mqueue" };
    char *real = realpath(path, NULL);
    bool cordon_s = false;
    for (size_t i = 0; real && i < sizeof own / sizeof *own; i++)
        cordon_s |= strcmp(real, own[i]) == 0;
    free(real);
    return cordon_s ? (cordon__file_identity){ 0, 0 }
                    : (cordon__file_identity){ st->st_dev, st->st_ino };
}

int cordon_add_tmpfs(cordon_task *t, const char *path)
{
    CORDON__NO_CANCELLATION;
    if (!path || path[0] != '/')
        return -EINVAL;
    int rc = settable(t);
    if (rc < 0)
        return rc;
    cordon__isolation *iso = t->isolation;
    for (size_t i = 0; i < iso->tmpfs_count; i++)
        if (strcmp(iso->tmpfs[i], path) == 0 || same_place(iso->tmpfs[i], path))
            return 0;
    if (iso->tmpfs_count == TMPFS_MAX)
        return -E2BIG;
    struct stat st, root;
    if (stat(path, &st) != 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    /* Over the root a tmpfs would hide nothing from the task, whose root
     * stays the caller's: refused, like a bind there. */
    if (stat("/", &root) == 0 && st.st_dev == root.st_dev && st.st_ino == root.st_ino)
        return -EINVAL;
    if (conflicts(iso, NULL, path))
        return -EXDEV;
    char *resolved = NULL;
    if ((rc = resolve(path, &resolved)) < 0)
        return rc;
    if (!(iso->tmpfs[iso->tmpfs_count] = strdup(path))) {
        free(resolved);
        return -ENOMEM;
    }
    iso->tmpfs_resolved[iso->tmpfs_count] = resolved;
    iso->tmpfs_given[iso->tmpfs_count] = given_mount_point(path, &st);
    iso->tmpfs_count++;
    return 0;
}

/* Does `a` hold the same kind of file as `b` (a directory or not)?  A
 * bind replaces one by the other. */
static int same_kind(const struct stat *a, const struct stat *b)
{
    if (S_ISDIR(a->st_mode) == S_ISDIR(b->st_mode))
        return 0;
    return S_ISDIR(b->st_mode) ? -EISDIR : -ENOTDIR;
}

static int check_bind(const char *source, const char *target, struct stat *from,
                      struct stat *to)
{
    if (stat(source, from) != 0 || stat(target, to) != 0)
        return -errno;
    return same_kind(from, to);
}

int cordon_add_bind(cordon_task *t, const char *source, const char *target, unsigned flags)
{
    CORDON__NO_CANCELLATION;
    if (!source || !*source || !target || target[0] != '/' || (flags & ~CORDON_BIND_READONLY))
        return -EINVAL;
    int rc = settable(t);
    if (rc < 0)
        return rc;
    cordon__isolation *iso = t->isolation;
    struct stat from_stat, to_stat;
    if ((rc = check_bind(source, target, &from_stat, &to_stat)) < 0)
        return rc;
    /* Each one's errno kept: a source gone since its check read as the
     * target's ("may not be the root"), errno left by the other call. */
    char *from = realpath(source, NULL);
    int from_errno = errno;
    char *to = realpath(target, NULL);
    if (!from || !to)
        rc = !from ? -from_errno : -errno;
    else if (strcmp(to, "/") == 0)
        rc = -EINVAL; /* over the root: the task's /proc and /dev would go */
    else if (iso->bind_count == BIND_MAX)
        rc = -E2BIG;
    else if (conflicts(iso, NULL, to))
        rc = -EXDEV;
    if (rc < 0) {
        free(from);
        free(to);
        return rc;
    }
    iso->binds[iso->bind_count++] = (cordon__bind){
        from, to, flags & CORDON_BIND_READONLY, from_stat.st_dev, from_stat.st_ino,
        given_mount_point(to, &to_stat),
    };
    return 0;
}

int cordon_set_minimal_dev(cordon_task *t, int on)
{
    CORDON__NO_CANCELLATION;
    int rc = settable(t);
    if (rc == 0)
        t->isolation->minimal_dev = on != 0;
    return rc;
}

/* RFC 1123 labels: letters, digits, '-' and '.', not starting with '-'. */
static bool hostname_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > HOSTNAME_MAX || name[0] == '-' || name[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            return false;
    }
    return true;
}

int cordon_set_hostname(cordon_task *t, const char *name)
{
    CORDON__NO_CANCELLATION;
    if (name && !hostname_valid(name))
        return -EINVAL;
    int rc = settable(t);
    if (rc == 0)
        strcpy(t->isolation->hostname, name ? name : "");
    return rc;
}

int cordon_set_cgroup_namespace(cordon_task *t, int on)
{
    CORDON__NO_CANCELLATION;
    int rc = settable(t);
    if (rc == 0)
        t->isolation->cgroup_namespace = on != 0;
    return rc;
}

/* Both presets: no network, a private /tmp the task may use, a /dev and
 * a hostname of its own, its cgroup as its root, and the namespaces that
 * make its /proc its own. */
static int isolate(cordon_task *t)
{
    int rc = cordon_set_network(t, CORDON_NETWORK_NONE);
    if (rc == 0)
        rc = cordon_add_tmpfs(t, "/tmp");
    if (rc == 0)
        rc = cordon_allow_path(t, "/tmp", CORDON_READ | CORDON_WRITE);
    if (rc == 0)
        rc = cordon_set_minimal_dev(t, 1);
    if (rc == 0 && !t->isolation->hostname[0])
        rc = cordon_set_hostname(t, PRESET_HOSTNAME);
    if (rc == 0)
        rc = cordon_set_cgroup_namespace(t, 1);
    if (rc == 0)
        t->isolation->needs_own_proc = true;
    return rc;
}

int cordon_set_isolation(cordon_task *t, const char *preset)
{
    CORDON__NO_CANCELLATION;
    bool judge = preset && strcmp(preset, "judge") == 0;
    bool isolated = preset && strcmp(preset, "isolated") == 0;
    if (!judge && !isolated)
        return -EINVAL;
    int rc = cordon_allow_system_paths(t);
    if (rc == 0)
        rc = isolate(t);
    if (rc == 0 && isolated)
        t->isolation->read_everything = true;
    if (rc == 0)
        t->preset_environment = true;
    return rc;
}

void cordon__isolation_free(cordon__isolation *iso)
{
    if (!iso)
        return;
    for (size_t i = 0; i < iso->rule_count; i++) {
        free((char *)iso->rules[i].path);
        free((char *)iso->rules[i].resolved);
    }
    for (size_t i = 0; i < iso->tmpfs_count; i++) {
        free(iso->tmpfs[i]);
        free(iso->tmpfs_resolved[i]);
    }
    for (size_t i = 0; i < iso->bind_count; i++) {
        free(iso->binds[i].source);
        free(iso->binds[i].target);
    }
    free(iso->rules);
    free(iso);
}

/* Does a rule name the directory of tmpfs `i`?  By where each led when
 * it was given, not by its spelling: the CLI gives a rule's path as the
 * fd it pinned ("/proc/self/fd/N") and the tmpfs by its real path, and a
 * caller may write "/tmp/" for one and "/tmp" for the other.  The rule
 * was on the directory the tmpfs hides, and granted the tmpfs nothing:
 * "--tmpfs /tmp --rw /tmp" left the task's /tmp unwritable. */
static bool rule_names_tmpfs(const cordon__isolation *iso, const cordon__path_rule *rule,
                             size_t i)
{
    if (strcmp(rule->path, iso->tmpfs[i]) == 0)
        return true;
    const char *tmpfs = iso->tmpfs_resolved[i];
    return tmpfs && strcmp(rule->resolved ? rule->resolved : rule->path, tmpfs) == 0;
}

/* A rule on a directory a tmpfs of the task's covers would be on what
 * the tmpfs hides: the init grants the tmpfs its access instead. */
static bool names_a_tmpfs(const cordon__isolation *iso, const cordon__path_rule *rule)
{
    for (size_t i = 0; i < iso->tmpfs_count; i++)
        if (rule_names_tmpfs(iso, rule, i))
            return true;
    return false;
}

/* A system rule that grants nothing more than the rest: what "/" grants
 * under the isolated preset (read and execute), and the devices of the
 * caller's /dev when the task has a /dev of its own, which the init grants
 * whole.  Each rule left out is a path not opened and a rule not added
 * per task (21 rules cost 83 us of CPU to make, 2 rules 10 us). */
static bool redundant_system_rule(const cordon__isolation *iso, const cordon__path_rule *rule)
{
    if (iso->minimal_dev && strncmp(rule->path, "/dev/", 5) == 0)
        return true;
    return iso->read_everything && !(rule->access & ~(unsigned)(CORDON_READ | CORDON_EXEC));
}

/* The paths a rule lets the task write, resolved, each one not beneath
 * another (written through the other's clone: one mount, so that a
 * rename between them stays one) nor the same as an earlier one; NULL
 * entries are skipped (a path this machine lacks). */
static bool covered(char *const *real, size_t count, size_t index)
{
    for (size_t i = 0; i < count; i++)
        if (i != index && real[i] &&
            (resolved_beneath(real[index], real[i]) || (i < index && !strcmp(real[index], real[i]))))
            return true;
    return false;
}

/* What the init clones writable before it makes the task's view
 * read-only (lib/task_init.c): planned here, where paths can be
 * resolved.  A rule that lets the task write the root leaves the view as
 * it is. */
static int plan_writable_trees(cordon__launch *l)
{
    size_t count = l->file_rule_count;
    char **real = cordon__zeroed(count + 1, sizeof *real);
    char **trees = cordon__zeroed(count + 1, sizeof *trees);
    /* As many clones as rules at most, each held by the init at once:
     * the number of paths a task may write is not bounded by anything
     * but the init's open files. */
    int *fds = cordon__zeroed(count + 1, sizeof *fds);
    if (!real || !trees || !fds) {
        free(real);
        free(trees);
        free(fds);
        return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++)
        if (l->file_rules[i].access & CORDON_WRITE)
            real[i] = realpath(l->file_rules[i].path, NULL);
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (real[i] && !strcmp(real[i], "/"))
            l->view_stays_writable = true;
        if (real[i] && !covered(real, count, i) && !at_or_beneath(real[i], "/proc"))
            trees[kept++] = real[i];
    }
    /* What was not kept (trees holds the kept ones in the same order). */
    for (size_t i = 0, next = 0; i < count; i++) {
        if (next < kept && real[i] == trees[next])
            next++;
        else
            free(real[i]);
    }
    free(real);
    cordon__file_identity *ids = cordon__zeroed(kept + 1, sizeof *ids);
    if (!ids) {
        for (size_t i = 0; i < kept; i++)
            free(trees[i]);
        free(trees);
        free(fds);
        return -ENOMEM;
    }
    for (size_t i = 0; i < kept; i++)
        ids[i] = cordon__planned_identity(trees[i]);
    l->writable_trees = trees;
    l->writable_tree_ids = ids;
    l->writable_tree_fds = fds;
    l->writable_tree_count = l->view_stays_writable ? 0 : kept;
    return 0;
}

/* The task's rules, the system's and a preset's, in one list. */
static int make_file_ruleset(const cordon__isolation *iso, bool own_proc, cordon__launch *l)
{
    size_t count = 0, capacity = iso->rule_count + SYSTEM_RULE_COUNT + 1;
    cordon__path_rule *rules = cordon__zeroed(capacity, sizeof *rules);
    if (!rules)
        return -ENOMEM;
    for (size_t i = 0; i < iso->rule_count; i++)
        if (!names_a_tmpfs(iso, &iso->rules[i]))
            rules[count++] = iso->rules[i];
    if (iso->system_paths) {
        for (size_t i = 0; i < SYSTEM_RULE_COUNT; i++)
            if (!redundant_system_rule(iso, &system_rules[i]))
                rules[count++] = system_rules[i];
        /* Only a /proc of the task's own (the caller's would show every
         * process of the machine), granted by the init that mounts it. */
        if (own_proc)
            l->own_proc_access = CORDON_READ;
    }
    if (iso->read_everything)
        rules[count++] = (cordon__path_rule){ .path = "/", .access = CORDON_READ | CORDON_EXEC };
    size_t failed;
    int fd = cordon__landlock_file_ruleset(rules, count, &failed);
    if (fd < 0) {
        free(rules);
        return fd;
    }
    /* Kept for the result's account of the rules. */
    l->file_rules = rules;
    l->file_rule_count = count;
    l->landlock_ruleset = fd;
    l->owns_ruleset = true;
    l->landlock_abi = cordon__landlock_abi();
    /* A tmpfs gets what a rule gave its directory, by the same name. */
    for (size_t i = 0; i < iso->tmpfs_count; i++)
        for (size_t r = 0; r < iso->rule_count; r++)
            if (rule_names_tmpfs(iso, &iso->rules[r], i))
                l->tmpfs_access[i] |= iso->rules[r].access;
    /* The task's own terminals are mounted over the caller's /dev/pts,
     * where a rule naming it was made: the init grants its own what the
     * rule gave (--rw /dev/pts was listed in force, and the task could
     * make no pseudo-terminal). */
    for (size_t r = 0; r < iso->rule_count; r++)
        if (strcmp(iso->rules[r].resolved ? iso->rules[r].resolved : iso->rules[r].path,
                   "/dev/pts") == 0)
            l->own_pts_access |= iso->rules[r].access;
    /* A bind is a grant of its own: the caller handed that tree over. */
    for (size_t i = 0; i < iso->bind_count; i++)
        l->bind_access[i] = iso->binds[i].read_only ? CORDON_READ | CORDON_EXEC : ACCESS_ALL;
    return plan_writable_trees(l);
}

/* A path that is, or lies beneath, a mount the task's view covers
 * (sandbox/kernel_mounts.c: a second proc, sysfs or cgroup mount, the
 * caller's terminals, shared memory, message queues or devices mounted
 * again elsewhere) leads to an empty, unreadable cover there: a rule
 * would grant nothing, a bind or tmpfs would be mounted on the cover,
 * and the task failed with "Stale file handle" or ran refused its own
 * working directory.  Refused, naming the path and the mount. */
static const char *covered_by(const char *resolved, const cordon__path_list *hidden)
{
    for (size_t i = 0; resolved && i < hidden->count; i++)
        if (at_or_beneath(resolved, hidden->paths[i]))
            return hidden->paths[i];
    return NULL;
}

/* The task's child changes to its working directory by the path as given,
 * through each directory it names: "P/.." with P covered leads somewhere
 * uncovered, but the walk goes through the cover and is refused.  The
 * covered mount the walk meets first, or NULL. */
static const char *walked_through(const char *path, const cordon__path_list *hidden)
{
    char prefix[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof prefix)
        return NULL;
    memcpy(prefix, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (prefix[i] != '/' && prefix[i] != '\0')
            continue;
        char kept = prefix[i];
        prefix[i] = '\0';
        char *real = realpath(prefix, NULL);
        const char *mount = covered_by(real, hidden);
        free(real);
        prefix[i] = kept;
        if (mount)
            return mount;
    }
    return NULL;
}

static int refuse_covered(const char *what, const char *path, const char *mount,
                          cordon_error *err)
{
    err->code = -EXDEV;
    snprintf(err->message, sizeof err->message,
             "%s '%.100s' lies on (or its path passes through) %.100s, another mount of the "
             "caller's proc, sysfs, cgroups, "
             "terminals, shared memory, message queues or devices, which the task's view "
             "covers: the task would reach nothing there; give a path elsewhere",
             what, path, mount);
    return -EXDEV;
}

/* A bind of a piece of /proc, /sys, the caller's terminals or shared
 * memory would bring the caller's own into the view (a writable one, in a
 * read-only view, with the caller's flags: a writable sysfs); it had been
 * refused at the run only by chance, as "Stale file handle", or not. */
static int refuse_bind_source(const cordon__bind *bind, const char *mount, cordon_error *err)
{
    err->code = -EXDEV;
    snprintf(err->message, sizeof err->message,
             "the bind's source '%.100s' lies on %.120s, a mount of the kernel's file systems "
             "or of the caller's terminals or shared memory: bound, it would show the "
             "caller's own to the task; the task has a /proc, /sys and /dev of its own",
             bind->source, mount);
    return -EXDEV;
}

/* A writable bind of a mount beneath /sys that is none of the kernel's
 * (those are refused above): /sys is read-only for every task, but a
 * bind's source is the caller's, cloned with the caller's flags where
 * file rules are given, and a writable bind of the caller's
 * /sys/fs/cgroup (a tmpfs on a machine of cgroup v1) let a root task
 * make files and directories in the machine's. */
static int refuse_writable_bind_beneath_sys(const cordon__isolation *iso, cordon_error *err)
{
    for (size_t i = 0; iso && i < iso->bind_count; i++) {
        if (iso->binds[i].read_only || !at_or_beneath(iso->binds[i].source, "/sys"))
            continue;
        snprintf(err->message, sizeof err->message, "the bind's source '%.200s' lies beneath "
                 "/sys, which is read-only for every task: bind it read-only (--ro-bind, "
                 "CORDON_BIND_READONLY)", iso->binds[i].source);
        err->code = -EROFS;
        return -EROFS;
    }
    return 0;
}

/* What the binds bring along (kernel_mounts.c). */
static int check_bind_reach(const cordon__isolation *iso, cordon__path_list *bind_covers,
                            uint64_t *table_digest, cordon_error *err)
{
    cordon__path_list covers = { .paths = NULL };
    cordon__bind_refusal refused;
    uint64_t digest = 0;
    int rc = iso && iso->bind_count
                 ? cordon__bind_reach(iso->binds, iso->bind_count, &covers, &refused, &digest)
                 : 0;
    if (table_digest)
        *table_digest = digest;
    if (rc == -EXDEV)
        return refuse_bind_source(&iso->binds[refused.index], refused.mount, err);
    if (rc < 0)
        return rc;
    if (bind_covers)
        *bind_covers = covers;
    else
        cordon__path_list_free(&covers);
    return 0;
}

int cordon__isolation_uncovered(const cordon_task *t, const cordon__path_list *hidden,
                                cordon__path_list *bind_covers, uint64_t *bind_table_digest,
                                cordon_error *err)
{
    const char *mount;
    if (t->cwd) {
        char *real = realpath(t->cwd, NULL);
        mount = covered_by(real, hidden);
        free(real);
        if (mount || (hidden->count && (mount = walked_through(t->cwd, hidden))))
            return refuse_covered("the working directory", t->cwd, mount, err);
    } else if (hidden->count) {
        /* The caller's, which the task starts in when given no other. */
        char here[PATH_MAX];
        if (getcwd(here, sizeof here) && (mount = covered_by(here, hidden)))
            return refuse_covered("the caller's working directory, the task's (no other was "
                                  "given),", here, mount, err);
    }
    const cordon__isolation *iso = t->isolation;
    for (size_t i = 0; iso && i < iso->rule_count; i++)
        if ((mount = covered_by(iso->rules[i].resolved, hidden)))
            return refuse_covered("the file rule's path", iso->rules[i].resolved, mount, err);
    for (size_t i = 0; iso && i < iso->bind_count; i++) {
        if ((mount = covered_by(iso->binds[i].source, hidden)))
            return refuse_covered("the bind's source", iso->binds[i].source, mount, err);
        if ((mount = covered_by(iso->binds[i].target, hidden)))
            return refuse_covered("the bind's target", iso->binds[i].target, mount, err);
    }
    for (size_t i = 0; iso && i < iso->tmpfs_count; i++)
        if ((mount = covered_by(iso->tmpfs_resolved[i], hidden)))
            return refuse_covered("the tmpfs", iso->tmpfs[i], mount, err);
    int rc = check_bind_reach(iso, bind_covers, bind_table_digest, err);
    return rc < 0 ? rc : refuse_writable_bind_beneath_sys(iso, err);
}

/* Whether the task will have a mount namespace (the machine's, as far as
 * is known without a run) and, if so, none of its paths lies on a
 * covered mount. */
static int check_covered(const cordon_task *t, cordon_error *err)
{
    unsigned namespaces = 0;
    bool presumed;
    if (cordon__namespaces_presumed(&namespaces, &presumed) < 0 ||
        !(namespaces & CORDON__NAMESPACE_MOUNT))
        return 0;
    cordon__path_list hidden;
    uint64_t digest;
    if (cordon__mounts_to_hide(&hidden, &digest) < 0)
        return 0; /* the run says what failed */
    int rc = cordon__isolation_uncovered(t, &hidden, NULL, NULL, err);
    cordon__path_list_free(&hidden);
    return rc;
}


/* A bind's target beneath the task's own /dev would have nothing to be
 * mounted on. */
static const char *bind_under_dev(const cordon__isolation *iso)
{
    for (size_t i = 0; iso->minimal_dev && i < iso->bind_count; i++)
        if (at_or_beneath(iso->binds[i].target, "/dev"))
            return iso->binds[i].target;
    return NULL;
}

/* The i-th tmpfs at or beneath `top`, as it was named or where it led
 * when given. */
static bool tmpfs_in(const cordon__isolation *iso, size_t i, const char *top)
{
    return at_or_beneath(iso->tmpfs[i], top) || at_or_beneath(iso->tmpfs_resolved[i], top);
}

/* A tmpfs at or beneath the task's own /dev (a minimal one), or a bind
 * or a tmpfs at or beneath its /proc: the init mounts those anew, so the
 * place the caller named is gone from the view, and the run failed with
 * "Stale file handle", naming nothing.  NULL, or the path; *own and *kind
 * say which mount and which option. */
static const char *mount_in_own_mount(const cordon__isolation *iso, const char **own,
                                      const char **kind)
{
    *own = "/proc";
    *kind = "bind";
    for (size_t i = 0; i < iso->bind_count; i++)
        if (at_or_beneath(iso->binds[i].target, "/proc"))
            return iso->binds[i].target;
    *kind = "tmpfs";
    for (size_t i = 0; i < iso->tmpfs_count; i++) {
        *own = tmpfs_in(iso, i, "/proc") ? "/proc"
               : iso->minimal_dev && tmpfs_in(iso, i, "/dev") ? "/dev" : NULL;
        if (*own)
            return iso->tmpfs[i];
    }
    return NULL;
}

/* A rule that lets the task write at or beneath `top`, where it led
 * when given. */
static const char *write_rule_beneath(const cordon__isolation *iso, const char *top)
{
    for (size_t i = 0; i < iso->rule_count; i++) {
        /* The path may be a pinned fd's, /proc/self/fd/N (the runner's) */
        const char *led = iso->rules[i].resolved ? iso->rules[i].resolved : iso->rules[i].path;
        if ((iso->rules[i].access & CORDON__ACCESS_WRITE) && at_or_beneath(led, top))
            return led;
    }
    return NULL;
}

/* Write rules refused before the run, and why.  /proc: the task's /proc
 * is its own, mounted anew, and what of it the task may write is
 * cordon's to grant; the rule had cloned the caller's own /proc (its
 * /proc/sys/kernel, the parent's /proc/PID) writable into the task's
 * view, beneath its /proc.  /sys: read-only for every task (its view's
 * /sys is mounted so; without namespaces the fence refuses writes
 * there), so the rule was taken and the task's writes failed with
 * EROFS. */
typedef struct refused_write {
    const char *top;
    int code;
    const char *why;
} refused_write;

static const refused_write refused_writes[] = {
    { "/proc", -EXDEV, "lies in the task's own /proc, which cordon mounts anew for it: what of "
                       "it the task may write is its own process's files, granted already; the "
                       "caller's /proc is not the task's to write" },
    { "/sys", -EROFS, "lies beneath /sys, which is read-only for every task (its view mounts it "
                      "read-only; without namespaces nothing beneath it is written): grant it "
                      "reading only" },
};

/* The first of refused_writes a rule of `iso` meets, where that rule led
 * in *led; NULL for none. */
static const refused_write *refused_write_rule(const cordon__isolation *iso, const char **led)
{
    for (size_t i = 0; i < sizeof refused_writes / sizeof *refused_writes; i++)
        if ((*led = write_rule_beneath(iso, refused_writes[i].top)))
            return &refused_writes[i];
    return NULL;
}

int cordon_task_check(const cordon_task *t, cordon_error *err)
{
    CORDON__NO_CANCELLATION;
    cordon_error ignored;
    if (!err)
        err = &ignored;
    memset(err, 0, sizeof *err);
    if (!t) {
        err->code = -EINVAL;
        snprintf(err->message, sizeof err->message, "the task is NULL");
        return -EINVAL;
    }
    const cordon__isolation *iso = t->isolation;
    const char *under_dev = iso ? bind_under_dev(iso) : NULL;
    if (under_dev) {
        err->code = -EXDEV;
        snprintf(err->message, sizeof err->message, "the bind's target %.200s lies in the "
                 "task's own /dev (cordon_set_minimal_dev, or the preset's), which has nothing "
                 "to bind over; bind elsewhere, or give the task the host's /dev", under_dev);
        return -EXDEV;
    }
    const char *own, *option;
    const char *inside = iso ? mount_in_own_mount(iso, &own, &option) : NULL;
    if (inside) {
        err->code = -EXDEV;
        const char *which =
            strcmp(own, "/dev") == 0
                ? " (a minimal one: --dev minimal, cordon_set_minimal_dev or a preset)"
                : "";
        snprintf(err->message, sizeof err->message, "the %s at %.200s lies in the task's own %s%s, "
                 "which cordon mounts anew for it: nothing of the caller's is there to mount "
                 "over; choose a path outside it", option, inside, own, which);
        return -EXDEV;
    }
    const char *led = NULL;
    const refused_write *refused = iso ? refused_write_rule(iso, &led) : NULL;
    if (refused) {
        err->code = refused->code;
        snprintf(err->message, sizeof err->message, "the rule letting the task write %.200s %s",
                 led, refused->why);
        return refused->code;
    }
    int rc = check_covered(t, err);
    if (rc < 0)
        return rc;
    /* Only a task without a network or with file rules has a variant
     * that a policy's rules can stand in the way of
     * (sandbox/policy_variant.c). */
    const cordon_policy *p = t->policy_set ? t->policy : cordon__policy_builtin_default();
    if (!p || !iso)
        return 0;
    unsigned kind = (iso->network == CORDON_NETWORK_NONE ? CORDON__VARIANT_NO_NETWORK : 0) |
                    (iso->rule_count || iso->system_paths || iso->read_everything
                         ? CORDON__VARIANT_FILE_RULES : 0);
    return cordon__policy_combinable(p, kind, err);
}

/* The namespaces the options need, or the mark that the machine has none
 * (the child then fails closed). */
static void plan_namespaces(const cordon__isolation *iso, cordon__launch *l)
{
    bool own_proc = (l->namespaces & CORDON__NAMESPACE_PID) &&
                    (l->namespaces & CORDON__NAMESPACE_MOUNT);
    bool mounts = iso->tmpfs_count || iso->bind_count || iso->minimal_dev;
    bool others = iso->network == CORDON_NETWORK_NONE || iso->hostname[0] ||
                  iso->cgroup_namespace;
    if ((iso->needs_own_proc && !own_proc) ||
        (mounts && !(l->namespaces & CORDON__NAMESPACE_MOUNT)) || (others && !l->namespaces)) {
        l->lacks_namespaces = true;
        return;
    }
    if (iso->network == CORDON_NETWORK_NONE)
        l->namespaces |= CORDON__NAMESPACE_NET;
    if (iso->hostname[0])
        l->namespaces |= CORDON__NAMESPACE_UTS;
    if (iso->cgroup_namespace)
        l->namespaces |= CORDON__NAMESPACE_CGROUP;
}

/* Each bind's source is still the file it named when given: -ESTALE (or
 * its errno) before anything starts, rather than a bind of something else.
 * The init checks again once it is mounted. */
static int check_bind_sources(const cordon__isolation *iso)
{
    for (size_t i = 0; i < iso->bind_count; i++) {
        struct stat now;
        if (stat(iso->binds[i].source, &now) != 0)
            return -errno;
        if (now.st_dev != iso->binds[i].device || now.st_ino != iso->binds[i].inode)
            return -ESTALE;
    }
    return 0;
}

int cordon__isolation_prepare(const cordon_task *t, cordon__launch *l)
{
    const cordon__isolation *iso = t->isolation;
    if (!iso)
        return 0;
    const char *own, *kind;
    if (bind_under_dev(iso) || mount_in_own_mount(iso, &own, &kind))
        return -EXDEV;
    const char *led;
    const refused_write *refused = refused_write_rule(iso, &led);
    if (refused)
        return refused->code;
    int rc = check_bind_sources(iso);
    if (rc < 0)
        return rc;
    bool own_proc = (l->namespaces & CORDON__NAMESPACE_PID) &&
                    (l->namespaces & CORDON__NAMESPACE_MOUNT);
    plan_namespaces(iso, l);
    l->tmpfs_paths = iso->tmpfs;
    l->tmpfs_given = iso->tmpfs_given;
    l->tmpfs_count = iso->tmpfs_count;
    l->binds = iso->binds;
    l->bind_count = iso->bind_count;
    l->minimal_dev = iso->minimal_dev;
    l->hostname = iso->hostname[0] ? iso->hostname : NULL;
    if (iso->rule_count || iso->system_paths || iso->read_everything)
        return make_file_ruleset(iso, own_proc, l);
    return 0;
}

bool cordon__isolation_governs_files(const cordon__isolation *iso)
{
    return iso && (iso->rule_count || iso->system_paths || iso->read_everything);
}

/* Whether the file `fd` is open on lies at or beneath a bind's target or
 * a tmpfs of the task's: hidden from it, or (a read-only bind) not
 * writable by its path.  A pipe or a socket lies nowhere. */
static bool beneath_the_task_s_mounts(const cordon__isolation *iso, int fd)
{
    char link[32], name[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, name, sizeof name - 1);
    if (n <= 0 || (size_t)n >= sizeof name - 1)
        return false;
    name[n] = '\0';
    if (name[0] != '/')
        return false;
    char *real = realpath(name, NULL);
    const char *at = real ? real : name;
    bool beneath = cordon__isolation_hiding_tmpfs(iso, at) != NULL;
    for (size_t i = 0; !beneath && i < iso->bind_count; i++)
        beneath = at_or_beneath(at, iso->binds[i].target);
    free(real);
    return beneath;
}

unsigned cordon__isolation_stream_guard(const cordon__isolation *iso, int fd)
{
    if (cordon__isolation_governs_files(iso))
        return CORDON__GUARD_FILE_RULES;
    return iso && fd >= 0 && beneath_the_task_s_mounts(iso, fd) ? CORDON__GUARD_VIEW : 0;
}

void cordon__isolation_release(cordon__launch *l)
{
    free(l->file_rules);
    l->file_rules = NULL;
    l->file_rule_count = 0;
    for (size_t i = 0; l->writable_trees && l->writable_trees[i]; i++)
        free(l->writable_trees[i]);
    free(l->writable_trees);
    l->writable_trees = NULL;
    free(l->writable_tree_fds);
    l->writable_tree_fds = NULL;
    free(l->writable_tree_ids);
    l->writable_tree_ids = NULL;
    l->writable_tree_count = 0;
    l->view_stays_writable = false;
    if ((l->owns_ruleset || l->closes_ruleset) && l->landlock_ruleset >= 0)
        close(l->landlock_ruleset);
    l->owns_ruleset = l->closes_ruleset = false;
    l->landlock_ruleset = -1;
}

unsigned cordon__isolation_confinement(const cordon__attempt_state *s, const cordon__launch *l)
{
    unsigned held = 0;
    if (s->in_namespaces && (l->namespaces & CORDON__NAMESPACE_NET))
        held |= CORDON_CONFINED_NETWORK_NAMESPACE;
    if (s->in_namespaces && l->tmpfs_count)
        held |= CORDON_CONFINED_PRIVATE_TMPFS;
    if (s->in_namespaces && (l->namespaces & CORDON__NAMESPACE_UTS))
        held |= CORDON_CONFINED_UTS_NAMESPACE;
    if (s->in_namespaces && (l->namespaces & CORDON__NAMESPACE_CGROUP))
        held |= CORDON_CONFINED_CGROUP_NAMESPACE;
    if (s->in_namespaces && l->bind_count)
        held |= CORDON_CONFINED_BIND_MOUNTS;
    if (s->in_namespaces && l->minimal_dev)
        held |= CORDON_CONFINED_MINIMAL_DEV;
    if (l->owns_ruleset)
        held |= CORDON_CONFINED_FILE_RULES;
    return held;
}
