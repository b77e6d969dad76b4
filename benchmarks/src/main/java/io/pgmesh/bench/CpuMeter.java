package io.pgmesh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time used by this JVM and every process it started (the Connect worker, pgbench), and by
 * the PostgreSQL servers given with all their processes (pg_ctl detaches a server from the JVM),
 * between {@link #start} and {@link #stop}, from {@code /proc/<pid>/stat} (Linux). A process that
 * starts and ends inside the window is not counted. {@link #partsLine} splits the total by where it
 * went: this JVM (which runs the Kafka broker), each process it started (the Connect worker), and
 * each server's processes by role (backends, walsender, walwriter, autovacuum, ...). Processes
 * that start and end inside the window (most autovacuum workers) are in neither.
 */
final class CpuMeter {

    /** Clock ticks per second of /proc's utime and stime: 100 on Linux unless the kernel says otherwise. */
    private static final double TICKS = 100.0;
    private final Map<Long, Long> before;
    /** The servers' postmasters, by server name. */
    private final Map<Long, String> servers;
    /** Which part each process counted belongs to. */
    private final Map<Long, String> partOf = new HashMap<>();
    private Map<String, Double> parts = Map.of();

    private CpuMeter(Map<Long, String> servers) {
        this.servers = servers;
        this.before = ticks();
    }

    static CpuMeter start(PostgresNode... servers) {
        Map<Long, String> pids = new java.util.LinkedHashMap<>();
        for (PostgresNode s : servers) {
            pids.put(s.pid().orElseThrow(() -> new IllegalStateException(s + " does not run")), "server " + s.name());
        }
        return new CpuMeter(pids);
    }

    /** CPU seconds (user and system, all cores) used since {@link #start}; -1 where /proc cannot be read. */
    double stop() {
        Map<Long, Long> after = ticks();
        if (after.isEmpty()) {
            return -1;
        }
        long used = 0;
        Map<String, Double> split = new java.util.LinkedHashMap<>();
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            long ticks = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            used += ticks;
            split.merge(partOf.get(e.getKey()), ticks / TICKS, Double::sum);
        }
        parts = split;
        return used / TICKS;
    }

    /** The parts of 0.1 s or more as one line: {@code name 1.2 s, ...}, largest first. */
    String partsLine() {
        return String.join(", ", parts.entrySet().stream().filter(e -> e.getValue() >= 0.1)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .map(e -> String.format(java.util.Locale.ROOT, "%s %.1f s", e.getKey(), e.getValue())).toList());
    }

    private Map<Long, Long> ticks() {
        Map<Long, Long> ticks = new HashMap<>();
        ProcessHandle self = ProcessHandle.current();
        count(self, "benchmark JVM (Kafka broker)", ticks);
        try (Stream<ProcessHandle> children = self.descendants()) {
            children.forEach(p -> count(p, p.info().command().map(c -> Path.of(c).getFileName().toString())
                    .map(c -> c.equals("java") ? "Connect worker" : c).orElse("process " + p.pid()), ticks));
        }
        servers.forEach((pid, name) -> ProcessHandle.of(pid).ifPresent(root -> {
            try (Stream<ProcessHandle> tree = Stream.concat(Stream.of(root), root.descendants())) {
                tree.forEach(p -> count(p, name + " " + serverRole(p.pid()), ticks));
            }
        }));
        return ticks;
    }

    /**
     * What a PostgreSQL process does, from the title it sets ({@code postgres: walwriter},
     * {@code postgres: user db host(port) idle}, ...): its auxiliary role, "walsender" or "backends".
     */
    private static String serverRole(long pid) {
        String title;
        try {
            title = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ').trim();
        } catch (IOException | RuntimeException e) {
            return "other";
        }
        if (!title.startsWith("postgres: ")) {
            return "postmaster";
        }
        String what = title.substring("postgres: ".length());
        for (String role : new String[] {"checkpointer", "background writer", "walwriter", "autovacuum launcher",
                "autovacuum worker", "logical replication launcher", "logical replication apply worker",
                "logical replication worker"}) {
            if (what.startsWith(role)) {
                return role;
            }
        }
        return what.contains("walsender") ? "walsender" : "backends";
    }

    private void count(ProcessHandle p, String part, Map<Long, Long> ticks) {
        long t = ticksOf(p.pid());
        if (t >= 0) {
            ticks.put(p.pid(), t);
            partOf.putIfAbsent(p.pid(), part);
        }
    }

    /** CPU seconds (user and system) process {@code pid} alone used so far; -1 when it is gone or /proc is not there. */
    static double secondsOf(long pid) {
        long ticks = ticksOf(pid);
        return ticks < 0 ? -1 : ticks / TICKS;
    }

    /** utime + stime of one process; -1 when it is gone or /proc is not there. */
    private static long ticksOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) is in parentheses and may hold spaces: count from after it
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
