/*
 * minijail's seccomp policy files translated into cordon's policy
 * language (policy_minijail.c).  Private to sandbox/.
 */
#ifndef CORDON_SANDBOX_POLICY_MINIJAIL_H
#define CORDON_SANDBOX_POLICY_MINIJAIL_H

#include <stdbool.h>
#include <stdio.h>

#include "../lib/cordon.h"

/* The prefix that makes cordon_policy_load read a minijail policy. */
#define CORDON_MINIJAIL_PREFIX "minijail:"

/* Whether `text` reads as a minijail policy rather than JSON: its first
 * character that is not blank or in a comment starts a name or an '@'. */
bool cordon__looks_like_minijail(const char *text);

/* Translates the minijail policy `text` (from `origin`, whose directory
 * relative @include paths are read from).  On success writes the whole
 * policy to `out` (may be NULL) and returns 0; findings a user should
 * know of (a name left out, an ignored @frequency, a "; return" that
 * cordon can only make a kill) go to `notes` (may be NULL), one line
 * each, "ORIGIN:LINE:COL: …".  On failure nothing is written to `out`: a
 * negative errno, `err` naming ORIGIN:LINE:COL. */
int cordon__minijail_import(const char *text, const char *origin, FILE *out, FILE *notes,
                            cordon_error *err);

#endif

/* ---- expressions (policy_minijail_expr.c) ---- */

#include "policy_rules.h"

/* minijail's "arg0 == 1 || arg1 & O_CREAT && arg2 in ~PROT_EXEC" is an OR
 * of ANDs of atoms; an atom is an OR of cordon conditions ("arg1 & 0x41"
 * holds when either bit is set). */
#define MINIJAIL_MAX_SET   8
#define MINIJAIL_MAX_ATOMS 8
#define MINIJAIL_MAX_TERMS 16

typedef struct minijail_set {
    unsigned count;
    cordon__condition conditions[MINIJAIL_MAX_SET];
} minijail_set;

typedef struct minijail_term {
    unsigned count;
    minijail_set atoms[MINIJAIL_MAX_ATOMS];
} minijail_term;

typedef struct minijail_expression {
    unsigned count;
    minijail_term terms[MINIJAIL_MAX_TERMS];
} minijail_expression;

/* What cordon can write: up to 16 alternatives, each comparing an
 * argument once. */
typedef struct minijail_alternatives {
    unsigned count;
    struct {
        unsigned count;
        cordon__condition conditions[CORDON_MAX_CONDITIONS];
    } alternatives[16];
} minijail_alternatives;

/* Parses the expression in [text, end) (`column` is text's column, for
 * messages).  Returns 0, or -EINVAL with `problem` naming the column
 * within the line and what was wrong. */
int cordon__minijail_parse_expression(const char *text, const char *end, unsigned column,
                                      minijail_expression *e, unsigned *problem_column,
                                      char *problem, size_t size);
/* The expression (or, with `negate`, its negation) as cordon's
 * alternatives; false, with `why` said, when cordon cannot write it. */
bool cordon__minijail_alternatives(const minijail_expression *e, bool negate,
                                   minijail_alternatives *out, char *why, size_t size);
