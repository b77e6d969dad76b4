#!/usr/bin/env bash
# Statement cost benchmark: the server CPU and wall time per row statement of a plain upsert, the sink's
# last-update-wins upsert prepared at the protocol level, and the same as the sink sends it today (SQL
# EXECUTE with literals). Usage: benchmarks/run-statement-cost.sh [statements] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests -pl benchmarks -am package
exec java -Xmx1g -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  io.pgmesh.bench.StatementCostBenchmark "$@"
