#!/usr/bin/env bash
# Prints the gzip size of what the page loads at start (its .wasm and JS glue) and, apart, of
# what it loads only on demand (Web Workers: files named *-worker*, such as the history checker
# started when a history is opened). With --check, fails when either total passes its budget:
# size-budget-kb.txt for the page, size-budget-worker-kb.txt for workers (the one place each
# budget is kept). Trunk runs this after every build (TRUNK_STAGING_DIR); the test command runs
# it with --check.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${TRUNK_STAGING_DIR:-$root/dist}"
check=0
[ "${1:-}" = "--check" ] && check=1
budget_kb="$(tr -dc '0-9' < "$root/size-budget-kb.txt")"
worker_budget_kb="$(tr -dc '0-9' < "$root/size-budget-worker-kb.txt")"
total=0
workers=0
shopt -s nullglob
files=("$dir"/*.wasm "$dir"/*.js)
if [ ${#files[@]} -eq 0 ]; then
  echo "size-report: no .wasm or .js in $dir" >&2
  exit 1
fi
for f in "${files[@]}"; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  case "$(basename "$f")" in
    *-worker*) workers=$((workers + gz)); when="on demand" ;;
    *) total=$((total + gz)); when="at start" ;;
  esac
  printf 'size-report: %-48s %8d bytes, %7d gzipped (%s)\n' "$(basename "$f")" "$raw" "$gz" "$when"
done
printf 'size-report: total gzipped %d bytes (%d KB) at start; budget %d KB\n' "$total" $((total / 1024)) "$budget_kb"
printf 'size-report: workers gzipped %d bytes (%d KB) on demand; budget %d KB\n' "$workers" $((workers / 1024)) "$worker_budget_kb"
if [ "$check" = 1 ]; then
  if [ "$total" -gt $((budget_kb * 1024)) ]; then
    echo "size-report: FAIL: $((total / 1024)) KB gzipped is over the $budget_kb KB budget" >&2
    exit 1
  fi
  if [ "$workers" -gt $((worker_budget_kb * 1024)) ]; then
    echo "size-report: FAIL: workers' $((workers / 1024)) KB gzipped is over the $worker_budget_kb KB budget" >&2
    exit 1
  fi
fi
