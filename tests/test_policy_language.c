/*
 * The policy language: what it accepts, what it refuses, and the exact
 * message and position of every refusal.
 */
#include <sys/stat.h>

#include "support.h"
#include "scratch_files.h"


/* Parses `text` expecting failure; returns the message. */
static const char *refused(const char *text, unsigned line, unsigned column)
{
    static cordon_error err;
    memset(&err, 0, sizeof err);
    cordon_policy *p = cordon_policy_parse(text, "t.policy", &err);
    assert_null(p);
    assert_int_equal(err.code, -EINVAL);
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, column);
    return err.message;
}

static char *shown(const cordon_policy *p, int with_bpf)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_int_equal(cordon_policy_show(p, out, with_bpf), 0);
    fclose(out);
    return text;
}

static void test_policy_every_shipped_policy_loads(void **state)
{
    (void)state;
    const char *names[] = { "default", "nonet", "readonly", "noexec", "compute" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        cordon_error err;
        cordon_policy *p = cordon_policy_load(names[i], &err);
        if (!p)
            fail_msg("%s: %s", names[i], err.message);
        assert_string_equal(cordon_policy_name(p), names[i]);
        assert_true(strlen(cordon_policy_description(p)) > 10);
        cordon_policy_free(p);
    }
}

static void test_policy_unknown_syscall_names_file_line_column(void **state)
{
    (void)state;
    assert_string_equal(refused("default allow\n# comment\nkill  sockett\n", 3, 7),
                        "t.policy:3:7: unknown syscall 'sockett' (did you mean 'socket'?)");
}

/* A policy file saved with a UTF-8 byte order mark was refused at 1:1
 * ("unexpected character", showing one byte of the mark) and then again
 * for having no default action.  The mark is no part of the text; columns
 * count from after it, as the editor shows the line. */
static void test_policy_skips_a_byte_order_mark(void **state)
{
    (void)state;
    cordon_error err;
    cordon_policy *p = cordon_policy_parse("\xEF\xBB\xBF# Marked.\ndefault allow\nkill socket\n",
                                           "t.policy", &err);
    if (!p)
        fail_msg("%s", err.message);
    assert_string_equal(cordon_policy_description(p), "Marked.");
    cordon_policy_free(p);
    assert_string_equal(refused("\xEF\xBB\xBF" "kill sockett\ndefault allow\n", 1, 6),
                        "t.policy:1:6: unknown syscall 'sockett' (did you mean 'socket'?)");
}

/* A character the grammar has no use for is named as it is when it is
 * printable, a pasted curly quote whole, and as \xNN otherwise: the byte
 * itself went into the message, so that a policy file's escape sequence
 * reached the terminal of whoever checked it, and a multibyte character
 * was cut to its first byte. */
static void test_policy_unexpected_character_is_shown_safely(void **state)
{
    (void)state;
    assert_string_equal(refused("default allow\nkill \x1b]0;title\x07\n", 2, 6),
                        "t.policy:2:6: unexpected character '\\x1b'");
    assert_string_equal(refused("default allow\nkill \xff\n", 2, 6),
                        "t.policy:2:6: unexpected character '\\xff'");
    assert_string_equal(refused("default allow\nkill \xc2\x9b\n", 2, 6),
                        "t.policy:2:6: unexpected character '\\xc2'");
    assert_string_equal(refused("default allow\nkill \xe2\x80\x98socket\n", 2, 6),
                        "t.policy:2:6: unexpected character '\xe2\x80\x98' (U+2018)");
    /* in a name, the character is named, with its code point: "kill
     * s\xc3\xb3cket" said "unknown syscall 's'", and a no-break space after
     * a name showed as a plain space */
    assert_string_equal(refused("default allow\nkill s\xc3\xb3" "cket\n", 2, 7),
                        "t.policy:2:7: unexpected character '\xc3\xb3' (U+00F3)");
    assert_string_equal(refused("default allow\nkill socket\xc2\xa0\n", 2, 12),
                        "t.policy:2:12: unexpected character '\xc2\xa0' (U+00A0)");
    assert_string_equal(refused("default allow\nkill \xe2\x80\n", 2, 6),
                        "t.policy:2:6: unexpected character '\\xe2'");
    assert_string_equal(refused("default allow\nkill @\n", 2, 6),
                        "t.policy:2:6: unexpected character '@'");
}

/* A slip of the keyboard gets the nearest name; a name near none gets no
 * guess. */
static void test_policy_did_you_mean(void **state)
{
    (void)state;
    assert_string_equal(refused("default allow\nkill sokcet\n", 2, 6),
                        "t.policy:2:6: unknown syscall 'sokcet' (did you mean 'socket'?)");
    assert_string_equal(refused("default allow\nkill read wirte\n", 2, 11),
                        "t.policy:2:11: unknown syscall 'wirte' (did you mean 'write'?)");
    assert_string_equal(refused("default allow\nkill frobnicate\n", 2, 6),
                        "t.policy:2:6: unknown syscall 'frobnicate'");
    assert_string_equal(refused("default allow\nkill socket if arg0 == AF_INTE\n", 2, 24),
                        "t.policy:2:24: unknown constant 'AF_INTE' (did you mean 'AF_INET'?)");
    assert_string_equal(refused("default errno EPREM\n", 1, 15),
                        "t.policy:1:15: unknown errno name 'EPREM' (did you mean 'EPERM'?)");
}

