package io.pgmesh.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The quickstart as bin/quickstart runs it, with a short workload: three PostgreSQL servers, a
 * broker and a worker as processes, the plugins from their packaged folders, the connectors from
 * pgmeshctl. It ends with its convergence check passing and leaves no process behind.
 */
@Timeout(900)
class QuickstartIT {

    @Test
    void theQuickstartEndsWithItsConvergenceCheckPassingAndLeavesNoProcessBehind() throws InterruptedException {
        Path root = Path.of(System.getProperty("pgmesh.root", "..")).toAbsolutePath().normalize();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new Tee(captured, System.out), true, StandardCharsets.UTF_8);
        Quickstart quickstart = new Quickstart(new Quickstart.Options(root, Duration.ofSeconds(20), false, 20), out);

        int status = quickstart.run();

        String output = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, output);
        assertTrue(output.contains("Convergence check PASSED"), output);
        assertTrue(output.lines().anyMatch(l -> l.matches(".*n2: wrote [1-9][0-9]* tx; applied [1-9][0-9]* from n1.*")),
                "live progress shows what each node wrote and applied:\n" + output);
        List<Long> started = quickstart.startedProcesses();
        assertEquals(5, started.size(), "three PostgreSQL servers, a broker and a worker: " + started);
        // a server stopped with pg_ctl -m immediate may take a moment to be gone from the process table
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<Long> alive = alive(started);
        while (!alive.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
            alive = alive(started);
        }
        assertEquals(List.of(), alive, "processes left behind");
        assertFalse(Files.exists(root.resolve("quickstart-work")), "the work folder is removed");
    }

    private static List<Long> alive(List<Long> pids) {
        return pids.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).toList();
    }

    /** Writes to two streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] bytes, int off, int len) throws java.io.IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }
    }
}
