package io.pgmesh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time used by this JVM and every process it started (the Connect worker, pgbench), and by
 * the PostgreSQL servers given with all their processes (pg_ctl detaches a server from the JVM),
 * between {@link #start} and {@link #stop}, from {@code /proc/<pid>/stat} (Linux). A process that
 * starts and ends inside the window is not counted.
 */
final class CpuMeter {

    /** Clock ticks per second of /proc's utime and stime: 100 on Linux unless the kernel says otherwise. */
    private static final double TICKS = 100.0;
    private final Map<Long, Long> before;
    private final List<Long> servers;

    private CpuMeter(List<Long> servers) {
        this.servers = servers;
        this.before = ticks();
    }

    static CpuMeter start(PostgresNode... servers) {
        List<Long> pids = new ArrayList<>();
        for (PostgresNode s : servers) {
            pids.add(s.pid().orElseThrow(() -> new IllegalStateException(s + " does not run")));
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
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            used += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return used / TICKS;
    }

    private Map<Long, Long> ticks() {
        Map<Long, Long> ticks = new HashMap<>();
        List<ProcessHandle> roots = new ArrayList<>(List.of(ProcessHandle.current()));
        servers.forEach(pid -> ProcessHandle.of(pid).ifPresent(roots::add));
        for (ProcessHandle root : roots) {
            try (Stream<ProcessHandle> tree = Stream.concat(Stream.of(root), root.descendants())) {
                tree.forEach(p -> {
                    long t = ticksOf(p.pid());
                    if (t >= 0) {
                        ticks.put(p.pid(), t);
                    }
                });
            }
        }
        return ticks;
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
