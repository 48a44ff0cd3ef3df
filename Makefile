# cordon — the only build entry.
#   make            build/libcordon.a, build/libcordon.so, build/cordon
#   make test       the cmocka suite, then again under ASan+UBSan
#   make asan       only the sanitizer run
#   make valgrind   the suite under valgrind memcheck
#   make demo       a short tour
#   make bench      benchmarks (never part of make test)
#   make fuzz       libFuzzer targets: the policy parser, the Docker importer (needs clang)
#   make install    PREFIX=/usr/local DESTDIR= (man pages under MANDIR=PREFIX/share/man)
#   make examples   the online judge, the plugin host, the async fan-out, the retrying helper (build/examples/)
#   make python     the Python package's extension, built in place in python/cordon
#   make test-python  its pytest suite (part of make test)
#   make test-slurm   batch --shard under a single-node Slurm cluster (root)
#   make test-cpython CPython's own tests of os, pty, subprocess, ... bare and under
#                   the default policy: the same verdicts (CI runs it after make test)
.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
POLICYDIR  ?= $(PREFIX)/share/cordon/policies
MANDIR     ?= $(PREFIX)/share/man

CC         ?= cc
PKG_CONFIG ?= pkg-config
DEPS_LIBS  := $(shell $(PKG_CONFIG) --libs libseccomp libcap 2>/dev/null || echo -lseccomp -lcap)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wpointer-arith -Wundef -Wvla -Wno-format-nonliteral
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

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
$(eval $(call flavour,build,))
$(eval $(call flavour,build/asan,$(SAN_FLAGS)))

TESTS        := $(patsubst tests/%.c,build/tests/%,$(TEST_SRC))
ASAN_TESTS   := $(patsubst tests/%.c,build/asan/tests/%,$(TEST_SRC))
HOSTILE_BINS := $(patsubst tests/hostile/%.c,build/hostile/%,$(HOSTILE_SRC)) build/tests/libcrash.so

# A plugin for the crash-report tests, stripped as shipped plugins often
# are: only its dynamic symbol table names its functions.
build/tests/libcrash.so: tests/plugin/crash_plugin.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O1 -s $< -o $@

.PHONY: all test check test-plain test-asan test-build asan valgrind demo demo-run bench fuzz install clean FORCE \
        python test-python

build/libcordon.so: $(patsubst %.c,build/obj/%.o,$(LIB_SRC))
	$(CC) -shared -Wl,-soname,libcordon.so.0 -Wl,--no-undefined -o $@ $^ $(LDLIBS_ALL)

# The name a program linked against build/ asks the loader for.
build/libcordon.so.0: build/libcordon.so
	ln -sf libcordon.so $@

# Tests find the runner and hostile helpers through these variables.
TEST_ENV = CORDON_RUNNER=$(abspath $(1)/cordon) CORDON_HOSTILE_DIR=$(abspath build/hostile) \
           CORDON_PLUGIN_DIR=$(abspath build/tests) \
           CORDON_POLICY_PATH=$(abspath policies)

define run_tests
	@pass=0; fail=0; for t in $(2); do \
	    echo "== $$t"; \
	    if $(call TEST_ENV,$(1)) $(3) $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAILED: $$t"; fi; \
	done; echo "test binaries ($(1)): $$pass passed, $$fail failed"; test $$fail -eq 0
endef

# A task under an rlimit on its address space must see malloc fail, as it
# would without the sanitizer, rather than have ASan abort it.
SAN_ENV := env ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# `make test` and `make demo` first install what is missing (scripts/setup),
# then build with the libraries found.
test:
	@sh scripts/setup
	@$(MAKE) --no-print-directory test-plain test-asan test-python
check: test

test-plain: all $(TESTS) $(HOSTILE_BINS)
	$(call run_tests,build,$(TESTS),)
	@$(MAKE) --no-print-directory test-build

# The build as a user meets it: programs linked against build/ and against
# an install whose source tree is gone, and the header compiled as C++.
test-build: all
	@sh tests/build_test.sh
