package io.pgmesh.testkit.config;

import io.pgmesh.common.config.ConnectorValidation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Connector;

/**
 * Feeds a connector random mutations of a valid configuration (hostile values on one to three keys,
 * keys taken away, unknown keys added) and reports every way it misbehaves: {@code validate()}
 * throwing instead of answering, an error message that is empty or shows the password, the
 * configuration class failing with anything but a {@link ConfigException}, or refusing a
 * configuration that {@code validate()} passed. Deterministic for a seed, so a finding can be
 * replayed.
 */
public final class ConfigFuzzer {

    /** One misbehaviour: the configuration that caused it, what went wrong, and the error if one. */
    public record Finding(Map<String, String> config, String what, Throwable error) {
        @Override
        public String toString() {
            StringBuilder shown = new StringBuilder();
            new TreeMap<>(config).forEach((k, v) -> shown.append(shown.length() == 0 ? "" : ", ").append(k).append('=')
                    .append(v.length() > 40 ? v.substring(0, 40) + "...(" + v.length() + " chars)" : v));
            return what + " for {" + shown + "}" + (error == null ? "" : ": " + error);
        }
    }

    private static final List<String> HOSTILE = List.of(
            "", " ", "\t\n", "null", "-1", "0", "1", "2147483648", "-9223372036854775809",
            "99999999999999999999999", "1e3", "NaN", "true", "maybe", ",", ",,a,,", "a,b,,c",
            "\"quoted\"", "x'); DROP TABLE t; --", "Ünïcödé ✓", "\u0000", "${file:/nonexistent:key}",
            "[", "a".repeat(10_000), "pgmesh.", "pgmesh.n1", "n1", "*", "all", "none", "\\");

    /** Values the network keys get instead: none may make a test wait on DNS or a remote host. */
    private static final List<String> LOCAL = List.of("", " ", "127.0.0.1", "localhost", "[::1]", "127.0.0.1:",
            ":1", "localhost:notaport", "127.0.0.1:1,", ",");

    private static final String SECRET = "fuzz-Secret-4711";

    private final ConfigDef def;
    private final Map<String, String> valid;
    private final Set<String> secretKeys;
    private final Set<String> networkKeys;

    /**
     * @param valid a configuration the connector accepts statically; its network keys should name
     *              a closed local port, so the live checks fail fast
     */
    public ConfigFuzzer(ConfigDef def, Map<String, String> valid, Set<String> secretKeys, Set<String> networkKeys) {
        this.def = def;
        this.valid = Map.copyOf(valid);
        this.secretKeys = Set.copyOf(secretKeys);
        this.networkKeys = Set.copyOf(networkKeys);
    }

    /**
     * Runs {@code rounds} mutations from {@code seed}.
     *
     * @param validate       the connector's {@code validate()}, live checks included
     * @param staticValidate the same without the live checks (which always fail here): a
     *                       configuration it passes must be one the configuration class accepts
     * @param parse          builds the configuration class strictly (what a task's start does)
     */
    public List<Finding> run(long seed, int rounds, Function<Map<String, String>, Config> validate,
                             Function<Map<String, String>, Config> staticValidate,
                             Consumer<Map<String, String>> parse) {
        Random random = new Random(seed);
        List<String> keys = new ArrayList<>(def.names());
        keys.addAll(valid.keySet().stream().filter(k -> !def.names().contains(k)).sorted().toList());
        keys.sort(null);
        List<Finding> findings = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            Map<String, String> config = mutate(random, keys);
            answer(config, "validate()", validate, findings);
            Boolean clean = answer(config, "validate() without live checks", staticValidate, findings);
            if (clean != null) {
                parse(config, clean, parse, findings);
            }
        }
        return findings;
    }

    /**
     * Fuzzes a pgmesh connector: its {@code validate()}, the same without its live checks (the
     * ConfigDef, then {@code crossField}), and {@code parse}; fails listing the first findings.
     * Seed and rounds can be changed with -Dpgmesh.fuzz.seed and -Dpgmesh.fuzz.rounds.
     */
    public void assertConnectorSound(long seed, Connector connector,
                                     Function<Map<String, String>, Map<String, String>> crossField,
                                     Consumer<Map<String, String>> parse) {
        List<Finding> findings = run(Long.getLong("pgmesh.fuzz.seed", seed),
                Integer.getInteger("pgmesh.fuzz.rounds", 1000), connector::validate,
                config -> ConnectorValidation.validate(new Config(connector.config().validate(config)),
                        () -> crossField.apply(config), List::of),
                parse);
        if (!findings.isEmpty()) {
            throw new AssertionError(findings.size() + " findings, the first: "
                    + findings.subList(0, Math.min(5, findings.size())));
        }
    }

    /** A local port nothing listens on (for now): live checks against it fail at once. */
    public static int closedLocalPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Map<String, String> mutate(Random random, List<String> keys) {
        Map<String, String> config = new HashMap<>(valid);
        secretKeys.forEach(k -> config.put(k, SECRET));
        int mutations = 1 + random.nextInt(3);
        for (int i = 0; i < mutations; i++) {
            String key = keys.get(random.nextInt(keys.size()));
            switch (random.nextInt(10)) {
                case 0 -> config.remove(key);
                case 1 -> config.put("unknown.key." + random.nextInt(1000), pick(random, HOSTILE));
                default -> config.put(key, networkKeys.contains(key) ? pick(random, LOCAL) : pick(random, HOSTILE));
            }
        }
        return config;
    }

    /** The validation's answer: true when it found nothing, null when it threw (a finding). */
    private static Boolean answer(Map<String, String> config, String which,
                                  Function<Map<String, String>, Config> validate, List<Finding> findings) {
        try {
            boolean clean = true;
            for (ConfigValue value : validate.apply(Map.copyOf(config)).configValues()) {
                for (String message : value.errorMessages()) {
                    clean = false;
                    if (message == null || message.isBlank()) {
                        findings.add(new Finding(config, which + " gave " + value.name() + " an empty error", null));
                    } else if (message.contains(SECRET)) {
                        findings.add(new Finding(config, which + " showed the password in: " + message, null));
                    }
                }
            }
            return clean;
        } catch (RuntimeException | Error e) {
            findings.add(new Finding(config, which + " threw instead of reporting", e));
            return null;
        }
    }

    private static void parse(Map<String, String> config, boolean validated, Consumer<Map<String, String>> parse,
                              List<Finding> findings) {
        try {
            parse.accept(Map.copyOf(config));
        } catch (ConfigException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                findings.add(new Finding(config, "the configuration was refused without a message", e));
            } else if (e.getMessage().contains(SECRET)) {
                findings.add(new Finding(config, "the refusal showed the password", e));
            } else if (validated) {
                findings.add(new Finding(config, "validate() passed what the configuration class refuses", e));
            }
        } catch (RuntimeException | Error e) {
            findings.add(new Finding(config, "the configuration class crashed instead of refusing", e));
        }
    }

    private static String pick(Random random, List<String> values) {
        return values.get(random.nextInt(values.size()));
    }
}
