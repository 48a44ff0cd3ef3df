/* A program for cordon learn's tests: four threads each sum a share of a
 * file's bytes; the main thread prints the total.  Given "socket" it then
 * opens an internet socket too (the one thing more a learned policy must
 * stop); given "child" it forks a child that execs /bin/true. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4

static unsigned char data[1 << 16];
static size_t length;
static unsigned long sums[THREADS];

static void *sum_share(void *arg)
{
    size_t k = (size_t)arg;
    for (size_t i = k; i < length; i += THREADS)
        sums[k] += data[i];
    return NULL;
}

int main(int argc, char **argv)
{
    FILE *f = fopen(argc > 1 ? argv[1] : "/etc/passwd", "r");
    if (!f)
        return 2;
    length = fread(data, 1, sizeof data, f);
    fclose(f);
    pthread_t threads[THREADS];
    for (size_t k = 0; k < THREADS; k++)
        if (pthread_create(&threads[k], NULL, sum_share, (void *)k) != 0)
            return 3;
    unsigned long total = 0;
    for (size_t k = 0; k < THREADS; k++) {
        pthread_join(threads[k], NULL);
        total += sums[k];
    }
    printf("%zu bytes, sum %lu\n", length, total);
    fflush(stdout);
    const char *more = argc > 2 ? argv[2] : "";
    if (strcmp(more, "socket") == 0)
        return socket(AF_INET, SOCK_STREAM, 0) < 0 ? 4 : 0;
    if (strcmp(more, "child") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        int status;
        return pid > 0 && waitpid(pid, &status, 0) == pid && status == 0 ? 0 : 5;
    }
    return 0;
}
