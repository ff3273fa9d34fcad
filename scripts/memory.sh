#!/usr/bin/env bash
# Peak resident memory of every preset run for 10 and for 60 simulated minutes with its
# workload kept on (compaction at its default), and the ratio. One run at a time; takes about
# ten minutes on the standard machine. Needs GNU time (Debian package `time`).
#
#   scripts/memory.sh [PRESET...]      (default: every preset)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/time ]; then
  echo "memory.sh needs GNU time: apt-get install time" >&2
  exit 1
fi
cargo build --release -q -p replicalab-cli
bin=target/release/replicalab
if [ $# -gt 0 ]; then presets=("$@"); else mapfile -t presets < <("$bin" presets | awk '{print $1}'); fi
peak() { # preset, minutes -> "peak-KB cpu-seconds"
  /usr/bin/time -f "%M %U" -o /tmp/replicalab-mem.$$ "$bin" run --preset "$1" --until $(( $2 * 60000 )) \
    --keep-workload --no-history > /dev/null
  cat /tmp/replicalab-mem.$$
}
printf '| preset | 10 min MB | 60 min MB | ratio | CPU s (60 min) |\n|---|---:|---:|---:|---:|\n'
for p in "${presets[@]}"; do
  read -r a _ < <(peak "$p" 10)
  read -r b cpu < <(peak "$p" 60)
  awk -v p="$p" -v a="$a" -v b="$b" -v c="$cpu" 'BEGIN { printf "| %s | %.1f | %.1f | %.2f | %.1f |\n", p, a/1024, b/1024, b/a, c }'
done
rm -f /tmp/replicalab-mem.$$
