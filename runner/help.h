/* The --help texts, one per subcommand. */
#ifndef CORDON_RUNNER_HELP_H
#define CORDON_RUNNER_HELP_H

/* Prints the help of `topic` ("cordon", "run", "batch", "policy", "report")
 * to stdout and returns 0 (the exit status of --help). */
int help_print(const char *topic);

#endif
