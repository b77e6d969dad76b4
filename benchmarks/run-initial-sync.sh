#!/usr/bin/env bash
# Initial-sync benchmark: pgmesh (source snapshot + sink) against a native subscription with
# copy_data, same data, same run. Usage: benchmarks/run-initial-sync.sh [scale]   (default 10)
exec "$(dirname "$0")/run-benchmark.sh" InitialSyncBenchmark "$@"
