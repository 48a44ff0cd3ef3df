/*
 * Replays fuzz corpora without libFuzzer, so that `make test` checks every
 * kept input with gcc alone, plain and under ASan+UBSan: main feeds each
 * file of the directories given to LLVMFuzzerTestOneInput, once.  Each
 * input's name goes to stderr before it runs, so that the last one named
 * is the one that failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_file(const char *path, uint8_t **data, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    int rc = buf ? 0 : -ENOMEM;
    while (rc == 0) {
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                rc = -ENOMEM;
                break;
            }
            buf = bigger;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = -errno;
        else if (n == 0)
            break;
        else
            len += (size_t)n;
    }
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *data = buf;
    *size = len;
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_input(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* The number of inputs replayed, or -1 when the directory is unreadable. */
static int replay_directory(const char *dir)
{
    struct dirent **names;
    int count = scandir(dir, &names, is_input, by_name);
    if (count < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int replayed = 0;
    for (int i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        uint8_t *data = NULL;
        size_t size = 0;
        int rc = read_file(path, &data, &size);
        if (rc < 0) {
            fprintf(stderr, "replay: %s: %s\n", path, strerror(-rc));
            replayed = -1;
        } else {
            fprintf(stderr, "== %s\n", path);
            LLVMFuzzerTestOneInput(data, size);
            free(data);
            if (replayed >= 0)
                replayed++;
        }
        free(names[i]);
    }
    free(names);
    return replayed;
}

int main(int argc, char **argv)
{
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int n = replay_directory(argv[i]);
        if (n < 0)
            status = 1;
        else
            fprintf(stderr, "%s: %d inputs replayed\n", argv[i], n);
    }
    return status;
}
