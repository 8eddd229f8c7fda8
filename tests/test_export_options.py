"""No option is dropped on the way to PyTorch or Keras code.

For every kind, its sample options (``tests/test_kinds.py``) and each of its
flags flipped alone are exported to both frameworks. The exporter either
refuses (one sentence, tested elsewhere) or reads every option the file
gave: an option it never looked at would be silently approximated, as Keras'
``scale: false`` on batch norm once was. Needs no framework.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import convcalc.export as export
from convcalc.export import ExportError, Target
from convcalc.layers import KINDS, spec_class
from test_kinds import SAMPLES  # type: ignore[import-not-found]

NO_OP = {
    ("avgpool2d", "count_include_pad"): "changes nothing without padding, and the sample has none",
    ("avgpool1d", "count_include_pad"): "changes nothing without padding, and the sample has none",
    ("split", "sizes"): "None: the parts are equal, which 'parts' says",
}
"""(kind, option) pairs an exporter may leave unread, and why."""


class _Reading(dict):  # type: ignore[type-arg]
    """Options that remember which keys were looked at."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)

    def items(self) -> Any:
        self.read.update(self.keys())
        return super().items()

    def values(self) -> Any:
        self.read.update(self.keys())
        return super().values()


def _variants(kind: str) -> list[dict[str, Any]]:
    options = SAMPLES[kind][0]
    flags = [o for o in spec_class(kind).declared() if isinstance(o.default, bool)]
    return [dict(options), *({**options, o.name: not o.default} for o in flags)]


CASES = [
    pytest.param(kind, options, target, id=f"{kind}-{'-'.join(f'{k}={v}' for k, v in options.items()) or 'defaults'}-{target.value}")
    for kind in KINDS
    if len(SAMPLES[kind][1]) == 1
    for options in _variants(kind)
    for target in Target
]


@pytest.mark.parametrize(("kind", "options", "target"), CASES)
def test_every_option_given_is_read_or_refused(kind: str, options: dict[str, Any], target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    ops: list[Any] = []
    write = export._write

    def reading(network: Any, blocks: Any, *rest: Any) -> Any:
        for program in (network, *blocks):
            for op in program.walk():
                op.options = _Reading(op.options)
                ops.append(op)
        return write(network, blocks, *rest)

    monkeypatch.setattr(export, "_write", reading)
    text = yaml.safe_dump({"input": list(SAMPLES[kind][1][0].dims), "layers": [{kind: options} if options else kind]})
    try:
        export.export_text(text, target)
    except ExportError:
        return  # refused in one sentence: nothing approximated
    mine = [op for op in ops if op.kind == kind]
    assert mine, f"no {kind} op was exported"
    for op in mine:
        unread = {name for name in op.options if name not in op.options.read and (kind, name) not in NO_OP}
        assert not unread, f"{target.value} export of {kind} never read {sorted(unread)}"
