"""Metrics derived from the read ones: a share of two counts, never read from a report.

[[metrics]]
id = "installed_share"
label = "Tỷ lệ đã cài đặt"
kind = "share"
numerator = "installed_staff"     # count metrics of the same campaign
denominator = "smartphone_staff"
goal_percent = 100                # optional: the target the report measures each unit against
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailbot.config.settings import Metric, Share

if TYPE_CHECKING:
    from mailbot.config.reader import TomlReader

SHARE = "share"
SHARE_KEYS = {"id", "label", "kind", "numerator", "denominator", "goal_percent"}


def is_share(item: Any) -> bool:
    return isinstance(item, dict) and item.get("kind") == SHARE


def read_shares(reader: TomlReader, data: Any, counts: tuple[Metric, ...]) -> tuple[Share, ...]:
    """The [[metrics]] entries of kind "share", each checked against the count metrics."""
    if not isinstance(data, list):
        return ()
    known = [m.id for m in counts]
    shares = []
    for i, item in enumerate(data):
        if not is_share(item):
            continue
        key = f"metrics[{i}]"
        item = reader._check_keys(item, key, SHARE_KEYS)
        share_id = reader.required_text(item, f"{key}.id")
        if share_id in known:
            raise reader.fail(f"{key}.id", "duplicate", value=share_id)
        parts = {}
        for part in ("numerator", "denominator"):
            value = reader.required_text(item, f"{key}.{part}")
            if value not in known:
                raise reader.fail(f"{key}.{part}", "share_of_unknown", value=value, known=", ".join(known))
            parts[part] = value
        if parts["numerator"] == parts["denominator"]:
            raise reader.fail(f"{key}.denominator", "share_of_itself")
        shares.append(
            Share(
                id=share_id,
                label=reader.required_text(item, f"{key}.label"),
                goal_percent=reader.optional_percent(item, f"{key}.goal_percent"),
                **parts,
            )
        )
    reader.unique([s.id for s in shares], "metrics", "id")
    return tuple(shares)
