#!/usr/bin/env bash
# Record decoding benchmark: what the sink's thread spends per record on the converter, the headers
# and pgmesh's parsing, with JSON with and without schemas. Usage: benchmarks/run-decoding.sh [records] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests -pl benchmarks -am package
exec java -Xmx1g -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  io.pgmesh.bench.RecordDecodingBenchmark "$@"
