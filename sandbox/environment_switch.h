/*
 * cordon's switches in the environment (CORDON_NO_NAMESPACES and the
 * like): on when set to anything but "" or "0".  A caller that writes
 * CORDON_NO_NAMESPACES=0 means namespaces on, and must not get a task
 * confined by less than it asked for.
 */
#ifndef CORDON_SANDBOX_ENVIRONMENT_SWITCH_H
#define CORDON_SANDBOX_ENVIRONMENT_SWITCH_H

#include <stdbool.h>

bool cordon__environment_switch(const char *name);

#endif
