/*
 * The account of how a task was confined (result.confinement and
 * result.confinement_details), made in the parent after each attempt from
 * what was prepared for it and what held: an audit reads it to prove a
 * task's confinement afterwards, so it says only what was in force — the
 * rules the ruleset was made of, the grants its init made on the mounts
 * of its own, the cgroup that held it — never what was merely asked.
 */
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct cordon__confinement_store {
    cordon_confinement view;
    cordon_file_rule *rules;
    size_t rule_count, rule_capacity;
    cordon_bind_record binds[8];
    char *policy;
    char hostname[65];
};

_Static_assert(sizeof ((struct cordon__confinement_store *)0)->binds / sizeof(cordon_bind_record) ==
                   sizeof ((cordon__launch *)0)->bind_access / sizeof(unsigned),
               "one record per bind");

static void add_rule(struct cordon__confinement_store *st, const char *path, unsigned access)
{
    if (!access)
        return;
    if (st->rule_count == st->rule_capacity) {
        size_t capacity = st->rule_capacity ? 2 * st->rule_capacity : 32;
        cordon_file_rule *grown = realloc(st->rules, capacity * sizeof *grown);
        if (!grown)
            return; /* the account stops short; the rules held all the same */
        st->rules = grown;
        st->rule_capacity = capacity;
    }
    st->rules[st->rule_count++] = (cordon_file_rule){ path, access };
}

/* The ruleset's own rules (a preset's path this machine lacks was left
 * out of it), then what the init granted on the mounts it made. */
static void record_rules(struct cordon__confinement_store *st, const cordon__launch *l)
{
    st->rule_count = 0;
    if (!l->owns_ruleset)
        return;
    for (size_t i = 0; i < l->file_rule_count; i++) {
        const cordon__path_rule *r = &l->file_rules[i];
        if (!r->optional || access(r->path, F_OK) == 0)
            add_rule(st, r->resolved ? r->resolved : r->path, r->access);
    }
    add_rule(st, "/proc", l->own_proc_access);
    for (size_t i = 0; i < l->bind_count; i++)
        add_rule(st, l->binds[i].target, l->bind_access[i]);
    if (l->minimal_dev)
        add_rule(st, "/dev", CORDON_READ | CORDON_WRITE);
    /* The caller's /dev: the task's own shared memory and message queues
     * there (lib/task_init.c's own_dev_state), where they are. */
    bool own_dev_state = !l->minimal_dev && (l->namespaces & CORDON__NAMESPACE_MOUNT);
    if (own_dev_state && access("/dev/shm", F_OK) == 0)
        add_rule(st, "/dev/shm", CORDON_READ | CORDON_WRITE);
    if (own_dev_state && (l->namespaces & CORDON__NAMESPACE_IPC) &&
        access("/dev/mqueue", F_OK) == 0)
        add_rule(st, "/dev/mqueue", CORDON_READ | CORDON_WRITE);
    for (size_t i = 0; i < l->tmpfs_count; i++)
        add_rule(st, l->tmpfs_paths[i], l->tmpfs_access[i]);
}

static void record_cgroup(cordon_confinement *v, const cordon__cgroup *cg)
{
    v->cgroup_version = v->cgroup_memory_version = v->cgroup_pids_version = 0;
    if (!cg->count)
        return;
    v->cgroup_version = cg->v2_dir >= 0 ? 2 : (int)cg->versions[0];
    if (cg->memory_dir >= 0)
        v->cgroup_memory_version = (int)cg->versions[cg->memory_dir];
    if (cg->pids_dir >= 0)
        v->cgroup_pids_version = (int)cg->versions[cg->pids_dir];
}

/* What held the number of the task's processes: a pids cgroup, or
 * RLIMIT_NPROC, which binds no process of root's. */
static void record_process_bound(cordon_confinement *v, const cordon_task *t,
                                 const cordon__launch *l)
{
    uint64_t most = t->limits[CORDON_LIMIT_PROCESSES] ? t->limits[CORDON_LIMIT_PROCESSES]
                                                      : l->process_share;
    bool held = l->cgroup.pids_dir >= 0 || (l->limit_set[RLIMIT_NPROC] && !l->runs_as_root);
    v->max_processes = held ? most : 0;
    /* The caller's own lower RLIMIT_NPROC held it lower: that is the bound. */
    if (l->clamped_limits & (1u << CORDON_LIMIT_PROCESSES))
        v->max_processes = l->held_limits[CORDON_LIMIT_PROCESSES];
}

static void record_clamps(cordon_confinement *v, const cordon__launch *l)
{
    _Static_assert(sizeof v->held_limits / sizeof *v->held_limits == CORDON__RLIMIT_BACKED,
                   "one per rlimit-backed limit");
    v->clamped_limits = l->clamped_limits;
    memcpy(v->held_limits, l->held_limits, sizeof v->held_limits);
}

static void record_names(struct cordon__confinement_store *st, const cordon__attempt_state *s,
                         const cordon__launch *l)
{
    free(st->policy);
    st->policy = l->policy ? strdup(cordon_policy_name(l->policy)) : NULL;
    st->view.policy = st->policy;
    st->view.hostname = NULL;
    if (s->in_namespaces && (l->namespaces & CORDON__NAMESPACE_UTS) && l->hostname) {
        strncpy(st->hostname, l->hostname, sizeof st->hostname - 1);
        st->view.hostname = st->hostname;
    }
}

void cordon__confinement_record(cordon_task *t, const cordon__attempt_state *s,
                                const cordon__launch *l)
{
    if (t->confinement_not_reached) {
        t->result.confinement = 0;
        t->result.confinement_details = NULL;
        return;
    }
    t->result.confinement |= cordon__isolation_confinement(s, l);
    if (!t->confinement_store &&
        !(t->confinement_store = cordon__zeroed(1, sizeof *t->confinement_store)))
        return;
    struct cordon__confinement_store *st = t->confinement_store;
    cordon_confinement *v = &st->view;
    record_names(st, s, l);
    v->landlock_abi = l->landlock_ruleset >= 0 ? cordon__landlock_abi() : 0;
    record_rules(st, l);
    v->file_rules = st->rules;
    v->file_rule_count = st->rule_count;
    size_t binds = s->in_namespaces ? l->bind_count : 0;
    for (size_t i = 0; i < binds; i++)
        st->binds[i] = (cordon_bind_record){ l->binds[i].source, l->binds[i].target,
                                             l->binds[i].read_only };
    v->binds = st->binds;
    v->bind_count = binds;
    record_cgroup(v, &l->cgroup);
    record_process_bound(v, t, l);
    record_clamps(v, l);
    v->uid = l->switch_user ? l->uid : geteuid();
    v->gid = l->switch_user ? l->gid : getegid();
    t->result.confinement_details = v;
}

void cordon__confinement_store_free(struct cordon__confinement_store *st)
{
    if (!st)
        return;
    free(st->rules);
    free(st->policy);
    free(st);
}