static void test_policy_unknown_constant_and_errno(void **state)
{
    (void)state;
    assert_string_equal(refused("default allow\nkill socket if arg0 == AF_FOO\n", 2, 24),
                        "t.policy:2:24: unknown constant 'AF_FOO'");
    assert_string_equal(refused("default allow\nerrno EFOO mkdir\n", 2, 7),
                        "t.policy:2:7: unknown errno name 'EFOO'");
    assert_string_equal(refused("default allow\nerrno 5000 mkdir\n", 2, 7),
                        "t.policy:2:7: errno '5000' is out of range (0 to 4094)");
    /* libseccomp refuses 4095 itself: refused at the token, not at compile */
    assert_string_equal(refused("default errno 4095\n", 1, 15),
                        "t.policy:1:15: errno '4095' is out of range (0 to 4094)");
}

static void test_policy_bad_tokens_and_operators(void **state)
{
    (void)state;
    assert_string_equal(refused("default allow\nkill socket if arg0 || 1\n", 2, 21),
                        "t.policy:2:21: expected a comparison (==, !=, <, <=, >, >=), found '||'");
    assert_string_equal(refused("default allow\nkill socket if arg0 = 1\n", 2, 21),
                        "t.policy:2:21: '=' is no operator (did you mean '=='?)");
    assert_string_equal(refused("default allow\nkill socket if arg9 == 1\n", 2, 16),
                        "t.policy:2:16: expected an argument arg0 to arg5, found 'arg9'");
    assert_string_equal(refused("default allow\nkill socket @\n", 2, 13),
                        "t.policy:2:13: unexpected character '@'");
    assert_string_equal(refused("default allow\nforbid socket\n", 2, 1),
                        "t.policy:2:1: expected an action (allow, kill, deny, trap, log, errno) "
                        "or a statement (default, include, arch, newer), found 'forbid'");
    assert_string_equal(refused("default allow\nkill\n", 2, 5),
                        "t.policy:2:5: expected a syscall name after the action, found end of line");
    assert_string_equal(refused("default allow\nkill socket if arg0 == 0x1g\n", 2, 24),
                        "t.policy:2:24: malformed number '0x1g'");
    assert_string_equal(refused("default allow\nkill socket if arg0 == 1 arg1\n", 2, 26),
                        "t.policy:2:26: expected '&&', '||' or end of line, found 'arg1'");
}

/* A comma stands between two names: doubled or trailing, it is an error. */
static void test_policy_commas_only_between_syscall_names(void **state)
{
    (void)state;
    assert_string_equal(refused("default allow\nkill read,,write\n", 2, 11),
                        "t.policy:2:11: expected a syscall name after ',', found ','");
    assert_string_equal(refused("default allow\nkill read,\n", 2, 11),
                        "t.policy:2:11: expected a syscall name after ',', found end of line");
    assert_string_equal(refused("default allow\nkill read, if arg0 == 1\n", 2, 12),
                        "t.policy:2:12: expected a syscall name after ',', found 'if'");
    assert_string_equal(refused("default allow\nkill ,read\n", 2, 6),
                        "t.policy:2:6: expected a syscall name, found ','");
    cordon_error err;
    cordon_policy *p = cordon_policy_parse("default allow\nkill read, write ,close\n", "t.policy",
                                           &err);
    assert_non_null(p);
    cordon_policy_free(p);
}

/* libseccomp only says "File exists": the error names both rules. */
static void test_policy_conflicting_rules_name_each_other(void **state)
{
    (void)state;
    cordon_error err;
    assert_null(cordon_policy_parse("default allow\nerrno EPERM read if arg0 == 1\n"
                                    "kill  read if arg0 == 1\n", "t.policy", &err));
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 7);
    assert_string_equal(err.message,
                        "t.policy:3:7: this rule for 'read' tests the same conditions as the one "
                        "at t.policy:2 with another action; keep one of them");
}

static void test_policy_masks_take_only_equality(void **state)
{
    (void)state;
    assert_string_equal(refused("default allow\nkill open if arg1 & O_ACCMODE != O_RDONLY\n", 2, 31),
                        "t.policy:2:31: a masked comparison takes only '==' "
                        "(arg1 & MASK == VALUE), found '!='");
}

static void test_policy_one_comparison_per_argument(void **state)
{
    (void)state;
    assert_string_equal(refused("default allow\nkill write if arg0 > 2 && arg0 < 9\n", 2, 27),
                        "t.policy:2:27: 'arg0' is compared twice in one alternative (libseccomp "
                        "allows one comparison per argument; use '||' or two rules)");
}

static bool ends_with(const char *text, const char *end)
{
    size_t len = strlen(text), end_len = strlen(end);
    return len >= end_len && strcmp(text + len - end_len, end) == 0;
}

/* A message has 512 bytes; a long origin had its whole "file:line:col: "
 * dropped (the reason alone, from which file unknown), a long reason its
 * end.  Now the origin's middle is cut, then the reason's: the file's
 * name, the position and the reason's end stay. */
