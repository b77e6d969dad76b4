#!/usr/bin/env bash
# Steady two-node mesh benchmark: pgmesh against PostgreSQL's native logical replication both ways,
# same workload, same run. Usage: benchmarks/run-steady.sh [rate per node] [seconds] [scale]
# (defaults 500 60 10)
exec "$(dirname "$0")/run-benchmark.sh" SteadyMeshBenchmark "$@"
