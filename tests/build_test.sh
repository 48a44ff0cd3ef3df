#!/bin/sh
# The build as a user meets it (run by `make test-build`):
# - a program linked against build/ starts (build/libcordon.so.0 exists);
# - build/libcordon.so exports exactly the calls lib/cordon.h declares;
# - lib/cordon.h compiles as C++ and links;
# - the online judge example, built in a tree beneath /tmp (which the judge
#   preset's private /tmp hides), accepts the right submission, run from
#   there and from another directory, as the plugin host runs;
# - `make` with the default PREFIX, then `make install PREFIX=...`, gives a
#   runner and a library that find every shipped policy in PREFIX, with the
#   source tree moved away and CORDON_POLICY_PATH unset, and never look
#   in the source tree's path again, and the examples build against it;
# - the man pages are installed, render without a warning, and name every
#   option of the --help texts (cordon(1)) and every call of lib/cordon.h
#   (cordon(3)); `man cordon_run` finds cordon(3) for every call;
# - `make uninstall` with the same PREFIX removes everything `make install`
#   put there, the directories it made included, and no directory that was
#   there before.
set -eu
unset CORDON_POLICY_PATH
src=$(pwd)
tmp=$(mktemp -d /tmp/cordon-build-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "build_test: FAILED: $*" >&2; exit 1; }
jobs=$(nproc 2>/dev/null || echo 2)

cc -std=gnu11 -Wall -Werror -Ilib tests/link_check.c -o "$tmp/linked_to_build" \
    -Lbuild -lcordon -Wl,-rpath,"$src/build"
"$tmp/linked_to_build" || fail "a program linked against build/ (-Wl,-rpath)"
env -u LD_LIBRARY_PATH sh -c "LD_LIBRARY_PATH='$src/build' '$tmp/linked_to_build'" ||
    fail "a program linked against build/ (LD_LIBRARY_PATH)"
echo "build_test: a program linked against build/ runs"