static void test_policy_a_long_origin_keeps_its_position_and_reason(void **state)
{
    (void)state;
    char origin[700];
    snprintf(origin, sizeof origin, "/tmp/%0300d/%0300d/p.policy", 0, 0);
    cordon_error err;
    assert_null(cordon_policy_parse("default allow\nkill sockett\n", origin, &err));
    assert_true(strlen(err.message) < sizeof err.message);
    assert_true(strncmp(err.message, "/tmp/000", 8) == 0);
    assert_non_null(strstr(err.message, "..."));
    assert_true(ends_with(err.message, "0000/p.policy:2:6: unknown syscall 'sockett' "
                                       "(did you mean 'socket'?)"));
    assert_int_equal(err.line, 2);
    /* Both long: the reason's middle is cut too, never its end. */
    char text[800];
    snprintf(text, sizeof text, "default allow\ninclude %0600d\n", 0);
    assert_null(cordon_policy_parse(text, origin, &err));
    assert_true(strlen(err.message) < sizeof err.message);
    assert_non_null(strstr(err.message, "p.policy:2:9: cannot include '000"));
    assert_true(ends_with(err.message, "000': no such policy"));
    /* A name longer than a message shows is marked cut: it is no name in
     * the file (was 'sss…', 64 of them, closed as if whole). */
    char name[101];
    memset(name, 's', 100);
    name[100] = '\0';
    snprintf(text, sizeof text, "default allow\nkill %s\n", name);
    assert_null(cordon_policy_parse(text, "t.policy", &err));
    char want[120];
    snprintf(want, sizeof want, "t.policy:2:6: unknown syscall '%.64s...'", name);
    assert_string_equal(err.message, want);
}

static void test_policy_default_is_required_and_single(void **state)
{
    (void)state;
    cordon_error err;
    assert_null(cordon_policy_parse("kill ptrace\n", "t.policy", &err));
    assert_string_equal(err.message,
                        "t.policy: no default action (add 'default allow' or 'default kill')");
    assert_string_equal(refused("default allow\ndefault kill\n", 2, 1),
                        "t.policy:2:1: the default action is given twice");
}

/* Twice in an included file is as much a mistake as in the top one, even
 * though the including file's default wins over both. */
static void test_policy_default_twice_in_an_included_file(void **state)
{
    (void)state;
    write_scratch_file("twice.policy", "default allow\ndefault kill\n");
    const char *top = write_scratch_file("includes_twice.policy", "default allow\ninclude twice.policy\n");
    cordon_error err;
    assert_null(cordon_policy_load(top, &err));
    assert_non_null(strstr(err.message, "/twice.policy:2:1: the default action is given twice"));
}

static void test_policy_conditions_or_and_constants(void **state)
{
    (void)state;
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(
        "default allow\n"
        "deny socket, socketpair if arg0 == AF_INET || arg0 == AF_INET6 && arg1 == SOCK_RAW\n"
        "kill clone if arg0 & CLONE_NEWUSER|CLONE_NEWNET == CLONE_NEWUSER|CLONE_NEWNET\n"
        "errno mkdir\n",
        "t.policy", &err);
    if (!p)
        fail_msg("%s", err.message);
    char *text = shown(p, 0);
    assert_non_null(strstr(text, "kill socket if arg0 == 0x2    # t.policy:2\n"));
    assert_non_null(strstr(text, "kill socket if arg0 == 0xa && arg1 == 0x3    # t.policy:2\n"));
    assert_non_null(strstr(text, "kill socketpair if arg0 == 0x2"));
    assert_non_null(strstr(text, "kill clone if arg0 & 0x50000000 == 0x50000000"));
    /* An errno action without a value is ENOSYS, so libc falls back. */
    assert_non_null(strstr(text, "errno ENOSYS mkdir"));
    free(text);
    cordon_policy_free(p);
}

static void test_policy_includes_resolve_and_refuse_cycles(void **state)
{
    (void)state;
    write_scratch_file("base.policy", "# Base.\ndefault allow\nkill ptrace\n");
    const char *top = write_scratch_file("top.policy", "# Top of the stack.\ninclude base.policy\nkill bpf\n");
    char copy[256];
    snprintf(copy, sizeof copy, "%s", top);
    cordon_error err;
    cordon_policy *p = cordon_policy_load(copy, &err);
    if (!p)
        fail_msg("%s", err.message);
    assert_string_equal(cordon_policy_description(p), "Top of the stack.");
    char *text = shown(p, 0);
    assert_non_null(strstr(text, "kill ptrace"));
    assert_non_null(strstr(text, "base.policy:3"));
    assert_non_null(strstr(text, "kill bpf"));
    free(text);
    cordon_policy_free(p);

    write_scratch_file("a.policy", "default allow\ninclude b.policy\n");
    const char *b = write_scratch_file("b.policy", "include a.policy\n");
    snprintf(copy, sizeof copy, "%s", b);
    assert_null(cordon_policy_load(copy, &err));
    assert_non_null(strstr(err.message, "/a.policy:2:9: include cycle: '"));
    assert_non_null(strstr(err.message, "/b.policy' includes itself"));
    assert_int_equal(err.line, 2);
}

/* Ten includes a file over eight levels: 10^8 files to read, a load that
 * never ended; the includes read for one policy are counted. */
