package io.pgmesh.testkit.postgres;

import io.pgmesh.common.sql.SqlIdentifiers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * One real PostgreSQL server on loopback, in a folder of its own: {@code wal_level=logical},
 * {@code track_commit_timestamp=on} unless a test asks otherwise. Password authentication over TCP
 * (scram-sha-256), superuser {@code postgres} with a random password.
 */
public final class PostgresNode implements AutoCloseable {

    /** How a server is stopped: {@code pg_ctl -m fast} (clean) or {@code immediate} (crash-like). */
    public enum StopMode { FAST, IMMEDIATE }

    public static final String SUPERUSER = "postgres";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final String name;
    private final PostgresBinaries binaries;
    private final Path root;
    private final Path dataDir;
    private final Path socketDir;
    private final Path logFile;
    private final int port;
    private final String password;
    private boolean running;

    private PostgresNode(String name, PostgresBinaries binaries, Path root, int port, String password) {
        this.name = name;
        this.binaries = binaries;
        this.root = root;
        this.dataDir = root.resolve("data");
        this.socketDir = root.resolve("socket");
        this.logFile = root.resolve("postgres.log");
        this.port = port;
        this.password = password;
    }

    /** A builder for a server with the default pgmesh settings; {@link Builder#start()} starts it. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Starts a server with the default settings. */
    public static PostgresNode start(String name) {
        return builder(name).start();
    }

