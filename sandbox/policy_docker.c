/*
 * A Docker/OCI seccomp profile, read as Docker and runc read it on this
 * machine, written out in cordon's policy language:
 *
 *   defaultAction, defaultErrnoRet        -> "default ACTION"
 *   syscalls[] { names | name, action, errnoRet, args, includes, excludes }
 *                                          -> "ACTION NAME... [if CONDITIONS]"
 *   args[] { index, value, valueTwo, op }  each index once: all must hold
 *                                          (&&); an index twice: runc's
 *                                          older rule, any one (one line each)
 *   includes/excludes { caps, arches, minKernel }
 *
 * Decided at import, as Docker decides when a container starts: a cordon
 * task has no capabilities, so an entry whose "includes.caps" asks for one
 * is left out and one that "excludes.caps" names is kept; "arches" are
 * matched against x86_64; "minKernel" against the running kernel.  Every
 * such decision is a comment in the output.  A name no architecture has is
 * reported (a note with its JSON path) and left out; a name of another
 * architecture's calls (chown32, _llseek) is listed in a comment.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "json_tree.h"
#include "policy_docker.h"
#include "policy_minijail.h"
#include "policy_docker_entry.h"
#include "policy_rules.h"

void cordon__docker_fail(docker_importer *im, const json_value *at, const char *path,
                  const char *fmt, ...)
{
    char message[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    cordon__error_set(im->err, -EINVAL, im->origin, at->line, at->column, "%s: %s", path,
                      message);
}

void cordon__docker_note(docker_importer *im, const json_value *at, const char *path,
                  const char *fmt, ...)
{
    char message[400];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    fprintf(im->out, "# %s: %s\n", path, message);
    if (im->notes)
        fprintf(im->notes, "%s:%u:%u: %s: %s\n", im->origin, at->line, at->column, path,
                message);
}

int cordon__docker_want(docker_importer *im, const json_value *v, json_kind kind, const char *path)
{
    if (v->kind == kind)
        return 0;
    cordon__docker_fail(im, v, path, "expected %s, found %s", cordon__json_kind_name(kind),
                 cordon__json_kind_name(v->kind));
    return -EINVAL;
}

void cordon__docker_unknown_members(docker_importer *im, const json_value *object, const char *path,
                             const char *const *known)
{
    for (size_t i = 0; i < object->count; i++) {
        bool found = false;
        for (const char *const *k = known; *k && !found; k++)
            found = strcmp(*k, object->keys[i]) == 0;
        char shown[100];
        if (!found)
            cordon__docker_note(im, &object->items[i], path, "unknown member %s ignored (as Docker "
                         "ignores it)", cordon__json_shown(object->keys[i], shown, sizeof shown));
    }
}

/* What each action of a profile becomes: a cordon action, or a refusal. */
static const struct {
    const char *name;
    const char *cordon;     /* NULL: cannot be imported */
    const char *remark;     /* a comment where the meaning shifts */
} actions[] = {
    { "SCMP_ACT_ALLOW", "allow", NULL },
    { "SCMP_ACT_ERRNO", "errno", NULL },
    { "SCMP_ACT_KILL_PROCESS", "kill", NULL },
    { "SCMP_ACT_KILL", "kill", "kills the whole task, not one thread" },
    { "SCMP_ACT_KILL_THREAD", "kill", "kills the whole task, not one thread" },
    { "SCMP_ACT_TRAP", "trap", NULL },
    { "SCMP_ACT_LOG", "log", NULL },
    /* Without a tracer attached the kernel fails the call with ENOSYS. */
    { "SCMP_ACT_TRACE", "errno ENOSYS", "SCMP_ACT_TRACE with no tracer: ENOSYS" },
    { "SCMP_ACT_NOTIFY", NULL, NULL },
};