test-asan asan: build/asan/cordon $(ASAN_TESTS) $(HOSTILE_BINS)
	$(call run_tests,build/asan,$(ASAN_TESTS),$(SAN_ENV))

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
PY_DIST    ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python$(PY_VERSION)/dist-packages)

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

build/demo: examples/demo.c build/libcordon.a
	$(CC) $(ALL_CFLAGS) $< -o $@ build/libcordon.a $(LDLIBS_ALL)

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
	$(CC) $(ALL_CFLAGS) $< -o $@ build/libcordon.a $(LDLIBS_ALL)

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

build/bench/%: bench/%.c build/libcordon.a bench/bench_common.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ build/libcordon.a $(LDLIBS_ALL) -lm

bench: all python $(patsubst bench/%.c,build/bench/%,$(BENCH_SRC))
	@CORDON_POLICY_PATH=$(abspath policies) PYTHON=$(PYTHON) sh bench/run

# The policy parser, the Docker and minijail importers and the policy tools
# (check, decide against the filter, diff) under libFuzzer, ASan
# and UBSan; FUZZ_SECONDS each.  (clang warns of the fields libseccomp's
# SCMP_A*_64 macros leave to zero.)
FUZZ_SECONDS ?= 180
build/fuzz/%_fuzz: tests/fuzz/%_fuzz.c $(LIB_SRC) $(HEADERS) policies/default.policy
	@mkdir -p build/fuzz/$*_corpus
	clang $(BASE_CFLAGS) -Wno-unused-command-line-argument \
	    -Wno-missing-field-initializers -fsanitize=fuzzer,address,undefined \
	    $(LIB_SRC) $< -o $@ $(LDLIBS_ALL)

fuzz: build/fuzz/policy_fuzz build/fuzz/docker_fuzz build/fuzz/policy_tools_fuzz \
      build/fuzz/minijail_fuzz
	CORDON_POLICY_PATH=$(abspath policies) build/fuzz/policy_fuzz -max_total_time=$(FUZZ_SECONDS) \
	    -dict=tests/fuzz/policy.dict build/fuzz/policy_corpus tests/fuzz/corpus
	CORDON_POLICY_PATH=$(abspath policies) build/fuzz/docker_fuzz -max_total_time=$(FUZZ_SECONDS) \
	    -dict=tests/fuzz/docker.dict build/fuzz/docker_corpus tests/fuzz/docker_corpus
	CORDON_POLICY_PATH=$(abspath policies) build/fuzz/policy_tools_fuzz -max_total_time=$(FUZZ_SECONDS) \
	    -dict=tests/fuzz/policy.dict build/fuzz/policy_tools_corpus tests/fuzz/corpus
	CORDON_POLICY_PATH=$(abspath policies) build/fuzz/minijail_fuzz -max_total_time=$(FUZZ_SECONDS) \
	    -dict=tests/fuzz/policy.dict build/fuzz/minijail_corpus tests/fuzz/minijail_corpus

install: all python
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(POLICYDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 build/libcordon.a $(DESTDIR)$(LIBDIR)/
	install -m 755 build/libcordon.so $(DESTDIR)$(LIBDIR)/libcordon.so.0
	ln -sf libcordon.so.0 $(DESTDIR)$(LIBDIR)/libcordon.so
	install -m 644 lib/cordon.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 755 build/cordon $(DESTDIR)$(BINDIR)/
	install -m 644 policies/*.policy $(DESTDIR)$(POLICYDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|0.1.0|' \
	    cordon.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/cordon.pc
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 644 man/cordon.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/cordon.3 $(DESTDIR)$(MANDIR)/man3/
	install -d $(DESTDIR)$(PY_DIST)/cordon
	install -m 644 $(PY_FILES) $(DESTDIR)$(PY_DIST)/cordon/
	install -m 755 $(PY_EXT) $(DESTDIR)$(PY_DIST)/cordon/

clean:
	rm -rf build $(PY_EXT) python/cordon/__pycache__ python/tests/__pycache__
