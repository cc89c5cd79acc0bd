#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-pot.sh: fails when po/license-backup.pot is not current.
#
# Usage: po/check-pot.sh [OPTION…] [SOURCE_ROOT]
#
# It runs xgettext, with the keywords and flags of meson's i18n "glib"
# preset (what `meson compile license-backup-pot` runs), over the files in
# po/POTFILES into a temporary template and compares the set of messages
# (msgctxt, msgid, msgid_plural; not headers, locations or comments) with
# the committed po/license-backup.pot. It also fails when:
#   - a file under src/ uses _(), N_(), C_(), NC_() or g_d*gettext() but is
#     not listed in po/POTFILES (nor in po/POTFILES.skip), or a listed file
#     does not exist;
#   - xgettext cut a msgid short in the middle of a printf directive, as it
#     does at a macro such as G_GUINT64_FORMAT: that string can never be
#     translated (use PRIu64 from <inttypes.h>, which xgettext understands);
#   - a translation listed in po/LINGUAS is not complete: a message of the
#     template missing, untranslated or fuzzy, or msgfmt --check failing.
#
# Options:
#   --potfiles FILE      use FILE instead of SOURCE_ROOT/po/POTFILES
#   --pot FILE           compare with FILE instead of SOURCE_ROOT/po/license-backup.pot
#   --no-translations    do not check the translations in po/LINGUAS
#   --allow-truncated    only warn about msgids cut short at a macro
#
# SOURCE_ROOT defaults to the directory above this script.
# Exit status: 0 current, 1 not current (the reasons are printed),
# 2 usage error, 77 (skipped) when the gettext tools are not installed.

set -u
export LC_ALL=C

usage ()
{
  sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

potfiles=
pot=
check_translations=1
allow_truncated=0
root=
while [ $# -gt 0 ]; do
  case $1 in
    --potfiles) [ $# -ge 2 ] || usage; potfiles=$2; shift 2 ;;
    --potfiles=*) potfiles=${1#*=}; shift ;;
    --pot) [ $# -ge 2 ] || usage; pot=$2; shift 2 ;;
    --pot=*) pot=${1#*=}; shift ;;
    --no-translations) check_translations=0; shift ;;
    --allow-truncated) allow_truncated=1; shift ;;
    -h|--help) usage ;;
    -*) echo "check-pot.sh: unknown option $1" >&2; usage ;;
    *) [ -z "$root" ] || usage; root=$1; shift ;;
  esac
done
[ -n "$root" ] || root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=$(cd "$root" && pwd) || exit 2
: "${potfiles:=$root/po/POTFILES}"
: "${pot:=$root/po/license-backup.pot}"
package=license-backup

for tool in xgettext msgfmt msgattrib; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "check-pot.sh: SKIP: $tool is not installed (Debian package gettext)"
    exit 77
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-pot.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

failed=0
fail ()
{
  echo "check-pot.sh: FAIL: $*"
  failed=1
}

for f in "$potfiles" "$pot"; do
  if [ ! -f "$f" ]; then
    fail "$f does not exist"
  fi
done
if [ $failed -ne 0 ]; then
  echo "Regenerate the template with: meson compile -C build $package-pot"
  exit 1
fi

# The files POTFILES lists (comments, blank lines, [encoding: …] lines and
# [type: …] prefixes left out).
sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^\[[^]]*\]$/d' \
  -e 's/^\[[^]]*\][[:space:]]*//' -e '/^$/d' \
  "$potfiles" > "$tmp/listed"
while IFS= read -r f; do
  [ -f "$root/$f" ] || fail "po/POTFILES lists $f, which does not exist"
done < "$tmp/listed"
if ! sort -c "$tmp/listed" 2>/dev/null; then
  echo "check-pot.sh: note: po/POTFILES is not sorted"
fi

# Files under src/ with translatable strings must be listed.
skip=$root/po/POTFILES.skip
: > "$tmp/skipped"
if [ -f "$skip" ]; then
  sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$skip" > "$tmp/skipped"
fi
(cd "$root" && grep -rlE --include='*.c' --include='*.h' \
   '(^|[^A-Za-z0-9_])(N?C?_|g_d[cnp]?gettext2?|g_dngettext)[[:space:]]*\(' src) \
  | sort > "$tmp/users"
unlisted=$(sort -u "$tmp/listed" "$tmp/skipped" | comm -23 "$tmp/users" -)
if [ -n "$unlisted" ]; then
  fail "these files have translatable strings but are not in po/POTFILES (add them, sorted):"
  printf '%s\n' "$unlisted" | sed 's/^/    /'
fi

# xgettext as meson's i18n module runs it with preset: 'glib' and the
# extra args of po/meson.build.
if ! (cd "$root" && xgettext --package-name="$package" -D "$root" -o "$tmp/fresh.pot" \
        --files-from="$tmp/listed" --from-code=UTF-8 --add-comments \
        --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
        --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
        --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
        --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
        --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
        --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
        --flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format \
        --flag=g_print:1:c-format --flag=g_printerr:1:c-format --flag=g_printf:1:c-format \
        --flag=g_fprintf:2:c-format --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format \
        --add-comments=TRANSLATORS: 2> "$tmp/xgettext.err"); then
  cat "$tmp/xgettext.err"
  fail "xgettext failed"
  exit 1
fi

truncated=$(grep 'ends in the middle of a directive' "$tmp/xgettext.err" | sed 's/: warning:.*//')
if [ -n "$truncated" ]; then
  msg="xgettext cut these msgids short in the middle of a printf directive (a macro such as G_GUINT64_FORMAT inside _()): they can never be translated; use PRIu64 from <inttypes.h> instead:"
  if [ $allow_truncated -eq 1 ]; then
    echo "check-pot.sh: warning: $msg"
  else
    fail "$msg"
  fi
  printf '%s\n' "$truncated" | sed 's/^/    /'
