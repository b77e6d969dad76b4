package io.pgmesh.sink.apply;

import java.util.ArrayList;
import java.util.List;

/** A piece of SQL and the parameters of its {@code ?}, in order; pieces concatenate. */
record Sql(String text, List<Param> params) {

    Sql {
        params = List.copyOf(params);
    }

    static Sql of(String text, Param... params) {
        return new Sql(text, List.of(params));
    }

    Sql then(String more) {
        return new Sql(text + more, params);
    }

    Sql then(Sql more) {
        List<Param> all = new ArrayList<>(params);
        all.addAll(more.params);
        return new Sql(text + more.text, all);
    }

    static Sql join(String separator, List<Sql> pieces) {
        Sql joined = of("");
        for (int i = 0; i < pieces.size(); i++) {
            joined = joined.then(i == 0 ? "" : separator).then(pieces.get(i));
        }
        return joined;
    }
}
