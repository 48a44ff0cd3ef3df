/*
 * A digest of a mount table: of each mount in /proc/PID/mountinfo, its
 * file system (major:minor), its mount point and its type, the fields
 * the covers of a task's view are planned from (kernel_mounts.c).  The
 * mount's own numbers, its options and its propagation are left out:
 * they differ between the caller's table and the view's copy of it.
 *
 * The parent reads the caller's table once for the plan; the child that
 * makes the task's mount namespace reads its copy, once its propagation
 * is cut (nothing comes in after), and the parent compares the two: the
 * same digest says the covers fit the view, whatever the table did in
 * between (mounted and unmounted again, or a directory above a mount
 * renamed, which the table's POLLPRI does not report).
 *
 * The copy lists the mounts in another order than the caller's table
 * (the kernel walks the tree it copied), so the digest is one of the set
 * of lines: a sum of each line's hash.  That hash is keyed with a number
 * drawn once per process, so that no one who mounts in the caller's view
 * can make a table whose digest is another's.
 *
 * Fed in pieces of any length (the child reads into a small buffer):
 * the state between them is a few fields.  The child's part takes raw
 * system calls and no memory of its own, for the time after the fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "confine.h"

#define FNV_OFFSET 14695981039346656037ull
#define FNV_PRIME 1099511628211ull

/* Fields of a line: ID PARENT MAJOR:MINOR ROOT POINT OPTIONS [TAGS] - TYPE ... */
#define DEVICE_FIELD 2
#define POINT_FIELD 4
#define FIRST_TAG_FIELD 6

static uint64_t key;
static pthread_once_t key_drawn = PTHREAD_ONCE_INIT;

static void draw_key(void)
{
    if (getrandom(&key, sizeof key, GRND_NONBLOCK) != (ssize_t)sizeof key) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        key = (uint64_t)now.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
    }
}

/* The child's: the key is its copy's of the parent's, drawn by then. */
static void start(cordon__mount_table_digest *digest)
{
    *digest = (cordon__mount_table_digest){ .line = FNV_OFFSET ^ key };
}

void cordon__mount_table_digest_start(cordon__mount_table_digest *digest)
{
    pthread_once(&key_drawn, draw_key);
    start(digest);
}

static void mix(cordon__mount_table_digest *digest, char byte)
{
    digest->line = (digest->line ^ (unsigned char)byte) * FNV_PRIME;
}

/* A line's hash, spread over all 64 bits before it is added (splitmix64's
 * finish): FNV's low bits alone are weak. */
static void end_line(cordon__mount_table_digest *digest)
{
    uint64_t h = digest->line;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    digest->sum += h ^ (h >> 31);
    digest->line = FNV_OFFSET ^ key;
    digest->field = 0;
    digest->separator_field = 0;
}

static bool field_kept(const cordon__mount_table_digest *digest)
{
    return digest->field == DEVICE_FIELD || digest->field == POINT_FIELD ||
           (digest->separator_field && digest->field == digest->separator_field + 1);
}

/* A field ends: the separator "-" is the first field of that one byte
 * after the options (a path has its spaces escaped, so no field of one
 * is a "-" but the separator). */
static void end_field(cordon__mount_table_digest *digest)
{
    if (field_kept(digest))
        mix(digest, ' ');
    if (!digest->separator_field && digest->field >= FIRST_TAG_FIELD &&
        digest->field_length == 1 && digest->field_first == '-')
        digest->separator_field = digest->field;
    digest->field++;
    digest->field_length = 0;
}

void cordon__mount_table_digest_add(cordon__mount_table_digest *digest, const char *bytes,
                                    size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char byte = bytes[i];
        if (byte == '\n') {
            end_field(digest);
            end_line(digest);
        } else if (byte == ' ') {
            end_field(digest);
        } else {
            if (!digest->field_length++)
                digest->field_first = byte;
            if (field_kept(digest))
                mix(digest, byte);
        }
    }
}

uint64_t cordon__mount_table_digest_end(const cordon__mount_table_digest *digest)
{
    /* 0 is kept for "none": no table matches it. */
    return digest->sum ? digest->sum : 1;
}

int cordon__own_mount_table_read(bool (*take)(const char *piece, size_t count, void *arg),
                                 void *arg)
{
    int fd;
    do
        fd = open("/proc/thread-self/mountinfo", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    char piece[2048];
    ssize_t n;
    int rc = 0;
    while ((n = read(fd, piece, sizeof piece)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (!take(piece, (size_t)n, arg))
            break;
    }
    close(fd);
    return rc;
}

static bool add_piece(const char *piece, size_t count, void *digest)
{
    cordon__mount_table_digest_add(digest, piece, count);
    return true;
}

int cordon__own_mount_table_digest(uint64_t *out)
{
    cordon__mount_table_digest digest;
    start(&digest);
    int rc = cordon__own_mount_table_read(add_piece, &digest);
    if (rc == 0)
        *out = cordon__mount_table_digest_end(&digest);
    return rc;
}
