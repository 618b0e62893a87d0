"""Static lock-safety lint of a migration's statements.

Every rule of ``RULES`` looks at each statement in order, knowing what the earlier statements did
(tables created, NOT VALID constraints, lock_timeout...). Findings of rules that rewrite or scan a
table are weighed by that table's size: a table created in the same migration or with fewer than
``SMALL_TABLE_ROWS`` rows gives a notice, a larger one an error, and an unknown size leaves the
rule's own severity (a warning). The statements inside a PL/pgSQL ``DO`` block are linted too,
at their own lines, as statements of a transaction. A comment ``-- truss:ignore MM001, MM013``
in a statement, at the end of its last line, or on the line just before it silences those rules
for that statement only.

    >>> from migrations_manager.analysis.statements import parse_statements
    >>> [f.rule for f in lint(parse_statements("CREATE INDEX i ON users (email);"))]
    ['MM001', 'MM060']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .live import LiveSchema
from .names import target_name
from .plpgsql import do_body, do_body_statements
from .rules import REGISTRY, Hit, Rule, Severity
from .rules.context import SMALL_TABLE_ROWS, LintContext, NewObjects, TableSizes
from .statements import Comment, Statement, comments, parse_statements

__all__ = ["RULES", "SMALL_TABLE_ROWS", "Finding", "Rule", "Severity", "lint", "lint_source"]

RULES: MappingProxyType[str, Rule] = MappingProxyType(dict(sorted(REGISTRY.items())))
"""Every rule by id, in id order: for the README, the admin and ``pgmigrate lint --rules``."""

IGNORE_DIRECTIVE = "truss:ignore"
_EXCERPT_LENGTH = 120


@dataclass(frozen=True)
class Finding:
    """One problem the lint found, at the line of the statement that has it."""

    rule: str
    severity: Severity
    message: str
    hint: str
    line: int
    statement: str

    def as_dict(self) -> dict[str, Any]:
        """The finding as the check endpoint and ``pgmigrate lint --json`` print it."""
        return {
            "line": self.line,
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "hint": self.hint,
            "statement": self.statement,
        }


def lint(
    statements: Sequence[Statement],
    *,
    in_transaction: bool = True,
    server_version: int | None = None,
    table_sizes: TableSizes | None = None,
    source: str | None = None,
    first_line: int = 1,
    created: NewObjects | None = None,
    live: LiveSchema | None = None,
    planned: Mapping[str, int] | None = None,
) -> list[Finding]:
    """Lint ``statements`` (one migration, or one section of it), in order.

    Args:
        in_transaction: False when the file carries the ``-- truss:no-transaction`` directive.
        server_version: ``server_version_num`` of the target (e.g. 160004), None when unknown.
        table_sizes: estimated rows by ``(schema or None, table)``; None values mean unknown.
        source / first_line: the text the statements were parsed from, so that suppression
            comments between statements are seen; without it only comments inside statements are.
        created: the tables and indexes the migrations before this one in the same plan create
            (new ones here too: empty, nobody uses them); this lint adds its own to it.
        live: the catalog's shapes of the tables the plan touches, shared by the migrations of
            one plan (each forgets there what it changes).
        planned: the target's planner's row estimates of UPDATE / DELETE statements, by text.
    """
    context = LintContext(
        in_transaction=in_transaction,
        server_version=server_version,
        table_sizes=table_sizes,
        created=created,
        live=live,
        planned=planned,
    )
    ignored = _ignored_by_line(source, first_line, statements)
    findings = []
    for statement, in_do_block in _with_do_bodies(statements):
        # A DO block runs in a transaction of its own even where the file has none.
        context.in_transaction = in_transaction or in_do_block
        context.in_do_block = in_do_block
        silenced = ignored.get(statement.line, set())
        for rule in RULES.values():
            if rule.id in silenced or rule.name in silenced:
                continue
            findings.extend(
                _finding(rule, hit, statement, context) for hit in rule.check(statement, context)
            )
        context.remember(statement)
    return findings


def _with_do_bodies(statements: Sequence[Statement]) -> Iterator[tuple[Statement, bool]]:
    """Each statement, followed by those of its body when it is a DO block."""
    for statement in statements:
        yield statement, False
        for inner in do_body_statements(statement):
            yield inner, True


def lint_source(
    source: str, *, first_line: int = 1, name: str | None = None, **options: Any
) -> list[Finding]:
    """Parse ``source`` and lint it; raises ``SQLSyntaxError`` like ``parse_statements``."""
    statements = parse_statements(source, first_line=first_line, name=name)
    return lint(statements, source=source, first_line=first_line, **options)


def _finding(rule: Rule, hit: Hit, statement: Statement, context: LintContext) -> Finding:
    severity, size_note = _weigh(rule, hit, context)
    return Finding(
        rule=rule.id,
        severity=severity,
        message=_with_note(hit.message, size_note),
        hint=hit.hint or rule.hint,
        line=statement.line,
        statement=_excerpt(statement.text),
    )


def _weigh(rule: Rule, hit: Hit, context: LintContext) -> tuple[Severity, str]:
    """The severity of a hit, and a note saying what the table's size made of it."""
    if hit.severity is not None:
        return hit.severity, ""
    if not rule.weighted or hit.table is None:
        return rule.severity, ""
    if context.is_new(hit.table):
        return Severity.NOTICE, " (the table is created in this migration)"
    rows = context.rows(hit.table)
    if rows is None:
        return rule.severity, ""
    note = f" ({target_name(hit.table)}: about {rows:,} rows)"
    return (Severity.NOTICE if rows < SMALL_TABLE_ROWS else Severity.ERROR), note


