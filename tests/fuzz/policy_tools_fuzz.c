/*
 * libFuzzer target for the policy tools (make fuzz): the linter's
 * recovering reader must never crash or leak on any text, must find an
 * error exactly when the parser refuses the text, and for a policy that
 * parses, the rules' reading of a call (cordon_policy_decide) must agree
 * with the compiled filter run on it (cordon_policy_simulate) unless the
 * policy's own rules overlap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cordon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Calls derived from the input, so that the fuzzer steers them too. */
static void check_agreement(const cordon_policy *p, const uint8_t *data, size_t size)
{
    static const uint64_t values[] = { 0, 1, 2, 4, 16, 0x40, 0x5412, 0x10000000, 0xffffffff,
                                       1ull << 32, UINT64_MAX };
    for (size_t i = 0; i + 7 <= size && i < 7 * 64; i += 7) {
        int nr = (data[i] | data[i + 1] << 8) % 520;
        uint64_t args[6];
        for (int a = 0; a < 6; a++)
            args[a] = values[data[i + 1 + a] % (sizeof values / sizeof *values)];
        cordon_decision rules, filter;
        if (cordon_policy_decide(p, nr, args, &rules) < 0 ||
            cordon_policy_simulate(p, nr, args, &filter) < 0)
            abort();
        if (strcmp(rules.reason, "ambiguous") != 0 &&
            (strcmp(rules.action, filter.action) != 0 || rules.errno_value != filter.errno_value))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    FILE *out = fopen("/dev/null", "w");
    cordon_check_counts counts;
    int rc = cordon_policy_check("fuzz.policy", text, out, 0, &counts);
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(text, "fuzz.policy", &err);
    /* a refusal is an error of the linter's, and an error refuses */
    if (rc >= 0 && (counts.errors == 0) != (p != NULL))
        abort();
    if (p) {
        check_agreement(p, data, size);
        const cordon_policy *other = cordon_policy_load("default", &err);
        if (other && out)
            cordon_policy_diff(p, other, out);
        cordon_policy_free((cordon_policy *)other);
        cordon_policy_free(p);
    }
    if (out)
        fclose(out);
    free(text);
    return 0;
}
