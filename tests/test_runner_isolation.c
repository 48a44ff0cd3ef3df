/* cordon run's isolation options: their messages, and what they give a
 * command (file rules, no network, a private /tmp, the presets). */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "runner_support.h"

static void test_runner_isolation_bad_values_name_the_option(void **state)
{
    (void)state;
    expect_run_option_error("--net", "bogus", "cordon: --net: 'bogus' is neither 'none' nor 'host'\n");
    expect_run_option_error("--isolate", "nope", "cordon: --isolate: unknown preset 'nope' "
                                      "(judge, isolated)\n");
    expect_run_option_error("--ro", "/no/such/path", "cordon: --ro: '/no/such/path': No such file or "
                                          "directory\n");
    expect_run_option_error("--rw", "/no/such/path", "cordon: --rw: '/no/such/path': No such file or "
                                          "directory\n");
    expect_run_option_error("--exec", "/no/such/path", "cordon: --exec: '/no/such/path': No such file or "
                                            "directory\n");
    expect_run_option_error("--tmpfs", "tmp", "cordon: --tmpfs: 'tmp' is not an absolute path\n");
    expect_run_option_error("--tmpfs", "/etc/passwd", "cordon: --tmpfs: '/etc/passwd' is not a "
                                           "directory\n");
    /* It said only "Invalid argument". */
    expect_run_option_error("--tmpfs", "/", "cordon: --tmpfs /: is the root, which a tmpfs "
                                            "cannot be mounted over (the task's root stays the "
                                            "caller's); give directories beneath it, or file "
                                            "rules (--ro, --rw) for a view of the root that "
                                            "hides the rest\n");
}

static bool landlock_available(void)
{
    return syscall(SYS_landlock_create_ruleset, NULL, 0, 1u) >= 1;
}

/* A scratch directory under the preset's private /tmp would be hidden. */
static void test_runner_isolation_scratch_under_private_tmp_is_refused(void **state)
{
    (void)state;
    if (!landlock_available()) {
        print_message("no Landlock here\n");
        skip();
    }
    char *dir = make_temp_dir();
    captured c = CORDON("run", "--isolate", "judge", "--rw", dir, "--", "true");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "beneath a tmpfs of the task's own"));
    captured_free(&c);
    remove_tree(dir);
}

static void test_runner_isolation_judge_runs_a_command(void **state)
{
    (void)state;
    if (!landlock_available()) {
        print_message("no Landlock here\n");
        skip();
    }
    char dir[] = "/var/tmp/cordon-runner-judge-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0777), 0);
    captured c = CORDON("run", "--json", "--quiet", "--isolate", "judge", "--rw", dir, "--cwd",
                        dir, "--shell", "echo made > out && cat out && ls /home || true");
    if (c.status == 125 && strstr(c.out, "ConfinementError")) {
        print_message("no namespaces here: the preset fails closed\n");
        captured_free(&c);
        rmdir(dir);
        skip();
    }
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "assert d['std_out'] == 'made\\n' and 'Permission denied' in "
                                  "d['std_err'] and {'file_rules', 'network_namespace', "
                                  "'private_tmpfs'} <= set(d['confinement'])"),
                     0);
    captured_free(&c);
    char out[128];
    snprintf(out, sizeof out, "%s/out", dir);
    unlink(out);
    rmdir(dir);
}

