package io.pgmesh.sink.apply;

/** Where the value of one {@code ?} of an apply statement comes from. */
sealed interface Param {

    /** The remote change's commit time. */
    record RemoteTime() implements Param {
    }

    /** The remote change's origin node. */
    record RemoteNode() implements Param {
    }

    /** The target table's oid. */
    record Relid() implements Param {
    }

    /** The text of the row's key column {@code column} (its old key, for an update that changed it). */
    record Key(String column) implements Param {
    }

    /** The text of column {@code column} in the new row image. */
    record Value(String column) implements Param {
    }

    /** A fixed string, such as a column name inside a JSON key. */
    record Constant(String text) implements Param {
    }

    RemoteTime REMOTE_TIME = new RemoteTime();
    RemoteNode REMOTE_NODE = new RemoteNode();
    Relid RELID = new Relid();
}
