# cordon — the only build entry.
#   make            build/libcordon.a, build/libcordon.so, build/cordon
#   make test       the cmocka suite, then again under ASan+UBSan
#   make asan       only the sanitizer run
#   make tsan       the multi-threaded tests under ThreadSanitizer (part of make test)
#   make coverage   line and branch coverage of lib/, sandbox/, runner/ (needs gcovr)
#   make soak       a million mixed tasks from 8 threads; RSS, fds, children every 100k
#   make valgrind   the suite under valgrind memcheck
#   make demo       a short tour
#   make bench      benchmarks (never part of make test)
#   make fuzz       libFuzzer targets (needs clang): the policy parser, the Docker
#                   and minijail importers, the policy tools, the audit reader,
#                   the options, the shared region
#   make install    PREFIX=/usr/local DESTDIR= (man pages under MANDIR=PREFIX/share/man)
#   make uninstall  the same PREFIX, DESTDIR and directories: removes what make install put there
#   make examples   the online judge, the plugin host, the async fan-out, the retrying helper (build/examples/)
#   make python     the Python package's extension, built in place in python/cordon
#   make test-python  its pytest suite (part of make test)
#   make test-slurm   batch --shard under a single-node Slurm cluster (root)
#   make test-cpython CPython's own tests of os, pty, subprocess, ... bare and under
#                   the default policy: the same verdicts (CI runs it after make test)
.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX     ?= /usr/local
# PREFIX=/opt/cordon/ gave //lib in cordon.pc and the compiled-in policy
# directory: the slashes at its end go (those of / itself too, where the
# directories beneath it are named, so that PREFIX=/ gives /lib).  A
# DESTDIR of / is no stage: the live system's, as without one.
strip_slashes = $(if $(filter %/,$(1)),$(call strip_slashes,$(patsubst %/,%,$(1))),$(1))
override PREFIX := $(or $(call strip_slashes,$(PREFIX)),$(if $(PREFIX),/))
override DESTDIR := $(call strip_slashes,$(DESTDIR))
PREFIX_BASE = $(patsubst %/,%,$(PREFIX))
LIBDIR     ?= $(PREFIX_BASE)/lib
INCLUDEDIR ?= $(PREFIX_BASE)/include
BINDIR     ?= $(PREFIX_BASE)/bin
POLICYDIR  ?= $(PREFIX_BASE)/share/cordon/policies
MANDIR     ?= $(PREFIX_BASE)/share/man

CC         ?= cc
PKG_CONFIG ?= pkg-config
DEPS_LIBS  := $(shell $(PKG_CONFIG) --libs libseccomp libcap 2>/dev/null || echo -lseccomp -lcap)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wpointer-arith -Wundef -Wvla -Wno-format-nonliteral
# -fno-plt binds every call of cordon's at load: a command's first process
# gives back its copy of the caller's memory, the dynamic linker's link
# maps included, before its last calls (lib/child.c).
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O2 -fPIC -fno-plt -pthread $(WARNINGS) \
               -DCORDON_POLICY_DIR='"$(POLICYDIR)"' \
               -DCORDON_SOURCE_POLICY_DIR='"$(abspath policies)"'
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(DEPS_LIBS) -pthread -ldl