fi

# One line per message: msgctxt, msgid and msgid_plural as they are written
# in the file (escapes kept, line breaks of long strings joined), a tab and
# the message's source references. The header (msgid "") and obsolete
# entries (#~) are left out.
messages ()
{
  awk '
    function flush() {
      if (!have)
        return
      if (id != "")
        print (hasctxt ? "msgctxt \"" ctxt "\" " : "") "msgid \"" id "\"" \
              (hasplural ? " msgid_plural \"" plural "\"" : "") "\t" refs
      have = 0; hasctxt = 0; hasplural = 0; ctxt = ""; id = ""; plural = ""; field = ""; refs = ""
    }
    function str(s) { sub(/^[^"]*"/, "", s); sub(/"[[:space:]]*$/, "", s); return s }
    /^#/ {
      if (field == "msgstr") flush()
      field = ""
      if ($0 ~ /^#:/) refs = refs (refs == "" ? "" : " ") substr($0, 4)
      next
    }
    /^msgctxt[[:space:]]/ { flush(); hasctxt = 1; ctxt = str($0); field = "ctxt"; next }
    /^msgid[[:space:]]/ { if (field != "ctxt") flush(); have = 1; id = str($0); field = "id"; next }
    /^msgid_plural[[:space:]]/ { hasplural = 1; plural = str($0); field = "plural"; next }
    /^msgstr/ { field = "msgstr"; next }
    /^[[:space:]]*"/ {
      if (field == "ctxt") ctxt = ctxt str($0)
      else if (field == "id") id = id str($0)
      else if (field == "plural") plural = plural str($0)
      next
    }
    /^[[:space:]]*$/ { flush(); next }
    END { flush() }
  ' "$1" | sort -t "$(printf '\t')" -k1,1 -u
}

messages "$tmp/fresh.pot" > "$tmp/fresh.refs"
messages "$pot" > "$tmp/committed.refs"
cut -f1 "$tmp/fresh.refs" > "$tmp/fresh"
cut -f1 "$tmp/committed.refs" > "$tmp/committed"
if [ ! -s "$tmp/fresh" ]; then
  fail "xgettext found no messages at all in the files of po/POTFILES"
fi

missing=$(comm -23 "$tmp/fresh" "$tmp/committed")
stale=$(comm -13 "$tmp/fresh" "$tmp/committed")
if [ -n "$missing" ]; then
  fail "these strings of the sources are missing from po/$(basename "$pot"):"
  while IFS= read -r line; do
    where=$(K=$line awk -F '\t' '$1 == ENVIRON["K"] { print $2; exit }' "$tmp/fresh.refs")
    echo "    ${where:-?}: $line"
  done <<< "$missing"
fi
if [ -n "$stale" ]; then
  fail "po/$(basename "$pot") holds strings that are no longer in the sources:"
  while IFS= read -r line; do
    echo "    $line"
  done <<< "$stale"
fi
if [ -n "$missing$stale$unlisted" ]; then
  echo "Regenerate the template with: meson compile -C build $package-pot"
fi

# The translations: complete against the template, nothing fuzzy.
if [ $check_translations -eq 1 ] && [ -f "$root/po/LINGUAS" ]; then
  stale_po=0
  # shellcheck disable=SC2013 # LINGUAS may list several languages a line
  for lang in $(sed 's/#.*//' "$root/po/LINGUAS"); do
    po=$root/po/$lang.po
    if [ ! -f "$po" ]; then
      fail "po/LINGUAS lists $lang but po/$lang.po does not exist"
      continue
    fi
    if ! msgfmt --check --statistics -o /dev/null "$po" 2> "$tmp/stats"; then
      cat "$tmp/stats"
      fail "msgfmt --check rejects po/$lang.po"
      continue
    fi
    messages "$po" | cut -f1 > "$tmp/po-$lang"
    absent=$(comm -23 "$tmp/committed" "$tmp/po-$lang")
    if [ -n "$absent" ]; then
      fail "po/$lang.po lacks these messages of the template:"
      printf '%s\n' "$absent" | sed 's/^/    /'
      stale_po=1
    fi
    msgattrib --untranslated --no-obsolete "$po" 2>/dev/null > "$tmp/untr.po"
    msgattrib --only-fuzzy --no-obsolete "$po" 2>/dev/null > "$tmp/fuzzy.po"
    untranslated=$(messages "$tmp/untr.po" | cut -f1)
    fuzzy=$(messages "$tmp/fuzzy.po" | cut -f1)
    if [ -n "$untranslated" ]; then
      fail "po/$lang.po leaves these messages untranslated:"
      printf '%s\n' "$untranslated" | sed 's/^/    /'
      stale_po=1
    fi
    if [ -n "$fuzzy" ]; then
      fail "po/$lang.po has fuzzy (unreviewed) translations of:"
      printf '%s\n' "$fuzzy" | sed 's/^/    /'
      stale_po=1
    fi
    if [ -z "$absent$untranslated$fuzzy" ] && grep -qE 'fuzzy|untranslated' "$tmp/stats"; then
      fail "po/$lang.po is not complete: $(cat "$tmp/stats")"
      stale_po=1
    fi
  done
  if [ $stale_po -ne 0 ]; then
    echo "Merge the template into the translations with: meson compile -C build $package-update-po, then translate what is new"
  fi
fi

if [ $failed -ne 0 ]; then
  exit 1
fi
echo "check-pot.sh: po/$(basename "$pot") is current ($(wc -l < "$tmp/fresh") messages)"
exit 0
