"""Issue 13's shell problems, one test table each.

- ``;`` without spaces (``bn;relu``), in the shell and in ``model --layers``;
- ``save`` keeps a loaded file's comments and formatting and refreshes stale
  ``expect:`` figures, so the file passes ``convcalc check``;
- ``show`` takes a depth and a range or a name, and pages long output;
- echoed rows stay aligned for names of 16 characters and more;
- ``input`` warns about a shape that looks like the other layout; ``--layout``
  and the ``layout`` command;
- a dense layer on a map gets a one-line hint.

Independent referees: the figures of ``docs/format.md``'s ``expect`` example
(618 parameters for the 16-filter net), the file loader reading the saved
file, and ``convcalc check`` run on it.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from convcalc.catalog import bundled
from convcalc.cli import app
from convcalc.errors import ConvCalcError, InputError
from convcalc.loader import load_model
from convcalc.model import analyse
from convcalc.shapes import Layout, parse_shape
from convcalc.shell import Note, Session, run_shell

runner = CliRunner()


def _session(shape: str = "32x32x3", *lines: str) -> Session:
    s = Session(parse_shape(shape))
    for line in lines:
        s.execute(line)
    return s


def _piped(script: str, *args: str | None, layout: Layout | None = None, cwd: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        code = run_shell(*args, stdin=io.StringIO(script), stdout=out, stderr=err, layout=layout)  # type: ignore[misc]
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


# ------------------------------------------------------------------ 1. ';' without spaces

CONV_BN_RELU = ({"conv2d": {"filters": 8, "kernel": 3}}, "batchnorm2d", "relu")


@pytest.mark.parametrize(
    ("line", "entries"),
    [
        ("bn; relu", ("batchnorm2d", "relu")),
        ("bn;relu", ("batchnorm2d", "relu")),
        ("bn ;relu", ("batchnorm2d", "relu")),
        ("bn ; relu", ("batchnorm2d", "relu")),
        ("conv 8 k3;bn;relu", CONV_BN_RELU),
        ("conv 8 k3 ;bn; relu", CONV_BN_RELU),
        ("relu;", ("relu",)),
        (";relu", ("relu",)),  # was "';relu' is neither a command nor a layer kind"
        ("; relu", ("relu",)),
        (" ; ;relu", ("relu",)),
        (";", ()),
        ("bn;;relu", ("batchnorm2d", "relu")),
        ("bn;relu # a comment", ("batchnorm2d", "relu")),
        ("relu#a comment", ("relu",)),  # was "'relu#a' is neither a command nor a layer kind"
        ("conv 8 k3;bn @a;relu", ({"conv2d": {"filters": 8, "kernel": 3}}, {"batchnorm2d": {"name": "a"}}, "relu")),
    ],
)  # fmt: skip
def test_semicolons_need_no_spaces(line: str, entries: tuple[object, ...]) -> None:
    s = _session("8x8x3")
    s.execute(line)
    assert s.state.entries == entries


def test_insert_takes_layers_joined_without_spaces() -> None:
    s = _session("8x8x3", "conv 8 k3 @c")
    s.execute("insert c bn;relu")
    assert s.state.entries[:2] == ("batchnorm2d", "relu")


@pytest.mark.parametrize("layers", ["conv 8 k3;bn;relu", "conv 8 k3 ;bn ;relu;", ";conv 8 k3;bn;relu"])
def test_model_layers_takes_semicolons_without_spaces(layers: str) -> None:
    spaced = runner.invoke(app, ["model", "--layers", "conv 8 k3; bn; relu", "--input", "8x8x3", "--format", "json"])
    done = runner.invoke(app, ["model", "--layers", layers, "--input", "8x8x3", "--format", "json"])
    assert (done.exit_code, spaced.exit_code) == (0, 0), done.output
    assert done.output == spaced.output
    assert [layer["kind"] for layer in json.loads(done.output)["layers"]] == ["conv2d", "batchnorm2d", "relu"]


# ------------------------------------------------------------------ 2. save keeps comments; expect refreshed

SMALL = """\
# A small net, with comments everywhere.
name: small   # the model's name
input: [32, 32, 3]   # H×W×C
layers:
  # the stem
  - conv2d: {filters: 8, kernel: 3, padding: 1, name: conv1}   # 3·3·3·8 + 8 = 224
  # activation
  - relu: {name: relu1}

  # the head
  - global_avgpool2d: {name: gap}
  - dense:
      units: 10      # classes
      name: fc
