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
from convcalc.errors import ConvCalcError
from convcalc.export import ExportError, Target
from convcalc.layers import KINDS, spec_class
from test_kinds import SAMPLES  # type: ignore[import-not-found]

NO_OP = {
    ("avgpool2d", "count_include_pad"): "changes nothing without padding, and the sample has none",
    ("avgpool1d", "count_include_pad"): "changes nothing without padding, and the sample has none",
    ("split", "sizes"): "None: the parts are equal, which 'parts' says",
    ("instancenorm", "momentum"): "updates running statistics only, which an instance norm exported to Keras cannot have",
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


OTHER_VALUES = {"dilation": 2, "groups": 2, "eps": 0.01, "momentum": 0.3, "negative_slope": 0.2, "alpha": 0.5, "beta": 2.0,
                "threshold": 10.0, "rate": 0.3, "init": 0.5, "offset": 1.0, "output_padding": 1, "mode": "bilinear",
                "stride": 2, "padding": 1, "per": "channel", "approximate": "tanh", "axis": 0}
"""A value other than the default for options the samples leave out; a kind that refuses it is skipped."""


def _variants(kind: str) -> list[dict[str, Any]]:
    options = SAMPLES[kind][0]
    declared = spec_class(kind).declared()
    flags = [o for o in declared if isinstance(o.default, bool)]
    others = [o for o in declared if o.name in OTHER_VALUES and o.name not in options and o.default != OTHER_VALUES[o.name]]
    return [
        dict(options),
        *({**options, o.name: not o.default} for o in flags),
        *({**options, o.name: OTHER_VALUES[o.name]} for o in others),
    ]


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
    except ConvCalcError as error:  # a value this kind or input does not take
        pytest.skip(f"{kind} does not take {options}: {error}")
    mine = [op for op in ops if op.kind == kind]
    assert mine, f"no {kind} op was exported"
    for op in mine:
        unread = {name for name in op.options if name not in op.options.read and (kind, name) not in NO_OP}
        assert not unread, f"{target.value} export of {kind} never read {sorted(unread)}"