static void test_policy_includes_multiplying_are_bounded(void **state)
{
    (void)state;
    char name[32], text[400];
    for (int level = 0; level < 8; level++) {
        snprintf(name, sizeof name, "fan%d.policy", level);
        text[0] = '\0';
        for (int i = 0; i < 10; i++)
            snprintf(text + strlen(text), sizeof text - strlen(text), "include fan%d.policy\n",
                     level + 1);
        write_scratch_file(name, text);
    }
    write_scratch_file("fan8.policy", "default allow\nkill ptrace\n");
    char copy[256];
    snprintf(copy, sizeof copy, "%s", write_scratch_file("fan.policy", "include fan0.policy\n"));
    cordon_error err;
    alarm(30); /* before the bound: hours */
    assert_null(cordon_policy_load(copy, &err));
    alarm(0);
    assert_non_null(strstr(err.message, ": more than 256 includes in all (includes repeated in "
                                        "included files multiply)"));
}

/* A FIFO where a policy or an include is looked for: opening it waited
 * for a writer for ever. */
static void test_policy_fifo_is_refused_without_waiting(void **state)
{
    (void)state;
    char fifo[256], copy[256];
    snprintf(fifo, sizeof fifo, "%s", write_scratch_file("fifo.policy", ""));
    assert_int_equal(unlink(fifo), 0);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(copy, sizeof copy, "%s", write_scratch_file("by_fifo.policy", "include fifo.policy\n"));
    cordon_error err;
    alarm(30); /* before: for ever */
    assert_null(cordon_policy_load(fifo, &err));
    assert_non_null(strstr(err.message, "fifo.policy': a FIFO no one wrote to"));
    assert_null(cordon_policy_load(copy, &err));
    assert_non_null(strstr(err.message, "a FIFO no one wrote to"));
    alarm(0);
    unlink(fifo);
}

static void test_policy_include_of_a_shipped_policy_by_name(void **state)
{
    (void)state;
    cordon_error err;
    cordon_policy *p = cordon_policy_parse("include default\nkill execve\n", "mine", &err);
    if (!p)
        fail_msg("%s", err.message);
    char *text = shown(p, 0);
    assert_non_null(strstr(text, "default allow\n"));
    assert_non_null(strstr(text, "kill bpf"));
    assert_non_null(strstr(text, "kill execve    # mine:2"));
    free(text);
    cordon_policy_free(p);
    assert_string_equal(refused("default allow\ninclude   nosuch  # x\n", 2, 11),
                        "t.policy:2:11: cannot include 'nosuch': no such policy");
}

/* CORDON_POLICY_PATH with `dir` first; what it was, for search_again. */
static char *search_first(const char *dir)
{
    const char *previous = getenv("CORDON_POLICY_PATH");
    char *kept = previous ? strdup(previous) : NULL;
    char search[1024];
    snprintf(search, sizeof search, "%s%s%s", dir, kept ? ":" : "", kept ? kept : "");
    setenv("CORDON_POLICY_PATH", search, 1);
    return kept;
}

static void search_again(char *kept)
{
    if (kept)
        setenv("CORDON_POLICY_PATH", kept, 1);
    else
        unsetenv("CORDON_POLICY_PATH");
    free(kept);
}

/* A relative entry of CORDON_POLICY_PATH names a directory of whatever
 * directory the caller runs in: a policy found there was read and used
 * (`cd /tmp/x; CORDON_POLICY_PATH=rel cordon run --policy p`), and listed.
 * Refused by name, as an untrusted place is; a later entry is not asked
 * in its stead, and a name the entry does not hold is found on.  The
 * entry's names are not listed, but for the refusal of one the search
 * would find there. */
static void test_policy_a_relative_search_entry_is_refused(void **state)
{
    (void)state;
    char dir[] = "/tmp/cordon-relative-XXXXXX", sub[128], file[160], here[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/rel", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(file, sizeof file, "%s/nonet.policy", sub);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("default allow\nkill acct\n", f);
    fclose(f);
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(dir), 0);
    char *kept = search_first("rel");
    cordon_error err;
    assert_null(cordon_policy_load("nonet", &err));
    assert_int_equal(err.code, -EPERM);
    if (!strstr(err.message, "rel/nonet.policy (found by a relative entry of "
                             "$CORDON_POLICY_PATH"))
        fail_msg("%s", err.message);
    cordon_policy *compute = cordon_policy_load("compute", &err); /* not in rel/: found on */
    assert_non_null(compute);
    cordon_policy_free(compute);
    char *listed = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&listed, &size);
    assert_int_equal(cordon_policy_list(out), 0);
    fclose(out);
    /* the list says why its nonet is not the one it would be */
    if (!strstr(listed, "nonet      policy 'nonet' not read from rel/nonet.policy (found by a "
                        "relative entry"))
        fail_msg("%s", listed);
    free(listed);
    search_again(kept);
    assert_int_equal(chdir(here), 0);
    unlink(file);
    rmdir(sub);
    rmdir(dir);
}

/* A user's directory on CORDON_POLICY_PATH that holds a default.policy of
 * its own: the shipped nonet, which includes "default", had been built on
 * that file (here, one that does not even read); a name in an include is
 * looked for beside the including file first.  The user's own policy
 * beside that file still gets it. */
