#ifndef CORDON_RUNNER_SIMPLE_COMMAND_H
#define CORDON_RUNNER_SIMPLE_COMMAND_H

#include <stdbool.h>

/* The words of `line` as a NULL-ended argv when it can run without a shell
 * (see simple_command.c), NULL when it needs one (or memory ran out).
 * Free with simple_command_free. */
char **simple_command_split(const char *line);
void simple_command_free(char **argv);

#endif
