/*
 * A filter stacked under the policy's for a task given a terminal as its
 * stdin (--tty, cordon_set_stdin_fd of a terminal): the terminal's modes
 * stay the caller's while the task runs.
 *
 * The terminal is the caller's, and its line discipline turns the keys of
 * its modes into signals for its foreground process group, which is the
 * caller's (the task runs in a session of its own).  A task that set the
 * suspend key to `R` (`stty susp R`) and had the terminal answer a cursor
 * report (ESC[6n, which it wrote to the terminal reopened through
 * /proc/self/fd/0) stopped cordon and the shell that ran it; `intr` and
 * `quit` killed that shell; under file rules an ordinary keystroke of the
 * user's did the same.  Putting the modes back after the run comes too
 * late for that, so setting them is refused while the task runs:
 * tcsetattr in every form (TCSETS*, the old TCSETA* and termios2's),
 * flow control (TCXONC: a TCOOFF held the caller's output, a TCIOFF sent
 * the terminal a STOP), the line discipline (TIOCSETD) and breaks
 * (TIOCSBRK, TCSBRKP, TCSBRK of 0; on a serial console a break is SysRq),
 * its exclusive mode (TIOCEXCL, TIOCNXCL: made exclusive, every open of
 * it but root's failed with EBUSY while the task ran, the caller's
 * /dev/tty included, and after it where cordon was killed before putting
 * it back), the carrier's mode (TIOCSSOFTCAR, which sets CLOCAL past
 * tcsetattr), the modem lines (TIOCMSET, TIOCMBIS, TIOCMBIC: DTR and RTS,
 * which hang a serial line up) and a serial port's settings (TIOCSSERIAL,
 * TIOCSRS485), and flushing its queues (TCFLSH: what the user typed
 * ahead, and output not yet shown, thrown away), with EPERM, on every
 * fd: a terminal the task opens of its
 * own too, which a filter cannot tell apart.  Reading the modes stays
 * allowed.
 *
 * So is asking for its input's signal (O_ASYNC, by fcntl(F_SETFL) or
 * ioctl(FIOASYNC)): the kernel makes the terminal's foreground process
 * group, the caller's, the owner of the fd's SIGIO, by reference, which
 * no pid namespace hides; with the next key the user typed the caller's
 * job died of SIGIO (or, after F_SETSIG, of SIGKILL) where Landlock's
 * signal scope (ABI 6, Linux 6.12) does not drop that signal.  On every
 * fd, as the rest of this guard's calls: a filter cannot tell the
 * terminal's apart.  The rest of fcntl(F_SETFL) stays (O_NONBLOCK lands
 * on the task's own description).
 *
 * So is typing into its input (TIOCSTI, and a virtual console's paste of
 * its selection, TIOCLINUX), which the policies kill but no filter at
 * all let through: the caller's next read of a terminal no session held
 * returned what the task typed.  (Taking such a terminal as the task's
 * own controlling terminal, by TIOCSCTTY or by an open without O_NOCTTY,
 * which no filter sees, is kept from it by cordon's keeper holding the
 * terminal meanwhile: lib/stdin_terminal.c.  TIOCSCTTY itself stays the
 * task's, for pseudo-terminals of its own: login_tty, forkpty.)
 *
 * A filter of its own, stacked, rather than rules added to the policy's:
 * the kernel takes the strictest answer of the filters a call meets, so
 * EPERM here stands over every allow (and notification) of any policy's,
 * whose allows of ioctl would otherwise be cut around each command,
 * and a kill of the policy's still kills.  Async-signal-safe: one raw
 * seccomp(2) call (policy_install.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guard_filter.h"
#include "policy.h"

/* termios2's (a 44-byte struct whose header glibc's <termios.h> cannot be
 * included beside) */
#define SET_TERMIOS2(number) ((uint32_t)_IOC(_IOC_WRITE, 'T', (number), 44))
#define SET_MODES2 SET_TERMIOS2(0x2B)
#define SET_MODES2_DRAINED SET_TERMIOS2(0x2C)
#define SET_MODES2_FLUSHED SET_TERMIOS2(0x2D)

#define REFUSE GUARD_ERRNO(EPERM)
#define ALLOW GUARD_ALLOW
/* jumps to the refusal, `left` instructions ahead less this one */
#define REFUSED_IF(command, left) GUARD_IF_EQUAL((command), (left), 0)

/* TCSBRK sends a break when its argument is 0 (tcsendbreak), and waits
 * for the output to drain otherwise (tcdrain, which stays). */