static void test_policy_include_by_name_looks_beside_the_including_file_first(void **state)
{
    (void)state;
    char mine[256];
    snprintf(mine, sizeof mine, "%s", write_scratch_file("mine.policy", "include default\n"));
    char *kept = search_first(scratch_dir);
    write_scratch_file("default.policy", "default allow\nkill acct\nthis is no rule\n");
    cordon_error err;
    cordon_policy *nonet = cordon_policy_load("nonet", &err);
    write_scratch_file("default.policy", "default allow\nkill acct\n");
    cordon_policy *own = cordon_policy_load(mine, &err);
    search_again(kept);
    if (!nonet)
        fail_msg("nonet: %s", err.message);
    char *text = shown(nonet, 0);
    assert_non_null(strstr(text, "kill bpf"));
    assert_null(strstr(text, "kill acct"));
    free(text);
    cordon_policy_free(nonet);
    if (!own)
        fail_msg("mine: %s", err.message);
    text = shown(own, 0);
    assert_non_null(strstr(text, "kill acct"));
    assert_null(strstr(text, "kill bpf"));
    free(text);
    cordon_policy_free(own);
    /* Given by its bare name from its own directory, as `cordon run
     * --policy top.policy` gives it: its include was looked for by name
     * only ("no such policy"), and one of itself was no cycle. */
    write_scratch_file("base.policy", "default kill\nallow exit_group\n");
    write_scratch_file("top.policy", "include base\nallow write\n");
    write_scratch_file("self.policy", "include self\n");
    char here[PATH_MAX];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(scratch_dir), 0);
    cordon_policy *top = cordon_policy_load("top.policy", &err);
    cordon_error cycle;
    cordon_policy *self = cordon_policy_load("self.policy", &cycle);
    assert_int_equal(chdir(here), 0);
    if (!top)
        fail_msg("top.policy: %s", err.message);
    cordon_policy_free(top);
    assert_null(self);
    if (!strstr(cycle.message, "include cycle"))
        fail_msg("self.policy: %s", cycle.message);
}

/* A policy found by its name in a place someone else could have put it
 * (an install prefix under /tmp that `make uninstall` removed, made again
 * by nobody; a file anyone may write) is not read: a planted
 * default.policy there was every root run's policy.  Named in the error;
 * a path given is read as asked. */
static void test_policy_by_name_is_read_only_from_trusted_places(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: needs root, to give a directory to another user\n");
        skip();
    }
    char dir[] = "/tmp/cordon-planted-XXXXXX", file[96];
    assert_non_null(mkdtemp(dir));
    const char *const names[] = { "nonet", "planted", "default" };
    for (int i = 0; i < 3; i++) {
        snprintf(file, sizeof file, "%s/%s.policy", dir, names[i]);
        FILE *f = fopen(file, "w");
        assert_non_null(f);
        fputs("default allow\nkill acct\n", f);
        fclose(f);
    }
    char *kept = search_first(dir);
    for (int way = 0; way < 3; way++) {
        if (way == 1) /* the directory someone else's */
            assert_int_equal(chown(dir, 65534, 65534), 0);
        if (way == 2) { /* the directory root's again, the files anyone's to write */
            assert_int_equal(chown(dir, 0, 0), 0);
            for (int i = 0; i < 3; i++) {
                snprintf(file, sizeof file, "%s/%s.policy", dir, names[i]);
                assert_int_equal(chmod(file, 0666), 0);
            }
        }
        /* Refused, not passed over for the next of the path: a shipped
         * policy in place of the user's own would be one swapped without
         * a word (the built-in default for a default.policy too). */
        for (int i = 0; i < 3; i++) {
            cordon_error err;
            cordon_policy *p = cordon_policy_load(names[i], &err);
            if (way == 0) {
                assert_non_null(p);
                char *text = shown(p, 0);
                assert_non_null(strstr(text, "kill acct"));
                free(text);
                cordon_policy_free(p);
                continue;
            }
            assert_null(p);
            assert_int_equal(err.code, -EPERM);
            assert_non_null(strstr(err.message, "not read from"));
            assert_non_null(strstr(err.message, "owned or writable by someone other than root "
                                                "and you"));
        }
    }
    /* A link in a directory someone else may write, to a file of root's:
     * its owner could swap it between the check and the read. */
    char target[256];
    snprintf(target, sizeof target, "%s", write_scratch_file("target.policy", "default allow\n"));
    snprintf(file, sizeof file, "%s/nonet.policy", dir);
    assert_int_equal(unlink(file), 0);
    assert_int_equal(symlink(target, file), 0);
    assert_int_equal(chown(dir, 65534, 65534), 0);
    cordon_error err;
    assert_null(cordon_policy_load("nonet", &err));
    assert_int_equal(err.code, -EPERM);
    assert_int_equal(chown(dir, 0, 0), 0);
    cordon_policy *linked = cordon_policy_load("nonet", &err); /* a link of root's: read */
    assert_non_null(linked);
    cordon_policy_free(linked);
    assert_int_equal(chown(dir, 65534, 65534), 0);
    cordon_policy *by_path = cordon_policy_load(file, NULL); /* a path given: read */
    assert_non_null(by_path);
    cordon_policy_free(by_path);
    unlink(target);
    search_again(kept);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    assert_int_equal(system(command), 0);
}

