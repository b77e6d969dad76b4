#!/usr/bin/env bash
# Every benchmark of docs/performance.md's table, one after the other, with their defaults:
# catch-up and end to end, initial sync, steady mesh. Takes about 15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")"
./run-catchup.sh
./run-initial-sync.sh
./run-steady.sh