static void test_runner_isolation_bad_binds_and_names(void **state)
{
    (void)state;
    captured c = CORDON("run", "--bind", "/no/such/dir", "/tmp", "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --bind /no/such/dir /tmp: '/no/such/dir': No such file "
                               "or directory\n");
    captured_free(&c);
    c = CORDON("run", "--ro-bind", "/usr", "usr", "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --ro-bind /usr usr: 'usr' is not an absolute path\n");
    captured_free(&c);
    c = CORDON("run", "--ro-bind", "/etc/passwd", "/tmp", "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --ro-bind /etc/passwd /tmp: one is a directory and the "
                               "other is not\n");
    captured_free(&c);
    c = CORDON("run", "--ro-bind", "/usr");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --ro-bind needs two values, SRC DST (see 'cordon run "
                               "--help')\n");
    captured_free(&c);
    /* "--" ends the options, and is no value: it was taken for DST ("'--'
     * is not an absolute path") */
    c = CORDON("run", "--bind", "/tmp", "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --bind needs two values, SRC DST (see 'cordon run "
                               "--help')\n");
    captured_free(&c);
    /* A target in a minimal /dev was refused only as the task started,
     * as "cannot run the task: Invalid cross-device link". */
    c = CORDON("run", "--dev", "minimal", "--bind", "/tmp", "/dev/shm", "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --bind /tmp /dev/shm: the target lies in the task's own "
                               "/dev (--dev minimal, or --isolate's), which has nothing to bind "
                               "over; bind elsewhere, or give --dev host\n");
    captured_free(&c);
    c = CORDON("run", "--isolate", "judge", "--ro-bind", "/tmp", "/dev/shm", "--", "true");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "cordon: --ro-bind /tmp /dev/shm: the target lies in the "
                                  "task's own /dev"));
    captured_free(&c);
    expect_run_option_error("--dev", "none", "cordon: --dev: 'none' is neither 'minimal' nor 'host'\n");
    expect_run_option_error("--hostname", "a b", "cordon: --hostname: 'a b' is not a host name (letters, "
                                      "digits, '-' and '.', at most 64)\n");
}

/* The namespaces as options; the task runs as nobody (root's default
 * for the CLI), so its directories are open to all. */
static void test_runner_isolation_bind_dev_hostname(void **state)
{
    (void)state;
    char *source = make_temp_dir(), *target = make_temp_dir(), path[128];
    snprintf(path, sizeof path, "%s/given", source);
    write_file(path, "given\n");
    char command[512];
    snprintf(command, sizeof command,
             "cat %s/given; echo x > %s/new || echo refused; hostname; ls /dev | wc -l", target,
             target);
    captured c = CORDON("run", "--json", "--quiet", "--ro-bind", source, target, "--dev",
                        "minimal", "--hostname", "box", "--cgroup-ns", "--shell", command);
    if (c.status == 125 && strstr(c.out, "ConfinementError")) {
        print_message("no namespaces here: the options fail closed\n");
        captured_free(&c);
        remove_tree(source);
        remove_tree(target);
        skip();
    }
    expect_status(&c, 0);
    char check[1024];
    snprintf(check, sizeof check,
             "assert d['std_out'] == 'given\\nrefused\\nbox\\n13\\n', d['std_out']\n"
             "assert {'bind_mounts', 'minimal_dev', 'uts_namespace', 'cgroup_namespace'} <= "
             "set(d['confinement']), d['confinement']\n"
             "c = d['confinement_details']\n"
             "assert c['binds'] == [{'source': '%s', 'target': '%s', 'read_only': True}], c\n"
             "assert c['hostname'] == 'box' and c['filter'] == 'default', c\n"
             "assert isinstance(c['uid'], int) and isinstance(c['file_rules'], list), c",
             source, target);
    assert_int_equal(python_check(c.out, c.out_len, check), 0);
    captured_free(&c);
    remove_tree(source);
    remove_tree(target);
}

/* An option after a preset changes it, --net host too: it was ignored,
 * and the task had no network, without a word. */
static void test_runner_isolation_net_host_gives_back_a_preset_s_network(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--quiet", "--isolate", "isolated", "--net", "host",
                        "--", "true");
    if (c.status == 125 && strstr(c.out, "ConfinementError")) {
        print_message("no namespaces here: the options fail closed\n");
        captured_free(&c);
        skip();
    }
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "assert 'network_namespace' not in d['confinement'], d\n"
                                  "assert 'private_tmpfs' in d['confinement'], d"),
                     0);
    captured_free(&c);
    c = CORDON("run", "--json", "--quiet", "--isolate", "isolated", "--", "true");
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "assert 'network_namespace' in d['confinement'], d"),
                     0);
    captured_free(&c);
}