    public String name() {
        return name;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    public String superuserPassword() {
        return password;
    }

    public Path logFile() {
        return logFile;
    }

    public Path dataDirectory() {
        return dataDir;
    }

    /** The postmaster's process id while the server runs (from postmaster.pid), else empty. */
    public synchronized java.util.OptionalLong pid() {
        try {
            Path file = dataDir.resolve("postmaster.pid");
            return running && Files.exists(file)
                    ? java.util.OptionalLong.of(Long.parseLong(Files.readAllLines(file).get(0).trim()))
                    : java.util.OptionalLong.empty();
        } catch (IOException | RuntimeException e) {
            return java.util.OptionalLong.empty();
        }
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port + "/" + database;
    }

    /** A superuser connection to {@code database}, autocommit on. */
    public Connection connect(String database) throws SQLException {
        return connect(database, SUPERUSER, password);
    }

    public Connection connect(String database, String user, String userPassword) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", userPassword);
        props.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    /** Runs statements as superuser in {@code database}, each in its own transaction. */
    public void execute(String database, String... statements) {
        try (Connection c = connect(database); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("on " + name + "/" + database + ": " + e.getMessage(), e);
        }
    }

    /** The rows of a query as lists of column text (null for SQL NULL). */
    public List<List<String>> query(String database, String sql) {
        try (Connection c = connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            List<List<String>> rows = new ArrayList<>();
            while (rs.next()) {
                List<String> row = new ArrayList<>(columns);
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException("on " + name + "/" + database + ": " + e.getMessage(), e);
        }
    }

    /** The single value of a single-row, single-column query. */
    public String queryValue(String database, String sql) {
        List<List<String>> rows = query(database, sql);
        if (rows.size() != 1 || rows.get(0).size() != 1) {
            throw new IllegalStateException("expected one value from: " + sql + ", got " + rows);
        }
        return rows.get(0).get(0);
    }

    public void createDatabase(String database) {
        execute("postgres", "CREATE DATABASE " + SqlIdentifiers.quote(database));
    }

    public synchronized void stop(StopMode mode) {
        if (!running) {
            return;
        }
        run(List.of(binaries.bin("pg_ctl").toString(), "-D", dataDir.toString(), "-m",
                mode.name().toLowerCase(java.util.Locale.ROOT), "-w", "-t", "60", "stop"), Duration.ofSeconds(90));
        running = false;
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        run(List.of(binaries.bin("pg_ctl").toString(), "-D", dataDir.toString(), "-l", logFile.toString(),
                "-w", "-t", Long.toString(START_TIMEOUT.toSeconds()), "start"), START_TIMEOUT.plusSeconds(10));
        running = true;
    }

    /**
     * Freezes the server: SIGSTOP to the postmaster and every backend, as a hung host or a
     * network partition looks to its clients (connections stay open, nothing answers). Undo with
     * {@link #unfreeze}.
     */
    public synchronized void freeze() {
        signal("-STOP");
    }

    /** SIGCONT to the processes {@link #freeze} stopped: the server answers again. */
    public synchronized void unfreeze() {
        signal("-CONT");
    }

    private void signal(String signal) {
        long postmaster = pid().orElseThrow(() -> new IllegalStateException(name + " is not running"));
        List<String> command = new java.util.ArrayList<>(List.of("kill", signal, Long.toString(postmaster)));
        ProcessHandle.of(postmaster).ifPresent(p -> p.descendants().forEach(d -> command.add(Long.toString(d.pid()))));
        run(command, Duration.ofSeconds(30));
    }

    public synchronized void restart(StopMode mode) {
        stop(mode);
        start();
    }

    public synchronized boolean isRunning() {
        return running;
    }

    /** Stops the server at once and deletes its folder. */
    @Override
    public synchronized void close() {
        try {
            stop(StopMode.IMMEDIATE);
        } finally {
            deleteRecursively(root);
        }
    }

    @Override
    public String toString() {
        return "PostgreSQL " + name + " on " + host() + ":" + port;
    }

    private void initialize(Map<String, String> settings) throws IOException {
        Files.createDirectories(socketDir);
        Path pwfile = root.resolve("pwfile");
        Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
        ServerUser.handOver(root);
        run(List.of(binaries.bin("initdb").toString(), "-D", dataDir.toString(), "-U", SUPERUSER,
                "--pwfile=" + pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
                "-E", "UTF8", "--locale=C", "--no-sync"), Duration.ofSeconds(120));
        Files.delete(pwfile);
        StringBuilder conf = new StringBuilder("\n# pgmesh test kit\n");
        settings.forEach((k, v) -> conf.append(k).append(" = '").append(v.replace("'", "''")).append("'\n"));
        Files.writeString(dataDir.resolve("postgresql.conf"), conf.toString(), StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
    }

    private void addDataFiles(Map<String, String> files) throws IOException {
        if (files.isEmpty()) {
            return;
        }
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path file = dataDir.resolve(f.getKey());
            Files.writeString(file, f.getValue(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        ServerUser.handOver(dataDir);
    }

    private void run(List<String> command, Duration timeout) {
        try {
            Process process = new ProcessBuilder(ServerUser.command(command))
                    .directory(root.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("commands.log").toFile()))
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(name + ": timed out running " + command.get(0) + "; see " + logFile);
            }
            if (process.exitValue() != 0) {
                String output = Files.readString(root.resolve("commands.log"), StandardCharsets.UTF_8);
                throw new IllegalStateException(name + ": " + String.join(" ", command) + " failed with exit code "
                        + process.exitValue() + ":\n" + tail(output) + "\nserver log: " + logFile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover folder under the build directory is harmless
                }
            });
        } catch (IOException ignored) {
            // best effort, as above
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Settings for a node before it starts. */
    public static final class Builder {
        private final String name;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private final Map<String, String> dataFiles = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = name;
            settings.put("listen_addresses", "127.0.0.1");
            settings.put("wal_level", "logical");
            settings.put("track_commit_timestamp", "on");
            settings.put("max_wal_senders", "20");
            settings.put("max_replication_slots", "20");
            settings.put("max_connections", "200");
            settings.put("fsync", "off");
            settings.put("full_page_writes", "off");
            settings.put("log_min_messages", "warning");
            settings.put("log_line_prefix", "%m [%p] %q%a ");
        }

        /**
         * A file for the data directory, readable by the server only (a TLS key and certificate,
         * say: settings name it relative to the data directory).
         */
        public Builder dataFile(String fileName, String content) {
            dataFiles.put(fileName, content);
            return this;
        }

        /** TLS on, with this certificate and key (a test authority's, see {@code TestCertificates}). */
        public Builder tls(String certificatePem, String privateKeyPem) {
            return setting("ssl", "on").setting("ssl_cert_file", "server.crt").setting("ssl_key_file", "server.key")
                    .dataFile("server.crt", certificatePem).dataFile("server.key", privateKeyPem);
        }

        /** Overrides one postgresql.conf setting, for example {@code wal_level=replica}. */
        public Builder setting(String key, String value) {
            settings.put(key, value);
            return this;
        }

        public PostgresNode start() {
            Path base = TestKitDirectories.workRoot();
            PostgresBinaries binaries = PostgresBinaries.install(base.resolve("binaries"));
            byte[] secret = new byte[12];
            new SecureRandom().nextBytes(secret);
            try {
                Path nodes = Files.createDirectories(base.resolve("nodes"));
                Files.setPosixFilePermissions(nodes, PosixFilePermissions.fromString("rwxr-xr-x"));
                Path root = Files.createTempDirectory(nodes, name + "-");
                int port = freePort();
                PostgresNode node = new PostgresNode(name, binaries, root, port, "pw" + HexFormat.of().formatHex(secret));
                Map<String, String> all = new LinkedHashMap<>(settings);
                all.put("port", Integer.toString(port));
                all.put("unix_socket_directories", node.socketDir.toString());
                node.initialize(all);
                node.addDataFiles(dataFiles);
                node.start();
                return node;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
