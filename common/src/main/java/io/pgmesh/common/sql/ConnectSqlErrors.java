package io.pgmesh.common.sql;

import java.sql.SQLException;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;

/** Turns a classified {@link SQLException} into the Connect exception that says what to do. */
public final class ConnectSqlErrors {

    private ConnectSqlErrors() {
    }

    /**
     * @param doing what the connector was doing, for example "creating replication slot pgmesh_n1"
     * @return a {@link RetriableException} for retriable failures, a {@link ConnectException} otherwise
     */
    public static ConnectException toConnectException(String doing, SQLException e) {
        SqlStateClassifier.Classification c = SqlStateClassifier.classify(e);
        String message = "Failed " + doing + ": " + e.getMessage()
                + (c.sqlState().isEmpty() ? "" : " (SQLSTATE " + c.sqlState() + ")")
                + ". What to do: " + c.advice() + ".";
        return c.retriable() ? new RetriableException(message, e) : new ConnectException(message, e);
    }
}
