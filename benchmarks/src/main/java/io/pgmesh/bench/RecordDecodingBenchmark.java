package io.pgmesh.bench;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.common.envelope.EnvelopeSchemas;
import io.pgmesh.common.envelope.KeyColumn;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.sink.record.ChangeRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

/**
 * What decoding one record costs the sink's thread before pgmesh applies it, with each converter
 * this machine can run: the key's and value's converter ({@code toConnectData}), the headers
 * (Connect's SimpleHeaderConverter, as the worker runs it) and pgmesh's own parsing
 * ({@code ChangeRecord.parse}). The records are pgbench_accounts updates as the source writes
 * them. Confluent's AvroConverter is not on Maven Central and is not measured here.
 *
 * <p>Arguments (optional): records per round (20000), rounds (15; the first five warm up).
 */
public final class RecordDecodingBenchmark {

    private RecordDecodingBenchmark() {
    }

    private record Wire(byte[] key, byte[] value, List<byte[]> headerValues, List<String> headerKeys) {
    }

    public static void main(String[] args) {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        System.out.printf(Locale.ROOT, "Decoding %,d pgbench_accounts update records, %d rounds (5 warm-up)%n", records,
                rounds);
        System.out.printf(Locale.ROOT, "%-28s %12s %12s %12s %12s %12s%n", "converter", "bytes/record", "key+value us",
                "headers us", "pgmesh us", "total us");
        for (boolean schemas : new boolean[] {true, false}) {
            measure(schemas, records, rounds);
        }
    }

    private static void measure(boolean schemas, int records, int rounds) {
        JsonConverter keys = new JsonConverter();
        keys.configure(Map.of("schemas.enable", Boolean.toString(schemas)), true);
        JsonConverter values = new JsonConverter();
        values.configure(Map.of("schemas.enable", Boolean.toString(schemas)), false);
        SimpleHeaderConverter headerConverter = new SimpleHeaderConverter();
        headerConverter.configure(Map.of());
        String topic = "pgmesh.n1";
        List<Wire> wire = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < records; i++) {
            TableId table = new TableId("public", "pgbench_accounts");
            ChangeKey key = ChangeKey.row(table, List.of(new KeyColumn("aid", Integer.toString(i + 1))));
            RowImage value = new RowImage(Operation.UPDATE, table, List.of(
                    ColumnValue.of("aid", "integer", Integer.toString(i + 1)),
                    ColumnValue.of("bid", "integer", Integer.toString(i / 100_000 + 1)),
                    ColumnValue.of("abalance", "integer", Integer.toString(i % 5000 - 2500)),
                    ColumnValue.of("filler", "character(84)", " ".repeat(84))), List.of());
            ChangeHeaders h = new ChangeHeaders(new NodeName("n1"), new NodeName("n1"), 1_764_000_000_000_000L + i,
                    Lsn.parse("0/" + Long.toHexString(0x1000000L + i * 200L)),
                    Lsn.parse("0/" + Long.toHexString(0x1000000L + i * 200L + 100)), 1000 + i / 4, i % 4, i % 4 == 3,
                    Operation.UPDATE, new TreeSet<>(List.of("default")), null, false);
            ConnectHeaders headers = new ConnectHeaders();
            h.writeTo(headers);
            byte[] k = keys.fromConnectData(topic, EnvelopeSchemas.KEY, key.toStruct());
            byte[] v = values.fromConnectData(topic, EnvelopeSchemas.VALUE, value.toStruct());
            List<byte[]> hv = new ArrayList<>();
            List<String> hk = new ArrayList<>();
            for (Header header : headers) {
                hk.add(header.key());
                hv.add(headerConverter.fromConnectHeader(topic, header.key(), header.schema(), header.value()));
            }
            bytes += k.length + v.length + hv.stream().mapToInt(b -> b.length).sum();
            wire.add(new Wire(k, v, hv, hk));
        }
        double kv = 0;
        double hd = 0;
        double pm = 0;
        int measured = 0;
        long sink = 0;
        for (int round = 0; round < rounds; round++) {
            long a = 0;
            long b = 0;
            long c = 0;
            for (int i = 0; i < wire.size(); i++) {
                Wire w = wire.get(i);
                long t0 = System.nanoTime();
                SchemaAndValue key = keys.toConnectData(topic, w.key());
                SchemaAndValue value = values.toConnectData(topic, w.value());
                long t1 = System.nanoTime();
                ConnectHeaders headers = new ConnectHeaders();
                for (int j = 0; j < w.headerKeys().size(); j++) {
                    SchemaAndValue hv = headerConverter.toConnectHeader(topic, w.headerKeys().get(j), w.headerValues().get(j));
                    headers.add(w.headerKeys().get(j), hv);
                }
                long t2 = System.nanoTime();
                SinkRecord r = new SinkRecord(topic, 0, key.schema(), key.value(), value.schema(), value.value(), i, 0L,
                        org.apache.kafka.common.record.TimestampType.CREATE_TIME, headers);
                ChangeRecord parsed = ChangeRecord.parse(r);
                long t3 = System.nanoTime();
                sink += parsed.offset();
                a += t1 - t0;
                b += t2 - t1;
                c += t3 - t2;
            }
            if (round >= 5) {
                kv += a / 1000.0 / wire.size();
                hd += b / 1000.0 / wire.size();
                pm += c / 1000.0 / wire.size();
                measured++;
            }
        }
        if (sink == 42) {
            System.out.println();  // keeps the parsing from being optimized away
        }
        System.out.printf(Locale.ROOT, "%-28s %12d %12.2f %12.2f %12.2f %12.2f%n",
                schemas ? "JSON with schemas" : "JSON without schemas", bytes / records, kv / measured, hd / measured,
                pm / measured, (kv + hd + pm) / measured);
    }
}
