/*
 * The parsed form of a policy, shared by the files of the policy module:
 * policy_grammar.c fills it, policy_compile.c turns it into BPF,
 * policy_show.c prints it back.  Private to sandbox/.
 */
#ifndef CORDON_SANDBOX_POLICY_RULES_H
#define CORDON_SANDBOX_POLICY_RULES_H

#include <linux/filter.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/cordon.h"

enum cordon__action {
    ACTION_ALLOW,
    ACTION_KILL,    /* "kill" and "deny": a named PolicyViolation */
    ACTION_TRAP,
    ACTION_ERRNO,
    ACTION_LOG,
};

enum cordon__compare { COMPARE_EQ, COMPARE_NE, COMPARE_LT, COMPARE_LE, COMPARE_GT, COMPARE_GE,
                       COMPARE_MASKED_EQ };

/* One comparison, "arg1 & O_ACCMODE == O_RDONLY". */
typedef struct cordon__condition {
    unsigned arg;
    enum cordon__compare compare;
    uint64_t mask;   /* COMPARE_MASKED_EQ only */
    uint64_t value;
} cordon__condition;

/* libseccomp compares each argument at most once per rule. */
#define CORDON_MAX_CONDITIONS 6

/* Native syscall numbers a policy can name: 0 to this, exclusive. */
#define CORDON_SYSCALL_TABLE_SIZE 1024

/* The newest native syscall cordon's own name table (policy_names.c)
 * knows, and so the newest the shipped deny-lists were reviewed against:
 * 470, listns (Linux 6.19).  A deny-list lets through what it does not
 * name, so a call numbered above this one, which nobody has reviewed, is
 * refused by every policy whose default allows ("newer" in the policy
 * language).  This is cordon's number, not libseccomp's: libseccomp 2.5.4
 * as Debian 12 ships it stops at 456, a newer libseccomp knows more, and a
 * policy must not loosen when a library is upgraded.  Raise it only with
 * the names added below it and the shipped policies reviewed for them. */
#define CORDON_NEWEST_KNOWN_SYSCALL 470

/* One rule for one syscall: the action applies when every condition holds
 * (a rule written with "||" becomes one of these per alternative). */
typedef struct cordon__rule {
    enum cordon__action action;
    int errno_value;          /* ACTION_ERRNO */
    int syscall;              /* native number */
    const char *syscall_name; /* points into the syscall table; never freed */
    unsigned condition_count;
    cordon__condition conditions[CORDON_MAX_CONDITIONS];
    const char *origin;       /* the file it was written in (owned by the policy) */
    unsigned line, column;    /* of the syscall's name */
    /* compiled: the last unconditional rule for the same syscall overrides
     * every other one; its index, or -1 when this rule counts */
    long overridden_by;
} cordon__rule;

/* Foreign ABIs the policy lets through (its rules then apply to them too). */
enum { ARCH_I386 = 1u << 0, ARCH_X32 = 1u << 1 };
/* The bit that marks a call of the x32 ABI in seccomp_data.nr. */
#define X32_SYSCALL_BIT 0x40000000u

struct cordon_policy {
    char *name;
    char *file;               /* the file read, made absolute; NULL: the built-in, a text */
    char *description;
    bool default_set;
    int default_depth;        /* include depth of the file that set it */
    enum cordon__action default_action;
    int default_errno;
    const char *default_origin; /* where the default in force was set */
    unsigned default_line;
    unsigned foreign_arches;
    const char *i386_origin;  /* where an 'arch' first admitted i386, for messages */
    unsigned i386_line;
    /* "newer": what a call numbered above CORDON_NEWEST_KNOWN_SYSCALL
     * meets, unless a rule names its number */
    bool newer_set;
    int newer_depth;
    enum cordon__action newer_action;
    int newer_errno;
    cordon__rule *rules;
    size_t rule_count, rule_size;
    char **origins;           /* every file read, for the rules' origin */
    size_t origin_count;
    /* compiled */
    struct sock_fprog program;
    bool notifies;            /* some path ends in SECCOMP_RET_USER_NOTIF */
    bool may_make_userfaultfd; /* userfaultfd_reach.c: reads of the task may wait */
    bool may_make_namespaces;  /* namespace_reach.c: its user namespace's limits matter */
    bool lowers_open_files_after_handover; /* the filter lets the child lower them then */
    bool reads_handover_answer; /* the filter lets the child read the parent's answer */
    bool watches_exec;
    /* errno rules (or an errno default) for execve and execveat go to the
     * listener, which lets the command's own exec through and answers
     * every later one with the errno (policy_compile.c) */
    bool answers_exec_errno;
    /* policy_variant.c: this policy for a task without a pid namespace,
     * by CORDON__VARIANT_* bits; made on first use, freed with the policy */
    struct cordon_policy **variants; /* CORDON__VARIANT_KINDS entries, made with the first */
    bool refuses_own_sigxfsz; /* a FILE_SIZE_LIMIT variant whose filter refuses them all */
    bool refuses_own_sigsys;  /* a NO_LISTENER variant whose filter refuses them all */
    bool watches_signal_sources; /* its kills of timer_create and mq_notify are watches */
    bool fence_alone;         /* cordon__policy_fence_alone's: a task given no policy */
};