static void test_policy_load_errors_name_what_is_missing(void **state)
{
    (void)state;
    cordon_error err;
    assert_null(cordon_policy_load("no-such-policy", &err));
    assert_int_equal(err.code, -ENOENT);
    assert_non_null(strstr(err.message, "no policy named 'no-such-policy'"));
    assert_null(strstr(err.message, "./"));
    /* Where the variable is set, what it holds: a mistyped one showed as
     * its name alone. */
    const char *search = getenv("CORDON_POLICY_PATH");
    char *kept = search ? strdup(search) : NULL;
    setenv("CORDON_POLICY_PATH", "/cordon-mistyped", 1);
    assert_null(cordon_policy_load("no-such-policy", &err));
    assert_non_null(strstr(err.message, "$CORDON_POLICY_PATH (/cordon-mistyped), "));
    if (kept)
        setenv("CORDON_POLICY_PATH", kept, 1);
    else
        unsetenv("CORDON_POLICY_PATH");
    free(kept);
    /* the CLI's word for no filter: said how to ask for none here */
    assert_null(cordon_policy_load("none", &err));
    assert_int_equal(err.code, -ENOENT);
    assert_non_null(strstr(err.message, "for no filter give no policy (NULL to "
                                        "cordon_set_policy; policy=None in Python)"));
    /* A file of that name beside the caller is not a name's: said so. */
    char dir[] = "/tmp/cordon-policy-here-XXXXXX", previous[4096];
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(previous, sizeof previous));
    assert_int_equal(chdir(dir), 0);
    FILE *f = fopen("mine", "w");
    assert_non_null(f);
    fputs("default allow\n", f);
    fclose(f);
    const cordon_policy *by_name = cordon_policy_load("mine", &err);
    unlink("mine");
    assert_int_equal(chdir(previous), 0);
    rmdir(dir);
    assert_null(by_name);
    assert_non_null(strstr(err.message, "give a path: ./mine"));
    assert_null(cordon_policy_load("/nonexistent/x.policy", &err));
    assert_string_equal(err.message,
                        "cannot read policy file '/nonexistent/x.policy': No such file or directory");
    /* An endless file is refused at 1 MiB, not read to the end. */
    assert_null(cordon_policy_load("/dev/zero", &err));
    assert_string_equal(err.message, "cannot read policy file '/dev/zero': larger than 1 MiB");
    /* A long path of two-byte characters: cut in its middle between
     * characters (a lone continuation byte followed the "..."). */
    char *long_path = malloc(3000 * 2 + 16);
    assert_non_null(long_path);
    long_path[0] = '\0';
    for (int i = 0; i < 3000; i++)
        strcat(long_path + i * 2, "\xc3\xa9");
    strcat(long_path, ".policy");
    assert_null(cordon_policy_load(long_path, &err));
    free(long_path);
    assert_non_null(strstr(err.message, "..."));
    for (const unsigned char *at = (const unsigned char *)err.message; *at;) {
        size_t size = *at < 0x80 ? 1 : (*at & 0xE0) == 0xC0 ? 2 : (*at & 0xF0) == 0xE0 ? 3 : 4;
        for (size_t k = 1; k < size; k++)
            if ((at[k] & 0xC0) != 0x80)
                fail_msg("not UTF-8 at byte %zu of: %s", (size_t)((const char *)at - err.message),
                         err.message);
        if (*at >= 0x80 && (*at & 0xC0) == 0x80)
            fail_msg("a lone continuation byte at %zu of: %s",
                     (size_t)((const char *)at - err.message), err.message);
        at += size;
    }
}

/* A NUL byte would end the text the parser sees: the rest of the policy
 * would be silently dropped. */
static void test_policy_nul_byte_is_an_error_with_its_place(void **state)
{
    (void)state;
    char path[] = "/tmp/cordon-nul-XXXXXX.policy";
    int fd = mkstemps(path, 7);
    assert_true(fd >= 0);
    static const char text[] = "default allow\n# note\0 trailing\nkill socket\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    cordon_error err;
    assert_null(cordon_policy_load(path, &err));
    char expected[128];
    snprintf(expected, sizeof expected, "%s:2:7: a NUL byte: a policy file is text", path);
    assert_string_equal(err.message, expected);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 7);
    unlink(path);
}

static void test_policy_show_disassembles_the_filter(void **state)
{
    (void)state;
    cordon_error err;
    cordon_policy *p = cordon_policy_load("nonet", &err);
    assert_non_null(p);
    char *text = shown(p, 1);
    assert_non_null(strstr(text, "# compiled: "));
    /* The first check is the architecture, and a foreign one is killed
     * (and named, where the kernel notifies). */
    assert_non_null(strstr(text, "     0: ld  [4]\n"));
    assert_non_null(strstr(text, "     1: jeq  #0xc000003e, 2, "));
    assert_true(strstr(text, "ret notify (kill, named)") || strstr(text, "ret kill process") ||
                strstr(text, "ret kill thread")); /* valgrind: no seccomp(2), an older API */
    assert_non_null(strstr(text, "ret allow"));
    free(text);
    cordon_policy_free(p);
}

