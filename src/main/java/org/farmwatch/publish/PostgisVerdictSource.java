package org.farmwatch.publish;

import org.farmwatch.change.ChangeFeatures;

/**
 * Judged patches of the PostGIS one map: every patch with a verdict imported by {@code import-verdicts}, with the
 * evidence its latest run kept ({@link PostgisPatchEvidence}). Holds the URL and schema only; connects when read.
 *
 * @param url    {@code postgresql://user@host[:port]/database}; the password comes from PGPASSWORD or ~/.pgpass
 * @param schema the one map's schema
 */
public record PostgisVerdictSource(String url, String schema) implements PatchVerdictSource {

    public PostgisVerdictSource {
        PostgisOneMap.at(url, schema); // a bad URL or schema is a usage error now, not on an executor
    }

    @Override
    public String describe() {
        return PostgisOneMap.at(url, schema).describe() + " (verdicts)";
    }

    @Override
    public void read(Sink into) {
        PostgisPatchEvidence.readJudged(PostgisOneMap.at(url, schema), j -> {
            PatchEvidenceTable.Row row = j.row();
            if (JUDGED_TYPES.contains(row.changeType())) {
                into.accept(row.patchId(), j.real(), ChangeFeatures.of(row.evidence(), row.areaM2(), row.fromClass(),
                        row.toClass(), row.beforeDate(), row.afterDate()));
            }
        });
    }
}
