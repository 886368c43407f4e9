#!/usr/bin/env bash
# compare.sh - compare one database on two MariaDB servers, chunk by chunk.
#
# Sourced (by scripts/drills.sh) or run directly:
#   scripts/lib/compare.sh SRC_HOST:PORT TGT_HOST:PORT DB [CHUNK]
#
# For every base table of DB on either side:
#   * tables missing on one side and column lists (name, type, order) that differ are reported;
#   * rows are grouped by primary-key range (FLOOR(pk / CHUNK), CHUNK=1000 by default) when the
#     primary key is one integer column, else the table is one chunk; per chunk the two sides'
#     COUNT(*), SUM(CRC32(row)) and BIT_XOR(CRC32(row)) are compared, where row =
#     CONCAT_WS('#', every column (NULL -> '\N'), the column NULL bitmap);
#   * for each differing range the differing keys are listed (at most CMP_MAX_KEYS per range):
#     "missing on target", "extra on target" or "row differs";
#   * pt-table-sync --print (prints, never executes) runs as a second opinion: it must print
#     no statement (set CMP_PT_SYNC=0 to skip it).
# Returns 0 when both sides are identical, 1 when any difference was found (details on stdout),
# 2 on errors (cannot connect, ...). User root without password unless CMP_USER/CMP_PASSWORD.
#
# Requires: mariadb client, awk; pt-table-sync for the second opinion.

CMP_USER="${CMP_USER:-root}"
CMP_PASSWORD="${CMP_PASSWORD:-}"
CMP_MAX_KEYS="${CMP_MAX_KEYS:-20}"

_cmp_sql() { # host:port sql
  local hp="$1"
  MYSQL_PWD="$CMP_PASSWORD" mariadb -h"${hp%:*}" -P"${hp##*:}" -u"$CMP_USER" -N -B -e "$2"
}

# Row fingerprint expression from the column list "a b c" (backquoted names).
_cmp_row_expr() {
  local cols=("$@") c parts=() nulls=()
  for c in "${cols[@]}"; do
    parts+=("COALESCE(\`$c\`,'\\\\N')")
    nulls+=("ISNULL(\`$c\`)")
  done
  local IFS=,
  printf "CRC32(CONCAT_WS('#',%s,CONCAT(%s)))" "${parts[*]}" "${nulls[*]}"
}

