/* A hostile submission: ignores its input, then tries to read the
 * judge's files, reach the network, leave a process behind and kill its
 * parent, and reports on stderr what it got. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void attempt(const char *what, int ok)
{
    fprintf(stderr, "  %-38s %s\n", what, ok ? "SUCCEEDED" : "refused");
}

int main(void)
{
    attempt("read /etc/hostname", open("/etc/hostname", O_RDONLY) >= 0);
    attempt("read the judge's source (examples/)", open("examples/judge.c", O_RDONLY) >= 0);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in dns = { .sin_family = AF_INET, .sin_port = htons(53) };
    inet_pton(AF_INET, "1.1.1.1", &dns.sin_addr);
    attempt("connect to 1.1.1.1:53", s >= 0 && connect(s, (struct sockaddr *)&dns, sizeof dns) == 0);
    attempt("kill its parent", getppid() > 1 && kill(getppid(), SIGKILL) == 0);
    pid_t daemon = fork();
    if (daemon == 0) {
        setsid();
        sleep(3600); /* outlive the judge? its init kills it with the task */
        _exit(0);
    }
    attempt("fork a daemon (it dies with the task)", daemon > 0);
    printf("42\n"); /* and a guess at the answer */
    return 0;
}
