"""Our lint and squawk (PyPI ``squawk-cli``) on the same corpus: ``tests/analysis/corpus``.

Each corpus file is a small migration, linted against a real database that holds
``corpus_schema.sql`` (the catalog tells the lint what a file does not). ``EXPECTED`` records,
per file, the rules each tool raises; the README's comparison table is checked against it.
``DANGEROUS`` labels the files; precision and recall are measured for both tools. The corpus
runs both ways: through our lint (always) and through the real squawk binary (installed by
``make test``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from migrations_manager.analysis.lint import RULES
from migrations_manager.analysis.statements import parse_statements
from migrations_manager.services.inspection import (
    Analysed,
    catalog_tables,
    lint_findings,
    planned_rows,
    relation_names,
)
from migrations_manager.sources import runs_outside_transaction
from migrations_manager.types import LintFinding
from tests.realfw.conftest import require_tool
from tests.utils import fresh_database

CORPUS = Path(__file__).parent / "corpus"
SCHEMA = Path(__file__).parent / "corpus_schema.sql"
README = Path(__file__).parents[2] / "README.md"
SQUAWK = Path(sys.executable).parent / "squawk"
PG_VERSION = 160000

# squawk asks for statement_timeout before nearly every statement; we never do (a long statement
# is not wrong in itself: lock_timeout is what keeps traffic from queueing), so it is left out.
NOT_COMPARED = {"require-statement-timeout"}

EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "001_create-index.sql": ({"MM001"}, {"require-concurrent-index-creation"}),
    "002_concurrently-in-transaction.sql": (
        {"MM002"},
        {"ban-concurrent-index-creation-in-transaction", "prefer-robust-stmts"},
    ),
    "003_concurrently-outside-transaction.sql": (set(), {"prefer-robust-stmts"}),
    "004_drop-index.sql": ({"MM003"}, {"require-concurrent-index-deletion"}),
    "005_reindex.sql": ({"MM004"}, {"require-concurrent-reindex"}),
    "006_add-not-null-without-default.sql": ({"MM010"}, {"adding-required-field"}),
    "007_add-volatile-default.sql": ({"MM011"}, {"adding-field-with-default"}),
    "008_add-constant-default.sql": (set(), set()),
    "009_set-not-null.sql": ({"MM012"}, {"adding-not-nullable-field"}),
    "010_set-not-null-after-validated-check.sql": (set(), {"prefer-robust-stmts"}),
    "011_change-column-type.sql": ({"MM013"}, {"changing-column-type"}),
    "012_rename-column.sql": ({"MM014"}, {"renaming-column"}),
    "013_drop-column.sql": ({"MM015"}, {"ban-drop-column"}),
    "014_add-foreign-key.sql": (
        {"MM020"},
        {"adding-foreign-key-constraint", "constraint-missing-not-valid"},
    ),
    "015_add-foreign-key-not-valid.sql": (set(), set()),
    "016_add-check.sql": ({"MM021"}, {"constraint-missing-not-valid"}),
    "017_add-primary-key.sql": (
        {"MM022"},
        {"adding-serial-primary-key-field", "constraint-missing-not-valid"},
    ),
    "018_add-unique.sql": (
        {"MM022"},
        {"constraint-missing-not-valid", "disallowed-unique-constraint"},
    ),
    "019_add-unique-using-index.sql": (set(), set()),
    "020_add-exclusion.sql": ({"MM023"}, {"constraint-missing-not-valid"}),
    "021_validate-in-same-transaction.sql": ({"MM024"}, {"constraint-missing-not-valid"}),
    "022_rename-table.sql": ({"MM030"}, {"renaming-table"}),
    "023_drop-table.sql": ({"MM031"}, {"ban-drop-table"}),
    "024_truncate.sql": ({"MM032"}, set()),
    "025_truncate-cascade.sql": ({"MM032"}, {"ban-truncate-cascade"}),
    "026_set-logged.sql": ({"MM033"}, set()),
    "027_lock-table.sql": ({"MM034"}, set()),
    "028_create-trigger.sql": ({"MM035"}, set()),
    "029_vacuum-full.sql": ({"MM040"}, set()),
    "030_cluster.sql": ({"MM041"}, set()),
    "031_refresh-materialized-view.sql": ({"MM042"}, set()),
    "032_update-without-where.sql": ({"MM050"}, set()),
    "033_delete-without-where.sql": ({"MM051"}, set()),
    "034_no-lock-timeout.sql": ({"MM060"}, {"require-lock-timeout"}),
    "035_enum-add-value.sql": (set(), {"require-enum-value-ordering"}),
    "036_varchar.sql": ({"MM070"}, {"prefer-text-field"}),
    "037_timestamp.sql": ({"MM071"}, {"prefer-timestamp-tz"}),
    "038_serial.sql": ({"MM072"}, {"prefer-identity"}),
    "039_int-key.sql": ({"MM073"}, {"prefer-bigint-over-int"}),
    "040_char.sql": ({"MM074"}, {"ban-char-field"}),
    "041_clean-table.sql": (set(), {"require-lock-timeout"}),
    "042_drop-not-null.sql": (set(), {"ban-drop-not-null"}),
    "043_alter-domain-add-constraint.sql": (
        {"MM021"},
        {"ban-alter-domain-with-add-constraint"},
    ),
    "044_create-domain-with-constraint.sql": (
        set(),
        {"ban-create-domain-with-constraint", "require-lock-timeout"},
    ),
    "045_transaction-nesting.sql": (set(), {"transaction-nesting"}),
    "046_drop-database.sql": (set(), {"ban-drop-database", "require-lock-timeout"}),
    "047_suppressed.sql": (set(), {"require-concurrent-index-creation"}),
    "048_shorten-varchar.sql": ({"MM013", "MM070"}, {"changing-column-type", "prefer-text-field"}),
    "049_lengthen-varchar.sql": ({"MM070"}, {"changing-column-type", "prefer-text-field"}),
    "050_text-to-varchar.sql": ({"MM013", "MM070"}, {"changing-column-type", "prefer-text-field"}),
    "051_varchar-to-text.sql": (set(), {"changing-column-type"}),
    "052_numeric-scale-change.sql": ({"MM013"}, {"changing-column-type"}),
    "053_numeric-precision-increase.sql": (set(), {"changing-column-type"}),
    "054_set-not-null-check-not-validated.sql": ({"MM012"}, {"adding-not-nullable-field"}),
    "055_set-not-null-validated-check-in-catalog.sql": (set(), {"adding-not-nullable-field"}),
    "056_set-not-null-of-a-nullable-column.sql": ({"MM012"}, {"adding-not-nullable-field"}),
    "057_set-not-null-already-not-null.sql": (set(), {"adding-not-nullable-field"}),
    "058_add-column-references-with-default.sql": ({"MM020"}, {"adding-foreign-key-constraint"}),
    "059_add-column-references-without-default.sql": (set(), {"adding-foreign-key-constraint"}),
    "060_enum-add-value-then-use.sql": ({"MM063"}, {"require-enum-value-ordering"}),
    "061_enum-add-value-then-use-after-commit.sql": (set(), {"require-enum-value-ordering"}),
    "062_enum-rename-value.sql": ({"MM062"}, {"renaming-object"}),
    "063_enum-rename-value-of-new-type.sql": (set(), {"renaming-object", "require-lock-timeout"}),
    "064_do-block-create-index.sql": ({"MM001"}, set()),
    "065_do-block-add-check-not-valid.sql": (set(), set()),
    "066_do-block-concurrently.sql": ({"MM002"}, set()),
    "067_do-block-backfill-in-batches.sql": (set(), set()),
    "068_do-block-update-everything.sql": ({"MM050"}, set()),
    "069_int-foreign-key-to-an-int-key.sql": (
        set(),
        {"adding-foreign-key-constraint", "prefer-bigint-over-int"},
    ),
    "070_int-foreign-key-with-a-default.sql": (
        {"MM020"},
        {"adding-foreign-key-constraint", "prefer-bigint-over-int"},
    ),
    "071_suppression-of-the-line-before.sql": (
        {"MM001"},
        {"require-concurrent-index-creation", "require-concurrent-index-deletion"},
    ),
    "072_index-partitioned-parent-concurrently.sql": ({"MM005"}, {"prefer-robust-stmts"}),
    "073_index-partitioned-parent.sql": ({"MM001"}, {"require-concurrent-index-creation"}),
    "074_index-on-only-partitioned-parent.sql": (set(), {"require-concurrent-index-creation"}),
    "075_index-partition-concurrently-and-attach.sql": (set(), {"prefer-robust-stmts"}),
    "076_update-matching-every-row.sql": ({"MM052"}, set()),
    "077_update-in-a-batch.sql": (set(), set()),
    "078_delete-matching-every-row.sql": ({"MM052"}, set()),
    "079_delete-a-few-rows.sql": (set(), set()),
    "080_create-unique-index.sql": ({"MM001"}, {"require-concurrent-index-creation"}),
    "081_create-unique-index-concurrently.sql": (set(), {"prefer-robust-stmts"}),
    "082_create-index-on-a-table-created-here.sql": (set(), {"require-lock-timeout"}),
    "083_drop-index-concurrently.sql": (set(), set()),
    "084_reindex-concurrently.sql": (set(), set()),
    "085_reindex-index.sql": ({"MM004"}, {"require-concurrent-reindex"}),
    "086_create-expression-index.sql": ({"MM001"}, {"require-concurrent-index-creation"}),
    "087_drop-index-of-a-table-created-here.sql": (
        {"MM060"},
        {"require-concurrent-index-deletion", "require-lock-timeout"},
    ),
    "088_add-nullable-column.sql": (set(), set()),
    "089_add-column-with-a-stable-default.sql": (set(), set()),
    "090_add-column-with-clock-timestamp.sql": ({"MM011"}, {"adding-field-with-default"}),
    "091_add-identity-column.sql": ({"MM011"}, {"adding-field-with-default"}),
    "092_add-stored-generated-column.sql": ({"MM011"}, {"adding-field-with-default"}),
    "093_add-not-null-column-with-a-constant-default.sql": (set(), {"prefer-bigint-over-int"}),
    "094_numeric-to-integer.sql": ({"MM013"}, {"changing-column-type", "prefer-bigint-over-int"}),
    "095_varchar-to-unbounded-varchar.sql": (set(), {"changing-column-type"}),
    "096_change-type-with-a-using-expression.sql": ({"MM013"}, {"changing-column-type"}),
    "097_change-type-to-the-same-type.sql": (
        {"MM070"},
        {"changing-column-type", "prefer-text-field"},
    ),
    "098_drop-not-null-of-a-live-column.sql": (set(), {"ban-drop-not-null"}),
    "099_set-default.sql": (set(), set()),
    "100_drop-default.sql": (set(), {"ban-drop-default"}),
    "101_rename-column-of-a-table-created-here.sql": (
        set(),
        {"renaming-column", "require-lock-timeout"},
    ),
    "102_drop-column-of-a-table-created-here.sql": (
        set(),
        {"ban-drop-column", "require-lock-timeout"},
    ),
    "103_set-statistics.sql": (set(), set()),
    "104_set-storage.sql": (set(), set()),
    "105_drop-column-of-a-live-table.sql": ({"MM015"}, {"ban-drop-column"}),
    "106_add-check-not-valid.sql": (set(), set()),
    "107_validate-constraint-in-its-own-migration.sql": (set(), set()),
    "108_add-check-to-a-live-table.sql": ({"MM021"}, {"constraint-missing-not-valid"}),
    "109_add-foreign-key-to-a-live-table.sql": (
        {"MM020"},
        {"adding-foreign-key-constraint", "constraint-missing-not-valid"},
    ),
    "110_add-primary-key-using-index.sql": (set(), set()),
    "111_add-primary-key-to-a-table-created-here.sql": ({"MM022"}, {"require-lock-timeout"}),
    "112_add-check-to-a-table-created-here.sql": (
        {"MM021"},
        {"prefer-bigint-over-int", "require-lock-timeout"},
    ),
    "113_drop-constraint.sql": (set(), {"ban-drop-constraint"}),
    "114_rename-constraint.sql": (set(), {"renaming-object"}),
    "115_foreign-key-not-valid-then-validated-without-transaction.sql": (
        set(),
        {"prefer-robust-stmts"},
    ),
    "116_create-table.sql": (set(), set()),
    "117_create-table-referencing-a-live-table.sql": (set(), {"prefer-bigint-over-int"}),
    "118_rename-a-table-created-here.sql": (set(), {"renaming-table", "require-lock-timeout"}),
    "119_drop-a-table-created-here.sql": (set(), {"ban-drop-table", "require-lock-timeout"}),
    "120_drop-a-live-table.sql": ({"MM031"}, {"ban-drop-table"}),
    "121_truncate-a-table-created-here.sql": (set(), {"require-lock-timeout"}),
    "122_set-unlogged.sql": ({"MM033"}, set()),
    "123_set-fillfactor.sql": (set(), set()),
    "124_set-autovacuum-options.sql": (set(), set()),
    "125_lock-table-access-exclusive.sql": ({"MM034"}, set()),
    "126_lock-table-row-exclusive.sql": (set(), set()),
    "127_create-trigger-on-a-table-created-here.sql": (set(), {"require-lock-timeout"}),
    "128_disable-trigger.sql": (set(), set()),
    "129_create-view.sql": (set(), {"require-lock-timeout"}),
    "130_create-function.sql": (set(), {"require-lock-timeout"}),
    "131_comment-on-table.sql": (set(), {"require-lock-timeout"}),
    "132_grant.sql": (set(), set()),
    "133_create-sequence.sql": (set(), {"require-lock-timeout"}),
    "134_alter-sequence.sql": (set(), {"require-lock-timeout"}),
    "135_vacuum-analyze-without-transaction.sql": (set(), {"require-lock-timeout"}),
    "136_analyze.sql": (set(), set()),
    "137_vacuum-full-of-a-live-table.sql": ({"MM040"}, set()),
    "138_cluster-a-live-table.sql": ({"MM041"}, set()),
    "139_refresh-materialized-view-concurrently.sql": (set(), set()),
    "140_vacuum-in-a-transaction.sql": ({"MM002"}, {"require-lock-timeout"}),
    "141_update-a-table-created-here.sql": ({"MM050"}, set()),
    "142_delete-every-row-of-a-live-table.sql": ({"MM051"}, set()),
    "143_update-one-row.sql": (set(), set()),
    "144_insert-reference-rows.sql": (set(), set()),
    "145_update-a-list-of-rows.sql": (set(), set()),
    "146_delete-where-matching-every-row.sql": ({"MM052"}, set()),
    "147_create-enum.sql": (set(), {"require-lock-timeout"}),
    "148_alter-domain-add-check-not-valid.sql": (set(), {"ban-alter-domain-with-add-constraint"}),
    "149_enum-add-value-then-use-as-text.sql": (set(), {"require-enum-value-ordering"}),
    "150_do-block-raise-notice.sql": (set(), set()),
    "151_do-block-add-column-if-missing.sql": (set(), set()),
    "152_do-block-set-not-null.sql": ({"MM012"}, set()),
    "153_do-block-shorten-varchar.sql": ({"MM013", "MM070"}, set()),
    "154_set-config-lock-timeout-then-index-concurrently.sql": (set(), {"require-lock-timeout"}),
    "155_add-column-references-a-table-created-here.sql": (
        set(),
        {"adding-foreign-key-constraint"},
    ),
}

# The corpus's labels: a file is dangerous when, on a busy table, it would block traffic for more
# than a moment, fail, break running clients or destroy data; every other file is safe. A file
# whose point is a suppression is not labelled.
DANGEROUS = frozenset(
    {
        "001_create-index.sql",
        "002_concurrently-in-transaction.sql",
        "004_drop-index.sql",
        "005_reindex.sql",
        "006_add-not-null-without-default.sql",
        "007_add-volatile-default.sql",
        "009_set-not-null.sql",
        "011_change-column-type.sql",
        "012_rename-column.sql",
        "013_drop-column.sql",
        "014_add-foreign-key.sql",
        "016_add-check.sql",
        "017_add-primary-key.sql",
        "018_add-unique.sql",
        "020_add-exclusion.sql",
        "021_validate-in-same-transaction.sql",
        "022_rename-table.sql",
        "023_drop-table.sql",
        "024_truncate.sql",
        "025_truncate-cascade.sql",
        "026_set-logged.sql",
        "027_lock-table.sql",
        "029_vacuum-full.sql",
        "030_cluster.sql",
        "031_refresh-materialized-view.sql",
        "032_update-without-where.sql",
        "033_delete-without-where.sql",
        "043_alter-domain-add-constraint.sql",
        "046_drop-database.sql",
        "048_shorten-varchar.sql",
        "050_text-to-varchar.sql",
        "052_numeric-scale-change.sql",
        "054_set-not-null-check-not-validated.sql",
        "056_set-not-null-of-a-nullable-column.sql",
        "058_add-column-references-with-default.sql",
        "060_enum-add-value-then-use.sql",
        "062_enum-rename-value.sql",
        "064_do-block-create-index.sql",
        "066_do-block-concurrently.sql",
        "068_do-block-update-everything.sql",
        "070_int-foreign-key-with-a-default.sql",
        "071_suppression-of-the-line-before.sql",
        "072_index-partitioned-parent-concurrently.sql",
        "073_index-partitioned-parent.sql",
        "076_update-matching-every-row.sql",
        "078_delete-matching-every-row.sql",
        "080_create-unique-index.sql",
        "085_reindex-index.sql",
        "086_create-expression-index.sql",
        "090_add-column-with-clock-timestamp.sql",
        "091_add-identity-column.sql",
        "092_add-stored-generated-column.sql",
        "094_numeric-to-integer.sql",
        "096_change-type-with-a-using-expression.sql",
        "105_drop-column-of-a-live-table.sql",
        "108_add-check-to-a-live-table.sql",
        "109_add-foreign-key-to-a-live-table.sql",
        "120_drop-a-live-table.sql",
        "122_set-unlogged.sql",
        "125_lock-table-access-exclusive.sql",
        "137_vacuum-full-of-a-live-table.sql",
        "138_cluster-a-live-table.sql",
        "140_vacuum-in-a-transaction.sql",
        "142_delete-every-row-of-a-live-table.sql",
        "146_delete-where-matching-every-row.sql",
        "152_do-block-set-not-null.sql",
        "153_do-block-shorten-varchar.sql",
    }
)
UNLABELLED = frozenset({"047_suppressed.sql"})
# What the corpus test demands of our lint (warning and error findings count as flagged).
MIN_PRECISION = MIN_RECALL = 0.95

# The README's table: squawk rule -> the rule of ours that catches the same problem.
COVERED = {
    "require-concurrent-index-creation": "MM001",
    "ban-concurrent-index-creation-in-transaction": "MM002",
    "require-concurrent-index-deletion": "MM003",
    "require-concurrent-reindex": "MM004",
    "adding-required-field": "MM010",
    "adding-field-with-default": "MM011",
    "adding-not-nullable-field": "MM012",
    "changing-column-type": "MM013",
    "renaming-column": "MM014",
    "ban-drop-column": "MM015",
    "adding-foreign-key-constraint": "MM020",
    "constraint-missing-not-valid": "MM021",
    "ban-alter-domain-with-add-constraint": "MM021",
    "adding-serial-primary-key-field": "MM022",
    "disallowed-unique-constraint": "MM022",
    "renaming-table": "MM030",
    "renaming-object": "MM062",
    "ban-drop-table": "MM031",
    "ban-truncate-cascade": "MM032",
    "require-lock-timeout": "MM060",
    "prefer-text-field": "MM070",
    "prefer-timestamp-tz": "MM071",
    "prefer-identity": "MM072",
    "prefer-bigint-over-int": "MM073",
    "ban-char-field": "MM074",
}


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.sql"))


def precision_recall(flagged: set[str]) -> tuple[float, float]:
    """Precision and recall of a tool that flagged the files ``flagged``, on the labelled ones."""
    labelled = {path.name for path in corpus_files()} - UNLABELLED
    hits = len(flagged & DANGEROUS & labelled)
    flagged_labelled = len(flagged & labelled)
    return (hits / flagged_labelled if flagged_labelled else 1.0), hits / len(DANGEROUS)


@pytest.fixture(scope="module")
def corpus_target(pg_admin_url, tmp_path_factory) -> Iterator[psycopg.Connection]:
    """A read-only session on a database holding ``corpus_schema.sql``, as the lint reads it."""
    with fresh_database(pg_admin_url, tmp_path_factory.mktemp("corpus")) as target:
        target.execute(SCHEMA.read_text())
        yield target.connect()


def figures_row(tool: str, precision: float, recall: float) -> str:
    """The README's row of the comparison's figures for ``tool``."""
    return f"| {tool} | {precision:.2f} | {recall:.2f} |"


def assert_in_readme(row: str) -> None:
    assert row in README.read_text().splitlines(), f"README's figures should read: {row}"


def our_findings(conn: psycopg.Connection, path: Path) -> list[LintFinding]:
    """The file linted as the check lints a plan of one file: sizes and shapes from the catalog,
    in a transaction unless the file says ``-- truss:no-transaction``."""
    text = path.read_text()
    statements = tuple(parse_statements(text, name=path.name))
    item = Analysed(path.name, text, 1, not runs_outside_transaction(text), statements)
    tables = catalog_tables(conn, relation_names([item]))
    return lint_findings(
        [item],
        table_sizes=tables.sizes,
        server_version=PG_VERSION,
        tables=tables.shapes,
        planned=planned_rows(conn, [item]),
    )


def test_every_corpus_file_has_its_expectation():
    assert [path.name for path in corpus_files()] == list(EXPECTED)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda path: path.stem)
def test_our_lint_on_the_corpus(corpus_target, path):
    findings = our_findings(corpus_target, path)
    assert {finding.rule for finding in findings} == EXPECTED[path.name][0]


def squawk_rules(binary: str, paths: list[Path], *, in_transaction: bool) -> dict[str, set[str]]:
    arguments = [binary, "--pg-version", "16", "--reporter", "json"]
    arguments += ["--assume-in-transaction"] if in_transaction else []
    result = subprocess.run(
        [*arguments, *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    found: dict[str, set[str]] = {path.name: set() for path in paths}
    for item in json.loads(result.stdout or "[]"):
        if item["rule_name"] not in NOT_COMPARED:
            found[Path(item["file"]).name].add(item["rule_name"])
    return found


def test_squawk_on_the_corpus():
    """The same files through the real squawk, each as our runner would run it (in a transaction
    unless the file says ``-- truss:no-transaction``)."""
    binary = require_tool(SQUAWK, "squawk (PyPI squawk-cli)")
    files = corpus_files()
    outside = [path for path in files if runs_outside_transaction(path.read_text())]
    inside = [path for path in files if path not in outside]
    found = {
        **squawk_rules(binary, inside, in_transaction=True),
        **squawk_rules(binary, outside, in_transaction=False),
    }
    assert found == {name: expected[1] for name, expected in EXPECTED.items()}
    precision, recall = precision_recall({name for name, rules in found.items() if rules})
    print(f"squawk: precision {precision:.2f}, recall {recall:.2f}")
    assert_in_readme(figures_row("squawk 2.70.0, tuned to our runner", precision, recall))


def test_precision_and_recall_on_the_corpus(corpus_target):
    """Warning and error findings count as flagged; notices do not (they never stop a run)."""
    flagged = {
        path.name
        for path in corpus_files()
        if any(finding.severity != "notice" for finding in our_findings(corpus_target, path))
    }
    precision, recall = precision_recall(flagged)
    print(f"ours: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL
    assert_in_readme(figures_row("truss lint", precision, recall))


@pytest.mark.parametrize(("squawk_rule", "ours"), COVERED.items())
def test_each_covered_squawk_rule_fires_with_ours_and_is_in_the_readme(squawk_rule, ours):
    assert ours in RULES
    assert any(squawk_rule in theirs and ours in mine for mine, theirs in EXPECTED.values()), (
        f"no corpus file where {squawk_rule} and {ours} both fire"
    )
    lines = README.read_text().splitlines()
    assert any(f"`{squawk_rule}`" in line and ours in line for line in lines)


def test_readme_lists_every_rule_with_its_severity():
    lines = README.read_text().splitlines()
    for rule in RULES.values():
        assert any(line.startswith(f"| {rule.id} | {rule.severity}") for line in lines), rule.id
