/*
 * A batch line that is a plain command — words separated by blanks, no
 * quoting, expansion, redirection, operator or shell builtin — means the
 * same run directly as through /bin/sh -c, and skips starting a shell per
 * task (make does the same for its recipe lines).  Anything else goes to
 * the shell.
 */
#include <stdlib.h>
#include <string.h>

#include "simple_command.h"

/* Characters with a meaning to sh beyond separating words. */
static const char shell_syntax[] = "|&;<>()$`\\\"'*?[]#~=%{}!\n";

/* Words that are builtins or keywords of sh: no program does their job. */
static const char *const shell_words[] = {
    ".", ":", "alias", "bg", "break", "case", "cd", "chdir", "command", "continue", "do", "done",
    "elif", "else", "esac", "eval", "exec", "exit", "export", "fc", "fg", "fi", "for",
    "getopts", "hash", "if", "jobs", "local", "read", "readonly", "return", "set", "shift",
    "source", "then", "times", "trap", "type", "ulimit", "umask", "unalias", "unset",
    "until", "wait", "while",
};

static bool is_shell_word(const char *word, size_t len)
{
    for (size_t i = 0; i < sizeof shell_words / sizeof *shell_words; i++)
        if (strlen(shell_words[i]) == len && memcmp(shell_words[i], word, len) == 0)
            return true;
    return false;
}

char **simple_command_split(const char *line)
{
    if (strpbrk(line, shell_syntax))
        return NULL;
    size_t words = 0;
    for (const char *c = line; *c;) {
        c += strspn(c, " \t");
        size_t len = strcspn(c, " \t");
        if (len == 0)
            break;
        if (words == 0 && is_shell_word(c, len))
            return NULL;
        words++;
        c += len;
    }
    if (words == 0)
        return NULL;
    char **argv = calloc(words + 1, sizeof *argv);
    if (!argv)
        return NULL;
    size_t n = 0;
    for (const char *c = line; n < words;) {
        c += strspn(c, " \t");
        size_t len = strcspn(c, " \t");
        if (!(argv[n++] = strndup(c, len))) {
            simple_command_free(argv);
            return NULL;
        }
        c += len;
    }
    return argv;
}

void simple_command_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}
