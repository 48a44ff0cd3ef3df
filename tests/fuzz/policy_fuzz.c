/*
 * libFuzzer target for the policy language (make fuzz): any text must
 * either parse and compile or be refused with a positioned message, never
 * crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cordon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(text, "fuzz.policy", &err);
    if (p) {
        FILE *out = fopen("/dev/null", "w");
        if (out) {
            cordon_policy_show(p, out, 1);
            fclose(out);
        }
        cordon_policy_free(p);
    } else if (!err.message[0] || err.code >= 0) {
        abort(); /* a refusal must say why */
    }
    free(text);
    return 0;
}
