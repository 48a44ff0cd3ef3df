/* A buggy plugin: reads its header through a null pointer.  The host's
 * report names plugin_run and parse_header, in this object. */
#include <stddef.h>
#include <string.h>

int plugin_run(const char *input, char *out, size_t cap);

__attribute__((noinline)) static size_t parse_header(const char *const *fields)
{
    return strlen(fields[1]); /* fields is NULL: the crash is here */
}

int plugin_run(const char *input, char *out, size_t cap)
{
    (void)input;
    (void)out;
    (void)cap;
    const char *const *fields = NULL;
    return (int)parse_header(fields);
}