/* The audit line carries the rules as granted. */
static void test_runner_isolation_audit_carries_the_rules(void **state)
{
    (void)state;
    if (!landlock_available()) {
        print_message("no Landlock here\n");
        skip();
    }
    char *dir = make_temp_dir(), audit[128];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    captured c = CORDON("run", "--quiet", "--audit", audit, "--ro", "/etc/hostname", "--",
                        "true");
    expect_status(&c, 0);
    captured_free(&c);
    FILE *f = fopen(audit, "r");
    assert_non_null(f);
    char line[16384];
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    assert_int_equal(python_check(line, n,
                                  "c = d['confinement_details']\n"
                                  "assert c['landlock_abi'] >= 1, c\n"
                                  "rules = {r['path']: r['access'] for r in c['file_rules']}\n"
                                  "assert rules['/etc/hostname'] == 'r', rules\n"
                                  "assert rules['/usr'] == 'rx', rules\n"
                                  "assert 'file_rules' in d['confinement']"),
                     0);
    remove_tree(dir);
}

/* Each job of a batch is given the options' paths again: by name they led
 * wherever an earlier job had moved them.  Job 1, which may write the
 * granted directory, replaces the granted subdirectory by a link to a
 * directory of the caller's; job 2 was granted that one, and wrote in it.
 * The paths are pinned when cordon starts. */
static void test_runner_isolation_a_job_cannot_redirect_the_next_job_s_grant(void **state)
{
    (void)state;
    if (!landlock_available()) {
        print_message("no Landlock here\n");
        skip();
    }
    char dir[] = "/var/tmp/cordon-runner-grant-XXXXXX", victim[] = "/var/tmp/cordon-victim-XXXXXX";
    char out[128], important[128], jobs[128], text[512];
    assert_non_null(mkdtemp(dir));
    assert_non_null(mkdtemp(victim));
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(chmod(victim, 0777), 0);
    snprintf(out, sizeof out, "%s/out", dir);
    assert_int_equal(mkdir(out, 0777), 0);
    assert_int_equal(chmod(out, 0777), 0);
    snprintf(important, sizeof important, "%s/important", victim);
    write_file(important, "the caller's\n");
    assert_int_equal(chmod(important, 0666), 0);
    snprintf(jobs, sizeof jobs, "%s.jobs", dir);
    snprintf(text, sizeof text, "rm -rf %s && ln -s %s %s\necho job two > %s/important\n", out,
             victim, out, out);
    write_file(jobs, text);
    captured c = CORDON("batch", "--quiet", "-j", "1", "--rw", dir, "--rw", out, jobs);
    captured_free(&c);
    FILE *f = fopen(important, "r");
    char seen[64] = "";
    assert_non_null(f);
    assert_non_null(fgets(seen, sizeof seen, f));
    fclose(f);
    unlink(jobs);
    remove_tree(strdup(dir));
    remove_tree(strdup(victim));
    assert_string_equal(seen, "the caller's\n");
}

/* A batch job that renames a parent of the next job's --ro-bind target
 * (or --tmpfs directory) and leaves a link to a decoy at its name: the
 * next job's mount goes over the directory itself, at its new name, not
 * the decoy (each job named the target again, and the real directory
 * was written). */
