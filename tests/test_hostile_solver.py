"""Issue 11: the solver's searches are closed-form and capped before the work.

The paddings are now solved for rather than tried one by one; these tests
check the solved lists against the trial search they replaced — every
padding below the span (and every ``output_padding`` below max(stride,
dilation)) pushed through the layers' own rules, ``Window`` and
``TransposedAxis`` — and pin the caps' sentences.
"""

from __future__ import annotations

from typing import Any

import pytest

from convcalc.errors import ConvCalcError, InputError
from convcalc.layers.conv import TransposedAxis
from convcalc.layers.window import Window, same_padding
from convcalc.loader import parse_model
from convcalc.solve import (
    MAX_SCAN_WORK,
    MAX_SOLUTIONS,
    clean_input_sizes,
    describe_sizes,
    solve_layer,
)


def _tried_conv(n: int, out: int, k: int, s: int, d: int) -> set[tuple[Any, ...]]:
    """Every symmetric padding below the span, tried through Window, plus an uneven same."""
    span = (k - 1) * d + 1
    found = set()
    for p in range(span):
        try:
            if Window("H", n, k, s, p, p, d).out == out:
                found.add((k, s, d, p))
        except ConvCalcError:
            pass
    before, after = same_padding(n, span, s)
    try:
        if Window("H", n, k, s, before, after, d).out == out and not (before == after and (k, s, d, before) in found):
            found.add((k, s, d, "same"))
    except ConvCalcError:
        pass
    return found


def _tried_transposed(n: int, out: int, k: int, s: int, d: int) -> set[tuple[Any, ...]]:
    found = set()
    for p in range((k - 1) * d + 1):
        for op in range(max(s, d)):
            try:
                if TransposedAxis("H", n, k, s, d, p, p, op).out == out:
                    found.add((k, s, d, p, op))
            except ConvCalcError:
                pass
    return found


@pytest.mark.parametrize(("n", "out"), [(224, 112), (7, 7), (20, 7), (1, 1), (5, 9), (33, 3)], ids=str)
def test_conv_paddings_solved_equal_those_tried(n: int, out: int) -> None:
    expected: set[tuple[Any, ...]] = set()
    for d in range(1, 5):
        for k in range(1, 12):
            for s in range(1, 9):
                expected |= _tried_conv(n, out, k, s, d)
    try:
        got = {(x.kernel, x.stride, x.dilation, x.padding) for x in solve_layer(n, out)}
    except ConvCalcError:
        got = set()
    assert got == expected


@pytest.mark.parametrize(("n", "out"), [(112, 224), (7, 14), (10, 30), (5, 5), (3, 1)], ids=str)
def test_transposed_paddings_solved_equal_those_tried(n: int, out: int) -> None:
    expected: set[tuple[Any, ...]] = set()
    for d in range(1, 5):
        for k in range(1, 12):
            for s in range(1, 9):
                expected |= _tried_transposed(n, out, k, s, d)
    try:
        solved = solve_layer(n, out, transposed=True)
    except ConvCalcError:
        solved = []
    got = {(x.kernel, x.stride, x.dilation, x.padding, x.output_padding) for x in solved if x.padding != "same"}
    assert got == expected


