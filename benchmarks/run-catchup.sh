#!/usr/bin/env bash
# Catch-up benchmark: pgmesh against PostgreSQL's native logical replication, same workload, same
# run. Usage: benchmarks/run-catchup.sh [scale] [transactions] [clients]   (defaults 10 40000 4)
exec "$(dirname "$0")/run-benchmark.sh" CatchUpBenchmark "$@"
