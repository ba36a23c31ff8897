package org.farmwatch.publish;

import java.io.Serializable;
import java.util.Set;

/**
 * Where {@code farmwatch train-change} finds judged patches: inspectors' verdicts (or labels) on the patches of
 * earlier runs, each with the features the run kept for it. Read on an executor; serializable, holding no
 * connection or open file.
 */
public interface PatchVerdictSource extends Serializable {

    /** Verdicts that say the change is real (an approved conversion is real, only lawful). */
    Set<String> REAL = Set.of("confirmed", "approved");
    Set<String> VERDICTS = Set.of("confirmed", "approved", "false_alarm");
    /**
     * The published types a change model learns from and judges: those sent to inspectors. (Verdicts exist only for
     * them; a labelled change map judges only them too, so that simulated verdicts are like real ones.)
     */
    Set<String> JUDGED_TYPES = Set.of("non_agricultural", "non_grain");

    /** Receives one judged patch. */
    interface Sink {
        void accept(String patchId, boolean real, double[] features);
    }

    /** What a message calls this source (never a password). */
    String describe();

    /**
     * Each judged patch to {@code into}.
     *
     * @throws IllegalArgumentException naming the source and row when a verdict or an evidence row is bad
     */
    void read(Sink into);
}
