package io.pgmesh.source.decode;

/**
 * A message of PostgreSQL's logical replication protocol as the {@code pgoutput} plugin sends it
 * (protocol version 1 with {@code messages 'true'}), one record type per message. Each record
 * documents its byte layout; integers are big-endian, strings are NUL-terminated UTF-8 (the
 * replication connection's client encoding). See "Logical Replication Message Formats" in the
 * PostgreSQL documentation.
 */
public sealed interface PgOutputMessage
        permits Begin, Commit, Origin, Relation, TypeMessage, Insert, Update, Delete, Truncate,
                LogicalDecodingMessage {
}
