package io.pgmesh.testkit.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where the test kit keeps unpacked binaries and server folders: {@code $TMPDIR/pgmesh-testkit}, a
 * place every user can traverse (the server may run as {@code nobody}, see {@link ServerUser}),
 * unless the system property {@code pgmesh.testkit.dir} names another.
 */
final class TestKitDirectories {

    private TestKitDirectories() {
    }

    static Path workRoot() {
        String configured = System.getProperty("pgmesh.testkit.dir");
        Path root = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("java.io.tmpdir"), "pgmesh-testkit");
        try {
            Files.createDirectories(root);
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use " + root + " for PostgreSQL test servers", e);
        }
    }
}
