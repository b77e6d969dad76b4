package io.pgmesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for connectors to reach a state, within a time limit, failing at once on a FAILED task. */
public final class ConnectorStates {

    private final ConnectClient connect;
    private final Duration timeout;

    public ConnectorStates(ConnectClient connect, Duration timeout) {
        this.connect = connect;
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }

    /** Waits until the connector and all its tasks (at least one) run. */
    public void awaitRunning(String connector) {
        await(connector + " running", () -> {
            JsonNode status = connect.status(connector);
            if (status == null) {
                return false;
            }
            throwIfFailed(connector, status);
            boolean tasksRunning = status.path("tasks").size() > 0;
            for (JsonNode task : status.path("tasks")) {
                tasksRunning &= "RUNNING".equals(task.path("state").asText());
            }
            return "RUNNING".equals(status.path("connector").path("state").asText()) && tasksRunning;
        });
    }

    /** Waits until the connector is in {@code state} with no tasks (STOPPED). */
    public void awaitStateWithoutTasks(String connector, String state) {
        await(connector + " " + state, () -> {
            JsonNode status = connect.status(connector);
            return status != null && state.equals(status.path("connector").path("state").asText())
                    && status.path("tasks").isEmpty();
        });
    }

    /** Polls {@code done} every half second until it holds; fails after the timeout. */
    public void await(String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new CliException("gave up waiting for " + what + " after " + timeout.toSeconds() + " s. The"
                        + " steps printed above are done; docs/operations.md lists the remaining ones to finish by"
                        + " hand, or give more time with --timeout");
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted while waiting for " + what);
            }
        }
    }

    /**
     * Throws, with the failure's trace, when the connector or one of its tasks is FAILED: a wait
     * for progress that a FAILED task cannot make ends there rather than at the timeout.
     */
    public void throwIfFailed(String connector) {
        JsonNode status = connect.status(connector);
        if (status != null) {
            throwIfFailed(connector, status);
        }
    }

    private static void throwIfFailed(String connector, JsonNode status) {
        for (JsonNode task : status.path("tasks")) {
            if ("FAILED".equals(task.path("state").asText())) {
                throw failed("task " + task.path("id").asText() + " of " + connector, task.path("trace").asText());
            }
        }
        if ("FAILED".equals(status.path("connector").path("state").asText())) {
            throw failed(connector, status.path("connector").path("trace").asText());
        }
    }

    private static ConnectorFailedException failed(String what, String trace) {
        return new ConnectorFailedException(what + " FAILED: " + firstLine(trace) + rootCause(trace)
                + "\nFix what it names and restart it (POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true),"
                + " then run the command again. Its trace:\n" + trace.strip());
    }

    /** The last "Caused by:" line of a trace, on a line of its own, or nothing. */
    private static String rootCause(String trace) {
        String cause = null;
        for (String line : trace.split("\n")) {
            if (line.startsWith("Caused by: ")) {
                cause = line;
            }
        }
        return cause == null ? "" : "\n" + cause;
    }

    static String firstLine(String trace) {
        int newline = trace.indexOf('\n');
        return newline < 0 ? trace : trace.substring(0, newline);
    }
}
