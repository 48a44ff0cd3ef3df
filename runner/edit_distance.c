/* How far a word typed is from one cordon knows: for "did you mean". */
#include <stddef.h>
#include <string.h>

#include "edit_distance.h"

/* Edits (insert, delete, replace, swap of two neighbours) from a to b,
 * counted up to 3: enough to tell a typo from another word. */
unsigned runner_edits(const char *a, size_t a_len, const char *b)
{
    size_t b_len = strlen(b);
    if (a_len > 40 || b_len > 40 || (a_len > b_len ? a_len - b_len : b_len - a_len) > 2)
        return 3;
    unsigned d[41][41];
    for (size_t i = 0; i <= a_len; i++)
        for (size_t j = 0; j <= b_len; j++) {
            if (!i || !j) {
                d[i][j] = (unsigned)(i + j);
                continue;
            }
            unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            best = d[i - 1][j] + 1 < best ? d[i - 1][j] + 1 : best;
            best = d[i][j - 1] + 1 < best ? d[i][j - 1] + 1 : best;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[a_len][b_len] < 3 ? d[a_len][b_len] : 3;
}

const char *runner_meant_word(const char *name)
{
    static const char *const words[] = { "run", "batch", "policy", "report", "learn", "help",
                                         "--help", "--version" };
    /* A word that is an option's without its dashes: `cordon version`. */
    if (strcmp(name, "version") == 0)
        return "--version";
    const char *meant = NULL;
    unsigned least = 2; /* one edit: "run" is not "rm" twice over */
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        unsigned n = runner_edits(name, strlen(name), words[i]);
        if (n < least && (name[0] == '-') == (words[i][0] == '-')) {
            least = n;
            meant = words[i];
        }
    }
    return meant;
}