/* cordon_policy_list(NULL) crashed the caller (fprintf on a NULL
 * stream) where every other call of the library refuses a NULL with
 * -EINVAL, and a list that could not be written (a full disk, a closed
 * pipe) was 0, as if written, where cordon_policy_show says -EIO. */
static void test_policy_list_refuses_no_stream_and_says_a_failed_write(void **state)
{
    (void)state;
    assert_int_equal(cordon_policy_list(NULL), -EINVAL);
    FILE *full = fopen("/dev/full", "w");
    assert_non_null(full);
    assert_int_equal(cordon_policy_list(full), -EIO);
    fclose(full);
}

static void test_policy_list_names_every_shipped_policy(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_int_equal(cordon_policy_list(out), 0);
    fclose(out);
    const char *names[] = { "compute ", "default ", "noexec ", "nonet ", "readonly " };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_non_null(strstr(text, names[i]));
    assert_non_null(strstr(text, "only AF_UNIX sockets"));
    free(text);
}

/* With $CORDON_POLICY_PATH the list is what names resolve to: a policy
 * only there was left out, though --policy found it, and one there that
 * shadows a shipped name was shown with the shipped one's place, nothing
 * saying which file it was.  Each such line names its file. */
static void test_policy_list_follows_the_search_path(void **state)
{
    (void)state;
    char dir[] = "/tmp/cordon-policy-list-XXXXXX", mine[96], nonet[96];
    assert_non_null(mkdtemp(dir));
    snprintf(mine, sizeof mine, "%s/mine.policy", dir);
    snprintf(nonet, sizeof nonet, "%s/nonet.policy", dir);
    FILE *f = fopen(mine, "w");
    assert_non_null(f);
    fputs("# mine: a policy of the user's own\ninclude default\n", f);
    fclose(f);
    assert_non_null(f = fopen(nonet, "w"));
    fputs("# shadow: allows everything\ndefault allow\n", f);
    fclose(f);
    char *saved = getenv("CORDON_POLICY_PATH") ? strdup(getenv("CORDON_POLICY_PATH")) : NULL;
    char search[512];
    snprintf(search, sizeof search, "%s%s%s", dir, saved ? ":" : "", saved ? saved : "");
    setenv("CORDON_POLICY_PATH", search, 1);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_int_equal(cordon_policy_list(out), 0);
    fclose(out);
    if (saved)
        setenv("CORDON_POLICY_PATH", saved, 1);
    else
        unsetenv("CORDON_POLICY_PATH");
    free(saved);
    char line[300];
    snprintf(line, sizeof line, "mine       mine: a policy of the user's own  [%s]\n", mine);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "nonet      shadow: allows everything  [%s]\n", nonet);
    assert_non_null(strstr(text, line));
    assert_non_null(strstr(text, "compute "));
    free(text);
    unlink(mine);
    unlink(nonet);
    rmdir(dir);
}

static void test_policy_foreign_abi_on_request(void **state)
{
    (void)state;
    cordon_error err;
    cordon_policy *p = cordon_policy_parse("default allow\narch i386 x32\nkill ptrace\n", "t", &err);
    if (!p)
        fail_msg("%s", err.message);
    char *text = shown(p, 1);
    assert_non_null(strstr(text, "arch x86_64 i386 x32"));
    assert_non_null(strstr(text, "jeq  #0x40000003")); /* AUDIT_ARCH_I386 */
    free(text);
    cordon_policy_free(p);
    assert_string_equal(refused("default allow\narch arm\n", 2, 6),
                        "t.policy:2:6: unknown architecture 'arm' (x86_64, i386 or x32)");
}

/* libseccomp 2.5 has no name for the newest calls: a policy names them by
 * cordon's table or by number, and a number that is no syscall is an
 * error at its place. */
static void test_policy_syscall_by_number(void **state)
{
    (void)state;
    cordon_error err;
    cordon_policy *p = cordon_policy_parse("default allow\nkill 463, 999 removexattrat\n"
                                           "errno EPERM 41\n", "t.policy", &err);
    if (!p)
        fail_msg("%s", err.message);
    char *text = shown(p, 0);
    assert_non_null(strstr(text, "kill setxattrat    # t.policy:2\n"));
    assert_non_null(strstr(text, "kill 999    # t.policy:2\n"));
    assert_non_null(strstr(text, "kill removexattrat    # t.policy:2\n"));
    assert_non_null(strstr(text, "errno EPERM socket    # t.policy:3\n"));
    free(text);
    cordon_policy_free(p);
    assert_string_equal(refused("default allow\nkill read 1024\n", 2, 11),
                        "t.policy:2:11: syscall number '1024' is out of range (0 to 1023)");
    assert_string_equal(refused("default allow\nkill 0x1zz\n", 2, 6),
                        "t.policy:2:6: malformed number '0x1zz'");
    assert_string_equal(refused("default allow\nkill 99999999999999999999999\n", 2, 6),
                        "t.policy:2:6: malformed number '99999999999999999999999'");
    assert_string_equal(refused("default allow\nkill read, 463,\n", 2, 16),
                        "t.policy:2:16: expected a syscall name after ',', found end of line");
}

