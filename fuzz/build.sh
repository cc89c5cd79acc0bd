#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the libFuzzer targets and their seed corpora (docs/reliability.md).
#
#   fuzz/build.sh [BUILDDIR]          default BUILDDIR: build-fuzz
#
# Compiles the service's core (the sources src/daemon/meson.build lists as
# lb_core_sources) with clang and -fsanitize=fuzzer-no-link,address,undefined,
# links one program per target with -fsanitize=fuzzer, and writes the seeds
# with gen-seeds (valid backups made by the real writer over a real store,
# encoded licenses, attribute dictionaries, import payloads; for fuzz-age,
# the age files of the CCTV vectors in tests/data/age up to 200 KiB):
#
#   BUILDDIR/fuzz-archive      lb_archive_verify_bytes: the backup reader restore uses
#   BUILDDIR/fuzz-attributes   lb_attributes_parse on an untrusted a{sv}, lb_key_id_validate
#   BUILDDIR/fuzz-license      lb_license_decode (every backup entry)
#   BUILDDIR/fuzz-import       lb_import_parse_bytes: the StoreLicensesFromFd payload
#   BUILDDIR/fuzz-age          lb-age: the encrypted backup's header parser and STREAM reader
#   BUILDDIR/seeds/TARGET/     seed corpus (read-only input)
#
# Needs clang and libclang-rt-14-dev (tools/install-deps installs them).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/build-fuzz}
CC=${CC:-clang}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if ! command -v "$CC" >/dev/null 2>&1; then
  echo "fuzz/build.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi

# config.h, as meson writes it.
cat > "$out/config.h" <<H
#pragma once
#define GETTEXT_PACKAGE "license-backup"
#define LOCALEDIR "/usr/local/share/locale"
#define PACKAGE_VERSION "fuzz"
H

mapfile -t sources < <(sed -n '/^lb_core_sources = files(/,/)/p' "$root/src/daemon/meson.build" \
                         | grep -o "'[^']*\.c'" | tr -d "'")
if [ ${#sources[@]} -eq 0 ]; then
  echo "fuzz/build.sh: cannot read lb_core_sources from src/daemon/meson.build" >&2
  exit 1
fi
# The core's paths, and the library's error domain it reports with.
sources=("${sources[@]/#/daemon/}" lib/lb-error.c)

pkgs=(glib-2.0 gio-2.0 gio-unix-2.0 sqlite3 libarchive libsodium libsecret-1)
for optional in nettle; do
  if pkg-config --exists "$optional"; then pkgs+=("$optional"); fi
done
read -r -a pkg_cflags <<< "$(pkg-config --cflags "${pkgs[@]}")"
read -r -a pkg_libs <<< "$(pkg-config --libs "${pkgs[@]}")"

cflags=(-g -O1 -std=gnu11 -D_GNU_SOURCE
  -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74
  -DG_LOG_USE_STRUCTURED -DLICENSE_BACKUP_COMPILATION -I"$out" -I"$root/src/daemon"
  -I"$root/src/lib" "${pkg_cflags[@]}"
  -fno-omit-frame-pointer -Wall -Wno-unused-parameter -Wno-unused-variable)
# Any sanitizer report is a crash: libFuzzer then stops and saves the input.
san=(-fsanitize=address,undefined -fno-sanitize-recover=all)

build_objects() { # DIR EXTRA_FLAGS...
  local dir=$1
  shift
  mkdir -p "$dir"
  for s in "${sources[@]}"; do
    "$CC" "${cflags[@]}" "${san[@]}" "$@" -c "$root/src/$s" -o "$dir/$(basename "${s%.c}").o"
  done
}

echo "fuzz/build.sh: compiling ${#sources[@]} core sources with $CC into $out"
build_objects "$out/obj-fuzz" -fsanitize=fuzzer-no-link
build_objects "$out/obj-plain"

for target in archive attributes license import age; do
  "$CC" "${cflags[@]}" "${san[@]}" -fsanitize=fuzzer "$root/fuzz/fuzz-$target.c" \
    "$out"/obj-fuzz/*.o "${pkg_libs[@]}" -o "$out/fuzz-$target"
done
"$CC" "${cflags[@]}" "${san[@]}" "$root/fuzz/gen-seeds.c" "$out"/obj-plain/*.o "${pkg_libs[@]}" \
  -o "$out/gen-seeds"

rm -rf "$out/seeds" "$out/seeds-tmp"
mkdir -p "$out/seeds-tmp"
TMPDIR="$out/seeds-tmp" "$out/gen-seeds" "$out/seeds" >/dev/null
rm -rf "$out/seeds-tmp"
# The vectors' age files: the text before the first empty line is the
# vector's description; some are zlib-compressed.
python3 - "$root/tests/data/age" "$out/seeds/age" <<'PY'
import os, sys, zlib
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for name in sorted(os.listdir(src)):
    if name.endswith(".md"):
        continue
    with open(os.path.join(src, name), "rb") as f:
        head, _, body = f.read().partition(b"\n\n")
    if b"compressed: zlib" in head:
        body = zlib.decompress(body)
    if len(body) <= 200 * 1024:
        with open(os.path.join(dst, name), "wb") as f:
            f.write(body)
PY
for target in archive attributes license import age; do
  echo "fuzz/build.sh: $out/fuzz-$target, $(find "$out/seeds/$target" -type f | wc -l) seeds" \
       "($(du -sk "$out/seeds/$target" | cut -f1) KiB)"
done
