#!/usr/bin/env bash
# The fault soak (not part of mvn verify): a three-node mesh on three Kafka brokers and two Connect
# workers, writers on every node, a random fault every 30 to 90 s for N minutes, then every table
# compared on every node. Builds what it needs first. Exit status 0 when the nodes converged.
# Usage: soak/run-soak.sh [--minutes 30] [--seed S] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests -pl soak -am package
exec java -Xmx1g -cp "soak/target/classes:$(cat soak/target/classpath.txt)" io.pgmesh.soak.FaultSoak "$@"
