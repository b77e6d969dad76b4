package io.pgmesh.source.decode;

/** A pgoutput message that does not follow the protocol this decoder reads. */
public class PgOutputFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PgOutputFormatException(String message) {
        super(message);
    }

    public PgOutputFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
