"""Issue 11: the shell appends layers without reloading the model, and says the same.

A :class:`~convcalc.shell.growing.Growing` reads only the new entries of a
line. The referee is the path it replaces: the whole state written as a
file and loaded by the file loader (``Growing.start`` patched to refuse, so
every line loads the whole model). Random scripts run through both must
print the same replies, fail with the same sentences, and end with equal
models; PyYAML's emitter referees the shell's fast flow writer.
"""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcalc.errors import ConvCalcError
from convcalc.shapes import parse_shape
from convcalc.shell import Session, build, run_shell
from convcalc.shell import growing as growing_module
from convcalc.shell.state import Entries, State, _flow, _plain_flow

BLOCK_FILE = """\
name: blocky
input: [16, 16, 4]
blocks:
  unit:
    params: {width: 8}
    layers:
      - conv2d: {filters: $width, kernel: 3, padding: 1, name: c}
      - relu
layers:
  - unit: {width: 4}
"""

LINES = [
    "relu", "bn", "conv 8 k3 p1", "conv 4 k3", "maxpool k2", "conv 8 k3 p1 @a", "conv 8 k3 p1 @b",
    "add from=a,b", "concat from=a,relu", "gap", "flatten", "dense 10", "dropout 0.5", "relu; relu; bn",
    "conv 8 k99", "unit", "unit width=2", "undo", "redo", "del 1", "set 1 s2", "insert 1 relu", "pad 1",
]