@pytest.mark.parametrize(
    ("query", "count"),
    [
        # a stride of 1,000 given: 2p ∈ [(112 − 1)·1000 − 224 + span, … + 999] → 500 paddings, for a span
        # (kernel 10⁶) that allows them all, and dilations 1–4 each
        pytest.param(dict(kernel=10**6, stride=1000), 4 * 500, id="stride-1000"),
        # a dilation of 10⁸ with kernel 3: span 2·10⁸ + 1 — the trial search built 2·10⁸ candidates
        pytest.param(dict(kernel=3, dilation=10**8, stride=2), 1, id="dilation-1e8"),
    ],
)
def test_large_options_cost_the_answer_not_the_range(query: dict[str, Any], count: int) -> None:
    solutions = solve_layer(224, 112, **query)
    assert len([s for s in solutions if s.padding != "same"]) == count
    for s in solutions:  # each one is right by the layer's own rule
        assert Window("H", 224, s.kernel, s.stride, s.pad_before, s.pad_after, s.dilation).out == 112


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: solve_layer(224, 112, kernel=2 * 10**9, stride=10**6, dilation=1),
            rf"^500,000 configurations map 224 to 112, more than the {MAX_SOLUTIONS:,} convcalc lists; "
            r"hold more options fixed \(--kernel, --stride, --padding, --dilation\) to narrow the search$",
            id="too-many",
        ),
        pytest.param(
            lambda: solve_layer(224, 112, kernel=10**30),
            r"^kernel of 31 digits is above 2,147,483,647, the largest accepted \(docs/limits.md\)$",
            id="kernel-1e30",
        ),
        pytest.param(
            lambda: solve_layer(224, 112, max_kernel=1000, max_stride=1000),
            r"^the search would try 4,000,000 kernel, stride and dilation combinations, more than 100,000; "
            r"lower max_kernel, max_stride or max_dilation, or hold one fixed$",
            id="combinations",
        ),
        pytest.param(
            lambda: clean_input_sizes(parse_model("input: [8, 8, 1]\nlayers: [relu, relu]"), 1, 10**6),
            rf"^scanning input sides up to 1,000,000 means 1,000,000 analyses of 2 layers, more than the "
            rf"{MAX_SCAN_WORK:,} layer analyses of one scan; lower --high to about 250,000 or less$",
            id="scan",
        ),
    ],
)
def test_caps_are_one_sentence_before_the_work(call: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()


def test_scan_within_the_cap_runs() -> None:
    # 2 layers: 250,000 sides is exactly the cap's work; the model pools by 2, so even sides are clean
    model = parse_model("input: [8, 8, 1]\nlayers: [maxpool2d: {kernel: 2}]")
    report = clean_input_sizes(model, 2, 2000)
    assert describe_sizes(report.clean, 2, 2000) == "multiples of 2 from 2 to 2000"


def _period_tried(values: list[int]) -> tuple[int, list[int]] | None:
    """The search ``_period`` replaced: try every step, count residues, check membership."""
    first, last = values[0], values[-1]
    present = set(values)
    for step in range(2, last - first + 1):
        counts: dict[int, int] = {}
        for v in values:
            counts[v % step] = counts.get(v % step, 0) + 1
        if len(counts) > 4 or len(counts) * 2 > step or min(counts.values()) < 2:
            continue
        if all((v in present) == (v % step in counts) for v in range(first, last + 1)):
            return step, sorted(counts, key=lambda r: r - step if r > step // 2 else r)
    return None


PERIODIC = [
    [n for n in range(32, 1025) if n % 32 in (31, 0, 1)],
    [n for n in range(30, 400) if n % 7 in (2, 5)],
    [n for n in range(32, 100) if n % 8 == 3] + [98],
    [n for n in range(10, 300) if n % 12 in (0, 1, 2, 3)],
    [n for n in range(10, 300) if n % 12 in (0, 1, 2, 3, 4)],
    [n for n in range(5, 200) if n % 4 == 1],
    [n for n in range(5, 200) if n % 9 in (0, 4)] + [200],
    [3, 5],
    [3, 5, 7],
    [1, 2, 3, 4],
    [10, 20, 30, 41],
]


@pytest.mark.parametrize("values", PERIODIC, ids=lambda v: f"{v[0]}-{v[-1]}-{len(v)}")
def test_period_equals_the_trial_of_every_step(values: list[int]) -> None:
    from convcalc.solve import _period

    assert _period(values) == _period_tried(values)


@pytest.mark.parametrize(
    ("sizes", "text"),
    [
        pytest.param([n for n in range(32, 20001) if n % 1000], "32–999, 1001–1999, 2001–2999, 3001–3999, "
                     "4001–4999, 5001–5999, 6001–6999, 7001–7999, … (19949 sizes up to 19999)", id="gaps"),
        # 5 ≡ −2 (mod 7) comes first: the residues read in order around a multiple of 7
        pytest.param([n for n in range(30, 2001) if n % 7 in (2, 5)], "7·k − 2, 7·k + 2 from 30 to 2000", id="two-of-seven"),
    ],
)
def test_describe_sizes_of_many_sizes(sizes: list[int], text: str) -> None:
    # 20,000 sizes: the trial of every step took two minutes here, the linear search milliseconds
    assert describe_sizes(sizes, sizes[0], sizes[-1]) == text
