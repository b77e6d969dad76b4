package io.pgmesh.testkit;

/** Ends what a test class started, in the order given, whatever failed before. */
public final class Closeables {

    private Closeables() {
    }

    /**
     * Closes every resource that is not null, in order (a mesh before the Connect cluster it runs
     * on, say); a failure does not keep the others open, and the first one is rethrown afterwards.
     */
    public static void closeAll(AutoCloseable... resources) {
        RuntimeException first = null;
        for (AutoCloseable resource : resources) {
            if (resource == null) {
                continue;
            }
            try {
                resource.close();
            } catch (Exception e) {
                RuntimeException failure = e instanceof RuntimeException r ? r
                        : new IllegalStateException("closing " + resource + " failed: " + e.getMessage(), e);
                if (first == null) {
                    first = failure;
                } else {
                    first.addSuppressed(failure);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
