/*
 * The walk over a process's own mappings, for the child-side sweeps that
 * act on them (shared_memory.c, memory_give_back.c).
 *
 * Child side, so async-signal-safe: nothing is allocated.  The kernel is
 * asked with PROCMAP_QUERY (Linux 6.11), which can skip the mappings a
 * sweep does not want without formatting a line of text: half the cost
 * of reading the listing, which a fresh process pays for every task.
 * Where the query is missing, /proc/self/maps is read with raw read(2)
 * into a stack buffer and parsed as it streams.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "confine.h"

/* A name in brackets that the kernel gives its own mappings ([vdso],
 * [vvar], [vsyscall], ...), as against the process's memory ([heap],
 * [stack], a name given with PR_SET_VMA_ANON_NAME). */
static bool special_name(const char *name)
{
    return name[0] == '[' && strncmp(name, "[heap]", 6) != 0 &&
           strncmp(name, "[stack]", 7) != 0 && strncmp(name, "[anon:", 6) != 0;
}

/* What a mapping's name (NUL-terminated; "" for none) says of it. */
static void read_name(cordon__mapping *m, const char *name)
{
    m->special = special_name(name);
    m->heap = strncmp(name, "[heap]", 6) == 0;
}

/* The parser's state across read chunks: a line is
 * "start-end perms offset dev inode   name". */
typedef struct maps_parser {
    int field;              /* 0 start, 1 end, 2 perms, 3 offset, 4 dev, 5 inode, 6 name */
    int perms_seen;
    size_t name_len;
    char name[8];           /* its start: enough for special_name */
    cordon__mapping m;
} maps_parser;

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static void end_line(maps_parser *p, bool only_shared, cordon__mapping_visit *visit,
                     void *context)
{
    if (p->field >= 3 && (p->m.shared || !only_shared)) {
        p->name[p->name_len < sizeof p->name ? p->name_len : sizeof p->name - 1] = '\0';
        read_name(&p->m, p->name);
        visit(&p->m, context);
    }
    memset(p, 0, sizeof *p);
}

static void parse_field(maps_parser *p, char c)
{
    int digit;
    switch (p->field) {
    case 0:
    case 1:
        if ((digit = hex_value(c)) >= 0) {
            uintptr_t *value = p->field == 0 ? &p->m.start : &p->m.end;
            *value = (*value << 4) | (uintptr_t)digit;
        } else {
            p->field++; /* '-' after start, ' ' after end */
        }
        break;
    case 2:
        if (c == ' ')
            p->field = 3;
        else if (p->perms_seen++ == 3)
            p->m.shared = c == 's';
        break;
    case 3:
    case 4:
    case 5:
        if (c == ' ')
            p->field++;
        else if (p->field > 3 && c != '0' && c != ':') /* a device or inode not 0 */
            p->m.file = true;
        break;
    default:
        if ((c != ' ' || p->name_len > 0) && p->name_len < sizeof p->name)
            p->name[p->name_len++] = c;
        break;
    }
}

/* The text listing, parsed as it streams. */
static int parse_listing(int fd, bool only_shared, cordon__mapping_visit *visit, void *context)
{
    maps_parser parser;
    memset(&parser, 0, sizeof parser);
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (chunk[i] == '\n')
                end_line(&parser, only_shared, visit, context);
            else
                parse_field(&parser, chunk[i]);
        }
    }
    end_line(&parser, only_shared, visit, context);
    return 0;
}

/* linux/fs.h's PROCMAP_QUERY, which older headers lack: the ioctl's number
 * encodes this layout's size, so a kernel without it answers ENOTTY. */
struct procmap_query {
    uint64_t size, query_flags, query_addr;
    uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
    uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
    uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY_SHARED_VMA  0x08 /* VM_MAYSHARE: the listing's 's' */
#define PROCMAP_QUERY_OR_NEXT_VMA 0x10
#define PROCMAP_QUERY_REQUEST     _IOWR('f', 17, struct procmap_query)

/* The mappings from the kernel, one query each; -ENOTTY (or -EINVAL)
 * before the first answer where the kernel has no such query.  Names
 * only where the sweep wants every mapping: a shared one is never the
 * kernel's own. */
static int query_mappings(int fd, bool only_shared, cordon__mapping_visit *visit, void *context,
                          bool *answered)
{
    char name[4096]; /* a path, as d_path makes it, fits */
    uint64_t from = 0;
    for (;;) {
        struct procmap_query q = {
            .size = sizeof q, .query_addr = from,
            .query_flags = PROCMAP_QUERY_OR_NEXT_VMA | (only_shared ? PROCMAP_QUERY_SHARED_VMA : 0),
            .vma_name_size = only_shared ? 0 : sizeof name,
            .vma_name_addr = only_shared ? 0 : (uint64_t)(uintptr_t)name,
        };
        if (ioctl(fd, PROCMAP_QUERY_REQUEST, &q) != 0) {
            if (errno == EINTR)
                continue;
            return errno == ENOENT ? 0 : -errno; /* ENOENT: none above `from` */
        }
        /* Never so from a kernel that knows the query: failing beats a
         * walk that loops or skips a mapping. */
        if ((only_shared && !(q.vma_flags & PROCMAP_QUERY_SHARED_VMA)) || q.vma_end <= from)
            return -EIO;
        *answered = true;
        cordon__mapping m = {
            .start = (uintptr_t)q.vma_start, .end = (uintptr_t)q.vma_end,
            .shared = (q.vma_flags & PROCMAP_QUERY_SHARED_VMA) != 0,
            .file = q.inode != 0 || q.dev_major != 0 || q.dev_minor != 0,
        };
        read_name(&m, q.vma_name_size > 0 ? name : "");
        visit(&m, context);
        from = q.vma_end;
    }
}

bool cordon__range_kept(const cordon__mapping *m, const cordon__address_range *keep, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (m->start < keep[i].end && keep[i].start < m->end)
            return true;
    }
    return false;
}

int cordon__walk_mappings(int maps_fd, bool only_shared, cordon__mapping_visit *visit,
                          void *context)
{
    bool answered = false;
    /* valgrind would take the names the query writes for undefined */
    int rc = -ENOTTY;
    if (!cordon__under_valgrind())
        rc = query_mappings(maps_fd, only_shared, visit, context, &answered);
    if ((rc == -ENOTTY || rc == -EINVAL) && !answered)
        rc = parse_listing(maps_fd, only_shared, visit, context);
    return rc;
}
