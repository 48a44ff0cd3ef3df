/*
 * cordon's switches in the environment (CORDON_NO_NAMESPACES and the
 * like), each of which gives up a mechanism: on only for 1, yes, true or
 * on (in any case).  Anything else keeps the mechanism: a caller that
 * writes CORDON_NO_NAMESPACES=0 (or =false, =no) means namespaces on, and
 * must not get a task confined by less than it asked for.
 */
#ifndef CORDON_SANDBOX_ENVIRONMENT_SWITCH_H
#define CORDON_SANDBOX_ENVIRONMENT_SWITCH_H

#include <stdbool.h>

bool cordon__environment_switch(const char *name);

#endif
