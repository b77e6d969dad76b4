package io.pgmesh.cli;

/** A failure pgmeshctl reports as one line saying what went wrong and what to do; exit status 1. */
public final class CliException extends RuntimeException {

    public CliException(String message) {
        super(message);
    }
}