static int errno_text(docker_importer *im, const json_value *ret, const char *path,
                      char *text, size_t size)
{
    uint64_t value = EPERM; /* runc's choice when errnoRet is missing */
    if (ret && !cordon__json_uint64(ret, &value)) {
        cordon__docker_fail(im, ret, path, "expected a whole number from 0 to 4094");
        return -EINVAL;
    }
    if (value > 4094) {
        /* libseccomp refuses it, so Docker cannot run such a profile. */
        cordon__docker_fail(im, ret, path, "%llu is out of range (0 to 4094: libseccomp refuses "
                     "more, and Docker with it)", (unsigned long long)value);
        return -EINVAL;
    }
    const char *name = cordon__errno_name((int)value);
    if (name)
        snprintf(text, size, "errno %s", name);
    else
        snprintf(text, size, "errno %llu", (unsigned long long)value);
    return 0;
}

int cordon__docker_action(docker_importer *im, const json_value *owner, const json_value *action,
                   const json_value *ret, const char *at, const char *ret_at, char *text,
                   size_t size)
{
    if (!action) {
        cordon__docker_fail(im, owner, at, "missing");
        return -EINVAL;
    }
    if (cordon__docker_want(im, action, JSON_STRING, at) < 0)
        return -EINVAL;
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++) {
        if (strcmp(action->text, actions[i].name) != 0)
            continue;
        if (!actions[i].cordon) {
            cordon__docker_fail(im, action, at, "%s needs a supervisor listening for the calls; "
                         "cordon cannot import it", actions[i].name);
            return -EINVAL;
        }
        if (actions[i].remark)
            fprintf(im->out, "# %s: %s\n", at, actions[i].remark);
        if (strcmp(actions[i].cordon, "errno") == 0)
            return errno_text(im, ret, ret_at, text, size);
        snprintf(text, size, "%s", actions[i].cordon);
        return 0;
    }
    char shown[100];
    cordon__docker_fail(im, action, at, "unknown action %s",
                 cordon__json_shown(action->text, shown, sizeof shown));
    return -EINVAL;
}

/* Which of "architectures" (OCI) or "archMap" (Docker) applies to an
 * x86_64 machine, and what the import does with the 32-bit ABIs. */
static int import_arches(docker_importer *im, const json_value *root)
{
    const json_value *plain = cordon__json_member(root, "architectures");
    const json_value *map = cordon__json_member(root, "archMap");
    if (plain && map) {
        cordon__docker_fail(im, map, "archMap", "give either architectures or archMap, not both");
        return -EINVAL;
    }
    const json_value *list = plain;
    const char *path = "architectures";
    if (map && cordon__docker_want(im, map, JSON_ARRAY, "archMap") < 0)
        return -EINVAL;
    for (size_t i = 0; map && i < map->count; i++) {
        const json_value *arch = cordon__json_member(&map->items[i], "architecture");
        char at[80];
        snprintf(at, sizeof at, "archMap[%zu]", i);
        if (cordon__docker_want(im, &map->items[i], JSON_OBJECT, at) < 0 || !arch ||
            cordon__docker_want(im, arch, JSON_STRING, at) < 0) {
            if (!arch)
                cordon__docker_fail(im, &map->items[i], at, "no architecture");
            return -EINVAL;
        }
        if (strcmp(arch->text, "SCMP_ARCH_X86_64") == 0) {
            list = cordon__json_member(&map->items[i], "subArchitectures");
            path = "archMap.subArchitectures";
        }
    }
    if (list && cordon__docker_want(im, list, JSON_ARRAY, path) < 0)
        return -EINVAL;
    bool foreign = false;
    for (size_t i = 0; list && i < list->count; i++) {
        if (cordon__docker_want(im, &list->items[i], JSON_STRING, path) < 0)
            return -EINVAL;
        foreign |= strcmp(list->items[i].text, "SCMP_ARCH_X86") == 0 ||
                   strcmp(list->items[i].text, "SCMP_ARCH_X32") == 0;
    }
    if (foreign)
        cordon__docker_note(im, list, path, "the profile admits i386 and x32 calls too; cordon's "
                     "rules name x86_64 calls, so the imported policy kills the 32-bit "
                     "ABIs, as every cordon policy does unless it says 'arch'");
    return 0;
}

