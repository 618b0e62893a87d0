"""Schema detection: which objects a migration (or pasted SQL) creates already exist, and how.

The page takes a file (chosen among the directory's migrations) or SQL; the SQL is POSTed
(CSRF-protected, it may be long), a file name may also come in the query string
(``?migration=``: the preview links here). The mark-as-applied confirmation shows the same
findings for its file (``schema_context``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict

from .. import services
from ..exceptions import MigrationsManagerError, SQLSyntaxError
from ..types import SchemaReport
from .listing import FRAMEWORK_VAR, framework_query
from .source import ParserNote, source_lines

if TYPE_CHECKING:
    from .options import MigrationAdmin

PASTED = "pasted.sql"  # how pasted SQL is highlighted and named


class DetectSchemaForm(forms.Form):
    """Exactly one of a migration file (chosen among ``migrations``) and SQL."""

    migration = forms.ChoiceField(
        required=False,
        label="Migration file",
        help_text="A migration of the directory: its up section is analysed.",
    )
    sql = forms.CharField(
        required=False,
        strip=False,
        label="Or SQL",
        widget=forms.Textarea(attrs={"rows": 10, "cols": 100, "spellcheck": "false"}),
        help_text="DDL to look for in the target database (CREATE TABLE, INDEX, FUNCTION...).",
    )

    def __init__(self, data: QueryDict | None, *, migrations: Sequence[str]) -> None:
        super().__init__(data)
        self.fields["migration"].choices = [("", "—"), *((name, name) for name in migrations)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("migration")) == bool(data.get("sql", "").strip()):
            raise forms.ValidationError("Give a migration file name or SQL: one of the two.")
        return data


def detect_view(model_admin: MigrationAdmin, request: HttpRequest) -> HttpResponse:
    model_admin.require(request, model_admin.has_view_permission)
    framework = request.GET.get(FRAMEWORK_VAR) or None
    submitted = request.POST if request.method == "POST" else None
    if submitted is None and request.GET.get("migration"):
        submitted = request.GET
    migrations, problem = _migrations(framework)
    form = DetectSchemaForm(submitted, migrations=migrations)
    context: dict[str, Any] = {
        "title": "Schema detection",
        "form": form,
        "framework": framework,
        "migrations_problem": problem,
    }
    if form.is_bound and form.is_valid():
        context.update(_detect(model_admin, form, framework))
    return model_admin.render(request, "detect_schema.html", context)


def _migrations(framework: str | None) -> tuple[list[str], str | None]:
    """The names of the directory's migrations, or none and why (the target does not answer:
    detection needs it anyway)."""
    try:
        report = services.status(framework=framework)
    except MigrationsManagerError as error:
        return [], error.message
    return [status.name for status in report.migrations if status.migration is not None], None


def _detect(
    model_admin: MigrationAdmin, form: DetectSchemaForm, framework: str | None
) -> dict[str, Any]:
    migration = form.cleaned_data["migration"] or None
    sql = None if migration else form.cleaned_data["sql"]
    field = "migration" if migration else "sql"
    try:
        report = services.detect_schema(sql=sql, migration=migration, framework=framework)
    except MigrationsManagerError as error:
        form.add_error(field, error.message)
        if isinstance(error, SQLSyntaxError) and sql is not None:
            # Pasted SQL is shown back with the parser's stop at its line.
            note = ParserNote(error.line, f"column {error.column}: {error.parser_message}")
            return {"pasted": source_lines(sql, PASTED, [note])}
        return {}
    return _found(model_admin, report, migration, framework)


def schema_context(model_admin: MigrationAdmin, name: str, framework: str | None) -> dict[str, Any]:
    """The detection of ``name`` for the mark-as-applied confirmation, or why there is none."""
    try:
        report = services.detect_schema(migration=name, framework=framework)
    except MigrationsManagerError as error:
        return {"schema_problem": error.message}
    return _found(model_admin, report, name, framework)


def _found(
    model_admin: MigrationAdmin, report: SchemaReport, name: str | None, framework: str | None
) -> dict[str, Any]:
    """``includes/schema_findings.html``'s context; the lines of a file link to its preview."""
    preview_url = None
    if name is not None:
        preview_url = model_admin.url("preview", name, query=framework_query(framework))
    return {"schema": report, "schema_preview_url": preview_url}
