#ifndef CORDON_RUNNER_EDIT_DISTANCE_H
#define CORDON_RUNNER_EDIT_DISTANCE_H

#include <stddef.h>

/* Edits (insert, delete, replace, swap of two neighbours) from the first
 * a_len bytes of a to b, counted up to 3: enough to tell a typo from
 * another word. */
unsigned runner_edits(const char *a, size_t a_len, const char *b);

/* The command or top-level option `name` most likely meant, or NULL
 * (`cordon rnu`, `cordon --hlep`, `cordon help rn`, `cordon version`). */
const char *runner_meant_word(const char *name);

#endif