# The README's whole C programs (its blocks with a main) build under the
# project's warnings and run as a user would run them; the first one
# prints what its tasks gave back (it printed nothing before).
awk -v dir="$tmp" '/^```c$/ { n++; p = 1; f = dir "/readme" n ".c"; next }
                   p && /^```$/ { p = 0; next }
                   p { print > f }' README.md
programs=0
for prog in "$tmp"/readme*.c; do
    grep -q '^int main' "$prog" || continue
    cc -std=gnu11 -Wall -Wextra -Werror -Ilib "$prog" -o "${prog%.c}" \
        -Lbuild -lcordon -Wl,-rpath,"$src/build" || fail "README.md's program $(basename "$prog")"
    (cd "$tmp" && CORDON_POLICY_PATH="$src/policies" "${prog%.c}") > "${prog%.c}.out" ||
        fail "README.md's program $(basename "$prog") exited $?"
    programs=$((programs + 1))
done
[ "$programs" -ge 2 ] || fail "README.md's C programs: $programs found, 2 expected"
first=$(sed -n 1,4p "$tmp/readme1.out")
[ "$first" = "parsing data.json
log: opened data.json
returned 42
ls: exit code 0, attempts: 1" ] || fail "README.md's first program said:
$(cat "$tmp/readme1.out")"
echo "build_test: README.md's $programs C programs build and run"

# The shared library exports the header's calls and nothing else: no
# cordon__ internals (or the importer's docker__ ones) for a program to call
# or to interpose by defining the same name.
nm -D --defined-only build/libcordon.so | awk '{print $3}' | sort -u > "$tmp/exported"
grep -v '^[[:space:]]*\(/\*\|\*\)' lib/cordon.h | grep -oE 'cordon_[a-z_]+\(' | tr -d '(' |
    sort -u > "$tmp/declared"
cmp -s "$tmp/declared" "$tmp/exported" ||
    fail "build/libcordon.so exports other than lib/cordon.h's calls (< declared, > exported):
$(diff "$tmp/declared" "$tmp/exported")"
# The static library cannot hide its internals; they are all cordon_-named
# (cordon__ for the insides), so a program's own names never collide.
foreign=$(nm --defined-only build/libcordon.a 2>/dev/null | awk 'NF == 3 && $2 ~ /[A-Z]/ {print $3}' |
          grep -v '^cordon_' | sort -u)
[ -z "$foreign" ] || fail "build/libcordon.a defines globals outside cordon_: $foreign"
echo "build_test: build/libcordon.so exports lib/cordon.h's calls only"

# The header alone, in the dialects a program around cordon may be built
# with: strict C99 and C11, and C++98 and C++17.
printf '#include "cordon.h"\nint main(void) { return 0; }\n' > "$tmp/header.c"
for std in c99 c11; do
    cc -std=$std -pedantic -Wall -Wextra -Werror -Ilib -c "$tmp/header.c" -o "$tmp/header.o" ||
        fail "lib/cordon.h under -std=$std -pedantic"
done
echo "build_test: lib/cordon.h compiles as strict C99 and C11"
if command -v g++ >/dev/null 2>&1; then
    for std in c++98 c++17; do
        g++ -x c++ -std=$std -pedantic -Wall -Wextra -Werror -Ilib -c "$tmp/header.c" \
            -o "$tmp/header.o" || fail "lib/cordon.h under -std=$std -pedantic"
    done
    g++ -std=c++11 -Wall -Wextra -Werror -Ilib tests/header_check.cpp -o "$tmp/cxx" \
        -Lbuild -lcordon -Wl,-rpath,"$src/build" || fail "lib/cordon.h as C++"
    "$tmp/cxx" || fail "a C++ program's task"
    echo "build_test: lib/cordon.h compiles as C++"
else
    echo "build_test: no g++: the C++ check is skipped (scripts/setup installs it)"
fi

# A copy of the tree, built as `make demo` would (default PREFIX), then
# installed elsewhere: the install must not keep the default's paths.
mkdir "$tmp/src"
cp -R Makefile cordon.pc.in lib sandbox runner policies python man examples "$tmp/src/"
make -s -C "$tmp/src" -j"$jobs" all examples >/dev/null
judged=$(cd "$tmp/src" && ./build/examples/judge) || fail "the judge example in $tmp/src"
echo "$judged" | grep -q '^  sum  *Accepted ' || fail "the judge example, built beneath /tmp:
$judged"
echo "build_test: the judge example accepts the right submission from a tree beneath /tmp"
# Run from another directory, the examples find their files beside their
# own executables (they found none, said so per file, and exited 0); the
# judge given nothing to judge says so and fails.
judged=$(cd / && "$tmp/src/build/examples/judge") || fail "the judge example run from /:
$judged"
echo "$judged" | grep -q '^  sum  *Accepted ' || fail "the judge example, run from /:
$judged"
hosted=$(cd / && "$tmp/src/build/examples/plugin_host" 2>&1) || fail "the plugin host run from /:
$hosted"
echo "$hosted" | grep -q '^  libwordcount.so  ok: 9 words' || fail "the plugin host, run from /:
$hosted"
mkdir "$tmp/no-submissions"
if said=$(cd / && "$tmp/src/build/examples/judge" "$tmp/no-submissions" 2>&1); then
    fail "the judge example exits 0 having judged nothing"
fi
# Said once, before any problem is posed (was: one "cannot copy" per submission).
[ "$said" = "judge: no submissions in '$tmp/no-submissions': none of sum, off_by_one, spin, crash, hog, hostile is there (make examples builds them)" ] ||
    fail "the judge example given an empty directory said: $said"
# Nor does the plugin host, given a plugin that is no file, and the
# tour runs its own cordon from any directory (every step was "not found").
if (cd / && "$tmp/src/build/examples/plugin_host" "$tmp/no-such.so") >/dev/null 2>&1; then
    fail "the plugin host exits 0 given a plugin that is no file"
fi
toured=$(cd / && sh "$tmp/src/examples/runner_tour.sh" 2>&1 | head -4)
echo "$toured" | grep -q '^hello from a confined child' || fail "the runner tour run from /:
$toured"
echo "build_test: the judge, the plugin host and the runner tour run from any directory"
# Directories that were there before the install (one holding another
# package's file, one empty) must outlive the uninstall; those it made
# must not.  A second install over the first keeps what the first made.
mkdir -p "$tmp/prefix/lib" "$tmp/prefix/share/man" "$tmp/prefix/share/cordon/policies"
echo other > "$tmp/prefix/lib/other-package.txt"
make -s -C "$tmp/src" install PREFIX="$tmp/prefix" >/dev/null
make -s -C "$tmp/src" install PREFIX="$tmp/prefix" >/dev/null
mv "$tmp/src" "$tmp/moved"
calls=$(grep -v '^[[:space:]]*\(/\*\|\*\)' lib/cordon.h | grep -oE 'cordon_[a-z_]+\(' | tr -d '(' | sort -u)
listed=$("$tmp/prefix/bin/cordon" policy list) || fail "cordon policy list"
for policy in policies/*.policy; do
    name=$(basename "$policy" .policy)
    echo "$listed" | grep -q "^$name " || fail "the installed runner does not list '$name':
$listed"
done
cc -std=gnu11 -Wall -Werror -I"$tmp/prefix/include" tests/link_check.c -o "$tmp/linked" \
    -L"$tmp/prefix/lib" -lcordon -Wl,-rpath,"$tmp/prefix/lib"
"$tmp/linked" || fail "a program linked against the installed library"
# The examples, as a user copies them out to build against the install
# (they included "../lib/cordon.h", which only the source tree has).
for example in "$tmp"/moved/examples/*.c; do
    cp "$example" "$tmp/example.c"
    cc -std=gnu11 -Wall -I"$tmp/prefix/include" "$tmp/example.c" -o "$tmp/example" \
        -L"$tmp/prefix/lib" -lcordon -Wl,-rpath,"$tmp/prefix/lib" ||
        fail "$(basename "$example") built against the install"
done
echo "build_test: the install finds its policies in its PREFIX"

# The tree it was built from is gone; whoever makes that path again (it is
# beneath /tmp) must not supply the installed library's policies.
mkdir -p "$tmp/src/policies"
printf '# planted\ndefault allow\n' > "$tmp/src/policies/planted.policy"
if planted=$("$tmp/prefix/bin/cordon" policy show planted 2>&1); then
    fail "the installed runner loaded a policy from the moved source tree's path:
$planted"
fi
case $planted in
*"$tmp/src"*) fail "the installed runner names the source tree's path: $planted" ;;
esac
rm -rf "$tmp/src"
echo "build_test: the install does not look in the tree it was built from"

# The man pages: installed under PREFIX/share/man, rendered without a
# warning, and in step with --help and the header.
for page in man1/cordon.1 man3/cordon.3; do
    [ -f "$tmp/prefix/share/man/$page" ] || fail "make install did not install $page"
done
if command -v groff >/dev/null 2>&1; then
    for page in man/cordon.1 man/cordon.3; do
        warnings=$(groff -t -man -ww -z -Tutf8 "$page" 2>&1)
        [ -z "$warnings" ] || fail "$page renders with warnings:
$warnings"
    done
    echo "build_test: the man pages render without warnings"
else
    echo "build_test: no groff: the man pages are not rendered (scripts/setup installs groff-base)"
fi
manual=$(sed 's/\\-/-/g' man/cordon.1)
for topic in --help "run --help" "batch --help" "policy --help" "report --help"; do
    # shellcheck disable=SC2086
    for option in $(build/cordon $topic | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        echo "$manual" | grep -qE -- "(^|[^a-z-])$option([^a-z-]|\$)" || fail "cordon $topic names $option; man/cordon.1 does not"
    done
done
for call in $calls; do
    grep -qw "$call" man/cordon.3 || fail "lib/cordon.h declares $call; man/cordon.3 does not document it"
    # what a reader of the header types: man cordon_run
    page="$tmp/prefix/share/man/man3/$call.3"
    [ "$(cat "$page" 2>/dev/null)" = ".so man3/cordon.3" ] ||
        fail "make install gave $call no man page leading to cordon(3) ($page)"
done
echo "build_test: the man pages are installed and name every option and call"

# The Python package is installed with its py.typed marker: without it a
# type checker ignores the package's annotations.
[ -n "$(find "$tmp/prefix" -path '*/cordon/py.typed')" ] ||
    fail "make install did not install the Python package's py.typed"
echo "build_test: the Python package is installed typed"

# make uninstall, from the tree it was installed from, takes it all away.
make -s -C "$tmp/moved" uninstall PREFIX="$tmp/prefix" >/dev/null
left=$(find "$tmp/prefix" \( -type f -o -type l \) ! -name other-package.txt)
[ -z "$left" ] || fail "make uninstall left files in the prefix:
$left"
[ -f "$tmp/prefix/lib/other-package.txt" ] || fail "make uninstall removed another package's file"
left=$(cd "$tmp/prefix" && find . -type d | sort | tr '\n' ' ')
# cordon's own directories too, when they were there (an empty one a
# package manager left): they were removed whatever the record said.
[ "$left" = ". ./lib ./share ./share/cordon ./share/cordon/policies ./share/man " ] ||
    fail "make uninstall should leave exactly the directories that were there before the
install (. ./lib ./share ./share/cordon ./share/cordon/policies ./share/man), not: $left"
echo "build_test: make uninstall removes everything make install put in the prefix, directories it made included"
# Again, or with a mistyped PREFIX: nothing of cordon's is there, which
# had passed for a successful uninstall.
out=$(make -s -C "$tmp/moved" uninstall PREFIX="$tmp/prefix" 2>&1) &&
    fail "make uninstall of a prefix holding nothing of cordon's succeeded"
case "$out" in *"nothing of cordon's is installed"*) ;; *) fail "make uninstall of nothing said: $out" ;; esac
# A path with a blank, which make splits: refused before anything runs,
# -i or not (a PREFIX of "/tmp/a b" had installed under /tmp/a and ./b,
# and `make -i uninstall` of one removed /tmp/a whole).
mkdir -p "$tmp/blank/keep"
for goal in install "-i uninstall"; do
    out=$(make -s -C "$tmp/moved" $goal PREFIX="$tmp/blank x" 2>&1) &&
        fail "make $goal took a PREFIX with a blank"
    case "$out" in *"holds a blank"*) ;; *) fail "make $goal with a blank said: $out" ;; esac
done
[ -d "$tmp/blank/keep" ] && [ ! -e "$tmp/blank x" ] && [ ! -e "$tmp/moved/x" ] ||
    fail "make with a PREFIX holding a blank touched something"
# A relative PREFIX was compiled in as it was (the runner then read its
# policies from beneath its caller's working directory), and an empty one
# (a misspelt variable) installed into /: refused before anything runs.
for prefix in relative-prefix ""; do
    out=$(cd "$tmp/blank" && make -s -C "$tmp/moved" install PREFIX="$prefix" 2>&1) &&
        fail "make install took PREFIX='$prefix'"
    case "$out" in *"is not an absolute path"*) ;; *) fail "make install PREFIX='$prefix' said: $out" ;; esac
done
[ ! -e "$tmp/moved/relative-prefix" ] && [ ! -e "$tmp/blank/relative-prefix" ] ||
    fail "make install with a relative PREFIX made something"
out=$(make -s -C "$tmp/moved" install PREFIX="$tmp/it's" 2>&1) && fail "make install took a PREFIX with a quote"
case "$out" in *"holds a quote"*) ;; *) fail "make install with a quote in PREFIX said: $out" ;; esac
# Staged, a parent missing from the stage is not recorded as made: on the
# machine the stage goes to, uninstall would remove it (/opt).  The slashes at
# PREFIX's end are dropped (cordon.pc said libdir=/opt/cordon-staged//lib).
make -s -C "$tmp/moved" install DESTDIR="$tmp/stage" PREFIX=/opt/cordon-staged/// >/dev/null
grep -qx /opt "$tmp/stage/opt/cordon-staged/share/cordon/installed-directories" &&
    fail "a staged install recorded /opt, which it did not make on the machine"
grep -qx 'libdir=/opt/cordon-staged/lib' "$tmp/stage/opt/cordon-staged/lib/pkgconfig/cordon.pc" ||
    fail "PREFIX=/opt/cordon-staged/ gave cordon.pc: $(cat "$tmp/stage/opt/cordon-staged/lib/pkgconfig/cordon.pc")"
# Its uninstall leaves the stage as it found it (opt/ was left behind).
make -s -C "$tmp/moved" uninstall DESTDIR="$tmp/stage" PREFIX=/opt/cordon-staged >/dev/null
left=$(find "$tmp/stage" -mindepth 1)
[ -z "$left" ] || fail "a staged uninstall left: $left"
echo "build_test: an install path with a blank, a quote, a relative or an empty PREFIX is refused; a staged install records no parent of PREFIX and its uninstall leaves an empty stage"
# An install given a directory of its own (LIBDIR, MANDIR): an uninstall
# given only PREFIX had left the library or the man pages installed and
# succeeded.  It is refused, naming what install was given, and removes
# everything when given the same.
make -s -C "$tmp/moved" install PREFIX="$tmp/own-dirs" LIBDIR="$tmp/own-dirs/lib64" >/dev/null
out=$(make -s -C "$tmp/moved" uninstall PREFIX="$tmp/own-dirs" 2>&1) &&
    fail "make uninstall without the LIBDIR make install was given succeeded"
case "$out" in *"make install was given LIBDIR=$tmp/own-dirs/lib64"*) ;;
    *) fail "make uninstall without install's LIBDIR said: $out" ;; esac
[ -f "$tmp/own-dirs/lib64/libcordon.a" ] || fail "a refused uninstall removed the library"
make -s -C "$tmp/moved" uninstall PREFIX="$tmp/own-dirs" LIBDIR="$tmp/own-dirs/lib64" >/dev/null
[ ! -e "$tmp/own-dirs" ] || fail "make uninstall given install's LIBDIR left: $(find "$tmp/own-dirs")"
echo "build_test: an uninstall not given the directories install was given is refused, naming them"
# The install directory left empty (it was there before the install) is
# no install: the runner of the tree built for that prefix finds the
# shipped policies in its source tree again (it had found none: "no
# policy named 'nonet' (looked in PREFIX/share/cordon/policies)").
mkdir -p "$tmp/src/policies"
cp policies/*.policy "$tmp/src/policies/"
shown=$("$tmp/moved/build/cordon" policy show nonet 2>&1) || fail "an empty install directory hid the source tree's policies:
$shown"
rm -rf "$tmp/src"
echo "build_test: an empty install directory is no install"
