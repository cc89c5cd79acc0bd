#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-automatic-units.sh TIMER SERVICE AUTOSTART: the files that start
# automatic backups without the user. The timer and its service pass
# `systemd-analyze verify` without a single warning (an unknown or
# misspelt key is only a warning there, so any output fails), the timer
# catches up after the computer was off and spreads its start, both run
# `license-backup backup --automatic`, and the autostart entry passes
# `desktop-file-validate` and steps aside under systemd.
set -euo pipefail

timer=$1 service=$2 autostart=$3
fail=0
problem() { echo "FAIL: $*"; fail=1; }

for tool in systemd-analyze desktop-file-validate; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (Debian packages systemd, desktop-file-utils)"
    exit 77
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The unit names the timer's service is found by.
cp "$timer" "$work/license-backup-automatic.timer"
cp "$service" "$work/license-backup-automatic.service"

if ! out=$(cd "$work" && systemd-analyze verify --man=no \
    ./license-backup-automatic.timer ./license-backup-automatic.service 2>&1); then
  problem "systemd-analyze verify failed: $out"
elif [ -n "$out" ]; then
  problem "systemd-analyze verify warned: $out"
fi

grep -qx 'Persistent=true' "$timer" || problem "the timer is not Persistent=true"
grep -q '^RandomizedDelaySec=' "$timer" || problem "the timer has no RandomizedDelaySec"
grep -qx 'WantedBy=timers.target' "$timer" || problem "the timer is not wanted by timers.target"
grep -q '^ExecStart=.*/license-backup backup --automatic$' "$service" \
  || problem "the service does not run license-backup backup --automatic"

if ! out=$(desktop-file-validate "$autostart" 2>&1) || [ -n "$out" ]; then
  problem "desktop-file-validate: $out"
fi
grep -q '^Exec=.*/license-backup backup --automatic$' "$autostart" \
  || problem "the autostart entry does not run license-backup backup --automatic"
grep -qx 'X-systemd-skip=true' "$autostart" \
  || problem "the autostart entry would also run under systemd, beside the timer"

[ "$fail" -eq 0 ] && echo "PASS: timer, service and autostart entry"
exit "$fail"
