/*
 * Docker/OCI seccomp profiles (JSON) translated into cordon's policy
 * language (policy_docker.c).  Private to sandbox/.
 */
#ifndef CORDON_SANDBOX_POLICY_DOCKER_H
#define CORDON_SANDBOX_POLICY_DOCKER_H

#include <stddef.h>
#include <stdio.h>

#include "../lib/cordon.h"

/* The prefix that makes cordon_policy_load read a Docker profile. */
#define CORDON_DOCKER_PREFIX "docker:"

/* Translates the profile `text` (`len` bytes, from `origin`).  On success
 * writes the whole policy to `out` (may be NULL) and returns 0; findings a
 * user should know of go to `notes` (may be NULL), one line each,
 * "ORIGIN:LINE:COL: syscalls[3].names[1]: ...".  Nothing is written to
 * `out` on failure: a negative errno, `err` naming ORIGIN:LINE:COL. */
int cordon__docker_import(const char *text, size_t len, const char *origin, FILE *out,
                          FILE *notes, cordon_error *err);

#endif