# the figures (convcalc check)
expect:
  output: [10]
  params: 314            # 224 + (8 + 1)·10
  layers:
    conv1: {output: [32, 32, 8], params: 224}
"""


@pytest.mark.parametrize(
    ("commands", "edits", "refreshed"),
    [
        pytest.param([], [], "", id="unchanged"),
        pytest.param(
            ["set conv1 16"],
            # docs/format.md's example: (3·3·3 + 1)·16 = 448, + (16 + 1)·10 = 618
            [("filters: 8, kernel", "filters: 16, kernel"), ("params: 314 ", "params: 618 "),
             ("conv1: {output: [32, 32, 8], params: 224}", "conv1: {output: [32, 32, 16], params: 448}")],
            "expect: refreshed 3 stale figure(s) to the new ones: params 314 → 618; layer 'conv1' output 32×32×8 → 32×32×16; layer 'conv1' params 224 → 448",
            id="set-keeps-the-end-of-line-comment",
        ),
        pytest.param(
            ["del relu1"], [("  # activation\n  - relu: {name: relu1}\n", "")], "",
            id="del-takes-the-comment-directly-above",
        ),
        pytest.param(
            ["insert gap bn @bn1"],
            [("  - relu: {name: relu1}\n", "  - relu: {name: relu1}\n  - batchnorm2d: {name: bn1}\n"), ("params: 314 ", "params: 346 ")],
            "expect: refreshed 1 stale figure(s) to the new ones: params 314 → 346",
            id="insert-in-the-same-indentation",
        ),
        pytest.param(
            ["fc 5 @out"],
            [("      name: fc\n", "      name: fc\n  - dense: {units: 5, name: out}\n"), ("output: [10]", "output: [5]"),
             ("params: 314 ", "params: 369 ")],
            "expect: refreshed 2 stale figure(s) to the new ones: output 10 → 5; params 314 → 369",
            id="append-before-the-next-section",
        ),
        pytest.param(
            ["set fc 20"],
            [("  - dense:\n      units: 10      # classes\n      name: fc\n", "  - dense: {units: 20, name: fc}\n"),
             ("output: [10]", "output: [20]"), ("params: 314 ", "params: 404 ")],
            "expect: refreshed 2 stale figure(s) to the new ones: output 10 → 20; params 314 → 404",
            id="set-rewrites-a-block-entry-on-one-line",
        ),
        pytest.param(
            ["input 64x64x3"],
            [("input: [32, 32, 3]", "input: [64, 64, 3]"), ("output: [32, 32, 8]", "output: [64, 64, 8]")],
            "expect: refreshed 1 stale figure(s) to the new ones: layer 'conv1' output 32×32×8 → 64×64×8",
            id="input-in-place",
        ),
        pytest.param(
            ["layout chw"],
            [("input: [32, 32, 3]", "layout: chw\ninput: [3, 32, 32]"), ("output: [32, 32, 8]", "output: [8, 32, 32]")],
            "",
            id="layout-adds-its-key",
        ),
        pytest.param(
            ["relu", "undo", "set 1 8"], [], "", id="changes-undone-or-no-ops",
        ),
    ],
)  # fmt: skip
def test_save_keeps_the_files_comments_and_refreshes_expect(
    tmp_path: Path, commands: list[str], edits: list[tuple[str, str]], refreshed: str
) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    s = Session()
    s.execute(f"load {path}")
    for command in commands:
        s.execute(command)
    reply = s.execute("save")
    expected = SMALL
    for old, new in edits:
        assert old in expected
        expected = expected.replace(old, new)
    assert path.read_text() == expected
    assert reply == [f"saved {len(s.state.entries)} layers to {path}", *([refreshed] if refreshed else [])]
    assert not s.dirty
    # the loader reads back the session's model, and check finds nothing stale
    built = s.built()
    assert built is not None and analyse(load_model(path)).totals == built.summary.totals
    checked = runner.invoke(app, ["check", str(path)])
    assert checked.exit_code == 0, checked.output


def test_a_second_save_edits_the_first_saves_text(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    s = Session()
    s.execute(f"load {path}")
    s.execute("set conv1 16")
    s.execute("save")
    s.execute("set conv1 8")
    s.execute("save")
    assert path.read_text() == SMALL  # back to the figures the file had, comments and all


def test_a_copy_keeps_the_comments_and_a_name_it_never_wrote(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").write_text("# no name here\ninput: [8, 8, 3]\nlayers:\n  - relu   # r\n")
    s = Session()
    s.execute(f"load {tmp_path / 'net.yaml'}")
    s.execute("gap")
    s.execute(f"save {tmp_path / 'copy.yaml'}")
    assert (tmp_path / "copy.yaml").read_text() == "# no name here\ninput: [8, 8, 3]\nlayers:\n  - relu   # r\n  - global_avgpool2d\n"


def test_a_windows_file_keeps_its_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_bytes(SMALL.replace("\n", "\r\n").encode())
    s = Session()
    s.execute(f"load {path}")
    s.execute("set conv1 16")
    s.execute("fc 5")
    s.execute("save")
    text = path.read_bytes().decode()
    assert text.count("\r\n") == text.count("\n") == SMALL.count("\n") + 1
    assert "  - conv2d: {filters: 16, kernel: 3, padding: 1, name: conv1}   # 3·3·3·8 + 8 = 224\r\n" in text


@pytest.mark.parametrize("name", sorted(bundled()))
def test_every_bundled_file_saves_as_it_was_and_takes_an_edit_as_one_line(tmp_path: Path, name: str) -> None:
    original = bundled()[name].read_text()
    s = Session()
    s.execute(f"load {name}")
    s.execute(f"save {tmp_path / 'same.yaml'}")
    assert (tmp_path / "same.yaml").read_text() == original
    s.execute("dropout 0.1")  # changes no figure: 'expect' stays as it is
    assert s.execute(f"save! {tmp_path / 'same.yaml'}") == [f"saved {len(s.state.entries)} layers to {tmp_path / 'same.yaml'}"]
    changed = [line for line in difflib.ndiff(original.splitlines(), (tmp_path / "same.yaml").read_text().splitlines()) if line[:1] in "+-"]
    assert len(changed) == 1 and re.fullmatch(r"\+ +- dropout: \{rate: 0\.1\}", changed[0])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("{input: [8, 8, 3], layers: [relu]}\n", "it is written as one flow mapping", id="flow-mapping"),
        pytest.param(
            "input: [8, 8, 3]  # c\nlayers:\n  - &c {conv2d: {filters: 3, kernel: 1}}\n  - *c\n", None, id="alias-entries",
        ),
    ],
)  # fmt: skip
def test_a_file_it_cannot_edit_is_written_plain_with_a_warning(tmp_path: Path, text: str, reason: str | None) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(text)
    s = Session()
    s.execute(f"load {path}")
    s.execute("relu @last")
    reply = s.execute("save")
    warning = [item for item in reply if isinstance(item, Note)]
    assert len(warning) == 1 and warning[0].startswith("warning: the comments and formatting of the file loaded were not kept: ")
    if reason:
        assert warning[0].endswith(reason)
    written = path.read_text()
    assert written.startswith("# written by convcalc shell\n")
    built = s.built()
    assert built is not None and analyse(load_model(path)).totals == built.summary.totals


_EDITS = st.sampled_from([
    "set conv1 16", "set conv1 s2", "set 2 @act", "del relu1", "del 2", "insert gap bn", "insert after 1 dropout 0.1",
    "relu", "fc 3", "input 64x64x3", "input 16x16x3", "layout chw", "layout hwc", "undo", "redo", "set fc 7",
])  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_EDITS, max_size=6))
def test_any_edits_save_to_a_file_that_loads_to_the_model_and_checks(tmp_path: Path, edits: list[str]) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    s = Session()
    s.execute(f"load {path}")
    s.forget_history()  # as at start-up: 'undo' does not go back before the file
    for edit in edits:
        with contextlib.suppress(ConvCalcError):  # refused (nothing to redo, …): the model is unchanged
            s.execute(edit)
    reply = s.execute("save")
    assert not any(isinstance(item, Note) for item in reply)  # this file's comments are always kept
    text = path.read_text()
    assert text.startswith("# A small net, with comments everywhere.\nname: small   # the model's name\n")
    built = s.built()
    assert built is not None
    saved = analyse(load_model(path))
    assert saved.totals == built.summary.totals
    assert [n.name for n in saved.model.nodes] == [n.name for n in built.model.nodes]
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0


# ------------------------------------------------------------------ 3. show: depth, range, pager

RESNET_TOP = ["input", "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]


def _rows(reply: list[object]) -> list[str]:
    return ["input", *(r.name for r in reply[0].rows)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "rows", "note"),
    [
        pytest.param("1", RESNET_TOP, None, id="depth-1-is-one-row-per-entry"),
        pytest.param("2 5-6", ["input", "layer1", "layer1.0", "layer1.1", "layer1.2", "layer2", "layer2.0", "layer2.1", "layer2.2", "layer2.3"],
                     "layers 5-6: 9 of 26 rows; the totals are the whole model's", id="depth-and-range"),
        pytest.param("1 9-", ["input", "avgpool", "fc"], "layers 9-10: 2 of 10 rows; the totals are the whole model's", id="open-range"),
        pytest.param("-2 1", ["input", "conv1", "bn1"], "layers 1-2: 2 of 10 rows; the totals are the whole model's", id="range-then-depth"),
        pytest.param("2 layer3", ["input", "layer3", *(f"layer3.{i}" for i in range(6))],
                     "'layer3': 7 of 26 rows; the totals are the whole model's", id="a-group-by-name"),
        pytest.param("layer4.2.conv3", ["input", "layer4.2.conv3"], "'layer4.2.conv3': 1 of 210 rows; the totals are the whole model's", id="a-layer-by-name"),
    ],
)  # fmt: skip
def test_show_takes_a_depth_and_a_range(args: str, rows: list[str], note: str | None) -> None:
    s = Session()
    s.execute("load resnet50")
    reply = s.execute(f"show {args}")
    assert _rows(reply) == rows
    assert reply[1:] == ([note] if note else [])


def test_show_without_arguments_shows_every_row() -> None:
    s = Session()
    s.execute("load resnet50")
    everything = _rows(s.execute("show"))
    assert len(everything) == 211 and everything[-1] == "fc" and "layer4.2.conv3" in everything
    assert len(_rows(s.execute("show 1"))) == len(RESNET_TOP)  # 'show 1' no longer ignores its argument


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("1 2", "show takes one depth, got 1 and 2; as in 'show 2 10-20'"),
        ("3-2", "show: 3-2 has nothing in it; write FIRST-LAST with FIRST ≤ LAST, as in 'show 10-20'"),
        ("11-12", "show: there is no layer 11; layers are numbered 1 to 10"),
        ("0-3", "show: there is no layer 0; layers are numbered 1 to 10"),
        ("1-2 layer1", "show takes one range or layer, got '1-2' and 'layer1'; as in 'show 2 10-20'"),
        ("layr4", "show: no layer or group is named 'layr4'; did you mean 'layer4'?"),
        ("-", "show: no layer or group is named '-'; give a depth, a range such as 10-20, or a layer's name"),
    ],
)  # fmt: skip
def test_show_refuses_what_it_cannot_show(args: str, message: str) -> None:
    s = Session()
    s.execute("load resnet50")
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        s.execute(f"show {args}")


def test_a_piped_show_is_not_paged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGER", "false")  # a pager that would swallow everything
    code, out, _ = _piped("load resnet50\nshow\n")
    assert code == 0 and "layer4.2.relu_2" in out and "params: 25,610,152" in out


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_long_show_goes_through_the_pager_at_a_terminal(tmp_path: Path) -> None:
    from test_shell import PROMPT, Terminal

    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "TERM": "xterm", "PAGER": f"cat > {tmp_path / 'paged.txt'}",
        "CONVCALC_HISTORY": "", "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8", "NO_COLOR": "1",
    }  # fmt: skip
    code = "import sys; from convcalc.shell import run_shell; sys.exit(run_shell(None, None))"
    term = Terminal([sys.executable, "-c", code], tmp_path, env)  # 50 rows
    try:
        term.expect(PROMPT)
        term.type("load resnet50")
        shown = term.type("show")  # 210 rows: paged
        paged = (tmp_path / "paged.txt").read_text()
        assert "layer4.2.relu_2" in paged and "params: 25,610,152" in paged
        assert "layer4.2.relu_2" not in shown
        shown = term.type("show 1")  # 11 rows: printed
        assert "layer4 " in shown and "params: 25,610,152" in shown
        assert "warning: 3x32x32 reads as H=3" in term.type("input 3x32x32")  # a note, on the terminal too
        term.send("quit!\r")
        assert term.wait() == 0
    finally:
        term.close()


# ------------------------------------------------------------------ 4. rows aligned for long names


_ROW = re.compile(r"\s*\d+  (\S+) +(\S+) +(\S+ → \S+) +([\d,]+) params  [\d,]+ MACs")


def _columns(line: str) -> tuple[int, ...]:
    """Where the name, the kind and the shapes start, and where the parameter count ends."""
    row = _ROW.fullmatch(line)
    assert row, line
    return row.start(1), row.start(2), row.start(3), row.end(4)


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param(["conv 8 k3 p1 @a_name_of_16_chr; relu; conv 8 k1 @n"], id="16-characters"),
        pytest.param(["conv 8 k3 p1 @a_very_long_layer_name_indeed_x40_chars_long; relu"], id="40-characters"),
        pytest.param(["conv 8 k3 p1 @short", "conv_transpose2d 8 k1 @this_is_the_longest_name", "relu", "gap; fc 10"],
                     id="long-kinds-and-later-lines"),
        pytest.param(["conv 1000 k1; conv 3 k1 @x; conv 20000 k1; relu"], id="long-parameter-counts"),
    ],
)  # fmt: skip
def test_echoed_rows_stay_aligned(lines: list[str]) -> None:
    s = _session("32x32x3")
    echoed: list[str] = []
    for line in lines:
        echoed += [item for item in s.execute(line) if not isinstance(item, Note)]
    longest = max(echoed, key=lambda line: len(line.split()[1]))
    after = echoed[echoed.index(longest):]  # from the longest name on, every row lines up with it
    assert len(after) >= 2
    assert len({_columns(line) for line in after}) == 1, "\n".join(after)


def test_short_names_keep_the_usual_columns() -> None:
    reply = _session("224x224x3").execute("conv 64 k7 s2 p3 @conv1")
    assert reply == ["  1  conv1           conv2d       224×224×3 → 112×112×64         9,472 params  118,013,952 MACs"]


# ------------------------------------------------------------------ 5. input: C×H×W warning, --layout, layout


@pytest.mark.parametrize(
    ("layout", "command", "shown", "warning"),
    [
        ("hwc", "input 3x32x32", "input 3×32×32",
         "warning: 3x32x32 reads as H=3, W=32, C=32; if you meant C×H×W, use --layout chw or write 32x32x3"),
        ("hwc", "input 1x28x28", "input 1×28×28",
         "warning: 1x28x28 reads as H=1, W=28, C=28; if you meant C×H×W, use --layout chw or write 28x28x1"),
        ("hwc", "input 3x224x224", "input 3×224×224",
         "warning: 3x224x224 reads as H=3, W=224, C=224; if you meant C×H×W, use --layout chw or write 224x224x3"),
        ("hwc", "input 32x32x3", "input 32×32×3", None),
        ("hwc", "input 4x4x512", "input 4×4×512", None),  # a small map, not a swapped image
        ("hwc", "input 3x3x64", "input 3×3×64", None),
        ("hwc", "input 784", "input 784", None),
        ("chw", "input 3x32x32", "input 3×32×32", None),
        ("chw", "input 32x32x3", "input 32×32×3",
         "warning: 32x32x3 reads as C=32, H=32, W=3; if you meant H×W×C, use --layout hwc or write 3x32x32"),
        ("hwc", "input 3x32x32 --layout chw", "input 3×32×32; layout chw: shapes are read and shown as C×H×W", None),
        ("hwc", "input --layout=chw 3 32 32", "input 3×32×32; layout chw: shapes are read and shown as C×H×W", None),
        ("chw", "input 32x32x3 --layout hwc", "input 32×32×3; layout hwc: shapes are read and shown as H×W×C", None),
    ],
)  # fmt: skip
def test_input_warns_about_a_shape_in_the_other_layout(layout: str, command: str, shown: str, warning: str | None) -> None:
    s = Session(parse_shape("8x8x8"), Layout(layout))
    s.execute("relu")
    reply = s.execute(command)
    assert reply[0] == shown
    notes = [item for item in reply if isinstance(item, Note)]
    assert notes == ([warning] if warning else [])
    assert s.execute("input") == [shown.split(";")[0]]  # taken as written, in the layout now in force


def test_layout_switches_how_shapes_read_and_undo_switches_back() -> None:
    s = _session("32x32x3", "conv 8 k3")
    assert s.execute("layout") == ["layout hwc: shapes are read and shown as H×W×C"]
    assert s.execute("layout chw") == ["layout chw: shapes are read and shown as C×H×W; input 3×32×32"]
    assert s.execute("relu")[0].split()[3:6] == ["8×30×30", "→", "8×30×30"]
    s.execute("undo")
    s.execute("undo")
    assert s.state.layout is Layout.HWC and s.execute("input") == ["input 32×32×3"]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("layout nchw", "layout must be hwc (H×W×C, channels last) or chw (C×H×W, channels first), got 'nchw'"),
        ("input 3x32x32 --layout", "--layout needs hwc or chw, as in 'input 3x32x32 --layout chw'"),
        ("input 3x32x32 --layout xyz", "layout must be hwc (H×W×C, channels last) or chw (C×H×W, channels first), got 'xyz'"),
        ("input 3x32x32 --layout chw --layout hwc", "give --layout once"),
    ],
)  # fmt: skip
def test_layout_mistakes(command: str, message: str) -> None:
    s = _session("32x32x3", "relu")
    before = s.state
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        s.execute(command)
    assert s.state is before


@pytest.mark.parametrize(
    ("args", "layout", "first", "warning"),
    [
        (["3x32x32"], None, "  1  conv2d          conv2d       3×32×32 → 1×30×8",
         "warning: --input 3x32x32 reads as H=3, W=32, C=32; if you meant C×H×W, use --layout chw or write 32x32x3\n"),
        (["3x32x32"], Layout.CHW, "  1  conv2d          conv2d       3×32×32 → 8×30×30", ""),
        (["32x32x3"], None, "  1  conv2d          conv2d       32×32×3 → 30×30×8", ""),
    ],
)  # fmt: skip
def test_the_shell_starts_in_a_layout_and_warns_about_its_input(args: list[str], layout: Layout | None, first: str, warning: str) -> None:
    code, out, err = _piped("conv 8 k3\n", *args, layout=layout)
    assert (code, err) == (0, warning)
    assert out.startswith(first)


def test_convcalc_shell_accepts_layout(tmp_path: Path) -> None:
    done = runner.invoke(app, ["shell", "--layout", "chw", "--input", "3x32x32"], input=f"conv 8 k3\nsave {tmp_path / 'n.yaml'}\n")
    assert done.exit_code == 0, done.output
    assert "3×32×32 → 8×30×30" in done.output
    assert "layout: chw\ninput: [3, 32, 32]\n" in (tmp_path / "n.yaml").read_text()
    refused = runner.invoke(app, ["shell", "--layout", "nchw"], input="")
    assert refused.exit_code == 2 and "'nchw' is not one of 'hwc', 'chw'" in refused.output


def test_a_files_layout_is_switched_by_the_option(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text("input: [32, 32, 3]\nlayers:\n  - conv2d: {filters: 8, kernel: 3}\n")
    code, out, _ = _piped("show 1\nsave\n", None, str(path), layout=Layout.CHW)
    assert code == 0 and "layout chw: shapes are read and shown as C×H×W; input 3×32×32" in out
    assert path.read_text() == "layout: chw\ninput: [3, 32, 32]\nlayers:\n  - conv2d: {filters: 8, kernel: 3}\n"


# ------------------------------------------------------------------ 6. dense on a map: a hint


@pytest.mark.parametrize(
    ("shape", "line", "hint"),
    [
        ("56x56x64", "fc 10",
         "hint: layer 1 'dense' (dense) works on each of the 56×56 positions of the 56×56×64 map, like a 1×1 convolution; "
         "did you mean flatten or global_avgpool2d first?"),
        ("100x8", "relu; dense 4 @head",
         "hint: layer 2 'head' (dense) works on each of the 100 positions of the 100×8 map, like a 1×1 convolution; "
         "did you mean flatten or global_avgpool1d first?"),
        ("56x56x64", "gap; fc 10", None),
        ("56x56x64", "flatten; fc 10", None),
        ("2048", "fc 10", None),
    ],
)  # fmt: skip
def test_dense_on_a_map_gets_a_hint_and_is_still_added(shape: str, line: str, hint: str | None) -> None:
    s = _session(shape)
    reply = s.execute(line)
    assert [item for item in reply if isinstance(item, Note)] == ([hint] if hint else [])
    last = s.state.entries[-1]
    assert (last if isinstance(last, str) else next(iter(last))) == "dense"  # added either way


def test_dense_inserted_on_a_map_gets_the_hint_too() -> None:
    s = _session("8x8x4", "conv 4 k1 @c", "gap")
    reply = s.execute("insert after c fc 3")
    assert reply[-1].startswith("hint: layer 2 'dense' (dense) works on each of the 8×8 positions")


def test_notes_go_to_stderr_in_a_script() -> None:
    code, out, err = _piped("fc 10\n", "7x7x512")
    assert code == 0 and out.startswith("  1  dense")
    assert err == (
        "hint: layer 1 'dense' (dense) works on each of the 7×7 positions of the 7×7×512 map, like a 1×1 convolution; "
        "did you mean flatten or global_avgpool2d first?\n"
    )


# ------------------------------------------------------------------ completion of the new words


@pytest.mark.parametrize(
    ("before", "text", "expected"),
    [
        ("", "layo", ["layout"]),
        ("layout ", "c", ["chw"]),
        ("input 3x32x32 ", "--l", ["--layout"]),
        ("input 3x32x32 --layout ", "", ["hwc", "chw"]),
        ("show ", "b", ["b1"]),
        ("show 2 ", "b", ["b1"]),
    ],
)  # fmt: skip
def test_completion_of_layout_and_show(before: str, text: str, expected: list[str]) -> None:
    assert _session("8x8x3", "bn @b1").complete(before, text) == expected
