#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-installed.sh PREFIX CHECK: one check of an installed
# liblicense-backup-1 (meson install --prefix PREFIX), as an app developer
# uses it; .ci/run calls it once per CHECK:
#   symbols   the library exports only lb_ symbols, under a versioned soname
#   c         examples/store.c and backup.c build with pkg-config and run
#   python    gi imports LicenseBackup; examples/store.py and backup.py run
#   gjs       examples/backups.js runs in gjs (async calls as promises)
#   vala      examples/backups.vala builds with valac against the installed
#             license-backup-1.vapi and pkg-config, and runs
#   reference the installed reference's Examples page shows each example
#             as it is in examples/
# The examples run against the installed daemon on a private bus.
set -euo pipefail

prefix=$(realpath "$1")
check=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib=$(find "$prefix" -name 'liblicense-backup-1.so.*.*' -type f | head -n 1)
[ -n "$lib" ] || { echo "no liblicense-backup-1.so in $prefix"; exit 1; }
libdir=$(dirname "$lib")
export PKG_CONFIG_PATH="$libdir/pkgconfig"
export LD_LIBRARY_PATH="$libdir"
export GI_TYPELIB_PATH="$libdir/girepository-1.0"
vapidir=$(dirname "$(find "$prefix" -name license-backup-1.vapi -type f | head -n 1)")
daemon=$(find "$prefix" -name license-backupd -type f | head -n 1)

tmp=$(mktemp -d)
bus_pid=
daemon_pid=
cleanup() {
  [ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null || true
  [ -z "$bus_pid" ] || kill "$bus_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# A private session bus and the installed daemon on it, with a data home
# and a machine id of their own.
start_service() {
  cat > "$tmp/bus.conf" <<CONF
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
  exec {fd}< <(dbus-daemon --config-file="$tmp/bus.conf" --nofork --print-address=1 --print-pid=1 2>/dev/null)
  read -r DBUS_SESSION_BUS_ADDRESS <&"$fd"
  read -r bus_pid <&"$fd"
  export DBUS_SESSION_BUS_ADDRESS
  mkdir -p "$tmp/data" "$tmp/home" "$tmp/backups"
  echo 5f3e9a0c2b7d41e8a6c4d2f0b1e3c5a7 > "$tmp/machine-id"
  [ -n "$daemon" ] || { echo "no installed license-backupd in $prefix"; return 1; }
  XDG_DATA_HOME="$tmp/data" HOME="$tmp/home" \
    "$daemon" --machine-id-file "$tmp/machine-id" > "$tmp/daemon.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 100); do
    timeout 5 gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
      --method org.freedesktop.DBus.NameHasOwner org.freedesktop.LicenseBackup1 2>/dev/null \
      | grep -q true && return 0
    sleep 0.1
  done
  echo "the installed daemon did not start:"; cat "$tmp/daemon.log"
  return 1
}

# The first python3 with PyGObject (python3-gi installs it for the
# system's python3, which need not be first on PATH).
find_python() {
  local p
  for p in python3 /usr/bin/python3; do
    if "$p" -c 'import gi' 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "no python3 with PyGObject (python3-gi)" >&2
  return 1
}

# What examples/backups.js and backups.vala print: the backup, the app
# (the host's programs) and the one backup in the folder, as typed objects.
check_backups_output() {
  grep -q '^Backed up 1 license to file://' "$1"
  grep -q '^App (other apps): 1 license, [1-9][0-9]* bytes$' "$1"
  grep -q -E '^Backup licenses-[^ ]+\.lbk: [0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+, [1-9][0-9]* bytes, from this computer$' "$1"
  ls "$tmp"/backups/licenses-*.lbk >/dev/null
}

case $check in
symbols)
  soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  echo "soname: $soname"
  [[ $soname =~ ^liblicense-backup-1\.so\.[0-9]+$ ]] || { echo "not a versioned soname"; exit 1; }
  others=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDRBVW]$/ { print $3 }' \
             | grep -v -E '^lb_' | grep -v -E '^LICENSE_BACKUP_1$' || true)
  if [ -n "$others" ]; then
    echo "exported besides lb_*:"; echo "$others"; exit 1
  fi
  echo "$(nm -D --defined-only "$lib" | grep -c ' lb_') lb_ symbols, nothing else"
  ;;
c)
  echo "pkg-config --cflags --libs license-backup-1: $(pkg-config --cflags --libs license-backup-1)"
  for ex in store backup; do
    # shellcheck disable=SC2046
    cc -Wall -Werror "$here/$ex.c" -o "$tmp/$ex" $(pkg-config --cflags --libs license-backup-1)
  done
  start_service
  "$tmp/store" | tee "$tmp/store.out"
  grep -q '^movie-42-key (content movie-42)$' "$tmp/store.out"
  "$tmp/backup" "$tmp/backups" | tee "$tmp/backup.out"
  grep -q '^Backed up 1 license to file://' "$tmp/backup.out"
  ls "$tmp"/backups/licenses-*.lbk >/dev/null
  ;;
python)
  py=$(find_python)
  "$py" -c 'import gi; gi.require_version("LicenseBackup", "1"); from gi.repository import LicenseBackup'
  start_service
  "$py" "$here/store.py" | tee "$tmp/store.out"
  grep -q '^movie-42-key (content movie-42)$' "$tmp/store.out"
  "$py" "$here/backup.py" "$tmp/backups" | tee "$tmp/backup.out"
  grep -q '^Backed up 1 license to file://' "$tmp/backup.out"
  ls "$tmp"/backups/licenses-*.lbk >/dev/null
  ;;
gjs)
  start_service
  gjs -m "$here/backups.js" "$tmp/backups" | tee "$tmp/backups.out"
  check_backups_output "$tmp/backups.out"
  ;;
vala)
  [ -f "$vapidir/license-backup-1.vapi" ] || { echo "no installed license-backup-1.vapi in $prefix"; exit 1; }
  echo "valac --vapidir $vapidir --pkg license-backup-1"
  # valac finds the package's .vapi and .deps in --vapidir, and its C flags
  # through pkg-config.
  valac --vapidir "$vapidir" --pkg license-backup-1 \
    "$here/backups.vala" -o "$tmp/backups-vala"
  start_service
  "$tmp/backups-vala" "$tmp/backups" | tee "$tmp/backups.out"
  check_backups_output "$tmp/backups.out"
  ;;
reference)
  page=$(find "$prefix" -path '*/doc/license-backup-1/examples.html' | head -n 1)
  [ -n "$page" ] || { echo "no examples.html in the installed reference"; exit 1; }
  for ex in store.c store.py backup.c backup.py backups.js backups.vala; do
    # gi-docgen highlights the code: compare the text, tags dropped.
    python3 - "$page" "$here/$ex" <<'PY' || { echo "the reference does not show examples/$ex as it is"; exit 1; }
import html, re, sys
page, example = (open(p, encoding="utf-8").read() for p in sys.argv[1:])
text = html.unescape(re.sub(r"<[^>]+>", "", page))
lines = [l for l in example.splitlines() if l.strip()]
sys.exit(0 if all(l in text for l in lines) else 1)
PY
  done
  echo "the installed reference shows the six examples as they are"
  ;;
*)
  echo "unknown check: $check"; exit 2
  ;;
esac