def _run(script: list[str], start: list[str], grow: bool, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each line's reply (as text) or its error sentence, and the final model's repr."""
    with monkeypatch.context() as patch:
        if not grow:
            patch.setattr(growing_module.Growing, "start", classmethod(lambda cls, state, name: None))
        s = Session(parse_shape("16x16x4"))
        for line in start:
            s.execute(line)
        out = []
        for line in script:
            try:
                out.append(repr(s.execute(line)))
            except ConvCalcError as error:
                out.append("error: " + error.message)
        built = s.built()
        whole = build(s.state, s.name) if s.state.entries else None
        out.append(repr(built.model if built else None))
        out.append(repr(whole.model if whole else None))  # the grown model equals the model loaded whole
        out.append(repr(built.entry_of if built else None) + repr(whole.entry_of if whole else None))
        return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=st.lists(st.sampled_from(LINES), min_size=1, max_size=12), loaded=st.booleans())
def test_growing_says_what_loading_whole_says(
    script: list[str], loaded: bool, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    start: list[str] = []
    if loaded:
        path = tmp_path_factory.mktemp("f") / "blocky.yaml"
        path.write_text(BLOCK_FILE)
        start = [f"load {path}"]
    grown = _run(script, start, True, monkeypatch)
    whole = _run(script, start, False, monkeypatch)
    assert grown == whole
    assert grown[-3] == grown[-2]


def test_an_error_in_a_grown_model_names_the_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    s = Session(parse_shape("8x8x1"))
    s.execute("relu")
    s.execute("relu")  # grown now
    with pytest.raises(ConvCalcError, match=r"^layer 3 'conv2d' \(conv2d\): kernel 9 is larger than the padded input 8 \(H=8, padding=0\)$"):
        s.execute("conv 4 k9")
    assert len(s.state.entries) == 2  # nothing changed, and the next line still works
    assert s.execute("conv 4 k3") == ["  3  conv2d          conv2d       8×8×1 → 6×6×4                     40 params  1,296 MACs"]  # 6·6·4 outputs × 3·3·1


def test_undo_keeps_no_copy_per_line() -> None:
    """A script of N adds keeps O(N) entries in its history, not N²/2."""
    s = Session(parse_shape("8x8x1"))
    for _ in range(300):
        s.execute("relu")
    held = sum(len(step.entries) if hasattr(step, "entries") else 0 for step, _ in s._undo)
    assert held == 0  # each add is remembered as a count to trim
    for _ in range(300):
        s.execute("undo")
    assert s.state.entries == ()
    for _ in range(300):
        s.execute("redo")
    assert len(s.state.entries) == 300


def test_a_piped_script_of_5000_lines_prints_every_row() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_shell(stdin=io.StringIO("input 8x8x2\n" + "conv 2 k3 p1\n" * 5000), stdout=out, stderr=err)
    assert (code, err.getvalue()) == (0, "")
    rows = out.getvalue().splitlines()[2:]
    assert len(rows) == 5000
    assert rows[-1] == "5000  conv2d_4999     conv2d       8×8×2 → 8×8×2                     38 params  2,304 MACs"


def _line_peak(s: Session, line: str) -> int:
    """The least memory, over 8 runs of ``line``, held at once beyond what was held before it.

    The least, because a list that grows now and then moves its items (once
    in many lines); copying the model's entries would cost every line.
    """
    peaks = []
    tracemalloc.start()
    try:
        for _ in range(8):
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            s.execute(line)
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
    finally:
        tracemalloc.stop()
    return min(peaks)


@pytest.mark.parametrize("line", ["relu", "conv 2 k3 p1"])
def test_a_line_costs_no_more_after_thousands(line: str) -> None:
    """Issue 11: a line appended to 4,000 layers needs no more memory than one appended to 100.

    A copy of the entries per line (4,000 pointers, 32 kB) would show here;
    a deterministic stand-in for µs/line staying flat in
    ``benchmarks/shell_script.py``.
    """
    s = Session(parse_shape("8x8x2"))
    for _ in range(100):
        s.execute(line)
    short = _line_peak(s, line)
    for _ in range(6_000):
        s.execute(line)
    long = _line_peak(s, line)
    assert long < short + 16_000, (short, long)


# Operations on entries, each done alike to Entries and to plain tuples (the referee):
# ("add", i, items) appends items to the i-th value held, ("cut", i, k) keeps its first k.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 50), st.lists(st.sampled_from(["relu", "bn", "x"]), max_size=3)),
        st.tuples(st.just("cut"), st.integers(0, 50), st.integers(-4, 8)),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(ops=operations)
def test_entries_read_as_the_tuples_they_stand_for(ops: list[tuple[str, int, Any]]) -> None:
    """Entries that share a list still each hold what a tuple would, whatever is appended later."""
    held: list[tuple[Entries, tuple[Any, ...]]] = [(Entries(), ())]
    for op, i, arg in ops:
        entries, plain = held[i % len(held)]
        if op == "add":
            pick = [plain[j % len(plain)] for j in range(len(arg))] if plain and arg and arg[0] == "x" else arg
            held.append((entries + tuple(pick), plain + tuple(pick)))  # 'x': the same objects again, as a redo
        else:
            held.append((entries[:arg], plain[:arg]))
        for entries, plain in held:
            assert entries == plain and plain == entries and (entries != plain) is False
            assert (list(entries), len(entries), repr(entries), hash(entries)) == (list(plain), len(plain), repr(plain), hash(plain))
            assert [entries[j] for j in range(-len(plain), len(plain))] == [plain[j] for j in range(-len(plain), len(plain))]
            assert tuple(entries[1::2]) == plain[1::2] and tuple(entries[-2:]) == plain[-2:]
    with pytest.raises(IndexError):
        held[-1][0][len(held[-1][1])]


def test_a_state_holds_entries_and_equals_one_made_from_a_tuple() -> None:
    state = State(parse_shape("8x8x1"), ("relu", {"dense": {"units": 4}}))
    assert isinstance(state.entries, Entries)
    more = ({"dense": {"units": 4}},)
    assert state == State(parse_shape("8x8x1"), Entries(["relu"]) + more)
    assert state != State(parse_shape("8x8x1"), ("relu",))


# ------------------------------------------------------------ the fast flow writer


def _yaml_flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1 << 30)
    return text.removesuffix("...\n").rstrip("\n")


WORDS = ["relu", "same", "valid", "a.b", "a-b", "x_1", "_", "__init__", "yes", "No", "null", "TRUE", "on", "y", "n",
         "e5", "inf", "NaN", "a.", "a..b", "1x7", "-a", "a b", "a:b", "café", "", "0", "07", "0x1f", "1_000", "~"]
plain = st.recursive(
    st.one_of(st.sampled_from(WORDS), st.text(max_size=6), st.integers(), st.booleans(), st.none(),
              st.floats(allow_nan=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(WORDS), inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(value=plain)
def test_fast_flow_writes_what_pyyaml_writes(value: Any) -> None:
    fast = _plain_flow(value)
    assert fast is None or fast == _yaml_flow(value)
    assert _flow(value) == _yaml_flow(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"filters": 64, "kernel": [1, 7], "bias": False}, "{filters: 64, kernel: [1, 7], bias: false}"),
        ("yes", None),  # PyYAML quotes it ('yes'): a boolean otherwise
        ("1x7", None),
        (10**20, None),
        ({"padding": "same", "name": "conv1-a.b"}, "{padding: same, name: conv1-a.b}"),
    ],
    ids=["options", "yes", "digits-first", "huge", "words"],
)
def test_fast_flow_takes_only_what_it_knows(value: Any, text: str | None) -> None:
    assert _plain_flow(value) == text


def test_a_latin1_byte_is_one_sentence(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_shell(stdin=io.StringIO("input 8x8x1\nrelu @caf\udce9\n"), stdout=out, stderr=err)
    assert code == 2
    assert err.getvalue() == "error: line 2: column 10: byte 0xE9 is not UTF-8 text; write the line in UTF-8 (names are ASCII words)\n"
