/*
 * A pipe handed to a task (its stdin given with cordon_set_stdin_fd, an
 * inherited stdout or stderr): the task holds a description of its own,
 * but a pipe's capacity is the pipe's, and F_SETPIPE_SZ asks for no
 * privilege.  A task left the caller's stdin pipe at 4,096 bytes (it was
 * 65,536), and the writer feeding it, the caller's or another program's,
 * then waited at every 4 KiB.  The capacity is saved when the first
 * attempt given the pipe starts and put back when the last one given it
 * ends: tasks running at once on one pipe share one saving (a second one,
 * started while the first had shrunk it, had saved the shrunk size and
 * put it back last).  It is put back on a copy of the caller's fd taken
 * then (the caller may have closed or reused its fd by the end).  A
 * capacity the kernel will not give back (above fs.pipe-max-size for the
 * caller's user, or the pipe holding more than the task's) stays as the
 * task left it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/fork_reset.h"

typedef struct saved_pipe {
    dev_t dev;
    ino_t ino;
    int fd;                     /* a copy of a caller's fd to it */
    int size;                   /* its capacity before the first attempt */
    unsigned attempts;          /* running with it */
} saved_pipe;

static struct {
    pthread_mutex_t lock;
    pid_t owner;                /* 0 in a forked copy: the table is the parent's */
    saved_pipe *pipes;
    size_t count, room;
} saved = { .lock = PTHREAD_MUTEX_INITIALIZER };
CORDON__RESET_IN_FORKED_COPIES(&saved.lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&saved.owner);

/* The table of this process, taken over from a parent's if it is a copy
 * (whose fds it holds too, close-on-exec). */
static void own_the_table(void)
{
    pid_t self = getpid();
    if (saved.owner == self)
        return;
    saved.owner = self;
    saved.pipes = NULL; /* the parent's allocation: left to it */
    saved.count = saved.room = 0;
}

static saved_pipe *find(dev_t dev, ino_t ino)
{
    for (size_t i = 0; i < saved.count; i++)
        if (saved.pipes[i].dev == dev && saved.pipes[i].ino == ino)
            return &saved.pipes[i];
    return NULL;
}

static saved_pipe *add(dev_t dev, ino_t ino, int fd, int size)
{
    if (saved.count == saved.room) {
        size_t room = saved.room ? 2 * saved.room : 4;
        saved_pipe *grown = realloc(saved.pipes, room * sizeof *grown);
        if (!grown)
            return NULL;
        saved.pipes = grown;
        saved.room = room;
    }
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0)
        return NULL;
    saved.pipes[saved.count] = (saved_pipe){ dev, ino, copy, size, 0 };
    return &saved.pipes[saved.count++];
}

void cordon__pipe_capacity_save(int fd, cordon__pipe_capacity *mine)
{
    mine->held = false;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        return;
    pthread_mutex_lock(&saved.lock);
    own_the_table();
    saved_pipe *p = find(st.st_dev, st.st_ino);
    /* Read under the lock: read before it, a size another attempt's task
     * had shrunk could be saved as the pipe's just after that attempt put
     * the pipe back and left the table. */
    int size = p ? 0 : fcntl(fd, F_GETPIPE_SZ);
    if (!p && size > 0)
        p = add(st.st_dev, st.st_ino, fd, size);
    if (p) {
        p->attempts++;
        mine->held = true;
        mine->dev = st.st_dev;
        mine->ino = st.st_ino;
    }
    pthread_mutex_unlock(&saved.lock);
}

void cordon__pipe_capacity_restore(cordon__pipe_capacity *mine)
{
    if (!mine->held)
        return;
    mine->held = false;
    pthread_mutex_lock(&saved.lock);
    own_the_table();
    saved_pipe *p = find(mine->dev, mine->ino);
    if (p && --p->attempts == 0) {
        if (fcntl(p->fd, F_GETPIPE_SZ) != p->size)
            (void)fcntl(p->fd, F_SETPIPE_SZ, p->size);
        close(p->fd);
        *p = saved.pipes[--saved.count];
    }
    pthread_mutex_unlock(&saved.lock);
}
