package io.pgmesh.sink.apply;

import org.apache.kafka.connect.errors.ConnectException;

/**
 * A change does not fit this node's schema: its table or one of its columns is missing. Often
 * transient: the DDL that creates it may still be on its way through another peer's topic (DDL
 * replicates to every node in its own time), so the sink waits and retries within its retry
 * budget before it fails the task with this message.
 */
public class SchemaMismatchException extends ConnectException {

    private static final long serialVersionUID = 1L;

    public SchemaMismatchException(String message) {
        super(message);
    }
}