/* Building a variant (policy_variant.c): the last unconditional rule for
 * `nr` (it overrides every other one; NULL: none), whether the policy
 * lets the call through with these arguments (its rules, else its
 * default), and rules put before all others (libseccomp lets the first of
 * two rules that both hold decide, so a refusal put there is not undone
 * by an allow of the policy's). */
cordon__rule *cordon__variant_last_unconditional(cordon_policy *v, int nr);
bool cordon__variant_lets_through(const cordon_policy *p, int nr, const uint64_t args[6]);
int cordon__variant_prepend(cordon_policy *v, const cordon__rule *rules, size_t count);
/* Whether an action lets the call through (allow, log). */
bool cordon__action_allows(enum cordon__action action);
/* What the compiled filter of `v` does with the call, run in user space:
 * 1 it goes through (allow, log), 0 it is refused, or a negative errno
 * where the program cannot be run (then never taken as refused). */
int cordon__variant_filter_lets_through(const cordon_policy *v, int nr, const uint64_t args[6]);
/* "argN & mask == value". */
cordon__condition cordon__masked_condition(unsigned arg, uint64_t mask, uint64_t value);
int cordon__variant_append(cordon_policy *v, const cordon__rule *rule);
/* Each allow rule for `nr` cut down to the kept conditions it holds for,
 * one rule each (policy_variant.c). */
int cordon__variant_split_allows(cordon_policy *v, int nr, const cordon__condition *kept,
                                 size_t count);
/* `nr` with `flag` in its flags (argument 0) refused with EPERM (the
 * policy's kill where it kills some form of it) wherever the call is let
 * through at all, each allow cut down to forms without the flag
 * (policy_variant.c). */
int cordon__variant_refuse_flag(const cordon_policy *p, cordon_policy *v, int nr, uint64_t flag);

/* Each allow of ioctl that holds for `command` — an unconditional one, or
 * a copy an earlier split of this kind left — becomes one allow per bit of
 * `mask` in which a command differs from `command`, so that none holds
 * where a refusal of `command` (argument 1 & mask) does: "!=" compares the
 * whole 64-bit argument, of which the kernel reads the int.  Allows of
 * named commands stay (policy_variant.c). */
int cordon__variant_split_ioctl_allows(cordon_policy *v, uint64_t mask, uint64_t command);
/* The same for any call's argument `arg`: each allow of `nr` that holds
 * for `value` of it (in the bits of `mask`) cut down to the other values. */
int cordon__variant_split_allows_off(cordon_policy *v, int nr, unsigned arg, uint64_t mask,
                                     uint64_t value);

/* `nr` fails with `error` whatever the policy's allow rules say, unless
 * the policy refuses it outright itself (its own action stands); and
 * whether `p` lets `nr` through with some arguments: its last
 * unconditional rule allows it, or (without one) an allow rule names it
 * or its default allows (policy_variant.c). */
int cordon__variant_refuse_outright(cordon_policy *v, int nr, int error);
/* Whether the policy has a kill rule for some form of `nr`: a refusal
 * cordon adds is that kill too, where the two could both hold (libseccomp
 * does not say which decides). */
bool cordon__variant_kills_some(const cordon_policy *p, int nr);
bool cordon__variant_lets_call_through(const cordon_policy *p, int nr);

