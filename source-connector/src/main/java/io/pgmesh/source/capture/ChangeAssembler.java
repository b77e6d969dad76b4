package io.pgmesh.source.capture;

import io.pgmesh.common.InternalSchema;
import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.ChangeValue;
import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.common.envelope.DdlCommand;
import io.pgmesh.common.envelope.KeyColumn;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.common.envelope.Truncation;
import io.pgmesh.common.json.Json;
import io.pgmesh.common.sql.SqlIdentifiers;
import io.pgmesh.source.decode.Begin;
import io.pgmesh.source.decode.Commit;
import io.pgmesh.source.decode.Delete;
import io.pgmesh.source.decode.Insert;
import io.pgmesh.source.decode.LogicalDecodingMessage;
import io.pgmesh.source.decode.OldTuple;
import io.pgmesh.source.decode.Origin;
import io.pgmesh.source.decode.PgOutputMessage;
import io.pgmesh.source.decode.Relation;
import io.pgmesh.source.decode.Truncate;
import io.pgmesh.source.decode.TupleData;
import io.pgmesh.source.decode.TupleValue;
import io.pgmesh.source.decode.TypeMessage;
import io.pgmesh.source.decode.Update;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.apache.kafka.connect.errors.DataException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the decoded message stream of one node into change events: tags every change with its
 * origin (this node, or the peer named by an Origin message), numbers the changes of each
 * transaction and marks the last one (holding each back until the next change or the commit shows
 * whether it is last), and drops what must not reach the topic: pgmesh's own bookkeeping tables,
 * messages with other prefixes, and everything at or before the position to resume after. Notices
 * transactions that create or drop replication sets ({@link #takeSetsChange}).
 */
public final class ChangeAssembler {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeAssembler.class);

    private final NodeName node;
    private final Set<String> messagePrefixes;
    private final CatalogLookups catalog;
    private final LongSupplier clockMicros;
    private final Map<Integer, RelationInfo> relations = new HashMap<>();
    private final Map<Integer, String> announcedTypes = new HashMap<>();
    private StreamPosition resumeAfter;
    private Transaction tx;
    private SetsChange setsChange;

    /**
     * A committed transaction created or dropped replication sets: the stream must start again
     * after it, naming the new sets' publications.
     *
     * @param xid       the transaction's id
     * @param commitEnd the end of the transaction's commit: where the new stream starts
     * @param created   the sets it created
     */
    public record SetsChange(long xid, Lsn commitEnd, List<String> created) {
        public SetsChange {
            created = List.copyOf(created);
        }
    }

    /** The transaction being assembled. */
    private static final class Transaction {
        final Begin begin;
        NodeName originNode;
        Lsn originLsn;
        String externalOrigin;
        int nextSeq;
        ChangeEvent held;
        boolean changesSets;
        final List<String> createdSets = new ArrayList<>();

        Transaction(Begin begin, NodeName localNode) {
            this.begin = begin;
            this.originNode = localNode;
            this.originLsn = begin.finalLsn();
        }
    }

    public ChangeAssembler(NodeName node, Set<String> messagePrefixes, CatalogLookups catalog,
                           StreamPosition resumeAfter, LongSupplier clockMicros) {
        this.node = node;
        this.messagePrefixes = Set.copyOf(messagePrefixes);
        this.catalog = catalog;
        this.resumeAfter = resumeAfter;
        this.clockMicros = clockMicros;
    }

    /** The events {@code message} completes, in stream order; often none. */
    public List<ChangeEvent> accept(PgOutputMessage message) throws SQLException {
        if (message instanceof Begin b) {
            return begin(b);
        } else if (message instanceof Origin o) {
            return origin(o);
        } else if (message instanceof Relation r) {
            return relation(r);
        } else if (message instanceof TypeMessage t) {
            return type(t);
        } else if (message instanceof Insert i) {
            return change(insert(i));
        } else if (message instanceof Update u) {
            return updateAndMovedAway(u);
        } else if (message instanceof Delete d) {
            return change(delete(d));
        } else if (message instanceof Truncate t) {
            return truncate(t);
        } else if (message instanceof LogicalDecodingMessage m) {
            return message(m);
        } else if (message instanceof Commit c) {
            return commit(c);
        }
        throw new IllegalStateException("unhandled pgoutput message " + message);
    }

    private List<ChangeEvent> begin(Begin begin) {
        if (tx != null) {
            throw new IllegalStateException("Begin of xid " + begin.xid() + " inside transaction " + tx.begin.xid());
        }
        tx = new Transaction(begin, node);
        return List.of();
    }

    private List<ChangeEvent> origin(Origin origin) {
        Transaction t = requireTransaction("Origin");
        NodeName.fromOriginName(origin.originName()).ifPresentOrElse(peer -> {
            t.originNode = peer;
            t.originLsn = origin.originLsn();
        }, () -> t.externalOrigin = origin.originName());
        return List.of();
    }

    private List<ChangeEvent> relation(Relation relation) throws SQLException {
        TableId table = new TableId(relation.namespace().isEmpty() ? "pg_catalog" : relation.namespace(),
                relation.name());
        List<Relation.Column> columns = relation.columns();
        List<String> types = catalog.typeNames(columns.stream().map(Relation.Column::typeOid).toList(),
                columns.stream().map(Relation.Column::typeModifier).toList());
        List<RelationInfo.Column> resolved = new ArrayList<>(columns.size());
        for (int i = 0; i < columns.size(); i++) {
            Relation.Column c = columns.get(i);
            String type = "???".equals(types.get(i)) ? announcedTypes.getOrDefault(c.typeOid(), "???") : types.get(i);
            resolved.add(new RelationInfo.Column(c.name(), type, c.key()));
        }
        relations.put(relation.relationId(), new RelationInfo(relation.relationId(), table, resolved,
                relation.replicaIdentity() == 'f'));
        return List.of();
    }

    private List<ChangeEvent> type(TypeMessage type) {
        String name = type.namespace().isEmpty() ? type.name()
                : SqlIdentifiers.quote(type.namespace()) + "." + SqlIdentifiers.quote(type.name());
        announcedTypes.put(type.typeOid(), name);
        return List.of();
    }

    /** A row change ready to be numbered, or null when its table is not captured. */
    private record RowChange(RelationInfo relation, Operation op, ChangeKey key, ChangeValue value) {
    }

    private RowChange insert(Insert insert) {
        RelationInfo rel = relationOf(insert.relationId());
        if (InternalSchema.contains(rel.table())) {
            return null;
        }
        List<ColumnValue> columns = columnValues(rel, insert.newTuple(), false);
        return new RowChange(rel, Operation.INSERT, null, new RowImage(Operation.INSERT, rel.table(), columns, null));
    }

    private RowChange update(Update update) {
        RelationInfo rel = relationOf(update.relationId());
        if (InternalSchema.contains(rel.table())) {
            return null;
        }
        List<ColumnValue> columns = columnValues(rel, update.newTuple(), false);
        List<ColumnValue> oldKey = update.oldTuple() == null ? null : columnValues(rel, update.oldTuple().values(), true);
        return new RowChange(rel, Operation.UPDATE, null, new RowImage(Operation.UPDATE, rel.table(), columns, oldKey));
    }

    /**
     * The update's event and, when it changed the row's key, a tombstone of the old key after it:
     * the topic keeps the latest record of every key, and without one the old key's last record
     * (its insert, say) would stay, and a reseed from the topic would bring the moved row back. The
     * update still carries the old key, which tells a sink to move the row (and where to find
     * unchanged TOASTed values); for a sink the tombstone then deletes a row that is gone already.
     */
    private List<ChangeEvent> updateAndMovedAway(Update update) throws SQLException {
        RowChange change = update(update);
        List<ChangeEvent> events = new ArrayList<>(change(change));
        if (change != null && movesKey((RowImage) change.value(), change.relation())) {
            List<KeyColumn> oldKey = new ArrayList<>();
            for (ColumnValue c : ((RowImage) change.value()).oldKey()) {
                oldKey.add(new KeyColumn(c.name(), c.value()));
            }
            events.addAll(change(new RowChange(change.relation(), Operation.DELETE,
                    ChangeKey.row(change.relation().table(), oldKey), null)));
        }
        return events;
    }

    /**
     * Whether an update changed the row's key: pgoutput sends the old key then (and with replica
     * identity FULL, the whole old row on every update, where records are keyed by whole rows: no
     * tombstone is written for those).
     */
    private static boolean movesKey(RowImage image, RelationInfo rel) {
        if (image.oldKey() == null || !rel.hasKey() || rel.fullIdentity()) {
            return false;
        }
        java.util.Map<String, String> newKey = new java.util.HashMap<>();
        for (KeyColumn k : keyColumns(image.columns(), rel)) {
            newKey.put(k.name(), k.value());
        }
        for (ColumnValue old : image.oldKey()) {
            if (!java.util.Objects.equals(newKey.get(old.name()), old.value())) {
                return true;
            }
        }
        return false;
    }

    private RowChange delete(Delete delete) {
        RelationInfo rel = relationOf(delete.relationId());
        if (InternalSchema.contains(rel.table())) {
            return null;
        }
        OldTuple old = delete.oldTuple();
        return new RowChange(rel, Operation.DELETE, keyOf(rel, old.values()), null);
    }

    private List<ChangeEvent> change(RowChange change) throws SQLException {
        if (change == null) {
            return List.of();
        }
        Transaction t = requireTransaction(change.op().wireName());
        int seq = t.nextSeq++;
        ChangeKey key = change.key();
        if (key == null) {
            RowImage image = (RowImage) change.value();
            key = change.relation().hasKey() ? ChangeKey.row(change.relation().table(), keyColumns(image.columns(), change.relation()))
                    : ChangeKey.unidentifiedRow(change.relation().table(), localId(seq));
        }
        return hold(t, new ChangeEvent(headers(t, seq, change.op(), setsOf(change.relation(), change.op())), key,
                change.value(), null));
    }

    private List<ChangeEvent> truncate(Truncate truncate) throws SQLException {
        Transaction t = requireTransaction("Truncate");
        List<ChangeEvent> out = new ArrayList<>();
        for (int relationId : truncate.relationIds()) {
            RelationInfo rel = relationOf(relationId);
            if (InternalSchema.contains(rel.table())) {
                continue;
            }
            int seq = t.nextSeq++;
            ChangeEvent event = new ChangeEvent(headers(t, seq, Operation.TRUNCATE, setsOf(rel, Operation.TRUNCATE)),
                    ChangeKey.truncate(rel.table(), localId(seq)),
                    new Truncation(rel.table(), truncate.cascade(), truncate.restartIdentity()), null);
            out.addAll(hold(t, event));
        }
        return out;
    }

    private List<ChangeEvent> message(LogicalDecodingMessage m) throws SQLException {
        if (LogicalMessage.MEMBERS_PREFIX.equals(m.prefix())) {
            if (tx != null && m.transactional()) {
                membershipChanged(m, tx.begin.xid(), tx.begin.finalLsn());
            }
            return List.of();
        }
        boolean heartbeat = LogicalMessage.HEARTBEAT_PREFIX.equals(m.prefix());
        if (LogicalMessage.SETS_PREFIX.equals(m.prefix()) && tx != null) {
            tx.changesSets = true;
            createdSet(m).ifPresent(tx.createdSets::add);
        }
        if (!heartbeat && !LogicalMessage.SETS_PREFIX.equals(m.prefix()) && !LogicalMessage.SYNC_PREFIX.equals(m.prefix())
                && !messagePrefixes.contains(m.prefix())) {
            LOG.debug("skipping logical decoding message with prefix {}", m.prefix());
            return List.of();
        }
        LogicalMessage value = new LogicalMessage(m.prefix(), m.content(), m.transactional());
        SortedSet<String> sets = LogicalMessage.DDL_PREFIX.equals(m.prefix()) ? ddlSets(m) : new TreeSet<>();
        if (tx != null && m.transactional()) {
            int seq = tx.nextSeq++;
            ChangeKey key = heartbeat ? ChangeKey.heartbeat(node.value()) : ChangeKey.message(localId(seq));
            return hold(tx, new ChangeEvent(headers(tx, seq, value.operation(), sets), key, value, null));
        }
        long micros = heartbeat ? heartbeatMicros(m) : clockMicros.getAsLong();
        ChangeHeaders headers = new ChangeHeaders(node, node, micros, m.lsn(), m.lsn(), 0L, 0, true,
                value.operation(), sets, null);
        ChangeKey key = heartbeat ? ChangeKey.heartbeat(node.value())
                : ChangeKey.message(node.value() + "/" + m.lsn() + "/0");
        return emit(new ChangeEvent(headers, key, value, m.lsn()));
    }

    private List<ChangeEvent> commit(Commit commit) {
        Transaction t = requireTransaction("Commit");
        tx = null;
        if (t.changesSets) {
            setsChange = new SetsChange(t.begin.xid(), commit.endLsn(), t.createdSets);
        }
        if (t.held == null) {
            return List.of();
        }
        return emit(t.held.lastOfTransaction(commit.endLsn()));
    }

    /** The replication set change the last commit made, once; empty when it made none. */
    public java.util.Optional<SetsChange> takeSetsChange() {
        SetsChange change = setsChange;
        setsChange = null;
        return java.util.Optional.ofNullable(change);
    }

    private static java.util.Optional<String> createdSet(LogicalDecodingMessage m) {
        try {
            if (Json.parse(new String(m.content(), StandardCharsets.UTF_8)) instanceof Map<?, ?> fields
                    && "create".equals(fields.get("change")) && fields.get("set") instanceof String set) {
                return java.util.Optional.of(set);
            }
        } catch (IllegalArgumentException e) {
            LOG.warn("Unreadable {} message at {}: {}", m.prefix(), m.lsn(), e.getMessage());
        }
        return java.util.Optional.empty();
    }

    /** Keeps {@code event} back until the next shows it is not the last; releases the one held before. */
    private List<ChangeEvent> hold(Transaction t, ChangeEvent event) {
        ChangeEvent previous = t.held;
        t.held = event;
        return previous == null ? List.of() : emit(previous);
    }

    private List<ChangeEvent> emit(ChangeEvent event) {
        if (!event.position().isAfter(resumeAfter)) {
            return List.of();
        }
        resumeAfter = StreamPosition.START;
        return List.of(event);
    }

    /**
     * The sets a row change of {@code rel} in the current transaction is tagged with: those its
     * table was in at that point of the stream; none for pgmesh's own tables.
     */
    private SortedSet<String> setsOf(RelationInfo rel, Operation op) throws SQLException {
        if (InternalSchema.contains(rel.table())) {
            return new TreeSet<>();
        }
        return SetMembership.setsFor(catalog.memberships(rel.relationId(), rel.table(), tx.begin.finalLsn()), op);
    }

    private void membershipChanged(LogicalDecodingMessage m, long xid, Lsn commitLsn) throws SQLException {
        Object parsed;
        try {
            parsed = Json.parse(new String(m.content(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            parsed = null;
        }
        if (parsed instanceof Map<?, ?> fields && fields.get("id") instanceof java.math.BigDecimal id
                && fields.get("relid") instanceof java.math.BigDecimal relid) {
            catalog.membershipDecoded(id.longValueExact(), (int) relid.longValueExact(), xid, commitLsn);
        } else {
            LOG.warn("Unreadable {} message at {}: {}", m.prefix(), m.lsn(),
                    new String(m.content(), StandardCharsets.UTF_8));
        }
    }

    /** The sets a DDL message names; none (no sink applies it) when it is not one pgmesh wrote. */
    private static SortedSet<String> ddlSets(LogicalDecodingMessage m) {
        try {
            return DdlCommand.parse(m.content()).sets();
        } catch (DataException e) {
            LOG.warn("A {} message at {} was not written by pgmesh ({}); it is carried with no replication set, so no"
                    + " sink applies it", m.prefix(), m.lsn(), e.getMessage());
            return new TreeSet<>();
        }
    }

    private ChangeHeaders headers(Transaction t, int seq, Operation op, SortedSet<String> sets) {
        return new ChangeHeaders(node, t.originNode, t.begin.commitTimeMicros(), t.originLsn, t.begin.finalLsn(),
                t.begin.xid(), seq, false, op, sets, t.externalOrigin);
    }

    private String localId(int seq) {
        return node.value() + "/" + tx.begin.finalLsn() + "/" + seq;
    }

    private long heartbeatMicros(LogicalDecodingMessage m) {
        try {
            return Long.parseLong(new String(m.content(), StandardCharsets.UTF_8).trim());
        } catch (NumberFormatException e) {
            return clockMicros.getAsLong();
        }
    }

    private Transaction requireTransaction(String what) {
        if (tx == null) {
            throw new IllegalStateException(what + " message outside a transaction");
        }
        return tx;
    }

    private RelationInfo relationOf(int relationId) {
        RelationInfo rel = relations.get(relationId);
        if (rel == null) {
            throw new IllegalStateException("change for relation " + relationId + " before its Relation message");
        }
        return rel;
    }

    private static List<ColumnValue> columnValues(RelationInfo rel, TupleData tuple, boolean keyOnly) {
        List<TupleValue> values = tuple.values();
        if (values.size() != rel.columns().size()) {
            throw new IllegalStateException("tuple of " + rel.table() + " has " + values.size()
                    + " columns, its Relation message " + rel.columns().size());
        }
        List<ColumnValue> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            RelationInfo.Column column = rel.columns().get(i);
            if (keyOnly && !column.key()) {
                continue;
            }
            out.add(columnValue(rel, column, values.get(i)));
        }
        return out;
    }

    private static ColumnValue columnValue(RelationInfo rel, RelationInfo.Column column, TupleValue value) {
        if (value instanceof TupleValue.Text text) {
            return ColumnValue.of(column.name(), column.type(), text.text());
        } else if (value instanceof TupleValue.Null) {
            return ColumnValue.of(column.name(), column.type(), null);
        } else if (value instanceof TupleValue.UnchangedToast) {
            return ColumnValue.unchangedToast(column.name(), column.type());
        }
        throw new IllegalStateException("binary tuple value for " + rel.table() + "." + column.name()
                + ": pgmesh asks for text only");
    }

    private static List<KeyColumn> keyColumns(List<ColumnValue> columns, RelationInfo rel) {
        List<KeyColumn> key = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            if (rel.columns().get(i).key()) {
                key.add(new KeyColumn(columns.get(i).name(), columns.get(i).value()));
            }
        }
        return key;
    }

    private static ChangeKey keyOf(RelationInfo rel, TupleData old) {
        List<KeyColumn> key = new ArrayList<>();
        for (ColumnValue c : columnValues(rel, old, true)) {
            key.add(new KeyColumn(c.name(), c.value()));
        }
        return ChangeKey.row(rel.table(), key);
    }
}