static void test_runner_isolation_a_job_cannot_move_the_next_job_s_mount_point(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    assert_int_equal(chmod(dir, 0777), 0);
    for (int tmpfs = 0; tmpfs < 2; tmpfs++) {
        char cmd[1600], jobs[300], dst[300], file[320], src[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s/bt %s/decoy %s/src; mkdir -p %s/bt/p/dst %s/decoy/dst "
                 "%s/src && echo real > %s/bt/p/dst/real && chmod -R 777 %s/bt %s/decoy", dir, dir,
                 dir, dir, dir, dir, dir, dir, dir);
        assert_int_equal(system(cmd), 0);
        snprintf(jobs, sizeof jobs, "%s/jobs", dir);
        snprintf(cmd, sizeof cmd, "mv %s/bt/p %s/bt/p2 && ln -s %s/decoy %s/bt/p\n"
                 "cat %s/bt/p2/dst/real; echo written > %s/bt/p2/dst/real && echo wrote\n",
                 dir, dir, dir, dir, dir, dir);
        write_file(jobs, cmd);
        snprintf(dst, sizeof dst, "%s/bt/p/dst", dir);
        snprintf(src, sizeof src, "%s/src", dir);
        snprintf(file, sizeof file, "%s/bt", dir);
        captured c = tmpfs ? CORDON("batch", "-j", "1", "--rw", file, "--tmpfs", dst, jobs)
                           : CORDON("batch", "-j", "1", "--rw", file, "--ro-bind", src, dst, jobs);
        /* Under the tmpfs the directory is empty and the task's own. */
        assert_null(strstr(c.out, "[2] real"));
        if (!tmpfs)
            assert_null(strstr(c.out, "[2] wrote"));
        captured_free(&c);
        snprintf(file, sizeof file, "%s/bt/p2/dst/real", dir);
        FILE *f = fopen(file, "r");
        assert_non_null(f);
        char text[32] = "";
        assert_non_null(fgets(text, sizeof text, f));
        fclose(f);
        assert_string_equal(text, "real\n");
    }
    remove_tree(dir);
}

/* The working directory likewise: a job that could write beside --cwd
 * moved it away and left a link to another directory, and the next job
 * started there.  It is refused, saying why; the first job's own run is
 * unchanged. */
static void test_runner_isolation_a_job_cannot_move_the_next_job_s_working_directory(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char cmd[1200], jobs[300], cwd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/w/build %s/other && chmod -R 777 %s/w %s/other",
             dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    snprintf(cmd, sizeof cmd, "cd %s/w && mv build old && ln -s %s/other build && echo moved\n"
             "pwd -P\n", dir, dir);
    write_file(jobs, cmd);
    snprintf(cwd, sizeof cwd, "%s/w/build", dir);
    captured c = CORDON("batch", "-j", "1", "--cwd", cwd, jobs);
    expect_status(&c, 1);
    assert_string_equal(c.out, "[1] moved\n");
    char message[600];
    snprintf(message, sizeof message, "cordon: --cwd: '%s' leads elsewhere than when cordon "
             "started (moved or replaced since, by an earlier task?): not followed\n", cwd);
    assert_non_null(strstr(c.err, message));
    captured_free(&c);
    /* Removed by the first job: said to be gone, not to lead elsewhere. */
    snprintf(cwd, sizeof cwd, "%s/w/gone", dir);
    snprintf(cmd, sizeof cmd, "mkdir %s && chmod 777 %s", cwd, cwd);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rmdir %s && echo removed\npwd -P\n", cwd);
    write_file(jobs, cmd);
    c = CORDON("batch", "-j", "1", "--cwd", cwd, jobs);
    expect_status(&c, 1);
    assert_string_equal(c.out, "[1] removed\n");
    snprintf(message, sizeof message, "cordon: --cwd: '%s' cannot be found since cordon started "
             "(removed, by an earlier task?): No such file or directory\n", cwd);
    assert_non_null(strstr(c.err, message));
    captured_free(&c);
    remove_tree(dir);
}

/* A --rw (or --ro) path that is also a --tmpfs directory grants the
 * tmpfs: the rule named the directory the tmpfs hides, by the fd the CLI
 * pinned, and the task could not write its own tmpfs (EACCES), though
 * --help says "give it --rw DIR to use it". */
