package org.farmwatch.reliability;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM that sees what this test JVM sees: the test class path, the GDAL
 * JNI bridge on {@code java.library.path}, and the {@code --add-opens} flags Spark needs on JDK 17.
 * A native crash or hang in the child is only that child's exit or timeout.
 */
public final class ChildJvm {
    private ChildJvm() {}

    public static List<String> command(String mainClass, String... jvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens")) {
                cmd.add(a);
            }
        }
        cmd.add("-Xmx1g");
        cmd.add("-Djava.library.path=" + System.getProperty("java.library.path"));
        cmd.addAll(List.of(jvmOptions));
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass);
        return cmd;
    }

    /** Surefire may run the tests from a manifest-only jar; its property holds the real class path. */
    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }
}
