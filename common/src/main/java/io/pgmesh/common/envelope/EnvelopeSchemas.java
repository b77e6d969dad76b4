package io.pgmesh.common.envelope;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;

/**
 * The fixed Connect schemas of a node topic: one for keys, one for values, for every table. A table
 * change never changes them, so a schema registry holds one subject per topic. Changing them means
 * a new {@link #FORMAT_VERSION}, which also travels in the {@code pgmesh.format} header.
 */
public final class EnvelopeSchemas {

    /** Version of the record format: schemas and headers together. */
    public static final int FORMAT_VERSION = 1;

    public static final Schema KEY_COLUMN = SchemaBuilder.struct()
            .name("io.pgmesh.KeyColumn").version(FORMAT_VERSION)
            .doc("A replica-identity column: name and PostgreSQL text value (null for SQL NULL).")
            .field("name", Schema.STRING_SCHEMA)
            .field("value", Schema.OPTIONAL_STRING_SCHEMA)
            .build();

    public static final Schema COLUMN = SchemaBuilder.struct()
            .name("io.pgmesh.Column").version(FORMAT_VERSION)
            .doc("A column of a row image: name, type as format_type prints it, value as col::text prints it.")
            .field("name", Schema.STRING_SCHEMA)
            .field("type", Schema.STRING_SCHEMA)
            .field("value", Schema.OPTIONAL_STRING_SCHEMA)
            .field("unchanged_toast", Schema.BOOLEAN_SCHEMA)
            .build();

    public static final Schema KEY = SchemaBuilder.struct()
            .name("io.pgmesh.Key").version(FORMAT_VERSION)
            .doc("Identifies what a record is about, so that topic compaction keeps the latest image of each row.")
            .field("kind", Schema.STRING_SCHEMA)
            .field("schema", Schema.OPTIONAL_STRING_SCHEMA)
            .field("table", Schema.OPTIONAL_STRING_SCHEMA)
            .field("columns", SchemaBuilder.array(KEY_COLUMN).optional().build())
            .field("id", Schema.OPTIONAL_STRING_SCHEMA)
            .build();

    public static final Schema VALUE = SchemaBuilder.struct()
            .name("io.pgmesh.Value").version(FORMAT_VERSION)
            .doc("A change captured from a PostgreSQL node; null for a row delete (see the record's headers).")
            .field("op", Schema.STRING_SCHEMA)
            .field("schema", Schema.OPTIONAL_STRING_SCHEMA)
            .field("table", Schema.OPTIONAL_STRING_SCHEMA)
            .field("columns", SchemaBuilder.array(COLUMN).optional().build())
            .field("old_key", SchemaBuilder.array(COLUMN).optional().build())
            .field("truncate_cascade", Schema.OPTIONAL_BOOLEAN_SCHEMA)
            .field("truncate_restart_identity", Schema.OPTIONAL_BOOLEAN_SCHEMA)
            .field("message_prefix", Schema.OPTIONAL_STRING_SCHEMA)
            .field("message_content", Schema.OPTIONAL_BYTES_SCHEMA)
            .field("message_transactional", Schema.OPTIONAL_BOOLEAN_SCHEMA)
            .build();

    private EnvelopeSchemas() {
    }
}
