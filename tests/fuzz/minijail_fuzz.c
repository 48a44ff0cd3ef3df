/*
 * libFuzzer target for the minijail policy importer (make fuzz): any text
 * must be imported into a policy that cordon's own grammar accepts and
 * compiles, or refused with a positioned message; never crash or leak.
 * (@include paths are read relative to the fuzzer's directory: the
 * corpus may name files there, which only widens what is read.)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cordon.h"
#include "../../sandbox/policy_minijail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    char *policy = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&policy, &len);
    FILE *notes = fopen("/dev/null", "w");
    if (!text || !out || !notes)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    cordon_error err;
    memset(&err, 0, sizeof err);
    int rc = cordon__minijail_import(text, "fuzz.policy", out, notes, &err);
    fclose(out);
    fclose(notes);
    if (rc == 0) {
        /* What the importer writes, cordon must read back. */
        cordon_policy *p = cordon_policy_parse(policy, "imported", &err);
        if (!p && err.code != -E2BIG && err.code != -EEXIST)
            abort();
        cordon_policy_free(p);
    } else if (!err.message[0] || err.code >= 0) {
        abort(); /* a refusal must say why */
    }
    free(policy);
    free(text);
    return 0;
}
