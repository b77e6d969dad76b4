package io.pgmesh.testkit.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL refuses to run as root. When the tests run as root (as in many CI containers), the
 * server's programs run as the unprivileged {@code nobody} user through util-linux's
 * {@code setpriv}, and the folders they write are handed to that user first.
 */
final class ServerUser {

    private static final String UNPRIVILEGED_ID = "65534";

    private ServerUser() {
    }

    static boolean isRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    /** The command, prefixed to drop root privileges when needed. */
    static List<String> command(List<String> command) {
        if (!isRoot()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=" + UNPRIVILEGED_ID,
                "--regid=" + UNPRIVILEGED_ID, "--clear-groups", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Gives {@code dir} (recursively) to the user the server runs as. */
    static void handOver(Path dir) {
        if (!isRoot()) {
            return;
        }
        try {
            Process chown = new ProcessBuilder("chown", "-R", UNPRIVILEGED_ID + ":" + UNPRIVILEGED_ID, dir.toString())
                    .redirectErrorStream(true).start();
            String output = new String(chown.getInputStream().readAllBytes());
            if (chown.waitFor() != 0) {
                throw new IllegalStateException("chown of " + dir + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
