package org.farmwatch.cli;

import org.farmwatch.util.FarmwatchException;

/** Checks a --master value before Spark sees it, so that a typo is a usage error naming the option. */
final class Masters {
    private Masters() {}

    static void check(String master) {
        if (master == null) {
            return;
        }
        if (!master.matches("local(\\[(\\*|\\d+)(,\\d+)?])?|spark://[^\\s/]+(:\\d+)?(,[^\\s/]+(:\\d+)?)*|yarn|k8s://\\S+|mesos://\\S+")) {
            throw FarmwatchException.usage("--master must be local[N], spark://host:port, yarn or k8s://..., got: " + master);
        }
    }
}
