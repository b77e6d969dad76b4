package io.pgmesh.common.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.sql.SQLException;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SqlStateClassifierTest {

    @ParameterizedTest
    @ValueSource(strings = {"08000", "08001", "08006", "57P01", "57P02", "57P03", "40001", "40P01", "55P03", "55006", "53300"})
    void transientFailuresAreRetriable(String state) {
        assertTrue(SqlStateClassifier.classify(new SQLException("x", state)).retriable());
        assertInstanceOf(RetriableException.class,
                ConnectSqlErrors.toConnectException("doing it", new SQLException("x", state)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"28P01", "28000", "3D000", "42501", "42P01", "42601", "22P02", "23505", "55000", "0A000"})
    void failuresThatNeedAPersonArePermanent(String state) {
        assertFalse(SqlStateClassifier.classify(new SQLException("x", state)).retriable());
        ConnectException e = ConnectSqlErrors.toConnectException("doing it", new SQLException("x", state));
        assertFalse(e instanceof RetriableException);
    }

    @ParameterizedTest
    @ValueSource(strings = {"22P02", "22001", "23505", "23503", "23514", "23502", "44000", "P0001"})
    void errorsOfTheDataMayBeSetAsideByAnApplyErrorPolicy(String state) {
        assertTrue(SqlStateClassifier.refusedData(new SQLException("x", state)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"42501", "42P01", "42703", "28P01", "3D000", "0A000", "08006", "40P01", "XX000"})
    void otherErrorsAreNeverSetAside(String state) {
        assertFalse(SqlStateClassifier.refusedData(new SQLException("x", state)));
        assertFalse(SqlStateClassifier.refusedData(new SQLException("no state")));
    }

    @Test
    void messageSaysWhatFailedAndWhatToDo() {
        ConnectException e = ConnectSqlErrors.toConnectException("connecting to n1",
                new SQLException("password authentication failed for user \"bob\"", "28P01"));
        assertEquals("Failed connecting to n1: password authentication failed for user \"bob\" (SQLSTATE 28P01)."
                + " What to do: check database.user and database.password.", e.getMessage());
    }

    @Test
    void anIoFailureWithoutSqlStateIsRetriable() {
        assertTrue(SqlStateClassifier.classify(new SQLException("gone", null, new EOFException())).retriable());
        assertFalse(SqlStateClassifier.classify(new SQLException("odd")).retriable());
    }
}
