package io.pgmesh.cli;

/** A connector or one of its tasks is FAILED: what was waited for cannot happen until someone fixes it. */
public final class ConnectorFailedException extends CliException {

    public ConnectorFailedException(String message) {
        super(message);
    }
}