# compare_table SRC TGT DB TABLE CHUNK: prints differences; returns 0 equal, 1 different, 2 error
compare_table() {
  local src="$1" tgt="$2" db="$3" t="$4" chunk="$5"
  local scols tcols pk pktype rowx q sout tout diffs rc=0
  scols="$(_cmp_sql "$src" "SELECT column_name, column_type FROM information_schema.columns
            WHERE table_schema='$db' AND table_name='$t' ORDER BY ordinal_position")" || return 2
  tcols="$(_cmp_sql "$tgt" "SELECT column_name, column_type FROM information_schema.columns
            WHERE table_schema='$db' AND table_name='$t' ORDER BY ordinal_position")" || return 2
  if [ "$scols" != "$tcols" ]; then
    echo "  DIFF $db.$t: column lists differ"
    echo "    source: $(echo "$scols" | tr '\t\n' ' ,')"
    echo "    target: $(echo "$tcols" | tr '\t\n' ' ,')"
    rc=1
  fi
  # compare the columns both sides have (by name, in source order)
  local -a cols=()
  local name
  while IFS=$'\t' read -r name _; do
    [ -n "$name" ] || continue
    if printf '%s\n' "$tcols" | cut -f1 | grep -qxF "$name"; then cols+=("$name"); fi
  done <<<"$scols"
  [ "${#cols[@]}" -gt 0 ] || { echo "  DIFF $db.$t: no common columns"; return 1; }
  rowx="$(_cmp_row_expr "${cols[@]}")"
  pk="$(_cmp_sql "$src" "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index SEPARATOR ' ')
        FROM information_schema.statistics
        WHERE table_schema='$db' AND table_name='$t' AND index_name='PRIMARY'")" || return 2
  pktype=""
  if [ -n "$pk" ] && [ "$pk" != "NULL" ] && [ "${pk// /}" = "$pk" ]; then
    pktype="$(_cmp_sql "$src" "SELECT data_type FROM information_schema.columns
              WHERE table_schema='$db' AND table_name='$t' AND column_name='$pk'")" || return 2
  fi
  local chunkx="0" keyx
  case "$pktype" in
    tinyint|smallint|mediumint|int|bigint) chunkx="FLOOR(\`$pk\`/$chunk)"; keyx="\`$pk\`" ;;
    *) pk=""; keyx="" ;;
  esac
  q="SELECT $chunkx AS ch, COUNT(*), COALESCE(SUM($rowx),0), COALESCE(BIT_XOR($rowx),0)
     FROM \`$db\`.\`$t\` GROUP BY ch ORDER BY ch"
  sout="$(_cmp_sql "$src" "$q")" || return 2
  tout="$(_cmp_sql "$tgt" "$q")" || return 2
  # join by chunk: lines "chunk src_count src_sum src_xor tgt_count tgt_sum tgt_xor" that differ
  diffs="$(awk -F'\t' -v OFS='\t' '
      $1 == "S" { s[$2] = $3 "\t" $4 "\t" $5; next }
      $1 == "T" { t[$2] = $3 "\t" $4 "\t" $5 }
      END {
        for (k in s) if (!(k in t) || s[k] != t[k]) print k, s[k], ((k in t) ? t[k] : "0\t-\t-")
        for (k in t) if (!(k in s)) print k, "0\t-\t-", t[k]
      }' <(printf '%s\n' "$sout" | sed '/^$/d; s/^/S\t/'; printf '%s\n' "$tout" | sed '/^$/d; s/^/T\t/') | sort -n)"
  local nchunks rows
  nchunks="$(printf '%s\n' "$sout" | sed '/^$/d' | wc -l)"
  rows="$(printf '%s\n' "$sout" | awk -F'\t' '{n += $2} END {print n + 0}')"
  if [ -z "$diffs" ]; then
    if [ -n "$pk" ]; then
      echo "  ok   $db.$t: $rows rows, $nchunks ranges of $chunk ids on $pk identical"
    else
      echo "  ok   $db.$t: $rows rows identical (whole-table checksum: no single integer primary key)"
    fi
    return $rc
  fi
  local ch sc ss sx tc ts tx lo hi
  while IFS=$'\t' read -r ch sc ss sx tc ts tx; do
    if [ -n "$pk" ]; then
      lo=$((ch * chunk)); hi=$((lo + chunk - 1))
      echo "  DIFF $db.$t $pk [$lo, $hi]: source count=$sc crc_sum=$ss crc_xor=$sx; target count=$tc crc_sum=$ts crc_xor=$tx"
      _cmp_keys "$src" "$tgt" "$db" "$t" "$keyx" "$rowx" "$lo" "$hi"
    else
      echo "  DIFF $db.$t (whole table): source count=$sc crc_sum=$ss; target count=$tc crc_sum=$ts"
    fi
  done <<<"$diffs"
  return 1
}

# _cmp_keys: the differing keys of one range
_cmp_keys() {
  local src="$1" tgt="$2" db="$3" t="$4" keyx="$5" rowx="$6" lo="$7" hi="$8" q
  q="SELECT $keyx, $rowx FROM \`$db\`.\`$t\` WHERE $keyx BETWEEN $lo AND $hi ORDER BY $keyx"
  { _cmp_sql "$src" "$q" | sed 's/^/S\t/'; _cmp_sql "$tgt" "$q" | sed 's/^/T\t/'; } | awk -F'\t' '
      $1 == "S" { s[$2] = $3; next }
      $1 == "T" { t[$2] = $3 }
      END {
        n = 0
        for (k in s) {
          if (!(k in t)) out[n++] = k "\tmissing on target"
          else if (s[k] != t[k]) out[n++] = k "\trow differs"
        }
        for (k in t) if (!(k in s)) out[n++] = k "\textra on target"
        for (i = 0; i < n; i++) print out[i]
      }' | sort -n | awk -F'\t' -v max="$CMP_MAX_KEYS" '
      NR <= max { printf "      key %s: %s\n", $1, $2 } END { if (NR > max) printf "      ... %d keys in all\n", NR }'
}

# compare_db SRC TGT DB [CHUNK]
compare_db() {
  local src="$1" tgt="$2" db="$3" chunk="${4:-1000}" st tt t rc=0 r
  st="$(_cmp_sql "$src" "SELECT table_name FROM information_schema.tables
        WHERE table_schema='$db' AND table_type='BASE TABLE' ORDER BY table_name")" || { echo "  ERROR: cannot list tables on source $src"; return 2; }
  tt="$(_cmp_sql "$tgt" "SELECT table_name FROM information_schema.tables
        WHERE table_schema='$db' AND table_type='BASE TABLE' ORDER BY table_name")" || { echo "  ERROR: cannot list tables on target $tgt"; return 2; }
  for t in $(comm -23 <(printf '%s\n' "$st" | sed '/^$/d' | sort) <(printf '%s\n' "$tt" | sed '/^$/d' | sort)); do
    echo "  DIFF $db.$t: missing on target"; rc=1
  done
  for t in $(comm -13 <(printf '%s\n' "$st" | sed '/^$/d' | sort) <(printf '%s\n' "$tt" | sed '/^$/d' | sort)); do
    echo "  DIFF $db.$t: only on target"; rc=1
  done
  for t in $(comm -12 <(printf '%s\n' "$st" | sed '/^$/d' | sort) <(printf '%s\n' "$tt" | sed '/^$/d' | sort)); do
    compare_table "$src" "$tgt" "$db" "$t" "$chunk" && r=0 || r=$?
    if [ "$r" -eq 2 ]; then echo "  ERROR: cannot checksum $db.$t"; return 2; fi
    [ "$r" -eq 0 ] || rc=1
  done
  if [ "${CMP_PT_SYNC:-1}" != 0 ]; then
    if command -v pt-table-sync >/dev/null 2>&1; then
      local out prc=0
      out="$(pt-table-sync --print --databases "$db" \
               "h=${src%:*},P=${src##*:},u=$CMP_USER${CMP_PASSWORD:+,p=$CMP_PASSWORD}" \
               "h=${tgt%:*},P=${tgt##*:},u=$CMP_USER${CMP_PASSWORD:+,p=$CMP_PASSWORD}" 2>&1)" || prc=$?
      if [ -z "$out" ] && [ "$prc" -eq 0 ]; then
        echo "  ok   pt-table-sync --print: no statements"
      else
        echo "  DIFF pt-table-sync --print (exit $prc) printed $(printf '%s\n' "$out" | wc -l) line(s):"
        printf '%s\n' "$out" | head -n 20 | cut -c1-300 | sed 's/^/      /'
        rc=1
      fi
    else
      echo "  note pt-table-sync not installed: second opinion skipped"
    fi
  fi
  return $rc
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  [ $# -ge 3 ] || { echo "usage: $0 SRC_HOST:PORT TGT_HOST:PORT DB [CHUNK]" >&2; exit 2; }
  compare_db "$@"
fi