/* policy_variant_setid.c: whether `p` lets a set-uid or set-gid mode
 * through chmod and its kin, the SETID_MODES variant's refusal of them,
 * how many rules it adds at most to `p`'s, and whether the compiled
 * variant refuses every such mode. */
bool cordon__variant_lets_setid_modes(const cordon_policy *p);
int cordon__variant_refuse_setid_modes(cordon_policy *v);
size_t cordon__variant_setid_rules(const cordon_policy *p);
bool cordon__variant_refuses_setid_modes(const cordon_policy *v);

/* policy_variant_cgroup_namespace.c: whether `p` lets a cgroup namespace
 * be made (unshare, clone), the CGROUP_MOVES variant's refusal of it, and
 * how many rules that adds at most to `p`'s. */
bool cordon__variant_lets_cgroup_namespaces(const cordon_policy *p);
int cordon__variant_refuse_cgroup_namespaces(const cordon_policy *p, cordon_policy *v);
size_t cordon__variant_cgroup_namespace_rules(const cordon_policy *p);

/* policy_variant_terminal.c: the TERMINAL_STDIN variant's refusal of
 * setting a terminal's window size, how many rules it adds at most to
 * `p`'s, and whether the compiled filter refuses it. */
int cordon__variant_refuse_window_size(cordon_policy *v);
size_t cordon__variant_terminal_rules(const cordon_policy *p);
bool cordon__variant_refuses_window_size(const cordon_policy *v);

/* policy_variant_network.c: the NO_NETWORK variant's rules (at most this
 * many added, besides the policy's own allows of socket and socketpair
 * split four and two ways), and whether its compiled filter refuses every
 * family it must. */
#define CORDON__NETWORK_RULES 24
int cordon__variant_refuse_sockets_outside_the_namespace(cordon_policy *v);
bool cordon__variant_refuses_sockets_outside_the_namespace(const cordon_policy *v);

/* policy_variant_unix_sockets.c: the FILE_RULES variant's refusal of
 * unix sockets (how many rules it adds at most to `p`'s, the policy's
 * allows of socket split one way per family), the datagram pairs it
 * shares with NO_NETWORK, and the form the compiled filter still lets
 * through, or NULL. */
int cordon__variant_refuse_unix_sockets(cordon_policy *v);
size_t cordon__variant_unix_socket_rules(const cordon_policy *p);
const char *cordon__variant_unrefused_unix_socket(const cordon_policy *v);
int cordon__variant_refuse_datagram_pairs(cordon_policy *v);
bool cordon__variant_refuses_datagram_pairs(const cordon_policy *v);

/* policy_variant_tuning.c: the NO_PID_NAMESPACE variant's refusals of
 * tuning another process (its nice value, affinity, scheduling, I/O
 * priority), how many rules they add at most to `p`'s, and whether the
 * compiled filter refuses them all. */
int cordon__variant_refuse_tuning_others(cordon_policy *v);
size_t cordon__variant_tuning_rules(const cordon_policy *p);
bool cordon__variant_refuses_tuning_others(const cordon_policy *v);

/* policy_variant_file_size.c: the FILE_SIZE_LIMIT variant's refusal of
 * the fallocate modes RLIMIT_FSIZE does not check, how many rules it adds
 * at most to `p`'s, and whether the compiled filter refuses them all. */
int cordon__variant_refuse_unchecked_growth(cordon_policy *v);
size_t cordon__variant_file_size_rules(const cordon_policy *p);
bool cordon__variant_refuses_unchecked_growth(const cordon_policy *v);

/* policy_variant_signals.c: the FILE_SIZE_LIMIT and NO_LISTENER
 * variants' rules for a signal (at most this many added per signal), and
 * whether the compiled filter refuses them all. */
#define CORDON__OWN_SIGNAL_RULES 24
int cordon__variant_refuse_own_signal(cordon_policy *v, int signo);
int cordon__variant_watch_signal_sources(cordon_policy *v);
bool cordon__variant_own_signal_refused(const cordon_policy *v, int signo);

/* Reads `text` (from `origin`) into `policy`, following includes.  Returns
 * 0, or a negative errno with `err` naming file:line:column and the token. */
int cordon__policy_read(cordon_policy *policy, const char *text, const char *origin,
                        cordon_error *err);
