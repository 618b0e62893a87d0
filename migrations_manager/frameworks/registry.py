"""The registry of tracking-table adapters.

Built-in adapters register themselves with ``@registry.register`` when their module is imported
(``frameworks/__init__.py`` imports them all); extra adapters come from the
``EXTRA_FRAMEWORKS`` setting as dotted paths, loaded in ``AppConfig.ready()``.
"""

from __future__ import annotations

from .base import TrackingAdapter


class AlreadyRegistered(ValueError):
    pass


class NotRegistered(LookupError):
    pass


class AdapterRegistry:
    def __init__(self) -> None:
        self._adapters: dict[str, type[TrackingAdapter]] = {}

    def register(self, adapter: type[TrackingAdapter]) -> type[TrackingAdapter]:
        """Add ``adapter``; usable as a class decorator."""
        if adapter.name in self._adapters and self._adapters[adapter.name] is not adapter:
            raise AlreadyRegistered(
                f"A framework adapter named {adapter.name!r} is already registered "
                f"({self._adapters[adapter.name].__qualname__})."
            )
        self._adapters[adapter.name] = adapter
        return adapter

    def unregister(self, name: str) -> None:
        if self._adapters.pop(name, None) is None:
            raise NotRegistered(f"No framework adapter named {name!r} is registered.")

    def get(self, name: str) -> TrackingAdapter:
        try:
            return self._adapters[name]()
        except KeyError:
            known = ", ".join(sorted(self._adapters))
            raise NotRegistered(f"Unknown framework {name!r}; known: {known}.") from None

    def all(self) -> list[TrackingAdapter]:
        return [adapter() for adapter in self._adapters.values()]

    def names(self) -> list[str]:
        return sorted(self._adapters)

    def table_names(self) -> set[str]:
        """Every table name any adapter looks for, siblings included."""
        names: set[str] = set()
        for adapter in self._adapters.values():
            names.update(adapter.table_names, adapter.required_siblings, adapter.forbidden_siblings)
        return names

    def key_columns(self) -> set[str]:
        """Every column that identifies some framework's ledger whatever the table's name."""
        return {column for adapter in self._adapters.values() for column in adapter.key_columns}

    def distinctive_names(self) -> set[str]:
        """Tracking-table names that only one adapter uses (``pgmigrations``, not
        ``migrations``): a table so named is that framework's even with extra columns."""
        seen: dict[str, int] = {}
        for adapter in self._adapters.values():
            for name in adapter.table_names:
                seen[name] = seen.get(name, 0) + 1
        return {name for name, count in seen.items() if count == 1}


registry = AdapterRegistry()
