/* cordon policy import, and the notes of a --policy docker:FILE. */
#ifndef CORDON_RUNNER_POLICY_IMPORT_H
#define CORDON_RUNNER_POLICY_IMPORT_H

#include <stdbool.h>

/* An invalid policy or profile is the answer `check` and `import` give
 * (exit 1), not a failure of cordon (125). */
enum { POLICY_INVALID = 1 };

/* Writes the profile at `path` as a cordon policy to `out_path` (NULL:
 * stdout); the notes go to stderr, and with `strict` make it fail.
 * Returns the exit status. */
int policy_import(const char *path, const char *out_path, bool strict);

/* For a policy named "docker:PATH" or "minijail:PATH": says on stderr what importing it
 * noted (unknown names, ignored members), as `import` would, but not why
 * it could not be imported: loading the policy says that.  Any other
 * name: nothing. */
void policy_import_notes(const char *policy_name);

#endif
