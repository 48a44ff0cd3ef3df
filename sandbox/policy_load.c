/*
 * Policies by name or path, the built-in default, and their life: parse,
 * compile, free.  A policy is compiled once, in the parent, when it is
 * loaded; every task that uses it shares the program.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "no_cancellation.h"
#include "fork_reset.h"
#include "policy.h"
#include "policy_docker.h"
#include "policy_minijail.h"
#include "policy_rules.h"

#ifndef CORDON_POLICY_DIR
#define CORDON_POLICY_DIR "/usr/local/share/cordon/policies"
#endif
#ifndef CORDON_SOURCE_POLICY_DIR
#define CORDON_SOURCE_POLICY_DIR "policies"
#endif

/* policies/default.policy, built into the library so that a task never
 * runs unfiltered by accident when no policy directory is installed. */
__asm__(".section .rodata\n"
        ".global cordon__builtin_default_text\n"
        ".type cordon__builtin_default_text, @object\n"
        "cordon__builtin_default_text:\n"
        ".incbin \"" CORDON_SOURCE_POLICY_DIR "/default.policy\"\n"
        ".byte 0\n"
        ".size cordon__builtin_default_text, . - cordon__builtin_default_text\n"
        ".previous\n");

static bool valid_name(const char *name)
{
    return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static char *readable_in(const char *dir, size_t dir_len, const char *name)
{
    char *path = malloc(dir_len + strlen(name) + sizeof "/.policy");
    if (!path)
        return NULL;
    sprintf(path, "%.*s/%s.policy", (int)dir_len, dir, name);
    if (access(path, R_OK) == 0)
        return path;
    free(path);
    return NULL;
}

static char *untrusted_part(const char *path);

/* The source tree's policies/ serve a library used from its build tree,
 * before any install.  Once the install directory holds the shipped
 * policies, where only root and the caller could have put them, the
 * library is an installed one: the tree it was built from may be gone —
 * and, beneath /tmp, anyone's to make again with policies of their own
 * (each file found there is trust-checked too) — so it is not looked in.
 * An install directory that is empty, or that someone else made (a
 * prefix under /tmp left by `make uninstall` and made again by nobody),
 * is no install: it had hidden every shipped policy of root's build
 * tree. */
static bool installed(void)
{
    struct stat st;
    char *untrusted = NULL;
    bool holds = stat(CORDON_POLICY_DIR "/default.policy", &st) == 0 && S_ISREG(st.st_mode) &&
                 !(untrusted = untrusted_part(CORDON_POLICY_DIR "/default.policy"));
    free(untrusted);
    return holds;
}

/* A file found by a policy's name is trusted only where no one but root
 * and the caller could have put it there: it and every directory above it
 * owned by one of them and writable by no one else (a sticky directory
 * aside, whose entries only their owners move).  An install prefix under
 * /tmp, removed by `make uninstall`, was anyone's to make again: a
 * default.policy planted there by nobody was every root run's policy. */
/* The owner of the file that holds cordon's code (the program, the
 * shared library, a Python extension): whoever owns it decides what
 * cordon does already, so its policies are as trusted as its code (root
 * running `sudo ./build/cordon` from a user's build tree reads that
 * tree's policies).  -1 where it cannot be told. */
static uid_t code_owner = (uid_t)-1;
static pthread_once_t code_owner_found = PTHREAD_ONCE_INIT;

static void find_code_owner(void)
{
    Dl_info where;
    struct stat st;
    if (dladdr((const void *)find_code_owner, &where) && where.dli_fname &&
        where.dli_fname[0] && stat(where.dli_fname, &st) == 0)
        code_owner = st.st_uid;
}

static bool trusted_owner(uid_t owner)
{
    pthread_once(&code_owner_found, find_code_owner);
    return owner == 0 || owner == geteuid() || owner == code_owner;
}

static bool trustworthy(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
    return trusted_owner(st.st_uid) &&
           (!(st.st_mode & S_IWOTH) || sticky_dir) &&
           (!(st.st_mode & S_IWGRP) || st.st_gid == 0 || sticky_dir);
}

/* NULL if `path` and every directory above it are trustworthy, else the
 * first (from the file up) that is not: the caller's to free. */
static char *untrusted_part(const char *path)
{
    char *real = realpath(path, NULL);
    if (!real)
        return strdup(path);
    size_t len = strlen(real);
    for (;;) {
        if (!trustworthy(len ? real : "/"))
            return len ? real : (free(real), strdup("/"));
        if (len == 0)
            break;
        while (len > 0 && real[len - 1] != '/')
            len--;
        if (len > 0)
            len--; /* the slash: "/a" leaves "", which is "/" */
        real[len] = '\0';
    }
    free(real);
    return NULL;
}

/* The policy file the last search found and did not trust, for the error. */
static __thread char skipped_untrusted[512];

const char *cordon__policy_skipped_untrusted(void)
{
    return skipped_untrusted;
}

/* The first part of where `path` was found or leads that is not
 * trustworthy: the directory it was found in and those above it, as
 * given (a name there may be a link, which whoever may write that
 * directory could point anywhere, or swap between a check and the read),
 * and the file it leads to and the directories above that. */
static char *untrusted_part_of_both(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    char *part = untrusted_part(slash ? dir : ".");
    free(dir);
    return part ? part : untrusted_part(path);
}

char *cordon__policy_trusted(char *path)
{
    char *part = path ? untrusted_part_of_both(path) : NULL;
    if (!part)
        return path;
    snprintf(skipped_untrusted, sizeof skipped_untrusted, "%s (%s: owned or writable by "
             "someone other than root and you)", path, part);
    free(part);
    free(path);
    return NULL;
}

/* A policy a relative entry of the search path found: one of whatever
 * directory the caller happens to run in (a task's working directory, a
 * checkout), which $CORDON_POLICY_PATH's user did not mean to trust.
 * Ends the search, as an untrusted one does; said in skipped_untrusted. */
static char *relative_entry_refused(char *found)
{
    snprintf(skipped_untrusted, sizeof skipped_untrusted, "%s (found by a relative entry of "
             "$CORDON_POLICY_PATH, from the working directory: write the entry as an absolute "
             "path)", found);
    free(found);
    return NULL;
}

/* The first file of that name on the search path, or NULL; one found
 * where it is not trusted ends the search, said in skipped_untrusted: a
 * later one in its place (the shipped default for a user's own stricter
 * one) would be a policy swapped without a word. */
char *cordon__policy_find(const char *name)
{
    if (!valid_name(name))
        return NULL;
    skipped_untrusted[0] = '\0';
    const char *search = getenv("CORDON_POLICY_PATH");
    for (const char *dir = search; dir && *dir;) {
        const char *end = strchr(dir, ':');
        size_t len = end ? (size_t)(end - dir) : strlen(dir);
        char *found = len ? readable_in(dir, len, name) : NULL;
        if (found && dir[0] != '/')
            return relative_entry_refused(found);
        if (found)
            return cordon__policy_trusted(found);
        dir = end ? end + 1 : dir + len;
    }
    char *found = readable_in(CORDON_POLICY_DIR, strlen(CORDON_POLICY_DIR), name);
    if (!found && !installed())
        found = readable_in(CORDON_SOURCE_POLICY_DIR, strlen(CORDON_SOURCE_POLICY_DIR), name);
    return cordon__policy_trusted(found);
}

const char *cordon__policy_shipped_directory(void)
{
    return installed() ? CORDON_POLICY_DIR : CORDON_SOURCE_POLICY_DIR;
}

static cordon_policy *builtin_default, *fence_alone;
static pthread_mutex_t builtin_lock = PTHREAD_MUTEX_INITIALIZER;
CORDON__RESET_IN_FORKED_COPIES(&builtin_lock);

void cordon_policy_free(cordon_policy *p)
{
    CORDON__NO_CANCELLATION;
    if (!p || p == builtin_default || p == fence_alone)
        return;
    free(p->name);
    free(p->file);
    free(p->description);
    free(p->rules);
    for (size_t i = 0; i < p->origin_count; i++)
        free(p->origins[i]);
    free(p->origins);
    free(p->program.filter);
    for (size_t i = 0; p->variants && i < CORDON__VARIANT_KINDS; i++)
        cordon_policy_free(p->variants[i]);
    free(p->variants);
    free(p);
}

static cordon_policy *build(const char *text, const char *origin, const char *name,
                            cordon_error *err)
{
    cordon_policy *p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(name))) {
        free(p);
        cordon__error_set(err, -ENOMEM, origin, 0, 0, "out of memory");
        return NULL;
    }
    if (cordon__policy_read(p, text, origin, err) < 0 || cordon__policy_compile(p, err) < 0) {
        cordon_policy_free(p);
        return NULL;
    }
    if (err)
        memset(err, 0, sizeof *err);
    return p;
}

