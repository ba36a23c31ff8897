package org.farmwatch.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** The compiler directives reach HotSpot: C2 for the pixel packages, excluded for every other method. */
class JitPolicyTest {

    private static String printDirectives() throws Exception {
        return String.valueOf(ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesPrint",
                new Object[] {new String[0]}, new String[] {String[].class.getName()}));
    }

    @Test
    void installsOnceAndHotSpotHoldsTheDirectives() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse("default".equals(System.getenv("FARMWATCH_JIT")),
                "FARMWATCH_JIT=default keeps the JVM's own policy");
        assertTrue(JitPolicy.install(), "the directives were taken");
        String before = printDirectives();
        // A second call (every task calls it through Gdal.init) adds nothing.
        assertTrue(JitPolicy.install());
        String after = printDirectives();
        assertEquals(before, after);
        for (String pkg : new String[] {"org/farmwatch/classify/*.*", "org/farmwatch/change/*.*", "org/farmwatch/ingest/*.*"}) {
            assertTrue(after.contains(pkg), "C2 kept for " + pkg + ":\n" + after);
        }
        // The catch-all directive excludes C2; the pixel one does not.
        int pixel = after.indexOf("org/farmwatch/classify");
        int rest = after.indexOf("matching: *.*");
        assertTrue(pixel >= 0 && rest > pixel, "the pixel directive is matched first:\n" + after);
        String pixelC2 = after.substring(after.indexOf("c2 directives", pixel), rest);
        String restC2 = after.substring(after.indexOf("c2 directives", rest));
        assertTrue(pixelC2.contains("Enable:true Exclude:false"), pixelC2);
        assertTrue(restC2.contains("Enable:true Exclude:true"), restC2);
    }
}
