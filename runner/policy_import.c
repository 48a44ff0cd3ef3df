/* cordon policy import: a Docker/OCI seccomp profile or a minijail policy
 * in cordon's policy language, on stdout or in a file, with what the
 * import decided on stderr; and the same notes for a task run under
 * --policy docker:FILE or minijail:FILE. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cordon.h"
#include "policy_import.h"
#include "runner.h"
#include "safe_open.h"

/* Each line of `notes` as its own message on stderr. */
static size_t say_notes(const char *notes, size_t len)
{
    size_t count = 0;
    for (const char *line = notes; line < notes + len;) {
        const char *end = memchr(line, '\n', (size_t)(notes + len - line));
        end = end ? end : notes + len;
        runner_error("%.*s", (int)(end - line), line);
        count++;
        line = end + 1;
    }
    return count;
}

/* Imports `path`; the policy text in *policy (malloc'd), the notes said
 * on stderr and counted in *noted.  0, or -1 (after saying why when
 * `say_error`). */
static int import(const char *path, char **policy, size_t *policy_len, size_t *noted,
                  bool say_error)
{
    char *notes = NULL;
    size_t notes_len = 0;
    FILE *out = open_memstream(policy, policy_len);
    FILE *note_stream = open_memstream(&notes, &notes_len);
    cordon_error err;
    memset(&err, 0, sizeof err);
    int rc = out && note_stream ? cordon_policy_import(path, out, note_stream, &err) : -ENOMEM;
    if (out)
        fclose(out);
    if (note_stream)
        fclose(note_stream);
    *noted = notes ? say_notes(notes, notes_len) : 0;
    free(notes);
    if (rc < 0 && say_error)
        runner_error("%s", err.message[0] ? err.message : strerror(-rc));
    return rc < 0 ? -1 : 0;
}

static int write_policy(const char *out_path, const char *policy, size_t len)
{
    /* As learn's --out: never through a link, a FIFO or another user's file
     * (a policy another user could rewrite after would confine nothing). */
    FILE *f = stdout;
    if (out_path) {
        int fd = safe_open_replace("--out", out_path);
        if (fd < 0)
            return RUNNER_EXIT_OWN_ERROR;
        if (!(f = fdopen(fd, "w"))) {
            runner_error("policy import: cannot write '%s': %s", out_path, strerror(errno));
            close(fd);
            return RUNNER_EXIT_OWN_ERROR;
        }
    }
    errno = 0;
    bool ok = fwrite(policy, 1, len, f) == len;
    int saved = errno;
    ok = (f == stdout ? fflush(f) == 0 : fclose(f) == 0) && ok;
    saved = saved ? saved : errno;
    if (!ok && out_path)
        runner_error("policy import: cannot write '%s': %s", out_path, strerror(saved));
    else if (!ok)
        runner_error("cannot write to stdout: %s", strerror(saved));
    return ok ? 0 : RUNNER_EXIT_OWN_ERROR;
}

/* "docker:F" and "minijail:F", as every other policy argument takes them,
 * are F here too: import read "docker:F" as a file's name ("cannot read
 * policy file 'docker:...'"), whatever the help says of policy
 * arguments. */
static const char *without_import_prefix(const char *path)
{
    static const char *const prefixes[] = { "docker:", "minijail:" };
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
            return path + strlen(prefixes[i]);
    return path;
}

int policy_import(const char *path, const char *out_path, bool strict)
{
    path = without_import_prefix(path);
    /* A --out that cannot be written is said before the import and its
     * notes (they came first, then the refusal). */
    if (out_path && safe_check_replace("--out", out_path) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    char *policy = NULL;
    size_t len = 0, noted = 0;
    int rc = import(path, &policy, &len, &noted, true);
    if (rc == 0 && strict && noted) {
        runner_error("policy import: %zu note%s, and --strict makes them errors", noted,
                     noted == 1 ? "" : "s");
        rc = -1;
    }
    int status = rc < 0 ? POLICY_INVALID : write_policy(out_path, policy, len);
    free(policy);
    return status;
}

void policy_import_notes(const char *policy_name)
{
    size_t prefix = strlen("docker:");
    if (strncmp(policy_name, "minijail:", strlen("minijail:")) == 0)
        prefix = strlen("minijail:");
    else if (strncmp(policy_name, "docker:", prefix) != 0)
        return;
    char *policy = NULL;
    size_t len = 0, noted = 0;
    /* Only the notes: a profile that cannot be read or parsed fails the
     * load that follows, which says so once, as the --policy's error. */
    import(policy_name + prefix, &policy, &len, &noted, false);
    free(policy);
}
