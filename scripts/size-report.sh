#!/usr/bin/env bash
# Prints the gzip size of the page's .wasm and JS glue. With --check, fails when their total
# passes the budget in size-budget-kb.txt (the one place the budget is kept).
# Trunk runs this after every build (TRUNK_STAGING_DIR); the test command runs it with --check.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${TRUNK_STAGING_DIR:-$root/dist}"
check=0
[ "${1:-}" = "--check" ] && check=1
budget_kb="$(tr -dc '0-9' < "$root/size-budget-kb.txt")"
total=0
shopt -s nullglob
files=("$dir"/*.wasm "$dir"/*.js)
if [ ${#files[@]} -eq 0 ]; then
  echo "size-report: no .wasm or .js in $dir" >&2
  exit 1
fi
for f in "${files[@]}"; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total=$((total + gz))
  printf 'size-report: %-48s %8d bytes, %7d gzipped\n' "$(basename "$f")" "$raw" "$gz"
done
printf 'size-report: total gzipped %d bytes (%d KB); budget %d KB\n' "$total" $((total / 1024)) "$budget_kb"
if [ "$check" = 1 ] && [ "$total" -gt $((budget_kb * 1024)) ]; then
  echo "size-report: FAIL: $((total / 1024)) KB gzipped is over the $budget_kb KB budget" >&2
  exit 1
fi
