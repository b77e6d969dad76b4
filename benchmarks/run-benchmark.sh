#!/usr/bin/env bash
# Runs one benchmark class of the benchmarks module: installs pgbench when missing (Debian, as
# root), builds the module, runs the class with the remaining arguments.
# PGMESH_BENCH_JAVA_OPTS=-Dpgmesh.worker.profile=true records the Connect worker with Java Flight Recorder.
# Usage: benchmarks/run-benchmark.sh <CatchUpBenchmark|InitialSyncBenchmark|SteadyMeshBenchmark> [arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
benchmark="${1:?usage: benchmarks/run-benchmark.sh <CatchUpBenchmark|InitialSyncBenchmark|SteadyMeshBenchmark> [arguments...]}"
shift
if ! command -v pgbench >/dev/null && ! ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 && [ -z "${PGBENCH:-}" ]; then
  echo "pgbench is missing; installing PostgreSQL's server package for it (Debian)" >&2
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "install pgbench (Debian: apt-get install postgresql) or set PGBENCH=/path/to/pgbench" >&2
    exit 2
  fi
fi
mvn -B -q -DskipTests -pl benchmarks -am package
exec java -Xmx1g ${PGMESH_BENCH_JAVA_OPTS:-} -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  "io.pgmesh.bench.$benchmark" "$@"
