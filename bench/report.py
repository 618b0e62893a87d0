"""The benchmark results as a markdown table."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby


@dataclass(frozen=True)
class Row:
    benchmark: str
    contender: str
    kind: str  # "floor", "ours", "peer"
    seconds: float
    peak_kib: int


def _ratio(value: float, reference: float | None) -> str:
    return f"{value / reference:.2f}×" if reference else "—"


def render_table(rows: list[Row], *, header: str, notes: list[str]) -> str:
    lines = [
        header,
        "| benchmark | contender | median | peak memory | × floor | × best peer |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for benchmark, group in groupby(rows, key=lambda row: row.benchmark):
        group = list(group)
        floor = next((row.seconds for row in group if row.kind == "floor"), None)
        peers = [row.seconds for row in group if row.kind == "peer"]
        best_peer = min(peers) if peers else None
        for row in group:
            lines.append(
                f"| {benchmark} | {row.contender} | {_format_seconds(row.seconds)} "
                f"| {row.peak_kib / 1024:.0f} MiB | {_ratio(row.seconds, floor)} "
                f"| {_ratio(row.seconds, best_peer)} |"
            )
    if notes:
        lines += ["", *[f"- {note}" for note in dict.fromkeys(notes)]]
    return "\n".join(lines) + "\n"


def _format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