LIB_SRC    := $(wildcard lib/*.c sandbox/*.c)
RUNNER_SRC := $(wildcard runner/*.c)
TEST_SRC   := $(wildcard tests/test_*.c)
HOSTILE_SRC := $(wildcard tests/hostile/*.c)
BENCH_SRC  := $(wildcard bench/*.c)
HEADERS    := $(wildcard lib/*.h sandbox/*.h runner/*.h tests/*.h)

# The first target, so that `make` alone builds all three.
all: build/libcordon.a build/libcordon.so build/libcordon.so.0 build/cordon

# The policy directories are compiled in.  PREFIX given to `make install`
# after a `make` with another one must rebuild what embeds them: the stamp
# holds them and is rewritten (dated anew) only when they change.
POLICYDIR_STAMP := build/policydir.stamp
POLICYDIR_TEXT  := $(POLICYDIR) $(abspath policies)
$(POLICYDIR_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(POLICYDIR_TEXT)' | cmp -s - $@ || echo '$(POLICYDIR_TEXT)' > $@
FORCE:

# Each build flavour lives in its own directory: build/ (plain), build/asan.
define flavour
$(1)/obj/%.o: %.c $(HEADERS) Makefile
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $(2) -c $$< -o $$@

$(1)/libcordon.a: $$(patsubst %.c,$(1)/obj/%.o,$$(LIB_SRC))
	@rm -f $$@
	ar rcs $$@ $$^

$(1)/tests/%: tests/%.c $(1)/libcordon.a $(HEADERS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $(2) $$< -o $$@ $(1)/libcordon.a $$(CMOCKA_LIBS) $$(LDLIBS_ALL) $(2)

$(1)/hostile/%: tests/hostile/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $$< -o $$@ -pthread

# The built-in default policy is the file itself, assembled in.
$(1)/obj/sandbox/policy_load.o: policies/default.policy $(POLICYDIR_STAMP)

$(1)/cordon: $$(patsubst %.c,$(1)/obj/%.o,$$(RUNNER_SRC)) $(1)/libcordon.a
	$$(CC) $$(ALL_CFLAGS) $(2) $$(patsubst %.c,$(1)/obj/%.o,$$(RUNNER_SRC)) -o $$@ $(1)/libcordon.a $$(LDLIBS_ALL) -lm $(2)
endef

# UBSan's checks trap (ud2) rather than call its runtime: libubsan brings a
# copy of the sanitizers' common runtime whose 5.8 MB of zeroed globals
# LeakSanitizer scans at every sanitized process's exit: 2,200 of the
# 5,730 page faults of a sanitized `cordon run -- true` here, where a fault
# costs some 12 us.  ASan reports a trap with its stack (handle_sigill=1
# in SAN_ENV) in the runner; in a test binary cmocka's own handler takes
# it and says only "Illegal instruction": `rm -rf build/asan && make asan
# SAN_UB_TRAP=` builds with UBSan's runtime, which names the kind of
# undefined behaviour, its file and its line.
SAN_UB_TRAP ?= -fsanitize-undefined-trap-on-error
SAN_FLAGS := -fsanitize=address,undefined $(SAN_UB_TRAP) \
             -fno-omit-frame-pointer -fno-sanitize-recover=all
$(eval $(call flavour,build,))
$(eval $(call flavour,build/asan,$(SAN_FLAGS)))

TESTS        := $(patsubst tests/%.c,build/tests/%,$(TEST_SRC))
ASAN_TESTS   := $(patsubst tests/%.c,build/asan/tests/%,$(TEST_SRC))
HOSTILE_BINS := $(patsubst tests/hostile/%.c,build/hostile/%,$(HOSTILE_SRC)) build/tests/libcrash.so \
                build/tests/libinterposer.so

# A plugin for the crash-report tests, stripped as shipped plugins often
# are: only its dynamic symbol table names its functions.
build/tests/libcrash.so: tests/plugin/crash_plugin.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O1 -s $< -o $@

# A preloaded shim that takes libc's calls, for the give-back's tests.
build/tests/libinterposer.so: tests/plugin/interposer.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O1 -Wl,-z,now $< -o $@ -ldl

.PHONY: all test check test-plain test-asan test-build asan valgrind test-one test-plain-beside \
        test-asan-beside test-machine-wide demo demo-run bench fuzz install uninstall clean FORCE \
        python test-python

# Only the calls of lib/cordon.h are the shared library's: its internal
# functions (cordon__*, the importer's docker__*) are neither callable by a
# program nor interposable by one that happens to define the same name.
# Never unloaded (nodelete): a thread's kept task is freed at its exit by
# a destructor of the library's (lib/task.c), which dlclose would unmap.
build/libcordon.so: $(patsubst %.c,build/obj/%.o,$(LIB_SRC)) lib/cordon.map
	$(CC) -shared -Wl,-soname,libcordon.so.0 -Wl,--no-undefined -Wl,-z,nodelete \
	    -Wl,--version-script=lib/cordon.map -o $@ $(filter %.o,$^) $(LDLIBS_ALL)

# The name a program linked against build/ asks the loader for.
build/libcordon.so.0: build/libcordon.so
	ln -sf libcordon.so $@

# Tests find the runner and hostile helpers through these variables.
TEST_ENV = CORDON_RUNNER=$(abspath $(1)/cordon) CORDON_HOSTILE_DIR=$(abspath build/hostile) \
           CORDON_PLUGIN_DIR=$(abspath build/tests) \
           CORDON_POLICY_PATH=$(abspath policies)

# Each binary runs holding a lock named for its test file: the plain and
# sanitized lanes run beside each other, and one file's two builds look for
# the same marked processes (a `sleep 60.0701`, a process named
# cordon-hidden1) left behind, which the other build's run would be.
TEST_LOCKS := build/test-locks
define run_tests
	@mkdir -p $(TEST_LOCKS); pass=0; fail=0; for t in $(2); do \
	    echo "== $$t"; began=$$(date +%s); \
	    lock=$(TEST_LOCKS)/$$(basename $$t _threads).lock; \
	    if $(call TEST_ENV,$(1)) flock -o $$lock $(3) $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAILED: $$t"; fi; \
	    echo "-- $$t took $$(($$(date +%s) - began)) s"; \
	done; echo "test binaries ($(1)): $$pass passed, $$fail failed"; test $$fail -eq 0
endef
# The sanitized lane runs its binaries last to first, so that the lanes
# meet on one file at most once (and then one waits for the other).
reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))

# A task under an rlimit on its address space must see malloc fail, as it
# would without the sanitizer, rather than have ASan abort it.
SAN_ENV := env ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:handle_sigill=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# `make test` and `make demo` first install what is missing (scripts/setup),
# then build with the libraries found.  The plain and sanitized suites run
# side by side, each a lane of one binary at a time (a test binary keeps
# a core busy about three quarters of its time here: 350 s of wall, 258 s
# of CPU, for the plain suite), and the TSan and Python suites after the
# first to end.  The tests that count what the whole machine has free
# (pids, pseudo-terminals) or start fork bombs that take a share of it run
# alone after, both builds: beside another lane's, each would see the
# other's processes come and go.  So do the CPU limits' (test_limits_cpu):
# beside a loaded lane a 500 ms limit was read at 659 ms.
MACHINE_WIDE_TESTS := test_limits test_limits_cpu test_limits_bounds test_hostile \
                      test_hostile_functions test_runner_json
MACHINE_WIDE_PLAIN := $(patsubst %,build/tests/%,$(MACHINE_WIDE_TESTS))
MACHINE_WIDE_ASAN  := $(patsubst %,build/asan/tests/%,$(MACHINE_WIDE_TESTS))
test:
	@sh scripts/setup
	@$(MAKE) --no-print-directory -j$(JOBS) test-binaries
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-plain-beside test-asan-beside \
	    test-tsan test-python
	@$(MAKE) --no-print-directory test-machine-wide
check: test

test-plain: all $(TESTS) $(HOSTILE_BINS)
	$(call run_tests,build,$(TESTS),)
	@$(MAKE) --no-print-directory test-build fuzz-replay

test-plain-beside: all $(TESTS) $(HOSTILE_BINS)
	$(call run_tests,build,$(filter-out $(MACHINE_WIDE_PLAIN),$(TESTS)),)
	@$(MAKE) --no-print-directory test-build fuzz-replay
test-asan-beside: build/asan/cordon $(ASAN_TESTS) $(HOSTILE_BINS)
	$(call run_tests,build/asan,$(call reverse,$(filter-out $(MACHINE_WIDE_ASAN),$(ASAN_TESTS))),$(SAN_ENV))
	@$(MAKE) --no-print-directory fuzz-replay-asan
test-machine-wide: all $(MACHINE_WIDE_PLAIN) build/asan/cordon $(MACHINE_WIDE_ASAN) $(HOSTILE_BINS)
	$(call run_tests,build,$(MACHINE_WIDE_PLAIN),)
	$(call run_tests,build/asan,$(MACHINE_WIDE_ASAN),$(SAN_ENV))

# The build as a user meets it: programs linked against build/ and against
# an install whose source tree is gone, and the header compiled as C++.
test-build: all
	@sh tests/build_test.sh
test-asan asan: build/asan/cordon $(ASAN_TESTS) $(HOSTILE_BINS)
	$(call run_tests,build/asan,$(ASAN_TESTS),$(SAN_ENV))
	@$(MAKE) --no-print-directory fuzz-replay-asan

# One test binary by itself, with what make test gives it (the runner,
# the hostile programs, the policies): make test-one T=test_limits.
test-one: all $(TESTS) $(HOSTILE_BINS)
	@case '$(T)' in *[!A-Za-z0-9_]*|'') bad=1;; test_*) bad=;; *) bad=1;; esac; \
	if [ -n "$$bad" ]; then echo "make test-one T=test_NAME (one name), one of: $(notdir $(TESTS))" >&2; exit 2; fi
	@test -x 'build/tests/$(T)' || { echo "no test binary build/tests/$(T)" >&2; exit 2; }
	$(call TEST_ENV,build) build/tests/$(T)

valgrind: all $(TESTS) $(HOSTILE_BINS)
	$(call run_tests,build,$(TESTS),env CORDON_UNDER_VALGRIND=1 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --child-silent-after-fork=yes --trace-children=no)

# The Python package (python/): an extension over build/libcordon.a (its
# objects are -fPIC; linking them in leaves no libcordon.so to find at run
# time, and --exclude-libs keeps cordon's symbols out of the interpreter's
# namespace), built in place next to the package's Python files.  Debian's
# interpreter, whatever python3 PATH finds first: python3-dev and
# python3-pytest are Debian's, for it.
PYTHON     ?= /usr/bin/python3
PY_SUFFIX  = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
PY_INCLUDE = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
PY_EXT     = python/cordon/_cordon$(PY_SUFFIX)
PY_SRC     := $(wildcard python/src/*.c)
PY_FILES   := $(wildcard python/cordon/*.py)
# Where Debian's python3 looks: /usr/lib/python3/dist-packages for its own
# prefix, $(PREFIX)/lib/python3.X/dist-packages for /usr/local.
PY_VERSION = $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PY_DIST    ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX_BASE)/lib/python$(PY_VERSION)/dist-packages)

python: $(PY_EXT)
$(PY_EXT): $(PY_SRC) python/src/ext.h lib/cordon.h build/libcordon.a Makefile
	$(CC) $(ALL_CFLAGS) -isystem $(PY_INCLUDE) -shared $(PY_SRC) -o $@ \
	    -Wl,--exclude-libs,ALL build/libcordon.a $(LDLIBS_ALL)

# Not under ASan: the interpreter is not built with it, so the runtime
# would have to be preloaded into python3, where it reports the
# interpreter's own deliberate leaks and its allocator's tricks, and a
# forked task under a memory limit meets ASan's terabyte reservations.
# The C suite covers libcordon under the sanitizers.
test-python: $(PY_EXT) build/cordon
	cd python && CORDON_POLICY_PATH=$(abspath policies) $(PYTHON) -m pytest -q -p no:cacheprovider tests

# cordon batch --shard under a real scheduler: a single-node Slurm cluster
# of the test's own (slurmctld, slurmd, munged, as root, without systemd;
# stopped whatever happens) runs examples/slurm_array.sh as an array of 4
# shards and cordon report checks that each line ran once.  Skipped when
# not root; slurm-wlm comes from `sh scripts/setup slurm`.  Not part of
# make test (it starts daemons): .ci/run calls it after.
.PHONY: test-slurm
test-slurm: build/cordon
	@if [ "$$(id -u)" -eq 0 ]; then sh scripts/setup slurm; fi
	@CORDON_RUNNER=$(abspath build/cordon) sh tests/slurm/test_slurm.sh

# A few of CPython's test modules (Debian's libpython3.11-testsuite), run
# bare and under the default policy, must give every test the same
# verdict: a policy change that breaks ordinary programs fails here.
# About two minutes; not part of make test, run by .ci/run after it.
.PHONY: test-cpython
test-cpython: build/cordon
	@sh scripts/setup
	@CORDON_POLICY_PATH=$(abspath policies) $(PYTHON) tests/cpython/compare.py --cordon build/cordon

# The examples include <cordon.h>, as a program built against an install
# does (`#include "../lib/cordon.h"` failed there): -Ilib finds it here.
build/demo: examples/demo.c build/libcordon.a
	$(CC) $(ALL_CFLAGS) -Ilib $< -o $@ build/libcordon.a $(LDLIBS_ALL)

# ---- Examples: the online judge, the plugin host and the fan-out, with the submissions
# and plugins they run (built as a user would build them, not with -Werror).
EXAMPLE_SUBMISSIONS := $(patsubst examples/submissions/%.c,build/examples/submissions/%,\
                         $(wildcard examples/submissions/*.c))
EXAMPLE_PLUGINS     := $(patsubst examples/plugins/%.c,build/examples/plugins/lib%.so,\
                         $(wildcard examples/plugins/*.c))
EXAMPLES            := build/examples/judge build/examples/plugin_host build/examples/fanout \
                       build/examples/retry_helper \
                       $(EXAMPLE_SUBMISSIONS) $(EXAMPLE_PLUGINS)

build/examples/submissions/%: examples/submissions/%.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $< -o $@

build/examples/plugins/lib%.so: examples/plugins/%.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O1 -g $< -o $@

build/examples/judge build/examples/plugin_host build/examples/fanout build/examples/retry_helper: build/examples/%: examples/%.c build/libcordon.a lib/cordon.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib $< -o $@ build/libcordon.a $(LDLIBS_ALL)

examples: $(EXAMPLES)
.PHONY: examples
# ---- end of the examples

demo:
	@sh scripts/setup
	@$(MAKE) --no-print-directory demo-run

demo-run: build/demo build/cordon $(EXAMPLES)
	@CORDON_POLICY_PATH=$(abspath policies) ./build/demo
	@echo; echo "== an online judge (examples/judge.c)"
	@CORDON_POLICY_PATH=$(abspath policies) ./build/examples/judge
	@echo; echo "== a plugin host (examples/plugin_host.c)"
	@CORDON_POLICY_PATH=$(abspath policies) ./build/examples/plugin_host
	@echo; echo "== an async fan-out through a pool (examples/fanout.c)"
	@CORDON_POLICY_PATH=$(abspath policies) ./build/examples/fanout
	@echo; echo "== a retrying helper (examples/retry_helper.c)"
	@CORDON_POLICY_PATH=$(abspath policies) ./build/examples/retry_helper
	@echo; echo "== and the cordon command"
	@CORDON_POLICY_PATH=$(abspath policies) CORDON=./build/cordon sh examples/runner_tour.sh
	@echo; echo "== and from Python (examples/python_demo.py)"
	@$(MAKE) --no-print-directory python
	@CORDON_POLICY_PATH=$(abspath policies) PYTHONPATH=$(abspath python) $(PYTHON) examples/python_demo.py

build/bench/%: bench/%.c build/libcordon.a bench/bench_common.h bench/confined_floor.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ build/libcordon.a $(LDLIBS_ALL) -lm

bench: all python $(patsubst bench/%.c,build/bench/%,$(BENCH_SRC))
	@CORDON_POLICY_PATH=$(abspath policies) PYTHON=$(PYTHON) sh bench/run

# ---- Assurance (issue 18): fuzz targets and their replay, ThreadSanitizer,
# coverage, soak.  Kept together so that other changes merge around it.

# libFuzzer targets, one per tests/fuzz/NAME_fuzz.c, each with its corpus
# in tests/fuzz/corpus_NAME/ and an optional dictionary tests/fuzz/NAME.dict.
# `make fuzz` runs each for FUZZ_SECONDS under ASan and UBSan (clang only;
# clang warns of the fields libseccomp's SCMP_A*_64 macros leave to zero);
# what it finds new is kept in build/fuzz/NAME_corpus.  `make test`
# replays the kept corpora with gcc (fuzz-replay), plain and sanitized.
FUZZ_TARGETS  := $(patsubst tests/fuzz/%_fuzz.c,%,$(wildcard tests/fuzz/*_fuzz.c))
FUZZ_SECONDS  ?= 180
RUNNER_LIB_SRC := $(filter-out runner/main.c,$(RUNNER_SRC))
FUZZ_CFLAGS   := $(BASE_CFLAGS) -Wno-unused-command-line-argument -Wno-missing-field-initializers \
                 -fno-omit-frame-pointer -fno-sanitize-recover=all

build/fuzz/obj/%.o: %.c $(HEADERS) Makefile
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
build/fuzz/obj/sandbox/policy_load.o: policies/default.policy $(POLICYDIR_STAMP)
# Pattern-built objects of pattern-built targets are kept between builds.
.PRECIOUS: build/fuzz/obj/%.o

build/fuzz/%_fuzz: build/fuzz/obj/tests/fuzz/%_fuzz.o \
                   $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRC) $(RUNNER_LIB_SRC))
	@mkdir -p build/fuzz/$*_corpus
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $^ -o $@ $(LDLIBS_ALL) -lm

fuzz: $(patsubst %,build/fuzz/%_fuzz,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	    dict=; test -f tests/fuzz/$$t.dict && dict=-dict=tests/fuzz/$$t.dict; \
	    echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	    CORDON_POLICY_PATH=$(abspath policies) build/fuzz/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) \
	        -close_fd_mask=3 $$dict build/fuzz/$${t}_corpus tests/fuzz/corpus_$$t || exit 1; \
	done

# The replay: the same targets built by gcc with tests/fuzz/replay.c as
# their main, in each flavour, against the flavour's library and the
# runner's objects (all but its main).
define fuzz_replay
$(1)/replay/%: tests/fuzz/%_fuzz.c tests/fuzz/replay.c $(1)/libcordon.a \
            $$(patsubst %.c,$(1)/obj/%.o,$$(RUNNER_LIB_SRC)) $(HEADERS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $(2) tests/fuzz/$$*_fuzz.c tests/fuzz/replay.c \
	    $$(patsubst %.c,$(1)/obj/%.o,$$(RUNNER_LIB_SRC)) -o $$@ $(1)/libcordon.a $$(LDLIBS_ALL) -lm $(2)
endef
$(eval $(call fuzz_replay,build,))
$(eval $(call fuzz_replay,build/asan,$(SAN_FLAGS)))

# Each replay's stderr (the inputs' names, the runner's messages about
# them) is kept in a log that is shown only when the replay fails.
define run_replay
	@fail=0; for t in $(FUZZ_TARGETS); do \
	    log=$(1)/replay/$$t.log; \
	    if $(call TEST_ENV,$(1)) $(2) $(1)/replay/$$t \
	           $$(ls -d tests/fuzz/corpus_$$t 2>/dev/null) >/dev/null 2>$$log; then \
	        echo "fuzz replay ($(1)) $$t: $$(grep -c '^== ' $$log) inputs"; \
	    else fail=1; echo "FAILED: fuzz replay ($(1)) $$t"; tail -n 40 $$log; fi; \
	done; test $$fail -eq 0
endef

fuzz-replay: $(patsubst %,build/replay/%,$(FUZZ_TARGETS))
	$(call run_replay,build,)
fuzz-replay-asan: $(patsubst %,build/asan/replay/%,$(FUZZ_TARGETS))
	$(call run_replay,build/asan,$(SAN_ENV))

# ThreadSanitizer: the library and the tests that run tasks from several
# threads (async runs, collector threads, concurrent callers), in build/tsan.
# Tasks fork from a multi-threaded caller, which TSan reports by default
# and which is cordon's very design (the child only sets itself up and
# execs or runs the function): die_after_fork=0 lets the child go on.
# The child's own accesses are not checked (report_signal_unsafe=0: it
# runs under its own rules, documented in lib/child.c); the parent's are.
# gcc refuses the fence before the parent reads the shared region: it
# orders against the child, another process, which TSan cannot see anyway
# (-Wno-tsan).
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
TSAN_ENV   := env TSAN_OPTIONS=die_after_fork=0:report_signal_unsafe=0:halt_on_error=1:exitcode=66:second_deadlock_stack=1
$(eval $(call flavour,build/tsan,$(TSAN_FLAGS)))

# test_hostile's one test of tasks from eight threads, without the rest of
# the file (its fork bombs and deadlines take minutes under TSan).
build/tsan/tests/test_hostile_threads: tests/test_hostile.c tests/tsan/filter_main.c \
                                       build/tsan/libcordon.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) -Dmain=cordon_test_main -Wno-missing-prototypes \
	    -c tests/test_hostile.c -o $@.o
	$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) tests/tsan/filter_main.c $@.o -o $@ \
	    build/tsan/libcordon.a $(CMOCKA_LIBS) $(LDLIBS_ALL) $(TSAN_FLAGS)

# These tests start no runner (no CORDON_RUNNER use), so the runner is not
# built under TSan: its files were a fifth of the TSan build's.
test-tsan tsan: build/tsan/tests/test_async build/tsan/tests/test_pool \
                build/tsan/tests/test_hostile_threads $(HOSTILE_BINS)
	$(call run_tests,build/tsan,build/tsan/tests/test_async build/tsan/tests/test_pool,$(TSAN_ENV))
	$(call run_tests,build/tsan,build/tsan/tests/test_hostile_threads,\
	    $(TSAN_ENV) CORDON_TEST_FILTER=test_hostile_two_hundred_at_once_from_eight_threads)

# Everything make test runs, built first with every CPU: a make without -j
# compiled the plain, ASan and TSan builds one file at a time, minutes of a
# CI run.  The suites then run one after another, as timing-sensitive tests
# want.  (Here, below the definitions its list expands.)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
.PHONY: test-binaries
test-binaries: all $(TESTS) $(HOSTILE_BINS) build/asan/cordon $(ASAN_TESTS) \
               build/tsan/tests/test_async build/tsan/tests/test_pool \
               build/tsan/tests/test_hostile_threads $(patsubst %,build/replay/%,$(FUZZ_TARGETS)) \
               $(patsubst %,build/asan/replay/%,$(FUZZ_TARGETS)) $(PY_EXT)

.PHONY: test-tsan tsan fuzz-replay fuzz-replay-asan coverage soak

# tests/test_fault_injection.c fails each of the library's calls of these
# in turn, through the linker (--wrap) rather than hooks in the library.
FAULT_WRAPS := malloc calloc realloc strdup strndup pipe2 socketpair socket open dup3 fcntl \
               mkdir timerfd_create memfd_create opendir mmap fork clone pthread_create read \
               write poll wait4 waitid syscall
build/tests/test_fault_injection build/asan/tests/test_fault_injection \
build/cov/tests/test_fault_injection: LDLIBS_ALL += $(foreach f,$(FAULT_WRAPS),-Wl,--wrap=$(f))

# tests/test_shared_memory_sweep.c counts, or refuses as an older kernel
# would, the library's PROCMAP_QUERY calls.
build/tests/test_shared_memory_sweep build/asan/tests/test_shared_memory_sweep \
build/cov/tests/test_shared_memory_sweep: LDLIBS_ALL += -Wl,--wrap=ioctl

# Coverage (make coverage, never part of make test): the plain suite and
# the fuzz replays, built with --coverage in build/cov, then gcovr's line
# and branch figures for lib/, sandbox/ and runner/ (per file in
# build/cov/lines.txt and build/cov/branches.txt).  gcovr is Debian's
# (apt-get install gcovr); make test does not need it.
# Atomic counters: tasks' collectors and callers' threads count at once.
# A task's child ends with _exit or execve, inside its sandbox, and never
# writes counter files: tests/coverage/shared_counters.c (with its linker
# fragment, and -fdata-sections to give each counter array a section of
# its own) makes the counters, and nothing else, memory shared with every
# child, so that the parent's exit writes what its children ran.  Not in
# test_hostile_functions and test_shared_memory_sweep, whose tasks count
# the shared mappings they see (and write over them).  gcc would route fork and exec* through gcov's
# wrappers, which reset the counters in the child and write counter files
# before an exec, from inside the sandbox: -fno-builtin-* keeps the plain
# calls.
COV_FLAGS := --coverage -O0 -fprofile-update=atomic -fdata-sections \
             $(foreach f,fork execl execlp execle execv execvp execve,-fno-builtin-$(f))
COV_TESTS := $(patsubst tests/%.c,build/cov/tests/%,$(TEST_SRC))
COV_SHARED_LINKS := $(filter-out build/cov/tests/test_hostile_functions \
                        build/cov/tests/test_shared_memory_sweep,$(COV_TESTS)) \
                    build/cov/cordon $(patsubst %,build/cov/replay/%,$(FUZZ_TARGETS))
$(COV_SHARED_LINKS): build/cov/shared_counters.o tests/coverage/shared_counters.ld
$(COV_SHARED_LINKS): LDLIBS_ALL += build/cov/shared_counters.o \
    -Wl,-T,tests/coverage/shared_counters.ld -Wl,--wrap=cordon__unmap_shared_mappings \
    -Wl,-u,cordon__unmap_shared_mappings
# libgcov's own complaints (a counter file it cannot write: the runner
# under a test's 1 KiB file size limit) go to a log, not into the stderr
# that tests compare.
COV_ENV := GCOV_ERROR_FILE=$(abspath build/cov/gcov-errors.log)
build/cov/shared_counters.o: tests/coverage/shared_counters.c sandbox/confine.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
GCOVR     := gcovr -r . --object-directory build/cov --filter 'lib/' --filter 'sandbox/' \
             --filter 'runner/' --exclude-unreachable-branches --gcov-ignore-parse-errors
$(eval $(call flavour,build/cov,$(COV_FLAGS)))
$(eval $(call fuzz_replay,build/cov,$(COV_FLAGS)))

coverage: build/cov/cordon $(COV_TESTS) $(patsubst %,build/cov/replay/%,$(FUZZ_TARGETS)) \
          $(HOSTILE_BINS)
	@command -v gcovr >/dev/null || { echo "make coverage needs gcovr: apt-get install gcovr"; exit 1; }
	@find build/cov -name '*.gcda' -delete
	@rm -f build/cov/failed build/cov/gcov-errors.log
	$(call run_tests,build/cov,$(COV_TESTS),$(COV_ENV) timeout -k 5 300) || touch build/cov/failed
	$(call run_replay,build/cov,$(COV_ENV)) || touch build/cov/failed
	@$(GCOVR) -o build/cov/lines.txt
	@$(GCOVR) --branches -o build/cov/branches.txt
	@# a file of its own: gcovr replaces its output file, and run as root
	@# it would leave a regular file where /dev/null was
	@$(GCOVR) --print-summary -o build/cov/summary.txt
	@if [ -e build/cov/failed ]; then echo "make coverage: tests failed in the coverage build (above)"; exit 1; fi

# Soak (never part of make test): SOAK_TASKS mixed tasks (default a
# million) from SOAK_THREADS threads; the caller's RSS, fds and children
# every SOAK_EVERY tasks must stay flat.  Niced: it runs for a long time.
build/soak: tests/soak/soak.c build/libcordon.a
	$(CC) $(ALL_CFLAGS) $< -o $@ build/libcordon.a $(LDLIBS_ALL)

soak: build/soak
	CORDON_POLICY_PATH=$(abspath policies) nice build/soak

# The header's calls: each gets a man page of its own that leads to
# cordon(3), so that `man cordon_run` finds the library's manual.
# (a name followed by a parenthesis, outside comment lines; the variable
# spares make an unbalanced parenthesis).
lparen := (
CALLS = $(shell grep -vE '^[[:space:]]*(/[*]|[*])' lib/cordon.h | grep -oE 'cordon_[a-z_]+[$(lparen)]' | \
          sed 's/.$$//' | sort -u)

# The directories make install puts files in.  Those of them (and of their
# parents) that did not exist before are written to MADE_DIRS (without
# DESTDIR: a staged tree names its own paths), kept over later installs,
# so that make uninstall removes them again when empty and never one that
# was there before.
INSTALL_DIRS = $(LIBDIR) $(INCLUDEDIR) $(BINDIR) $(POLICYDIR) $(LIBDIR)/pkgconfig \
               $(MANDIR)/man1 $(MANDIR)/man3 $(PY_DIST)/cordon
MADE_DIRS    = $(DESTDIR)$(patsubst %/,%,$(dir $(POLICYDIR)))/installed-directories
# And the directories it was given, which make uninstall must be given
# too: one given LIBDIR or MANDIR and not the other had left the library
# or the 84 man pages installed, and said nothing.
INSTALL_VARIABLES = BINDIR LIBDIR INCLUDEDIR MANDIR PY_DIST
GIVEN_DIRS   = $(DESTDIR)$(patsubst %/,%,$(dir $(POLICYDIR)))/installed-variables

# make splits its lists at blanks: a PREFIX of "/tmp/a b" installed under
# /tmp/a and a relative ./b, and `make -i uninstall` of one removed /tmp/a
# whole.  Such a path is refused before anything runs (an $(error), which
# -i does not pass over).
# A relative directory would be compiled in as it is (the installed
# runner then took its policies from beneath the caller's working
# directory), and an empty PREFIX (a misspelt variable) installed into /.
ifneq ($(filter install uninstall,$(MAKECMDGOALS)),)
$(foreach v,PREFIX DESTDIR BINDIR LIBDIR INCLUDEDIR MANDIR POLICYDIR PY_DIST,\
  $(if $(word 2,$($(v))),$(error $(v)='$($(v))' holds a blank: make cannot install to it; give a path without blanks))\
  $(if $(findstring ',$($(v))),$(error $(v)="$($(v))" holds a quote ('): make cannot install to it; give a path without one)))
$(foreach v,PREFIX BINDIR LIBDIR INCLUDEDIR MANDIR POLICYDIR PY_DIST,\
  $(if $(filter /%,$($(v))),,$(error $(v)='$($(v))' is not an absolute path: give one that starts with /)))
$(if $(DESTDIR),$(if $(filter /%,$(DESTDIR)),,$(error DESTDIR='$(DESTDIR)' is not an absolute path: give one that starts with /)))
endif

# Staged (DESTDIR), only PREFIX and what lies beneath it is recorded as
# made: a parent missing from the stage (/opt) is no directory install
# made on the machine the stage goes to, whose uninstall would remove it.
install: all python
	@made=$$(for d in $(INSTALL_DIRS); do \
	    while [ "$$d" != / ] && [ "$$d" != . ] && [ ! -e "$(DESTDIR)$$d" ] && \
	          { [ -z '$(DESTDIR)' ] || case "$$d" in '$(PREFIX)'|'$(PREFIX)'/*) true;; *) false;; esac; }; do \
	        printf '%s\n' "$$d"; d=$$(dirname "$$d"); done; done); \
	install -d $(addprefix $(DESTDIR),$(INSTALL_DIRS)) && \
	{ if [ -f '$(MADE_DIRS)' ]; then cat '$(MADE_DIRS)'; fi; \
	  if [ -n "$$made" ]; then printf '%s\n' "$$made"; fi; } | sort -u > '$(MADE_DIRS).new' && \
	mv '$(MADE_DIRS).new' '$(MADE_DIRS)' && chmod 644 '$(MADE_DIRS)'
	printf '%s\n' $(foreach v,$(INSTALL_VARIABLES),'$(v)=$($(v))') | tr -s / > '$(GIVEN_DIRS)' && \
	chmod 644 '$(GIVEN_DIRS)'
	install -m 644 build/libcordon.a $(DESTDIR)$(LIBDIR)/
	install -m 755 build/libcordon.so $(DESTDIR)$(LIBDIR)/libcordon.so.0
	ln -sf libcordon.so.0 $(DESTDIR)$(LIBDIR)/libcordon.so
	install -m 644 lib/cordon.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 755 build/cordon $(DESTDIR)$(BINDIR)/
	install -m 644 policies/*.policy $(DESTDIR)$(POLICYDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|0.1.0|' \
	    cordon.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/cordon.pc
	install -m 644 man/cordon.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/cordon.3 $(DESTDIR)$(MANDIR)/man3/
	for call in $(CALLS); do \
	    printf '.so man3/cordon.3\n' > $(DESTDIR)$(MANDIR)/man3/$$call.3 && \
	    chmod 644 $(DESTDIR)$(MANDIR)/man3/$$call.3 || exit 1; \
	done
	install -m 644 $(PY_FILES) python/cordon/py.typed $(DESTDIR)$(PY_DIST)/cordon/
	install -m 755 $(PY_EXT) $(DESTDIR)$(PY_DIST)/cordon/

# Only the files make install writes, by name, then the directories make
# install made (MADE_DIRS), each only if it is left empty: never a
# directory that was there before (cordon's own names included), nor one
# others use.
uninstall:
	@# Nothing of cordon's there: a mistyped PREFIX had "uninstalled"
	@# silently, leaving the real install in place.
	@for f in '$(DESTDIR)$(BINDIR)/cordon' '$(DESTDIR)$(LIBDIR)/libcordon.a' \
	    '$(DESTDIR)$(INCLUDEDIR)/cordon.h' '$(DESTDIR)$(LIBDIR)/pkgconfig/cordon.pc'; do \
	    [ ! -e "$$f" ] || exit 0; done; \
	echo "make uninstall: nothing of cordon's is installed under '$(DESTDIR)$(PREFIX)' (no bin/cordon, lib/libcordon.a, include/cordon.h): is PREFIX the one make install was given?" >&2; exit 2
	@if [ -f '$(GIVEN_DIRS)' ]; then for given in $(foreach v,$(INSTALL_VARIABLES),'$(v)=$($(v))'); do \
	    given=$$(printf '%s' "$$given" | tr -s /); grep -qxF "$$given" '$(GIVEN_DIRS)' && continue; \
	    name=$${given%%=*}; was=$$(grep "^$$name=" '$(GIVEN_DIRS)'); \
	    echo "make uninstall: make install was given $$was (recorded in $(GIVEN_DIRS)), not $$given: give make uninstall the same, or files stay installed" >&2; exit 2; \
	done; fi
	rm -f $(DESTDIR)$(LIBDIR)/libcordon.a $(DESTDIR)$(LIBDIR)/libcordon.so.0 \
	    $(DESTDIR)$(LIBDIR)/libcordon.so $(DESTDIR)$(INCLUDEDIR)/cordon.h \
	    $(DESTDIR)$(BINDIR)/cordon $(DESTDIR)$(LIBDIR)/pkgconfig/cordon.pc \
	    $(DESTDIR)$(MANDIR)/man1/cordon.1 $(DESTDIR)$(MANDIR)/man3/cordon.3 \
	    $(patsubst %,$(DESTDIR)$(MANDIR)/man3/%.3,$(CALLS)) \
	    $(patsubst policies/%,$(DESTDIR)$(POLICYDIR)/%,$(wildcard policies/*.policy)) \
	    $(patsubst python/cordon/%,$(DESTDIR)$(PY_DIST)/cordon/%,$(PY_FILES) $(PY_EXT) python/cordon/py.typed)
	rm -rf $(DESTDIR)$(PY_DIST)/cordon/__pycache__
	@made=$$(if [ -f '$(MADE_DIRS)' ]; then sort -r '$(MADE_DIRS)'; fi); rm -f '$(MADE_DIRS)' '$(GIVEN_DIRS)'; \
	for d in $$made; do rmdir "$(DESTDIR)$$d" 2>/dev/null; done; true
	@# Staged, the parents of PREFIX in the stage (usr/ of stage/usr/local)
	@# were not recorded (see install): each goes when left empty, up to
	@# DESTDIR itself, which stays.
	@if [ -n '$(DESTDIR)' ]; then d='$(PREFIX)'; \
	    while [ "$$d" != / ] && { [ ! -e "$(DESTDIR)$$d" ] || rmdir "$(DESTDIR)$$d" 2>/dev/null; }; \
	    do d=$$(dirname "$$d"); done; fi; true

clean:
	rm -rf build $(PY_EXT) python/cordon/__pycache__ python/tests/__pycache__
