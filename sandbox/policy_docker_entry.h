/*
 * Shared by the two files of the Docker importer: policy_docker.c (the
 * profile as a whole) and policy_docker_entry.c (one syscalls[] entry).
 * Private to sandbox/.
 */
#ifndef CORDON_SANDBOX_POLICY_DOCKER_ENTRY_H
#define CORDON_SANDBOX_POLICY_DOCKER_ENTRY_H

#include <stdio.h>

#include "json_tree.h"

typedef struct docker_importer {
    const char *origin;
    const json_value *root;
    FILE *out;              /* the policy being written */
    FILE *notes;            /* findings for the user; may be NULL */
    cordon_error *err;
    unsigned kernel[2];     /* major, minor of the running kernel */
} docker_importer;

/* Fills im->err with ORIGIN:LINE:COL (of `at`): PATH: message. */
void cordon__docker_fail(docker_importer *im, const json_value *at, const char *path,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A finding: a comment in the policy, and a note with the position. */
void cordon__docker_note(docker_importer *im, const json_value *at, const char *path,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 0 when `v` is of `kind`, else -EINVAL with the error set. */
int cordon__docker_want(docker_importer *im, const json_value *v, json_kind kind, const char *path);
/* Notes each member of `object` not in the NULL-terminated `known`. */
void cordon__docker_unknown_members(docker_importer *im, const json_value *object, const char *path,
                             const char *const *known);
/* The cordon action for a profile's action (and errnoRet, may be NULL)
 * into `text`, e.g. "errno EPERM"; `at` and `ret_at` are their paths, and
 * `owner` is where a missing action is reported. */
int cordon__docker_action(docker_importer *im, const json_value *owner, const json_value *action,
                   const json_value *ret, const char *at, const char *ret_at, char *text,
                   size_t size);
/* Writes the rules of syscalls[index]. */
int cordon__docker_import_entry(docker_importer *im, const json_value *entry, size_t index);

#endif