#define CHECK_COMMANDS                                                                       \
    GUARD_LOAD(GUARD_ARGUMENT(1)),                                                           \
    REFUSED_IF(FIOASYNC, 28), REFUSED_IF(TCFLSH, 27),                                        \
    REFUSED_IF(TIOCEXCL, 26), REFUSED_IF(TIOCNXCL, 25), REFUSED_IF(TIOCSSOFTCAR, 24),        \
    REFUSED_IF(TIOCMSET, 23), REFUSED_IF(TIOCMBIS, 22), REFUSED_IF(TIOCMBIC, 21),            \
    REFUSED_IF(TIOCSSERIAL, 20), REFUSED_IF(TIOCSRS485, 19),                                 \
    REFUSED_IF(TIOCSTI, 18), REFUSED_IF(TIOCLINUX, 17),                                      \
    REFUSED_IF(TCSETS, 16), REFUSED_IF(TCSETSW, 15), REFUSED_IF(TCSETSF, 14),                \
    REFUSED_IF(TCSETA, 13), REFUSED_IF(TCSETAW, 12), REFUSED_IF(TCSETAF, 11),                \
    REFUSED_IF(SET_MODES2, 10), REFUSED_IF(SET_MODES2_DRAINED, 9),                           \
    REFUSED_IF(SET_MODES2_FLUSHED, 8),                                                       \
    REFUSED_IF(TCXONC, 7), REFUSED_IF(TIOCSETD, 6), REFUSED_IF(TIOCSBRK, 5),                 \
    REFUSED_IF(TCSBRKP, 4),                                                                  \
    GUARD_IF_EQUAL(TCSBRK, 0, 2),                                                            \
    GUARD_LOAD(GUARD_ARGUMENT(2)),                                                           \
    GUARD_IF_EQUAL(0, 1, 0), ALLOW, REFUSE

/* fcntl(F_SETFL) with O_ASYNC refused, every other fcntl let through. */
#define CHECK_FLAGS                                                                          \
    GUARD_LOAD(GUARD_ARGUMENT(1)),                                                           \
    GUARD_IF_EQUAL(F_SETFL, 0, 2),                                                           \
    GUARD_LOAD(GUARD_ARGUMENT(2)),                                                           \
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_ASYNC, 1, 0),                                     \
    ALLOW, REFUSE

#if defined(__x86_64__)
/* ioctl and fcntl on each ABI a 64-bit x86 process may call: its own,
 * x32's (514 and 72) and i386's (54, and 55 and 221 for fcntl and
 * fcntl64).  CHECK_FLAGS begins at 14, CHECK_COMMANDS at 20. */
static const struct sock_filter guard[] = {
    GUARD_LOAD(GUARD_ARCH),
    GUARD_IF_EQUAL(AUDIT_ARCH_I386, 7, 0),
    GUARD_IF_EQUAL(AUDIT_ARCH_X86_64, 0, 5),
    GUARD_LOAD(GUARD_NUMBER),
    GUARD_IF_EQUAL(SYS_ioctl, 15, 0),
    GUARD_IF_EQUAL(X32_SYSCALL_BIT | 514, 14, 0),
    GUARD_IF_EQUAL(SYS_fcntl, 7, 0),
    GUARD_IF_EQUAL(X32_SYSCALL_BIT | SYS_fcntl, 6, 0),
    ALLOW,
    GUARD_LOAD(GUARD_NUMBER),
    GUARD_IF_EQUAL(54, 9, 0),
    GUARD_IF_EQUAL(55, 2, 0),
    GUARD_IF_EQUAL(221, 1, 0),
    ALLOW,
    CHECK_FLAGS,
    CHECK_COMMANDS,
};
#else
/* The native ioctl and fcntl, and fcntl64 where there is one (another
 * ABI's call of that number is refused alike, which costs it nothing it
 * needs on a terminal of the caller's).  CHECK_FLAGS begins at 5,
 * CHECK_COMMANDS at 11. */
#ifndef SYS_fcntl64
#define SYS_fcntl64 SYS_fcntl
#endif
static const struct sock_filter guard[] = {
    GUARD_LOAD(GUARD_NUMBER),
    GUARD_IF_EQUAL(SYS_ioctl, 9, 0),
    GUARD_IF_EQUAL(SYS_fcntl, 2, 0),
    GUARD_IF_EQUAL(SYS_fcntl64, 1, 0),
    ALLOW,
    CHECK_FLAGS,
    CHECK_COMMANDS,
};
#endif

int cordon__terminal_guard_install(bool all_threads)
{
    return cordon__install_guard(guard, sizeof guard / sizeof *guard, all_threads);
}