static int import_default(docker_importer *im, const json_value *root)
{
    char text[40];
    int rc = cordon__docker_action(im, root, cordon__json_member(root, "defaultAction"),
                            cordon__json_member(root, "defaultErrnoRet"), "defaultAction",
                            "defaultErrnoRet", text, sizeof text);
    if (rc == 0)
        fprintf(im->out, "default %s\n", text);
    return rc;
}

static void kernel_version(docker_importer *im)
{
    struct utsname u;
    if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &im->kernel[0], &im->kernel[1]) != 2)
        im->kernel[0] = im->kernel[1] = 0;
}

static void write_header(docker_importer *im)
{
    const char *slash = strrchr(im->origin, '/');
    char shown[100];
    fprintf(im->out,
            "# Docker seccomp profile %s, imported by cordon policy import.\n"
            "#\n"
            "# A cordon task runs without capabilities: entries that includes.caps\n"
            "# gives a capability are left out, entries that excludes.caps names are\n"
            "# kept. minKernel was checked against this kernel (%u.%u); arches against\n"
            "# x86_64.\n",
            cordon__json_shown(slash ? slash + 1 : im->origin, shown, sizeof shown), im->kernel[0],
            im->kernel[1]);
}

static int import_profile(docker_importer *im)
{
    static const char *const known[] = { "defaultAction", "defaultErrnoRet", "architectures",
                                         "archMap", "syscalls", "flags", "listenerPath",
                                         "listenerMetadata", NULL };
    const json_value *root = im->root;
    if (cordon__docker_want(im, root, JSON_OBJECT, "the profile") < 0)
        return -EINVAL;
    kernel_version(im);
    write_header(im);
    cordon__docker_unknown_members(im, root, "the profile", known);
    const json_value *flags = cordon__json_member(root, "flags");
    if (flags && !(flags->kind == JSON_ARRAY && flags->count == 0))
        cordon__docker_note(im, flags, "flags",
                            "filter flags are not applied (cordon sets its own)");
    int rc = import_arches(im, root);
    if (rc == 0)
        rc = import_default(im, root);
    const json_value *syscalls = cordon__json_member(root, "syscalls");
    if (rc < 0 || !syscalls || syscalls->kind == JSON_NULL)
        return rc;
    if (cordon__docker_want(im, syscalls, JSON_ARRAY, "syscalls") < 0)
        return -EINVAL;
    for (size_t i = 0; i < syscalls->count && rc == 0; i++)
        rc = cordon__docker_import_entry(im, &syscalls->items[i], i);
    return rc;
}

int cordon__docker_import(const char *text, size_t len, const char *origin, FILE *out,
                          FILE *notes, cordon_error *err)
{
    json_value *root = cordon__json_parse(text, len, origin, err);
    if (!root)
        return err ? err->code : -EINVAL;
    char *policy = NULL;
    size_t policy_len = 0;
    docker_importer im = { .origin = origin, .notes = notes, .err = err, .root = root };
    /* The policy is kept until the whole profile is read: on failure
     * nothing half-written reaches `out`. */
    im.out = open_memstream(&policy, &policy_len);
    int rc = im.out ? import_profile(&im) : -ENOMEM;
    if (im.out && fclose(im.out) != 0 && rc == 0)
        rc = -ENOMEM;
    if (rc == -ENOMEM)
        cordon__error_set(err, rc, origin, 0, 0, "out of memory");
    if (rc == 0 && out && fwrite(policy, 1, policy_len, out) != policy_len)
        cordon__error_set(err, rc = -EIO, origin, 0, 0, "cannot write the policy");
    free(policy);
    cordon__json_free(root);
    return rc;
}