def _with_note(message: str, note: str) -> str:
    if note and message.endswith("."):
        return f"{message[:-1]}{note}."
    return message + note


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT_LENGTH else flat[: _EXCERPT_LENGTH - 1] + "…"


def _ignored_by_line(
    source: str | None, first_line: int, statements: Sequence[Statement]
) -> dict[int, set[str]]:
    """Rule ids (or names) silenced by ``truss:ignore`` comments, by the first line of the
    statement each silences: the statement the comment is in or ends the line of, else the
    statement starting on the comment's line or the next one."""
    ignored: dict[int, set[str]] = {}
    for comment, lines in _directive_comments(source, first_line, statements):
        words = comment.text.replace(",", " ").split()
        if words[:1] == [IGNORE_DIRECTIVE]:
            ids = {word.upper() if word[:2].upper() == "MM" else word.lower() for word in words[1:]}
            for line in lines:
                ignored.setdefault(line, set()).update(ids)
    return ignored


def _directive_comments(
    source: str | None, first_line: int, statements: Sequence[Statement]
) -> Iterator[tuple[Comment, tuple[int, ...]]]:
    """Each comment, with the first lines of the statements it may speak for."""
    if source is None:
        for statement in statements:
            for comment in comments(statement.text, first_line=statement.line):
                yield comment, (statement.line,)
    else:
        for comment in comments(source, first_line=first_line):
            owner = _statement_before(statements, comment)
            yield comment, (owner.line,) if owner else (comment.line, comment.line + 1)
    for body, line in filter(None, map(do_body, statements)):
        for comment in comments(body, first_line=line):
            yield comment, (comment.line, comment.line + 1)


def _statement_before(statements: Sequence[Statement], comment: Comment) -> Statement | None:
    """The statement ``comment`` is inside of, or trails on its last line (``stmt; -- ...``)."""
    before = [statement for statement in statements if statement.start <= comment.start]
    if not before:
        return None
    statement = before[-1]
    inside = comment.start < statement.start + len(statement.text)
    last_line = statement.line + statement.text.count("\n")
    return statement if inside or last_line == comment.line else None
