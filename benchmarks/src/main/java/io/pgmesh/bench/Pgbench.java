package io.pgmesh.bench;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Runs PostgreSQL's own pgbench (found on PATH, in /usr/lib/postgresql/*&#47;bin, or $PGBENCH) against a test-kit server. */
final class Pgbench {

    private final Path binary;

    private Pgbench(Path binary) {
        this.binary = binary;
    }

    static Pgbench find() {
        String configured = System.getenv("PGBENCH");
        if (configured != null && Files.isExecutable(Path.of(configured))) {
            return new Pgbench(Path.of(configured));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "pgbench");
            if (Files.isExecutable(candidate)) {
                return new Pgbench(candidate);
            }
        }
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin/pgbench")).filter(Files::isExecutable)
                    .max(Comparator.naturalOrder()).map(Pgbench::new)
                    .orElseThrow(Pgbench::missing);
        } catch (IOException e) {
            throw missing();
        }
    }

    private static IllegalStateException missing() {
        return new IllegalStateException("pgbench not found: install it (Debian: apt-get install postgresql-15) or set"
                + " PGBENCH to its path; benchmarks/run-catchup.sh installs it when it can");
    }

    /** pgbench -i: the TPC-B tables at {@code scale} (100,000 accounts per unit). */
    void initialize(PostgresNode server, String database, int scale) throws Exception {
        run(server, database, List.of("-i", "-q", "-s", Integer.toString(scale)));
    }

    /** pgbench -i without data: the TPC-B tables and their primary keys, empty. */
    void createTables(PostgresNode server, String database, int scale) throws Exception {
        run(server, database, List.of("-i", "-q", "-I", "dtp", "-s", Integer.toString(scale)));
    }

    /** {@code transactions} TPC-B transactions in total, spread over {@code clients} connections. */
    void run(PostgresNode server, String database, int transactions, int clients) throws Exception {
        run(server, database, List.of("-n", "-c", Integer.toString(clients), "-j", Integer.toString(Math.min(clients, 2)),
                "-t", Integer.toString(transactions / clients)));
    }

    /**
     * TPC-B transactions at {@code rate} per second (pgbench's schedule, -R) for {@code seconds},
     * over {@code clients} connections; returns the transactions per second pgbench reports.
     */
    double runAtRate(PostgresNode server, String database, int rate, int seconds, int clients) throws Exception {
        String output = run(server, database, List.of("-n", "-c", Integer.toString(clients), "-j",
                Integer.toString(Math.min(clients, 2)), "-R", Integer.toString(rate), "-T", Integer.toString(seconds)));
        java.util.regex.Matcher tps = java.util.regex.Pattern.compile("tps = ([0-9.]+)").matcher(output);
        if (!tps.find()) {
            throw new IllegalStateException("pgbench printed no tps:\n" + output);
        }
        return Double.parseDouble(tps.group(1));
    }

    private String run(PostgresNode server, String database, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "-h", server.host(), "-p",
                Integer.toString(server.port()), "-U", PostgresNode.SUPERUSER));
        command.addAll(args);
        command.add(database);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("PGPASSWORD", server.superuserPassword());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("pgbench " + args + " failed:\n" + output);
        }
        return output;
    }
}
