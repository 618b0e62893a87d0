"""Reading what the admin answered: messages, badges, the URLs of the panel."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from pathlib import Path

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.urls import reverse

LIST_URL = reverse("admin:migrations_manager_migration_changelist")
RUN_URL = reverse("admin:migrations_manager_migration_run")
CHECK_URL = reverse("admin:migrations_manager_migration_check")
DETECT_URL = reverse("admin:migrations_manager_migration_detect_schema")
DRIFT_URL = reverse("admin:migrations_manager_migration_drift")


def mark_url(name: str) -> str:
    return reverse("admin:migrations_manager_migration_mark_applied", args=[name])


def preview_url(name: str) -> str:
    return reverse("admin:migrations_manager_migration_preview", args=[name])


def result_url(run_id: int) -> str:
    return reverse("admin:migrations_manager_migrationrun_change", args=[run_id])


def confirmed(directory: Path, *names: str, **fields: str) -> dict[str, object]:
    """The POST of a run's confirmation page for ``names``: each file with its SHA-256, as the
    page binds them (``expect``)."""
    expect = [
        f"{hashlib.sha256((directory / name).read_bytes()).hexdigest()}:{name}" for name in names
    ]
    return {"post": "yes", "name": list(names), "expect": expect, **fields}


class _HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.fields.setdefault(str(attributes["name"]), []).append(
                attributes.get("value") or ""
            )


def hidden_fields(response: HttpResponse) -> dict[str, list[str]]:
    """The hidden inputs of a page's form, as a browser would post them back."""
    reader = _HiddenInputs()
    reader.feed(response.content.decode())
    return reader.fields


def confirm_run(client: object, names: list[str] | None = None, **fields: str) -> HttpResponse:
    """Open the run's confirmation page for ``names`` (None: every pending file) and post its
    form back, as a user who clicks the confirm button (a page that shows no form, because
    the names cannot run, is posted the names alone)."""
    page = client.get(RUN_URL, {"name": names} if names else {})
    return client.post(
        RUN_URL, {"post": "yes", "name": names or [], **hidden_fields(page), **fields}
    )


def template_names(response: HttpResponse) -> list[str]:
    return [template.name for template in response.templates]


def messages_of(response: HttpResponse) -> list[tuple[str, str]]:
    """(level tag, text) of the messages the response's request left."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


class _RowReader(HTMLParser):
    """Collects, per list row (``data-migration``), its badge text, the link of its name (the
    preview) and its action links."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, object]] = {}
        self._row: dict[str, object] | None = None
        self._in_badge = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "tr" and "data-migration" in attributes:
            self._row = {"badge": "", "badge_class": "", "preview": None, "actions": []}
            self.rows[str(attributes["data-migration"])] = self._row
        elif self._row is not None and tag == "span" and "mm-badge" in classes:
            self._in_badge = True
            self._row["badge_class"] = " ".join(classes)
        elif self._row is not None and tag == "a" and "mm-preview-link" in classes:
            self._row["preview"] = attributes.get("href")
        elif self._row is not None and tag == "a":
            self._row["actions"].append(attributes.get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._in_badge = False
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_badge and self._row is not None:
            self._row["badge"] += data.strip()


def rows(response: HttpResponse) -> dict[str, dict[str, object]]:
    """Migration name -> {"badge": text, "badge_class": classes, "preview": href or None,
    "actions": [hrefs]}."""
    reader = _RowReader()
    reader.feed(response.content.decode())
    return reader.rows


def badges(response: HttpResponse) -> dict[str, str]:
    """Migration name -> the text of its state badge, as rendered."""
    return {name: str(row["badge"]) for name, row in rows(response).items()}


VOID_ELEMENTS = {
    "area",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


class _TextReader(HTMLParser):
    """Collects the text of every element carrying a CSS class, nested elements included."""

    def __init__(self, css_class: str) -> None:
        super().__init__()
        self.css_class = css_class
        self.texts: list[str] = []
        self._depth = 0  # open elements since the last one with the class (0: outside)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_ELEMENTS:
            return
        if self._depth:
            self._depth += 1
        elif self.css_class in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.texts[-1] += data


def texts(response: HttpResponse, css_class: str) -> list[str]:
    """The text of each element of class ``css_class``, whitespace collapsed."""
    reader = _TextReader(css_class)
    reader.feed(response.content.decode())
    return [" ".join(text.split()) for text in reader.texts]
