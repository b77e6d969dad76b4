#!/usr/bin/env bash
# Catch-up benchmark: pgmesh against PostgreSQL's native logical replication and Debezium's
# PostgreSQL source with its JDBC sink, same workload, same run.
# Usage: benchmarks/run-catchup.sh [scale] [transactions] [clients]   (defaults 10 40000 4)
# PGMESH_BENCH_DEBEZIUM=false leaves Debezium out. PGMESH_BENCH_WARMUP=N first runs and replicates N
# transactions with replication on, for every system alike, so the JVMs have compiled their hot paths.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${PGMESH_BENCH_DEBEZIUM:-true}" != false ]; then
  rm -rf benchmarks/target/debezium-plugins
  mvn -B -q -f benchmarks/debezium/pom.xml package
  export PGMESH_BENCH_DEBEZIUM_PLUGINS="$PWD/benchmarks/target/debezium-plugins"
fi
exec "$(dirname "$0")/run-benchmark.sh" CatchUpBenchmark "$@"
