/*
 * libFuzzer target for the options of `cordon run` and `cordon batch` and
 * the units they take (make fuzz).  The input is a NUL-separated argument
 * list; its first byte picks run or batch.  Parsing must accept or refuse
 * every list with a message, never crash, leak or read out of bounds;
 * each argument also goes through every unit parser and back out through
 * the formatters.  Validation is read-only for run (it looks users and
 * paths up) and is called for run only: batch's creates --out-dir.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runner/options.h"
#include "../../runner/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static void units_of(const char *text)
{
    uint64_t v;
    double d;
    char buf[32];
    if (units_parse_size(text, &v) == 0)
        units_format_kb(buf, sizeof buf, v / 1024);
    if (units_parse_time_ms(text, &v) == 0) {
        if (v == 0 && strspn(text, "0.") == 0)
            abort(); /* only a zero is zero: below 1 ms is refused, a fraction rounded up */
        units_format_time_us(buf, sizeof buf, v > UINT64_MAX / 1000 ? UINT64_MAX : v * 1000);
    }
    if (units_parse_count(text, 3, 1000, &v) == 0 && (v < 3 || v > 1000))
        abort();
    if (units_parse_number(text, &d) == 0 && !(d >= 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned scope = data[0] & 1 ? OPTIONS_BATCH : OPTIONS_RUN;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char *argv[MAX_ARGS + 1] = { scope == OPTIONS_RUN ? "run" : "batch" };
    int argc = 1;
    for (char *arg = text; arg < text + size - 1 && argc < MAX_ARGS; arg += strlen(arg) + 1) {
        argv[argc++] = arg;
        units_of(arg);
    }
    argv[argc] = NULL;
    command_options o;
    if (options_parse(argc, argv, scope, &o) == 0 && scope == OPTIONS_RUN && !o.help)
        options_validate(&o, scope);
    options_free(&o);
    free(text);
    return 0;
}