static void test_runner_isolation_rw_on_a_tmpfs_grants_the_tmpfs(void **state)
{
    (void)state;
    if (!landlock_available()) {
        print_message("no Landlock here\n");
        skip();
    }
    char *dir = make_temp_dir();
    char script[600], slashed[300];
    snprintf(script, sizeof script, "ls %s; echo made > %s/x && cat %s/x", dir, dir, dir);
    snprintf(slashed, sizeof slashed, "%s/", dir);
    char hidden[320];
    snprintf(hidden, sizeof hidden, "%s/hidden", dir);
    write_file(hidden, "the caller's\n");
    for (int order = 0; order < 2; order++) {
        captured c = order ? CORDON("run", "--rw", slashed, "--tmpfs", dir, "--shell", script)
                           : CORDON("run", "--tmpfs", dir, "--rw", dir, "--shell", script);
        if (c.status == 125 && strstr(c.err, "namespace")) {
            print_message("no mount namespace here\n");
            captured_free(&c);
            break;
        }
        expect_status(&c, 0);
        assert_string_equal(c.out, "made\n");
        captured_free(&c);
        /* Read-only: the tmpfs is seen, empty, and not written. */
        c = CORDON("run", "--ro", dir, "--tmpfs", dir, "--shell", script);
        assert_int_not_equal(c.status, 0);
        assert_non_null(strstr(c.err, "Permission denied"));
        captured_free(&c);
    }
    char path[320];
    snprintf(path, sizeof path, "%s/x", dir);
    assert_int_equal(access(path, F_OK), -1);
    remove_tree(dir);
}

