"""Reading what the admin answered: messages, badges, the URLs of the panel."""

from __future__ import annotations

from html.parser import HTMLParser

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.urls import reverse

LIST_URL = reverse("admin:migrations_manager_migration_changelist")
RUN_URL = reverse("admin:migrations_manager_migration_run")


def mark_url(name: str) -> str:
    return reverse("admin:migrations_manager_migration_mark_applied", args=[name])


def result_url(run_id: int) -> str:
    return reverse("admin:migrations_manager_migrationrun_change", args=[run_id])


def template_names(response: HttpResponse) -> list[str]:
    return [template.name for template in response.templates]


def messages_of(response: HttpResponse) -> list[tuple[str, str]]:
    """(level tag, text) of the messages the response's request left."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


class _RowReader(HTMLParser):
    """Collects, per list row (``data-migration``), its badge text and its action links."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, object]] = {}
        self._row: dict[str, object] | None = None
        self._in_badge = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "tr" and "data-migration" in attributes:
            self._row = {"badge": "", "badge_class": "", "actions": []}
            self.rows[str(attributes["data-migration"])] = self._row
        elif self._row is not None and tag == "span" and "mm-badge" in classes:
            self._in_badge = True
            self._row["badge_class"] = " ".join(classes)
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
    """Migration name -> {"badge": text, "badge_class": classes, "actions": [hrefs]}."""
    reader = _RowReader()
    reader.feed(response.content.decode())
    return reader.rows


def badges(response: HttpResponse) -> dict[str, str]:
    """Migration name -> the text of its state badge, as rendered."""
    return {name: str(row["badge"]) for name, row in rows(response).items()}
