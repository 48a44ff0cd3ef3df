/*
 * "Did you mean": the known name nearest to a misspelled one, by edit
 * distance (insertions, deletions, substitutions and swaps of two
 * neighbours, "sokcet" -> "socket"), for the messages of the grammar.
 */
#include <stdbool.h>
#include <string.h>

#include "policy.h"
#include "policy_rules.h"

#define MAX_NAME 64

/* Optimal string alignment distance between a[0..n) and b[0..m). */
static size_t distance(const char *a, size_t n, const char *b, size_t m)
{
    size_t rows[3][MAX_NAME + 1];
    size_t *before = rows[0], *previous = rows[1], *current = rows[2];
    for (size_t j = 0; j <= m; j++)
        previous[j] = j;
    for (size_t i = 1; i <= n; i++) {
        current[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = previous[j - 1] + cost;
            if (previous[j] + 1 < best)
                best = previous[j] + 1;
            if (current[j - 1] + 1 < best)
                best = current[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            current[j] = best;
        }
        size_t *oldest = before;
        before = previous;
        previous = current;
        current = oldest;
    }
    return previous[m];
}

/* The nearest of the names `next(i)` gives (until NULL), when it is near
 * enough to be a slip of the keyboard: at most a third of the name. */
static const char *nearest(const char *name, size_t len, const char *(*next)(size_t))
{
    if (len == 0 || len > MAX_NAME)
        return NULL;
    size_t limit = len / 3 > 0 ? len / 3 : 1, best = limit + 1;
    const char *found = NULL;
    const char *candidate;
    for (size_t i = 0; (candidate = next(i)) != NULL; i++) {
        size_t clen = strlen(candidate);
        if (!*candidate || clen > MAX_NAME || (clen > len ? clen - len : len - clen) > limit)
            continue;
        size_t d = distance(name, len, candidate, clen);
        if (d > 0 && d < best) {
            best = d;
            found = candidate;
        }
    }
    return found;
}

/* Numbers nobody names give "", which is never offered. */
static const char *syscall_at(size_t i)
{
    if (i >= CORDON_SYSCALL_TABLE_SIZE)
        return NULL;
    const char *name = cordon__syscall_name((int)i);
    return name ? name : "";
}

const char *cordon__suggest_syscall(const char *name, size_t len)
{
    return nearest(name, len, syscall_at);
}

const char *cordon__suggest_constant(const char *name, size_t len)
{
    return nearest(name, len, cordon__constant_name_at);
}

const char *cordon__suggest_errno(const char *name, size_t len)
{
    return nearest(name, len, cordon__errno_name_at);
}
