package io.pgmesh.testkit;

/**
 * Table {@code alltypes}: a column of every kind of type (39 columns), and rows that exercise their
 * edge cases (NaN, infinities, quotes, newlines, non-ASCII, empty and NULL values, a TOASTed text).
 */
public final class TypesTable {

    public static final String DDL = """
            CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
            CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
            CREATE TYPE pair AS (a int, b text);
            CREATE TABLE alltypes (
              id int PRIMARY KEY,
              c_int2 int2, c_int4 int4, c_int8 int8, c_numeric numeric, c_numeric_p numeric(10,2),
              c_float4 float4, c_float8 float8, c_text text, c_varchar varchar(20), c_char char(5),
              c_bytea bytea, c_bool bool, c_date date, c_time time, c_timetz timetz, c_timestamp timestamp,
              c_timestamptz timestamptz, c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb,
              c_int_array int[], c_text_array text[], c_mood mood, c_posint posint, c_pair pair,
              c_inet inet, c_cidr cidr, c_macaddr macaddr, c_int4range int4range, c_tstzrange tstzrange,
              c_money money, c_varbit bit varying(16), c_tsvector tsvector, c_xml xml, c_point point,
              c_mood_array mood[], c_big text)""";

    public static final String ROWS = """
            INSERT INTO alltypes VALUES
            (1, -32768, 2147483647, -9223372036854775808, 'NaN', 12345678.91, 3.25, 'Infinity',
             E'it''s "quoted"\\nline two\\ttab Grüße 日本 ✓', 'short', 'ab', '\\x00ff10', true, '2024-02-29',
             '23:59:59.999999', '12:00+05:30', '1999-12-31 23:59:59.5', 'infinity', '1 year 2 mons 3 days 04:05:06.789',
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1, "a": [1, 2]}', '{"b": 1, "a": [1, 2]}', '{1,NULL,3}',
             ARRAY['x y', 'q"uote', NULL], 'happy', 42, ROW(7, 'seven'), '192.168.0.1/24', '10.0.0.0/8',
             '08:00:2b:01:02:03', '[1,10)', '[2024-01-01 00:00+00,infinity)', 1234.56, B'10110',
             'a fat cat sat on a mat', '<a x="1">t</a>', '(1.5,-2)', '{sad,happy}',
             (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 300) g)),
            (2, 1, 2, 3, '-0.000001', -1, '-Infinity', '-Infinity', '', '', '', '\\x', false, '-infinity', '00:00',
             '00:00-12', '-infinity', '-infinity', '-1 day', NULL, 'null', '[]', '{}', '{}', 'sad', 1, ROW(NULL, NULL),
             '::1', '::/0', 'ff:ff:ff:ff:ff:ff', 'empty', 'empty', -0.01, B'', '', '<e/>', '(0,0)', '{}', 'small'),
            (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL)""";

    /**
     * A row whose {@code json} value holds {@code \u0000}: valid json, but without a jsonb (or
     * text) form, so anything that turns the whole row into jsonb fails on it.
     */
    public static final String ROW_WITH_NUL_ESCAPE = "INSERT INTO alltypes (id, c_text, c_json, c_big) VALUES"
            + " (10, 'json with \\u0000', '{\"a\": \"\\u0000\", \"b\": [\"x\\u0000y\"]}', 'nul')";

    /** Every column of every row as its output function prints it, NULL as NULL, in id order. */
    public static final String SELECT_AS_TEXT = "SELECT id, to_jsonb(t)::text FROM (SELECT id, c_int2, c_int4, c_int8,"
            + " c_numeric::text, c_numeric_p::text, c_float4::text, c_float8::text, c_text, c_varchar, c_char::text,"
            + " c_bytea::text, c_bool::text, c_date::text, c_time::text, c_timetz::text, c_timestamp::text,"
            + " c_timestamptz::text, c_interval::text, c_uuid::text, c_json::text, c_jsonb::text, c_int_array::text,"
            + " c_text_array::text, c_mood::text, c_posint::text, c_pair::text, format('%s', c_inet) AS c_inet,"
            + " c_cidr::text, c_macaddr::text, c_int4range::text, c_tstzrange::text, c_money::text, c_varbit::text,"
            + " c_tsvector::text, c_xml::text, c_point::text, c_mood_array::text, md5(c_big) AS c_big"
            + " FROM alltypes) AS t ORDER BY id";

    private TypesTable() {
    }
}