/* An include as the linter sees it: the rules it brought are
 * rules[first_rule, end_rule). */
typedef struct cordon__include_note {
    const char *origin;       /* the including file (owned by the policy) */
    unsigned line, column;
    char *name;               /* as written; owned by the notes */
    const char *target;       /* the file read (owned by the policy) */
    size_t first_rule, end_rule;
} cordon__include_note;

/* What a linter learns while a policy is read (policy_lint.c). */
typedef struct cordon__read_notes {
    void (*report)(struct cordon__read_notes *notes, const cordon_error *err);
    unsigned errors;
    cordon__include_note *includes;
    size_t include_count;
} cordon__read_notes;

/* As cordon__policy_read, but an error in a statement is handed to
 * notes->report and reading goes on with the next line, so that every
 * error of a file (and of the files it includes) is found in one pass.
 * Returns 0, or a negative errno (out of memory) when it had to stop. */
int cordon__policy_read_all(cordon_policy *policy, const char *text, const char *origin,
                            cordon__read_notes *notes);
/* Fills policy->program (and the flags beside it).  Parent side, before any
 * fork. */
int cordon__policy_compile(cordon_policy *policy, cordon_error *err);
/* A policy file's text (at most 1 MiB, no NUL byte), or NULL with `err`
 * filled ("cannot read policy file …", or ORIGIN:LINE:COL of a NUL). */
char *cordon__policy_read_file(const char *path, const char *origin, cordon_error *err);
/* Whether a rule says what the policy's default says (it then adds
 * nothing to the program: libseccomp refuses such a rule). */
bool cordon__rule_same_as_default(const cordon_policy *policy, const cordon__rule *rule);

/* Where a named policy lives: the first of $CORDON_POLICY_PATH (colon
 * separated), the installed directory and the source tree that has
 * NAME.policy, if only root and the caller could have put it there (else
 * NULL, and cordon__policy_skipped_untrusted names it).  Returns a
 * malloc'd path or NULL. */
char *cordon__policy_find(const char *name);
/* Where this thread's last cordon__policy_find passed over a file as
 * untrusted (policy_load.c), said for an error; "" for none. */
const char *cordon__policy_skipped_untrusted(void);
/* `path` (malloc'd), where only root or the caller could have put a file
 * there: the directory it is in, and the file it leads to, each with the
 * directories above them; else NULL (it freed), the file said in
 * cordon__policy_skipped_untrusted (policy_load.c). */
char *cordon__policy_trusted(char *path);
/* Where the shipped policies are: the install's directory, or the source
 * tree's before any install (policy_load.c). */
const char *cordon__policy_shipped_directory(void);
/* Whether `name` is "docker:PATH" or "minijail:PATH", and the policy
 * text such a file imports to (malloc'd), or NULL with `err` filled
 * (policy_load.c). */
bool cordon__policy_is_imported(const char *name);
char *cordon__policy_import_text(const char *name, cordon_error *err);
/* "NAME (imported)": the origin its positions name, since they are lines
 * of the imported text, not of the file (malloc'd; NULL with `err`). */
char *cordon__policy_imported_origin(const char *name, cordon_error *err);
/* The built-in copy of policies/default.policy. */
extern const char cordon__builtin_default_text[];

/* Names of constants, errnos and actions (policy_names.c). */
int cordon__constant_lookup(const char *name, size_t len, uint64_t *value);
/* The i-th name of the constants (errnos) table, NULL past its end. */
const char *cordon__constant_name_at(size_t i);
const char *cordon__errno_name_at(size_t i);
/* The known syscall (constant, errno) name nearest to a misspelled one,
 * or NULL when none is near enough (policy_suggest.c). */
const char *cordon__suggest_syscall(const char *name, size_t len);
const char *cordon__suggest_constant(const char *name, size_t len);
const char *cordon__suggest_errno(const char *name, size_t len);
/* The first constant named PREFIX... whose value is `value`, or NULL. */
const char *cordon__constant_name(const char *prefix, uint64_t value);
int cordon__errno_lookup(const char *name, size_t len);
const char *cordon__errno_name(int value);
const char *cordon__action_name(enum cordon__action action);
/* Native syscall number of `name` (libseccomp's name, or one of the
 * newer calls cordon names itself), or -1; *stored_name points into a
 * table that lives as long as the process. */
