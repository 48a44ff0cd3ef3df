/*
 * cordon_policy_import: a Docker/OCI profile or a minijail policy in
 * cordon's language, and what a user must know of it.  Besides the
 * importers' own notes (a name no architecture has, a member ignored),
 * the imported text is linted as `cordon policy check docker:PATH` would
 * lint it: a hole the profile itself has (Docker's default allows socket
 * when arg0 is not AF_VSOCK, compared on 64 bits, which a task defeats
 * with the upper half) is said where the policy is made, not only where
 * someone thinks to check it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "no_cancellation.h"
#include "policy_docker.h"
#include "policy_minijail.h"
#include "policy_rules.h"

/* Copies the lines of `lint` that are warnings to `notes`. */
static void copy_warnings(const char *lint, size_t len, FILE *notes)
{
    for (const char *line = lint; line < lint + len;) {
        const char *end = memchr(line, '\n', (size_t)(lint + len - line));
        end = end ? end + 1 : lint + len;
        size_t n = (size_t)(end - line);
        if (memmem(line, n, ": warning: ", strlen(": warning: ")))
            fwrite(line, 1, n, notes);
        line = end;
    }
}

/* The number of the first line that is neither blank nor a comment. */
static unsigned first_content_line(const char *text)
{
    unsigned line = 1;
    for (const char *at = text; *at; line++) {
        at += strspn(at, " \t\r");
        if (*at && *at != '\n' && *at != '#')
            return line;
        at = strchr(at, '\n');
        if (!at)
            break;
        at++;
    }
    return line;
}

/* The linter's warnings on the imported text, named as `policy check
 * docker:PATH` (or minijail:PATH) names them, as notes. */
static int note_warnings(const char *prefix, const char *path, const char *policy, FILE *notes,
                         cordon_error *err)
{
    char *name = NULL, *origin = NULL, *lint = NULL;
    size_t lint_len = 0;
    int rc = asprintf(&name, "%s%s", prefix, path) < 0 ? -ENOMEM : 0;
    if (rc == 0 && !(origin = cordon__policy_imported_origin(name, err)))
        rc = -ENOMEM;
    FILE *out = rc == 0 ? open_memstream(&lint, &lint_len) : NULL;
    if (rc == 0 && !out)
        rc = -ENOMEM;
    cordon_check_counts counts = { 0, 0 };
    if (rc == 0) {
        int checked = cordon_policy_check(origin, policy, out, 0, &counts);
        rc = checked == -ENOMEM ? -ENOMEM : 0;
    }
    if (out && fclose(out) != 0 && rc == 0)
        rc = -ENOMEM;
    if (rc == 0)
        copy_warnings(lint, lint_len, notes);
    /* A policy no load would take (more rules than a policy holds: a
     * profile naming one call 120,000 times) is not written at all. */
    if (rc == 0 && counts.errors) {
        const char *first = lint ? strstr(lint, ": error: ") : NULL;
        const char *end = first ? strchr(first, '\n') : NULL;
        cordon__error_set(err, rc = -EINVAL, path, 0, 0, "the imported policy cannot be used: "
                          "%.*s", first ? (int)(end ? end - first - 9 : (long)strlen(first) - 9)
                                        : 0, first ? first + 9 : "");
    } else if (rc < 0) {
        cordon__error_set(err, rc, path, 0, 0, "out of memory");
    }
    free(lint);
    free(origin);
    free(name);
    return rc;
}

static void append_to_message(cordon_error *err, const char *more)
{
    size_t used = strnlen(err->message, sizeof err->message);
    if (used < sizeof err->message)
        snprintf(err->message + used, sizeof err->message - used, "%s", more);
}

int cordon_policy_import(const char *path, FILE *out, FILE *notes, cordon_error *err)
{
    CORDON__NO_CANCELLATION;
    if (!path || !*path) { /* '' was "cannot read policy file ''" */
        cordon__error_set(err, -EINVAL, NULL, 0, 0, "no profile given (the path of a Docker "
                          "seccomp profile or a Minijail policy file)");
        return -EINVAL;
    }
    char *text = cordon__policy_read_file(path, path, err);
    if (!text)
        return err ? err->code : -EINVAL;
    char *policy = NULL;
    size_t len = 0;
    FILE *buffer = open_memstream(&policy, &len);
    /* A minijail policy reads as names and '@' directives, JSON never. */
    bool minijail = cordon__looks_like_minijail(text);
    int rc = !buffer  ? -ENOMEM
           : minijail ? cordon__minijail_import(text, path, buffer, notes, err)
                      : cordon__docker_import(text, strlen(text), path, buffer, notes, err);
    if (buffer && fclose(buffer) != 0 && rc == 0)
        rc = -ENOMEM;
    if (rc == -ENOMEM)
        cordon__error_set(err, rc, path, 0, 0, "out of memory");
    /* Said which it was taken for: a file of neither kind ("not json", a
     * cordon policy given by mistake) was refused for a minijail line, and
     * the message named none.  Only where its first line past comments is
     * no rule at all: past that, it read as one. */
    else if (rc < 0 && minijail && err && err->line == first_content_line(text) &&
             strstr(err->message, ": expected 'SYSCALL: "))
        append_to_message(err, " (read as a minijail policy: a Docker profile starts with '{')");
    if (rc == 0 && notes)
        rc = note_warnings(minijail ? CORDON_MINIJAIL_PREFIX : CORDON_DOCKER_PREFIX, path,
                           policy, notes, err);
    if (rc == 0 && out && fwrite(policy, 1, len, out) != len)
        cordon__error_set(err, rc = -EIO, path, 0, 0, "cannot write the policy");
    free(policy);
    free(text);
    return rc;
}