cordon_policy *cordon_policy_parse(const char *text, const char *origin, cordon_error *err)
{
    CORDON__NO_CANCELLATION;
    if (!text) {
        cordon__error_set(err, -EINVAL, NULL, 0, 0, "no policy text");
        return NULL;
    }
    const char *name = origin ? origin : "<policy>";
    return build(text, name, name, err);
}

/* "docker:PATH" or "minijail:PATH": the file imported, then read as any
 * policy text.  An error in the text (only libseccomp's refusals can be)
 * names the line of the imported policy that `cordon policy import`
 * prints. */
static bool has_prefix(const char *name, const char *prefix)
{
    return strncmp(name, prefix, strlen(prefix)) == 0;
}

bool cordon__policy_is_imported(const char *name)
{
    return has_prefix(name, CORDON_DOCKER_PREFIX) || has_prefix(name, CORDON_MINIJAIL_PREFIX);
}

char *cordon__policy_import_text(const char *name, cordon_error *err)
{
    bool docker = has_prefix(name, CORDON_DOCKER_PREFIX);
    const char *path = name + strlen(docker ? CORDON_DOCKER_PREFIX : CORDON_MINIJAIL_PREFIX);
    if (!*path) { /* "cannot read policy file ''" said nothing of what was missing */
        cordon__error_set(err, -EINVAL, NULL, 0, 0, "'%s' names no file: give %sPATH", name,
                          docker ? CORDON_DOCKER_PREFIX : CORDON_MINIJAIL_PREFIX);
        return NULL;
    }
    char *file = cordon__policy_read_file(path, path, err);
    if (!file)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    int rc = !out ? -ENOMEM
           : docker ? cordon__docker_import(file, strlen(file), path, out, NULL, err)
                    : cordon__minijail_import(file, path, out, NULL, err);
    if (out && fclose(out) != 0 && rc == 0)
        rc = -ENOMEM;
    if (rc == -ENOMEM)
        cordon__error_set(err, rc, path, 0, 0, "out of memory");
    free(file);
    if (rc < 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* "$CORDON_POLICY_PATH (its value), " where it is set: an error named it
 * unset too, and named it without what it held, which a user who mistyped
 * it needs to see.  A long value is cut. */
static const char *searched_path_variable(char *text, size_t size)
{
    const char *search = getenv("CORDON_POLICY_PATH");
    if (!search || !*search)
        return "";
    int length = (int)strlen(search), shown = length > 200 ? 200 : length;
    snprintf(text, size, "$CORDON_POLICY_PATH (%.*s%s), ", shown, search,
             shown < length ? "..." : "");
    return text;
}

/* The origin every position in an imported policy names: its lines are
 * those of the text `cordon policy import` writes, not the profile's (line
 * 64 of Docker's default.json is another entry than the imported text's
 * line 64), so they are marked: "docker:default.json (imported):64:7". */
char *cordon__policy_imported_origin(const char *name, cordon_error *err)
{
    char *origin = NULL;
    if (asprintf(&origin, "%s (imported)", name) < 0) {
        cordon__error_set(err, -ENOMEM, name, 0, 0, "out of memory");
        return NULL;
    }
    return origin;
}

static cordon_policy *load_imported(const char *name, cordon_error *err)
{
    char *text = cordon__policy_import_text(name, err);
    char *origin = text ? cordon__policy_imported_origin(name, err) : NULL;
    cordon_policy *p = origin ? build(text, origin, name, err) : NULL;
    free(origin);
    free(text);
    return p;
}

static cordon_policy *load_docker(const char *name, cordon_error *err)
{
    const char *path = name + strlen(CORDON_DOCKER_PREFIX);
    if (!*path) {
        cordon__error_set(err, -EINVAL, NULL, 0, 0, "'%s' names no file: give %sPATH", name,
                          CORDON_DOCKER_PREFIX);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        cordon__error_set(err, -ENOMEM, path, 0, 0, "out of memory");
        return NULL;
    }
    int rc = cordon_policy_import(path, out, NULL, err);
    if (fclose(out) != 0 && rc == 0)
        cordon__error_set(err, rc = -ENOMEM, path, 0, 0, "out of memory");
    char *origin = rc == 0 ? cordon__policy_imported_origin(name, err) : NULL;
    cordon_policy *p = origin ? build(text, origin, name, err) : NULL;
    free(origin);
    free(text);
    return p;
}

cordon_policy *cordon_policy_load(const char *name_or_path, cordon_error *err)
{
    CORDON__NO_CANCELLATION;
    if (!name_or_path || !name_or_path[0]) {
        cordon__error_set(err, -EINVAL, NULL, 0, 0, "no policy name given");
        return NULL;
    }
    if (strncmp(name_or_path, CORDON_DOCKER_PREFIX, strlen(CORDON_DOCKER_PREFIX)) == 0)
        return load_docker(name_or_path, err);
    if (cordon__policy_is_imported(name_or_path))
        return load_imported(name_or_path, err);
    bool is_path = strchr(name_or_path, '/') || strstr(name_or_path, ".policy");
    char *path = is_path ? strdup(name_or_path) : cordon__policy_find(name_or_path);
    /* Not the built-in default in place of a default.policy passed over:
     * that may be a user's stricter one, swapped without a word. */
    if (!path && strcmp(name_or_path, "default") == 0 && !skipped_untrusted[0])
        return build(cordon__builtin_default_text, "default", "default", err);
    if (!path && strcmp(name_or_path, "none") == 0 && !skipped_untrusted[0]) {
        /* the CLI's word for no filter, which is no policy to load */
        cordon__error_set(err, -ENOENT, NULL, 0, 0,
                          "no policy named 'none': for no filter give no policy (NULL to "
                          "cordon_set_policy; policy=None in Python), as --policy none does");
        return NULL;
    }
    if (!path) {
        /* A file of that name beside the caller is not looked for: a name
         * holds no '/' and does not end in .policy. */
        struct stat st;
        bool file_here = stat(name_or_path, &st) == 0 && S_ISREG(st.st_mode);
        const char *here = file_here ? "; for the file of that name here, give a path: ./" : "";
        char variable[256];
        if (skipped_untrusted[0])
            cordon__error_set(err, -EPERM, NULL, 0, 0,
                              "policy '%s' not read from %s; give its path to read it anyway",
                              name_or_path, skipped_untrusted);
        else if (installed())
            cordon__error_set(err, -ENOENT, NULL, 0, 0,
                              "no policy named '%s' (looked in %s%s)%s%s", name_or_path,
                              searched_path_variable(variable, sizeof variable),
                              CORDON_POLICY_DIR, here,
                              *here ? name_or_path : "");
        else
            cordon__error_set(err, -ENOENT, NULL, 0, 0,
                              "no policy named '%s' (looked in %s%s and %s)%s%s", name_or_path,
                              searched_path_variable(variable, sizeof variable),
                              CORDON_POLICY_DIR, CORDON_SOURCE_POLICY_DIR, here, *here ? name_or_path : "");
        return NULL;
    }
    char *text = cordon__policy_read_file(path, path, err);
    cordon_policy *p = text ? build(text, path, name_or_path, err) : NULL;
    free(text);
    /* Which file a name was found as: a default.policy on
     * CORDON_POLICY_PATH is `default` too, and a record that said only
     * the name proved nothing of the filter the task ran under. */
    if (p && !(p->file = realpath(path, NULL)) && !(p->file = strdup(path))) {
        cordon__error_set(err, -ENOMEM, path, 0, 0, "out of memory");
        cordon_policy_free(p);
        p = NULL;
    }
    free(path);
    return p;
}

/* Compiled once, by the first task that needs it.  A compile that failed
 * (no memory, no fd left for libseccomp) is not kept: every later task of
 * the process without a policy of its own failed with ENOMEM. */
const cordon_policy *cordon__policy_builtin_default(void)
{
    pthread_mutex_lock(&builtin_lock);
    if (!builtin_default) {
        cordon_error err;
        builtin_default = build(cordon__builtin_default_text, "default", "default", &err);
    }
    const cordon_policy *p = builtin_default;
    pthread_mutex_unlock(&builtin_lock);
    return p;
}

/* A task asked to run with no filter but started without a pid namespace
 * names every process of the machine: its filter is this policy, which
 * allows every call, with cordon's own rules added (policy_variant.c):
 * "no filter" lifts the limits on the task's own calls, not its fence
 * around the caller. */
const cordon_policy *cordon__policy_fence_alone(void)
{
    pthread_mutex_lock(&builtin_lock);
    if (!fence_alone) {
        cordon_error err;
        fence_alone = build("# no policy: cordon's own rules alone\ndefault allow\n", "none",
                            "none", &err);
        if (fence_alone)
            fence_alone->fence_alone = true;
    }
    const cordon_policy *p = fence_alone;
    pthread_mutex_unlock(&builtin_lock);
    return p;
}

const char *cordon_policy_name(const cordon_policy *p)
{
    CORDON__NO_CANCELLATION;
    return p ? p->name : "none";
}

const char *cordon_policy_file(const cordon_policy *p)
{
    CORDON__NO_CANCELLATION;
    return p ? p->file : NULL;
}

const char *cordon_policy_description(const cordon_policy *p)
{
    CORDON__NO_CANCELLATION;
    return p && p->description ? p->description : "";
}