int cordon__syscall_lookup(const char *name, size_t len, const char **stored_name);
/* How a rule shows syscall `nr` (0 <= nr < CORDON_SYSCALL_TABLE_SIZE): its
 * name, or its number as decimal text when nobody has a name for it. */
const char *cordon__syscall_label(int nr);
/* Whether libseccomp itself has a name for native syscall `nr`: it can
 * place a rule for any number on the native ABI, but one on a foreign ABI
 * only through the name. */
bool cordon__syscall_named_by_libseccomp(int nr);

/* The action a call above CORDON_NEWEST_KNOWN_SYSCALL meets, in *action
 * and *errno_value; false when that is the default action anyway. */
bool cordon__policy_refuses_newer(const cordon_policy *policy, enum cordon__action *action,
                                  int *errno_value);
/* Puts in front of `program` the instructions that give calls above
 * CORDON_NEWEST_KNOWN_SYSCALL the action `newer_return`, except the
 * numbers the policy's rules name.  Returns 0 or a negative errno
 * (-E2BIG: more such numbers than a jump can skip). */
int cordon__policy_prefix_newer(const cordon_policy *policy, uint32_t newer_return,
                                struct sock_fprog *program);

/* Whether a condition (every condition of a rule) holds for `args`. */
bool cordon__condition_holds(const cordon__condition *c, const uint64_t args[6]);
bool cordon__rule_holds(const cordon__rule *rule, const uint64_t args[6]);
/* The rule that decides syscall `nr` (< CORDON_SYSCALL_TABLE_SIZE) with
 * `args`, or NULL when the default does; *ambiguous when conditional rules
 * of different actions hold (libseccomp's order then decides).  Needs
 * the policy compiled (overrides noted).  policy_decide.c. */
const cordon__rule *cordon__policy_deciding_rule(const cordon_policy *p, int nr,
                                                 const uint64_t args[6], bool *ambiguous);
/* Whether the kernel takes argument `arg` of `syscall` as a 32-bit value
 * (policy_int_args.c). */
bool cordon__argument_is_32bit(const char *syscall, unsigned arg);
/* A rule as text, "kill socket if arg0 != 0x1", a decision as
 * "errno EPERM", and whether two decisions agree (policy_explain.c). */
void cordon__put_rule(FILE *out, const cordon__rule *rule);
void cordon__put_decision(FILE *out, const cordon_decision *d);
bool cordon__decisions_agree(const cordon_decision *a, const cordon_decision *b);
/* Runs a seccomp program on `data` as the kernel does (policy_simulate.c):
 * 0 with the returned value in *result, or -EINVAL for a program the
 * kernel would refuse. */
struct seccomp_data;
int cordon__bpf_run(const struct sock_fprog *program, const struct seccomp_data *data,
                    uint32_t *result);
/* The same for native call `nr` with `args` (NULL: all 0). */
int cordon__bpf_run_native(const struct sock_fprog *program, int nr, const uint64_t args[6],
                           uint32_t *result);

/* "origin:line:col: message" into err (origin NULL: the message alone;
 * line 0: no position), in its 512 bytes whatever their lengths: a long
 * origin, then a long message, has its middle cut, never its end. */
/* A name from a policy file quoted for a message, 'name', its first 64
 * bytes and "..." after them when longer (cut, it is no name in the
 * file): into `out`, which it returns. */
#define CORDON__NAME_SHOWN_SIZE 72
const char *cordon__name_shown(char out[CORDON__NAME_SHOWN_SIZE], const char *name, size_t len);
void cordon__error_set(cordon_error *err, int code, const char *origin, unsigned line,
                       unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void cordon__error_setv(cordon_error *err, int code, const char *origin, unsigned line,
                        unsigned column, const char *fmt, va_list args)
    __attribute__((format(printf, 6, 0)));

/* Whether a task under `p` may make a userfaultfd (userfaultfd_reach.c):
 * its pages could then make a read of its memory wait for good. */
bool cordon__policy_lets_userfaultfd_be_made(const cordon_policy *p);
/* Whether a task under `p` may make a namespace (namespace_reach.c). */
bool cordon__policy_lets_namespaces_be_made(const cordon_policy *p);

#endif
