package io.pgmesh.cli;

/** A failure pgmeshctl reports: what went wrong and what to do (one line, with any trace after it); exit status 1. */
public class CliException extends RuntimeException {

    public CliException(String message) {
        super(message);
    }
}
