/* The caller's own state that every task writes (the locks and lists of
 * its per-process pools), kept together.  Each page of the caller's that
 * it writes after a fork is a copy-on-write fault while the task lives
 * (13-45 us each on a machine whose page tables the hypervisor keeps):
 * apart, in .data and .bss, they took a page each.  Input sections of
 * one name are laid out as one block by the linker: a few hundred bytes,
 * in one page, or two where the block happens to straddle a boundary. */
#ifndef CORDON_SANDBOX_PER_TASK_STATE_H
#define CORDON_SANDBOX_PER_TASK_STATE_H

#define CORDON__PER_TASK_STATE __attribute__((section("cordon_per_task"), aligned(64)))

#endif
