/* A scratch directory for the tests of one file (cmocka's group set-up
 * and tear-down), and files written into it. */
#ifndef CORDON_TEST_SCRATCH_FILES_H
#define CORDON_TEST_SCRATCH_FILES_H

#include <stdio.h>
#include <stdlib.h>

static char scratch_dir[] = "/tmp/cordon-test-XXXXXX";

static inline int make_scratch(void **state)
{
    (void)state;
    return mkdtemp(scratch_dir) ? 0 : -1;
}

static inline int remove_scratch(void **state)
{
    (void)state;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", scratch_dir);
    return system(command) == 0 ? 0 : -1;
}

/* Writes `text` to scratch_dir/name; the path, valid until the next call. */
static inline char *write_scratch_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", scratch_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#endif
