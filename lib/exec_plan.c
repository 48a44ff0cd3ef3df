/*
 * What a command's first process still reads between giving back its
 * memory (sandbox/memory_give_back.c) and its exec: the filter's program
 * and the exec's candidates, argv and envp; and, for the give-back, where
 * the objects whose code may run after it lie (lib/kept_objects.c).  The
 * launch data holding them lives in memory copied from the caller, which
 * is given back; the plan is a deep copy of them in a fresh mapping of
 * its own, which is kept.
 *
 * Child side (lib/child.c's rule): one mmap, no allocator, no stdio.
 */
#include <errno.h>
#include <linux/filter.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "../sandbox/policy.h"

void cordon__exec_plan_view(const cordon__launch *l, cordon__exec_plan *plan)
{
    *plan = (cordon__exec_plan){
        .setup = l->setup,
        .program = l->policy ? cordon__policy_program(l->policy) : NULL,
        .notifies = l->policy && cordon__policy_notifies(l->policy),
        .hands_over_listener = l->listener_socket >= 0,
        .parent_takes_listener = l->parent_takes_listener,
        .guards_terminal = l->guards_terminal,
        .guards_shared_objects = l->guards_shared_objects,
        .guards_device_events = (l->namespaces & CORDON__NAMESPACE_NET) != 0,
        .given_no_policy = l->given_no_policy,
        .open_files_after_handover = l->open_files_after_handover,
        .open_files = l->open_files,
        .exec_paths = l->exec_paths, .argv = l->argv, .envp = l->envp,
        .kept_objects = l->kept_objects_known ? l->kept_objects : NULL,
        .kept_objects_count = l->kept_objects_known ? l->kept_objects_count : 0,
    };
}

static size_t vector_size(char *const *vector)
{
    size_t size = sizeof(char *);
    for (; vector && *vector; vector++)
        size += sizeof(char *) + strlen(*vector) + 1;
    return size;
}

/* Places the pointers at *at and the strings after all of them (NULL
 * stays NULL). */
static char **copy_vector(char *const *vector, char **at)
{
    if (!vector)
        return NULL;
    size_t count = 0;
    while (vector[count])
        count++;
    char **copy = (char **)*at;
    char *text = *at + (count + 1) * sizeof(char *);
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(vector[i]) + 1;
        memcpy(text, vector[i], len);
        copy[i] = text;
        text += len;
    }
    copy[count] = NULL;
    /* The next vector's pointers start aligned. */
    size_t used = (size_t)(text - *at);
    *at += (used + sizeof(char *) - 1) / sizeof(char *) * sizeof(char *);
    return copy;
}

cordon__exec_plan *cordon__exec_plan_copy(const cordon__exec_plan *view,
                                          cordon__address_range *where)
{
    size_t program_bytes =
        view->program ? view->program->len * sizeof(struct sock_filter) : 0;
    size_t objects_bytes = view->kept_objects_count * sizeof(cordon__address_range);
    size_t size = sizeof(cordon__exec_plan) + objects_bytes + sizeof(struct sock_fprog) +
                  program_bytes + vector_size(view->exec_paths) + vector_size(view->argv) +
                  vector_size(view->envp) + 3 * sizeof(char *);
    char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    cordon__exec_plan *plan = (cordon__exec_plan *)base;
    *plan = *view;
    char *at = base + sizeof *plan;
    if (view->kept_objects) {
        memcpy(at, view->kept_objects, objects_bytes);
        plan->kept_objects = (const cordon__address_range *)at;
        at += objects_bytes;
    }
    if (view->program) {
        struct sock_fprog *program = (struct sock_fprog *)at;
        struct sock_filter *code = (struct sock_filter *)(program + 1);
        memcpy(code, view->program->filter, program_bytes);
        *program = (struct sock_fprog){ .len = view->program->len, .filter = code };
        plan->program = program;
        at = (char *)code + program_bytes;
    }
    plan->exec_paths = copy_vector(view->exec_paths, &at);
    plan->argv = copy_vector(view->argv, &at);
    plan->envp = copy_vector(view->envp, &at);
    *where = (cordon__address_range){ (uintptr_t)base, (uintptr_t)base + size };
    return plan;
}
