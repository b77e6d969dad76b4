package io.pgmesh.sink.apply;

import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.sink.conflict.ConflictJudge.Change;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A remote row change, ready to apply: which row (its key, and for an update that moved it, the
 * old key) and, for inserts and updates, the new image by column name.
 *
 * @param key    text values of the row's key (the new key for an insert or update)
 * @param oldKey text values of the old key when an update changed it, else null
 * @param image  the new row by column name, null for a delete
 */
public record RowChange(Change change, TableId table, Map<String, String> key, Map<String, String> oldKey,
                        Map<String, ColumnValue> image) {

    public RowChange {
        key = Collections.unmodifiableMap(new LinkedHashMap<>(key));
        oldKey = oldKey == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(oldKey));
        image = image == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(image));
    }

    /** Columns of the image whose TOASTed value was not sent (unchanged on the origin). */
    public List<String> unchangedToast() {
        return image == null ? List.of()
                : image.values().stream().filter(ColumnValue::unchangedToast).map(ColumnValue::name).toList();
    }

    public boolean movesKey() {
        return oldKey != null && !oldKey.equals(key);
    }
}
