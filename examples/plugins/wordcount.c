/* A well-behaved plugin: counts the words of its input. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int plugin_run(const char *input, char *out, size_t cap);

int plugin_run(const char *input, char *out, size_t cap)
{
    fprintf(stderr, "    (wordcount: counting %zu bytes)\n", strlen(input));
    int words = 0;
    for (int in_word = 0; *input; input++) {
        int letter = !isspace((unsigned char)*input);
        words += letter && !in_word;
        in_word = letter;
    }
    return snprintf(out, cap, "%d words", words);
}
