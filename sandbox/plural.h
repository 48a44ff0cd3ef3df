/*
 * The noun after a count in cordon's messages, so that none says
 * "1 processes" or "1 samples".
 */
#ifndef CORDON_SANDBOX_PLURAL_H
#define CORDON_SANDBOX_PLURAL_H

/* `one` when n is 1, else `many`. */
static inline const char *cordon__plural(unsigned long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The unit after a count of bytes. */
static inline const char *cordon__bytes(unsigned long long n)
{
    return cordon__plural(n, "byte", "bytes");
}

#endif