/* `dir`/`name` exists? */
static bool made(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* A refusal of options no task could take: 125, the one message once,
 * as the whole of stderr (no batch summary), nothing made. */
static void expect_refused_once(captured *c, const char *message, const char *dir,
                                const char *audit, const char *out_dir)
{
    expect_status(c, 125);
    assert_string_equal(c->err, message);
    assert_false(made(dir, audit));
    if (out_dir)
        assert_false(made(dir, out_dir));
    captured_free(c);
}

/* Mounts that would hide each other were found only as each task was
 * built, after the audit file and the out-dir were made: a run refused
 * left an empty audit file, and a batch said the same for every line,
 * its summary "cordon error", and ended 1 (not 125, as cordon's own
 * errors do). */
static void test_runner_isolation_hidden_mounts_are_refused_before_any_file(void **state)
{
    (void)state;
    if (!landlock_available()) {
        print_message("no Landlock here\n");
        skip();
    }
    char *dir = make_temp_dir(); /* beneath /tmp, which judge's tmpfs hides */
    char job[300], audit[300], out_dir[300], jobs[300], message[600];
    snprintf(job, sizeof job, "%s/job42", dir);
    assert_int_equal(mkdir(job, 0777), 0);
    snprintf(jobs, sizeof jobs, "%s/jobs.txt", dir);
    write_file(jobs, "true\necho hi\n");
    /* the option given, not all three ("--ro/--rw/--exec") */
    snprintf(message, sizeof message, "cordon: --rw %s: beneath a tmpfs of the task's "
             "own (--tmpfs, or the preset's /tmp), which hides it; use a directory elsewhere "
             "(e.g. /var/tmp)\n", job);
    snprintf(audit, sizeof audit, "%s/n11.jsonl", dir);
    captured c = CORDON("run", "--audit", audit, "--isolate", "judge", "--rw", job, "--", "true");
    expect_refused_once(&c, message, dir, "n11.jsonl", NULL);
    snprintf(audit, sizeof audit, "%s/n14.jsonl", dir);
    snprintf(out_dir, sizeof out_dir, "%s/od9", dir);
    c = CORDON("batch", "--out-dir", out_dir, "--audit", audit, "--isolate", "judge", "--rw", job,
               jobs);
    expect_refused_once(&c, message, dir, "n14.jsonl", "od9");
    c = CORDON("learn", "--isolate", "judge", "--rw", job, "--", "true");
    expect_refused_once(&c, message, dir, "n14.jsonl", NULL);
    snprintf(audit, sizeof audit, "%s/n13.jsonl", dir);
    c = CORDON("run", "--audit", audit, "--tmpfs", "/tmp", "--rw", job, "--", "true");
    expect_refused_once(&c, "cordon: --tmpfs /tmp: is another mount of the task's (a tmpfs, a "
                            "bind's target), or lies beneath or holds one or a --ro/--rw/--exec "
                            "path; mounts may not hide each other (a --ro/--rw/--exec of the "
                            "tmpfs's own directory grants the tmpfs)\n", dir, "n13.jsonl", NULL);
    remove_tree(dir);
    /* a ninth tmpfs: said as a ninth bind is (it was "Argument list too long") */
    char nine[] = "/var/tmp/cordon-nine-XXXXXX", places[9][64], said[128];
    assert_non_null(mkdtemp(nine));
    const char *args[32] = { "run" };
    size_t n = 1;
    for (int i = 0; i < 9; i++) {
        snprintf(places[i], sizeof places[i], "%s/%d", nine, i);
        assert_int_equal(mkdir(places[i], 0755), 0);
        args[n++] = "--tmpfs";
        args[n++] = places[i];
    }
    args[n++] = "--";
    args[n++] = "true";
    c = cordon_with_input(NULL, args);
    expect_status(&c, 125);
    snprintf(said, sizeof said, "cordon: --tmpfs %s: at most 8 tmpfs mounts\n", places[8]);
    assert_string_equal(c.err, said);
    captured_free(&c);
    remove_tree(strdup(nine));
}

/* So too a bind of a file over a directory. */
static void test_runner_isolation_a_bad_bind_refuses_the_batch_once(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char job[300], jobs[300], out_dir[300], message[800];
    snprintf(job, sizeof job, "%s/job42", dir);
    assert_int_equal(mkdir(job, 0777), 0);
    snprintf(jobs, sizeof jobs, "%s/jobs.txt", dir);
    write_file(jobs, "true\necho hi\n");
    snprintf(out_dir, sizeof out_dir, "%s/od10", dir);
    snprintf(message, sizeof message, "cordon: --bind %s %s: one is a directory and the other "
             "is not\n", jobs, job);
    captured c = CORDON("batch", "--out-dir", out_dir, "--bind", jobs, job, jobs);
    expect_refused_once(&c, message, dir, "od10", NULL);
    remove_tree(dir);
}

/* A bind whose target runs into another mount of the task's names that
 * mount: "a tmpfs, a bind or a --ro/--rw/--exec path of the task's" left
 * the user to find which (the preset's own /tmp, for a repository under
 * /tmp bound onto itself). */
static void test_runner_isolation_a_bind_names_the_mount_it_runs_into(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char a[300], b[300], inner[300], message[1400];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(inner, sizeof inner, "%s/b/in", dir);
    assert_int_equal(mkdir(a, 0777), 0);
    assert_int_equal(mkdir(b, 0777), 0);
    assert_int_equal(mkdir(inner, 0777), 0);
    captured c = CORDON("run", "--bind", a, b, "--bind", a, inner, "--", "true");
    snprintf(message, sizeof message, "cordon: --bind %s %s: the target is, lies beneath, or "
             "holds --bind %s %s; mounts may not hide each other\n", a, inner, a, b);
    assert_int_equal(c.status, 125);
    assert_string_equal(c.err, message);
    captured_free(&c);
    c = CORDON("run", "--tmpfs", b, "--ro-bind", a, inner, "--", "true");
    snprintf(message, sizeof message, "cordon: --ro-bind %s %s: the target is, lies beneath, or "
             "holds --tmpfs %s; mounts may not hide each other\n", a, inner, b);
    assert_int_equal(c.status, 125);
    assert_string_equal(c.err, message);
    captured_free(&c);
    if (strncmp(dir, "/tmp/", 5) == 0) {
        c = CORDON("run", "--isolate", "isolated", "--ro-bind", a, a, "--", "true");
        snprintf(message, sizeof message, "cordon: --ro-bind %s %s: the target is, lies beneath, "
                 "or holds the preset's /tmp (--isolate isolated); mounts may not hide each "
                 "other\n", a, a);
        assert_int_equal(c.status, 125);
        assert_string_equal(c.err, message);
        captured_free(&c);
    }
    remove_tree(dir);
}

/* A policy that admits i386 cannot hold a task without a network: said
 * once, naming the line, before the audit file or the out-dir is made
 * (run wrote an audit line of a task never started; batch ended 1 with
 * a ConfinementError for each line). */
static void test_runner_isolation_an_i386_policy_without_a_network_is_refused_first(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char policy[300], jobs[300], audit[300], out_dir[300], message[800];
    snprintf(policy, sizeof policy, "%s/old.policy", dir);
    write_file(policy, "default allow\narch i386\n");
    snprintf(jobs, sizeof jobs, "%s/jobs.txt", dir);
    write_file(jobs, "true\necho hi\n");
    snprintf(audit, sizeof audit, "%s/a.jsonl", dir);
    snprintf(out_dir, sizeof out_dir, "%s/od", dir);
    snprintf(message, sizeof message, "cordon: %s:2:1: 'arch i386' lets in the i386 ABI, whose "
             "socket calls hide the socket's family from a seccomp filter, so a task without a "
             "network (CORDON_NETWORK_NONE, --net none, the isolated presets) cannot be held to "
             "its namespace's families under it; drop the 'arch i386' or give the task the "
             "network\n", policy);
    captured c = CORDON("run", "--policy", policy, "--net", "none", "--audit", audit, "--", "true");
    expect_refused_once(&c, message, dir, "a.jsonl", NULL);
    c = CORDON("batch", "--policy", policy, "--net", "none", "--out-dir", out_dir, "--audit",
               audit, jobs);
    expect_refused_once(&c, message, dir, "a.jsonl", "od");
    c = CORDON("learn", "--policy", policy, "--net", "none", "--", "true");
    expect_refused_once(&c, message, dir, "a.jsonl", NULL);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runner_isolation_a_job_cannot_move_the_next_job_s_mount_point),
        cmocka_unit_test(test_runner_isolation_a_job_cannot_move_the_next_job_s_working_directory),
        cmocka_unit_test(test_runner_isolation_bad_values_name_the_option),
        cmocka_unit_test(test_runner_isolation_rw_on_a_tmpfs_grants_the_tmpfs),
        cmocka_unit_test(test_runner_isolation_scratch_under_private_tmp_is_refused),
        cmocka_unit_test(test_runner_isolation_judge_runs_a_command),
        cmocka_unit_test(test_runner_isolation_bad_binds_and_names),
        cmocka_unit_test(test_runner_isolation_bind_dev_hostname),
        cmocka_unit_test(test_runner_isolation_net_host_gives_back_a_preset_s_network),
        cmocka_unit_test(test_runner_isolation_audit_carries_the_rules),
        cmocka_unit_test(test_runner_isolation_a_job_cannot_redirect_the_next_job_s_grant),
        cmocka_unit_test(test_runner_isolation_hidden_mounts_are_refused_before_any_file),
        cmocka_unit_test(test_runner_isolation_a_bad_bind_refuses_the_batch_once),
        cmocka_unit_test(test_runner_isolation_a_bind_names_the_mount_it_runs_into),
        cmocka_unit_test(test_runner_isolation_an_i386_policy_without_a_network_is_refused_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
