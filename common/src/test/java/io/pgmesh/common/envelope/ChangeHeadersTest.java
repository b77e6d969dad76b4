package io.pgmesh.common.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.junit.jupiter.api.Test;

class ChangeHeadersTest {

    private static final ChangeHeaders HEADERS = new ChangeHeaders(new NodeName("n1"), new NodeName("n2"),
            1_700_000_000_123_456L, Lsn.parse("0/1234ABCD"), Lsn.parse("0/156C600"), 770L, 3, true,
            Operation.UPDATE, new TreeSet<>(Set.of("default", "audit")), null);

    @Test
    void headersSurviveTheDefaultHeaderConverterAsBytes() {
        assertEquals(HEADERS, ChangeHeaders.readFrom(throughSimpleHeaderConverter(HEADERS)));
    }

    @Test
    void anEmptySetListAndAnExternalOriginSurviveToo() {
        ChangeHeaders external = new ChangeHeaders(new NodeName("n1"), new NodeName("n1"), 0L, Lsn.parse("0/10"),
                Lsn.parse("0/10"), 0L, 0, true, Operation.HEARTBEAT, new TreeSet<>(), "pg_16384");
        assertEquals(external, ChangeHeaders.readFrom(throughSimpleHeaderConverter(external)));
    }

    @Test
    void setsAreWrittenSortedAndCommaSeparated() {
        Headers headers = new ConnectHeaders();
        HEADERS.writeTo(headers);
        assertEquals("audit,default", headers.lastWithName(ChangeHeaders.SETS).value());
        for (String name : ChangeHeaders.ALWAYS_PRESENT) {
            assertTrue(headers.lastWithName(name) != null, name);
        }
        assertTrue(HEADERS.inAnySet(Set.of("audit", "other")));
        assertFalse(HEADERS.inAnySet(Set.of("other")));
    }

    @Test
    void recordsWithoutOurHeadersOrFromANewerFormatAreRefused() {
        DataException missing = assertThrows(DataException.class, () -> ChangeHeaders.readFrom(new ConnectHeaders()));
        assertTrue(missing.getMessage().contains("was not written by a pgmesh source"), missing.getMessage());

        Headers newer = new ConnectHeaders();
        HEADERS.writeTo(newer);
        newer.remove(ChangeHeaders.FORMAT).addInt(ChangeHeaders.FORMAT, EnvelopeSchemas.FORMAT_VERSION + 1);
        DataException future = assertThrows(DataException.class, () -> ChangeHeaders.readFrom(newer));
        assertTrue(future.getMessage().contains("upgrade the sink connector"), future.getMessage());

        Headers bad = new ConnectHeaders();
        HEADERS.writeTo(bad);
        bad.remove(ChangeHeaders.ORIGIN_LSN).addString(ChangeHeaders.ORIGIN_LSN, "nonsense");
        assertThrows(DataException.class, () -> ChangeHeaders.readFrom(bad));
    }

    private static Headers throughSimpleHeaderConverter(ChangeHeaders original) {
        Headers written = new ConnectHeaders();
        original.writeTo(written);
        SimpleHeaderConverter converter = new SimpleHeaderConverter();
        converter.configure(Map.of());
        Headers read = new ConnectHeaders();
        for (Header h : written) {
            byte[] bytes = converter.fromConnectHeader("t", h.key(), h.schema(), h.value());
            SchemaAndValue back = converter.toConnectHeader("t", h.key(), bytes);
            read.add(h.key(), back);
        }
        return read;
    }
}
