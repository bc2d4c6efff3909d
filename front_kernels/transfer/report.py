"""The transfer report: one row per target parameter, printable as a table."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass

from .plan import TransferPlan


@dataclass
class ReportRow:
    """What happened to one target parameter.

    ``action``: ``transfer`` / ``copy`` / ``keep`` / ``skip`` / ``pass``; ``source``: the
    source group (``name`` or ``blocks.{i}.x [6 layers]``) it was computed
    from; ``source_shape`` / ``target_shape``; ``detail``: how it was resized,
    or why it was kept.
    """

    name: str
    action: str
    source: str
    source_shape: str
    target_shape: str
    detail: str


class TransferReport:
    """Rows in target state-dict order; ``str(report)`` is an aligned table."""

    def __init__(self, plan: TransferPlan):
        self.method = plan.method
        self.source = plan.source_origin
        self.target = plan.target_origin
        by_name = {}
        for g in plan.groups:
            if g.source_names:
                src = g.source_names[0] if not g.repeated else f"{g.key} [{len(g.source_names)} layers]"
            else:
                src = "-"
            for n in g.target_names:
                by_name[n] = ReportRow(n, g.action, src, str(g.source_shape) if g.source_shape else "-",
                                       str(g.target_shape), g.detail)
        self.rows = [by_name[n] for n in plan.target_order]
        self.notes = list(getattr(plan, "notes", []))

    def __getitem__(self, name: str) -> ReportRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def counts(self) -> dict[str, int]:
        return dict(Counter(r.action for r in self.rows))

    def to_dict(self) -> dict:
        return {"method": self.method, "source": self.source, "target": self.target, "notes": self.notes,
                "counts": self.counts(), "parameters": [asdict(r) for r in self.rows]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def table(self) -> str:
        head = ("parameter", "action", "from", "source shape", "target shape", "detail")
        rows = [head] + [(r.name, r.action, r.source, r.source_shape, r.target_shape, r.detail) for r in self.rows]
        widths = [max(len(row[k]) for row in rows) for k in range(5)]
        lines = []
        for k, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row[:5], widths)) + "  " + row[5])
            if k == 0:
                lines.append("-" * (sum(widths) + 2 * 5 + len(head[5])))
        summary = ", ".join(f"{v} {k}" for k, v in sorted(self.counts().items()))
        notes = "".join(f"note: {n}\n" for n in self.notes)
        return f"{self.method.upper()} transfer {self.source} -> {self.target}: {summary}\n" + notes + "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"TransferReport({self.method!r}, {self.counts()})"
