#!/usr/bin/env bash
# Regenerates the FFM bindings in bindings/src/main/java/dev/jkvm/bindings/generated from
# jkvm.h, keeping only the symbols listed in includes.txt. The output is committed as is;
# never edit it by hand - change jkvm.h/includes.txt and run this script again.
#
# Needs: a `jextract` on PATH (or JEXTRACT=/path/to/jextract), and the clang resource headers
# (stddef.h, stdarg.h, ...) of the libclang jextract uses. These are auto-detected under
# /usr/lib/llvm-*/lib/clang/*/include (Debian: libclang-common-<N>-dev); override with
# JKVM_CLANG_INCLUDE=/path/to/clang/<version>/include.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bindings="$(cd "$here/.." && pwd)"
out_root="$bindings/src/main/java"
package="dev.jkvm.bindings.generated"
package_dir="$out_root/${package//.//}"

jextract_bin="${JEXTRACT:-$(command -v jextract || true)}"
if [[ -z "$jextract_bin" || ! -x "$jextract_bin" ]]; then
    cat >&2 <<'MSG'
error: no jextract found on PATH (or JEXTRACT does not name an executable).
jextract is a build-time tool only and is not part of this repository. Get one by either
  * downloading an early-access build from https://jdk.java.net/jextract/ and putting its
    bin/ directory on PATH, or
  * building https://github.com/openjdk/jextract (needs JDK 22+ and libclang, e.g. Debian's
    libclang1-14 + libclang-common-14-dev) and putting a `jextract` launcher on PATH,
then run this script again (or set JEXTRACT=/path/to/jextract).
MSG
    exit 1
fi

clang_include="${JKVM_CLANG_INCLUDE:-}"
if [[ -z "$clang_include" ]]; then
    clang_include="$(ls -d /usr/lib/llvm-*/lib/clang/*/include 2>/dev/null | sort -V | tail -n 1 || true)"
fi
if [[ -z "$clang_include" || ! -f "$clang_include/stddef.h" ]]; then
    echo "error: clang resource include directory not found (${JKVM_CLANG_INCLUDE:+JKVM_CLANG_INCLUDE=$JKVM_CLANG_INCLUDE has no stddef.h; }looked for /usr/lib/llvm-*/lib/clang/*/include)." >&2
    echo "       Install it (Debian: apt-get install libclang-common-14-dev) or set JKVM_CLANG_INCLUDE." >&2
    exit 1
fi

echo "jextract:      $("$jextract_bin" --version 2>&1 | head -n 1) ($jextract_bin)"
echo "clang include: $clang_include"

# Generate into a scratch directory first so a failed run leaves the committed bindings intact.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

(
    cd "$here"   # includes.txt and jkvm.h are given relative to this directory
    "$jextract_bin" \
        -I "$clang_include" \
        --target-package "$package" \
        --header-class-name LinuxHeaders \
        --output "$scratch" \
        @includes.txt \
        jkvm.h
)

generated="$scratch/${package//.//}"
if [[ ! -f "$generated/LinuxHeaders.java" ]]; then
    echo "error: jextract produced no $package.LinuxHeaders" >&2
    exit 1
fi

# Replace the old package wholesale so stale files never survive.
rm -rf "$package_dir"
mkdir -p "$(dirname "$package_dir")"
cp -r "$generated" "$package_dir"
echo "generated $(find "$package_dir" -name '*.java' | wc -l) files into $package_dir"
