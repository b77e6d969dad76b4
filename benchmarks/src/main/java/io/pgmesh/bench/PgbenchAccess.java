package io.pgmesh.bench;

import io.pgmesh.testkit.postgres.PostgresNode;

/** pgbench for benchmarks outside this package. */
public final class PgbenchAccess {

    private PgbenchAccess() {
    }

    /** Creates and fills the pgbench tables of {@code database} at {@code scale}. */
    public static void initialize(PostgresNode node, String database, int scale) throws Exception {
        Pgbench.find().initialize(node, database, scale);
    }
}