/* A deny-list refuses what is newer than cordon's table (470) with ENOSYS,
 * in front of libseccomp's program; "newer" changes that, and a rule that
 * names such a number keeps it. */
static void test_policy_newer_syscalls_refused_before_the_rules(void **state)
{
    (void)state;
    cordon_error err;
    cordon_policy *p = cordon_policy_load("default", &err);
    assert_non_null(p);
    char *text = shown(p, 1);
    assert_non_null(strstr(text, "newer errno ENOSYS    # syscalls above 470"));
    assert_non_null(strstr(text, "     3: jge  #0x40000000, 6, 4\n"
                                 "     4: jgt  #0x1d6, 5, 6\n"
                                 "     5: ret errno 38\n"
                                 "     6: ld  [4]\n"));
    free(text);
    cordon_policy_free(p);

    p = cordon_policy_parse("include default\nnewer allow\n", "t.policy", &err);
    assert_non_null(p);
    text = shown(p, 1);
    assert_null(strstr(text, "newer "));
    assert_null(strstr(text, "#0x1d6"));
    free(text);
    cordon_policy_free(p);

    /* an allow-list kills them anyway; a rule keeps its own number */
    p = cordon_policy_parse("default kill\nallow 480\n", "t.policy", &err);
    assert_non_null(p);
    text = shown(p, 1);
    assert_null(strstr(text, "#0x1d6"));
    free(text);
    cordon_policy_free(p);
    p = cordon_policy_parse("default allow\nnewer kill\nerrno EXDEV 480\n", "t.policy", &err);
    assert_non_null(p);
    text = shown(p, 1);
    assert_non_null(strstr(text, "jeq  #0x1e0, "));
    free(text);
    cordon_policy_free(p);

    assert_string_equal(refused("default allow\nnewer allow\nnewer kill\n", 3, 1),
                        "t.policy:3:1: the action for newer syscalls is given twice");
    assert_string_equal(refused("default allow\nnewer\n", 2, 6),
                        "t.policy:2:6: expected an action (allow, kill, deny, trap, log, errno) "
                        "or a statement (default, include, arch, newer), found end of line");
}

/* libseccomp 2.5 cannot place a rule for a call it has no name for on a
 * foreign ABI: refused, rather than left out there. */
static void test_policy_unnamed_syscall_with_a_foreign_abi_is_refused(void **state)
{
    (void)state;
    cordon_error err;
    memset(&err, 0, sizeof err);
    assert_null(cordon_policy_parse("default allow\narch i386\nkill 463\n", "t.policy", &err));
    assert_string_equal(err.message, "t.policy:3:6: libseccomp has no name for syscall 463, so "
                        "this rule cannot also apply to the foreign ABI that 'arch' lets in; "
                        "drop the rule or the 'arch'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_every_shipped_policy_loads),
        cmocka_unit_test(test_policy_unknown_syscall_names_file_line_column),
        cmocka_unit_test(test_policy_skips_a_byte_order_mark),
        cmocka_unit_test(test_policy_unexpected_character_is_shown_safely),
        cmocka_unit_test(test_policy_did_you_mean),
        cmocka_unit_test(test_policy_syscall_by_number),
        cmocka_unit_test(test_policy_newer_syscalls_refused_before_the_rules),
        cmocka_unit_test(test_policy_unnamed_syscall_with_a_foreign_abi_is_refused),
        cmocka_unit_test(test_policy_unknown_constant_and_errno),
        cmocka_unit_test(test_policy_bad_tokens_and_operators),
        cmocka_unit_test(test_policy_commas_only_between_syscall_names),
        cmocka_unit_test(test_policy_conflicting_rules_name_each_other),
        cmocka_unit_test(test_policy_default_twice_in_an_included_file),
        cmocka_unit_test(test_policy_masks_take_only_equality),
        cmocka_unit_test(test_policy_one_comparison_per_argument),
        cmocka_unit_test(test_policy_default_is_required_and_single),
        cmocka_unit_test(test_policy_a_long_origin_keeps_its_position_and_reason),
        cmocka_unit_test(test_policy_conditions_or_and_constants),
        cmocka_unit_test(test_policy_includes_resolve_and_refuse_cycles),
        cmocka_unit_test(test_policy_includes_multiplying_are_bounded),
        cmocka_unit_test(test_policy_fifo_is_refused_without_waiting),
        cmocka_unit_test(test_policy_include_of_a_shipped_policy_by_name),
        cmocka_unit_test(test_policy_include_by_name_looks_beside_the_including_file_first),
        cmocka_unit_test(test_policy_by_name_is_read_only_from_trusted_places),
        cmocka_unit_test(test_policy_a_relative_search_entry_is_refused),
        cmocka_unit_test(test_policy_load_errors_name_what_is_missing),
        cmocka_unit_test(test_policy_nul_byte_is_an_error_with_its_place),
        cmocka_unit_test(test_policy_show_disassembles_the_filter),
        cmocka_unit_test(test_policy_list_names_every_shipped_policy),
        cmocka_unit_test(test_policy_list_follows_the_search_path),
        cmocka_unit_test(test_policy_list_refuses_no_stream_and_says_a_failed_write),
        cmocka_unit_test(test_policy_foreign_abi_on_request),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
