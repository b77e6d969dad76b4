package io.pgmesh.source.decode;

import java.util.List;

/**
 * A row's column values in a change message. Layout: Int16 column count, then per column Byte1
 * {@code 'n'} (NULL), {@code 'u'} (unchanged TOASTed value, not sent), {@code 't'} (Int32 length and
 * the value in text format) or {@code 'b'} (Int32 length and the value in binary format).
 */
public record TupleData(List<TupleValue> values) {

    public TupleData {
        values = List.copyOf(values);
    }
}
