"""``convcalc shell``: every command on a Session, scripts piped in, and a real terminal.

The referee for the figures is the bundled ``configs/resnet50_stem.yaml``
(Keras' stem: 9,728 parameters, 118,013,952 MACs, 56×56×64), loaded by the
file loader that the shell does not share its line syntax with.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from convcalc.errors import ConvCalcError, InputError
from convcalc.layers import KINDS
from convcalc.loader import load_model
from convcalc.model import analyse
from convcalc.shapes import parse_shape
from convcalc.shell import COMMANDS, NeedsConfirmation, Session, State, layers_to_model, run_shell

ROOT = Path(__file__).resolve().parent.parent
STEM = ROOT / "configs" / "resnet50_stem.yaml"
STEM_LINES = [
    "pad 3 @conv1_pad",
    "conv 64 k7 s2 @conv1_conv",
    "bn @conv1_bn",
    "relu @conv1_relu",
    "pad 1 @pool1_pad",
    "maxpool k3 s2 @pool1_pool",
]


def _figures(path: Path) -> tuple[int, int, int, str]:
    s = analyse(load_model(path))
    return (s.totals.params, s.totals.trainable_params, s.totals.macs, s.output.format())


def _session(shape: str = "224x224x3", *lines: str) -> Session:
    s = Session(parse_shape(shape))
    for line in lines:
        s.execute(line)
    return s


def _text(reply: list[object]) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    for item in reply:
        console.print(item, markup=False) if isinstance(item, str) else console.print(item)
    return console.file.getvalue()  # type: ignore[attr-defined]


# ------------------------------------------------------------------ adding and showing


def test_adding_layers_echoes_their_shapes() -> None:
    s = _session()
    reply = s.execute("conv 64 k7 s2 p3 @conv1; bn")
    assert reply[0].split()[:6] == ["1", "conv1", "conv2d", "224×224×3", "→", "112×112×64"]
    assert "9,472 params" in reply[0] and "118,013,952 MACs" in reply[0]
    assert reply[1].split()[:3] == ["2", "batchnorm2d", "batchnorm2d"]
    assert s.dirty


def test_the_stem_typed_in_gives_the_files_figures(tmp_path: Path) -> None:
    s = _session("224x224x3", *STEM_LINES)
    s.execute(f"save {tmp_path / 'stem.yaml'}")
    assert _figures(tmp_path / "stem.yaml") == _figures(STEM) == (9728, 9600, 118_013_952, "56×56×64")


def test_layers_to_model_matches_the_file() -> None:
    model = layers_to_model("; ".join(STEM_LINES), "224x224x3")
    reference = analyse(load_model(STEM))
    assert analyse(model).totals == reference.totals
    assert [n.name for n in model.nodes] == [n.name for n in reference.model.nodes]


@pytest.mark.parametrize(
    ("text", "shape", "message"),
    [
        ("conv 8 k3; relu k2", "8x8x3", "layer 2: 'k2': relu has no option 'kernel'; it takes no options"),
        ("conv 8 k3; maxpool k9", "4x4x1", "layer 2 'maxpool2d' (maxpool2d): kernel 9 is larger than the padded input 2 (H=2, padding=0)"),
        ("", "8x8x3", "--layers '' has no layers; give some, as in \"conv 64 k3 p1; bn; relu\""),
        ("relu", "8x0x3", "input shape '8x0x3' has '0' where a positive whole number was expected"),
    ],
    ids=["syntax", "shape", "empty", "bad-input"],
)  # fmt: skip
def test_layers_to_model_errors(text: str, shape: str, message: str) -> None:
    with pytest.raises(ConvCalcError, match=f"^{re.escape(message)}$"):
        layers_to_model(text, shape)


def test_show_renders_the_model_table_with_totals() -> None:
    out = _text(_session("224x224x3", *STEM_LINES).execute("show"))
    assert "pool1_pool" in out and "56×56×64" in out
    assert "params: 9,728" in out and "MACs: 118,013,952" in out


def test_show_and_list_before_any_layer() -> None:
    s = _session()
    assert s.execute("show") == ["no layers yet; add one, as in 'conv 64 k3 p1'"]
    assert s.execute("list") == ["no layers yet"]


def test_list_writes_lines_that_add_the_same_layers() -> None:
    s = _session("224x224x3", *STEM_LINES)
    lines = [re.sub(r"^\s*\d+\s+", "", line) for line in s.execute("list")]
    assert lines[1] == "conv2d 64 k7 s2 name=conv1_conv"
    again = _session("224x224x3", *lines)
    assert again.state.entries == s.state.entries


def test_adding_needs_an_input() -> None:
    with pytest.raises(InputError, match=r"^there is no input shape yet; set it first, as in 'input 224x224x3'$"):
        Session().execute("relu")


# ------------------------------------------------------------------ mistakes change nothing


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("maxpool k300", "layer 7 'maxpool2d' (maxpool2d): kernel 300 is larger than the padded input 56 (H=56, padding=0)"),
        ("relu k3", "layer 7: 'k3': relu has no option 'kernel'; it takes no options"),
        ("shw", "'shw' is neither a command nor a layer kind; did you mean 'show'?"),
        ("conv 8 k3 @conv1_bn", "layer 7 'conv1_bn' (conv2d): name 'conv1_bn' is already used in this scope; names must be unique"),
        ("add from=conv1_bn,nope", "layer 7 'add' (add): no earlier layer is named 'nope'; name the layer with 'name:' before referring to it"),
        ("del 9", "del: there is no layer 9; layers are numbered 1 to 6"),
        ("del conv9", "del: no layer is named 'conv9'; did you mean 'conv1_bn'?"),
        ("del", "del needs a layer: its number or name, as in 'del 3' or 'del conv1'"),
        ("set conv1_conv", "set needs a layer and options, as in 'set conv1 s2' or 'set 3 bias=false'"),
        ("set conv1_conv s0", "'conv1_conv' not changed: with s0, layer 2 'conv1_conv' (conv2d): stride must be a positive whole number, or a pair [h, w] of them (got 0)"),
        ("set conv1_conv k300", "'conv1_conv' not changed: with k300, layer 2 'conv1_conv' (conv2d): kernel 300 is larger than the padded input 230 (H=230, padding=0)"),
        ("set 2 units=3", "'units=3': conv2d has no option 'units'; its options are filters, kernel, stride, padding, dilation, groups, bias"),
        ("input 10", "input not changed: with 10, layer 1 'conv1_pad' (zeropad2d): zeropad2d needs an H×W×C feature map, got a vector of 10 features"),
        ("input 224x224", "input not changed: with 224×224, layer 1 'conv1_pad' (zeropad2d): zeropad2d takes an H×W×C map (2 spatial axes), got a 224×224 map (1 spatial axis)"),
        ("insert conv1_conv", "insert needs a layer and the line to insert, as in 'insert conv1 bn' or 'insert after 3 relu'"),
        ("insert 2 flatten", "layer 3 'conv1_conv' (conv2d): conv2d needs an H×W×C feature map, got a vector of 158,700 features"),
        ("explain nope", "explain: no layer is named 'nope'; 'list' shows the layers with their numbers"),
        ("help nope", "help: no command or layer kind is called 'nope'; type 'help' for the list"),
        ("redo", "nothing to redo"),
        ("load /nonexistent/net.yaml", "'/nonexistent/net.yaml' is neither a file nor a bundled model; bundled models: alexnet, convnext_tiny, densenet121, efficientnet_b0, googlenet, lenet5, m5, mobilenet_v2, r2plus1d_18, r3d_18, resnet50, resnet50_keras, resnet50_stem, shufflenet_v2_x1_0, vgg16"),
        ("save", "save needs a file name, as in 'save net.yaml'"),
        ("save /nonexistent/folder/net.yaml", "cannot save to '/nonexistent/folder/net.yaml': folder '/nonexistent/folder' does not exist"),
    ],
    ids=lambda v: v if len(v) < 40 else None,
)  # fmt: skip
def test_a_bad_line_says_one_sentence_and_changes_nothing(line: str, message: str) -> None:
    s = _session("224x224x3", *STEM_LINES)
    before, dirty, undo = s.state, s.dirty, list(s._undo)
    with pytest.raises(ConvCalcError) as caught:
        s.execute(line)
    assert caught.value.message == message
    assert "\n" not in caught.value.message and "<shell>" not in caught.value.message
    assert s.state is before and s.dirty == dirty and s._undo == undo


_WORDS = [*COMMANDS, "list", "explain", "del", "set", "insert", "before", "after", "input", "undo", "redo",
          *KINDS, "conv", "bn", "1", "3", "64", "k3", "s2", "p1", "p=same", "x", "=", "@", "@a", "from=a,b",
          "name=", "224x224x3", "0", "-1", ";", "#", "bias=false", "k0", "1x7", "[1,2]", "$w", "!", "?"]  # fmt: skip
_SAFE = [w for w in _WORDS if w not in ("save", "load", "quit", "verify", "help")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.one_of(st.sampled_from(_SAFE), st.text(max_size=4)), max_size=6).map(" ".join), max_size=6))
def test_nothing_typed_crashes_the_shell_or_loses_the_model(lines: list[str]) -> None:
    s = _session("32x32x3", "conv 8 k3 p1 @a", "relu")
    for line in lines:
        first = line.split()[0].lower().rstrip("!") if line.split() else ""
        if first in ("save", "load", "quit", "verify"):
            continue
        before = s.state
        try:
            s.execute(line)
        except ConvCalcError as error:
            assert s.state is before
            assert error.message and "\n" not in error.message
        s.built()  # whatever was accepted loads


# ------------------------------------------------------------------ undo, redo, set, insert, del, input


def test_undo_and_redo_walk_the_history() -> None:
    s = _session("224x224x3", *STEM_LINES)
    six = s.state
    s.execute("gap")
    assert s.execute("undo") == ["undone: add gap; output 56×56×64"]
    assert s.state == six  # equal, not the same object: undoing an add trims the entries
    assert s.execute("redo") == ["redone: add gap; output 64"]
    s.execute("undo")
    s.execute("relu")  # a new change empties the redo history
    with pytest.raises(InputError, match=r"^nothing to redo$"):
        s.execute("redo")
    for _ in range(7):
        s.execute("undo")
    assert s.state.entries == ()
    with pytest.raises(InputError, match=r"^nothing to undo$"):
        s.execute("undo")


def test_set_reports_the_layers_whose_shape_changes() -> None:
    s = _session("224x224x3", *STEM_LINES)
    reply = s.execute("set conv1_conv s1")
    assert reply == [
        "5 layer(s) change shape:",
        "  conv1_conv: 112×112×64 → 224×224×64",
        "  conv1_bn: 112×112×64 → 224×224×64",
        "  conv1_relu: 112×112×64 → 224×224×64",
        "  pool1_pad: 114×114×64 → 226×226×64",
        "  pool1_pool: 56×56×64 → 112×112×64",
        "output 56×56×64 → 112×112×64; params 9,728 → 9,728; MACs 118,013,952 → 472,055,808",
    ]
    assert s.state.entries[1] == {"conv2d": {"filters": 64, "kernel": 7, "stride": 1, "name": "conv1_conv"}}


def test_set_with_no_value_restores_the_default_and_can_rename() -> None:
    s = _session("224x224x3", *STEM_LINES)
    s.execute("set 2 s= p=3 @stem")
    assert s.state.entries[1] == {"conv2d": {"filters": 64, "kernel": 7, "padding": 3, "name": "stem"}}
    s.execute("set stem name=")
    s.execute("set 3 name=")
    assert s.state.entries[2] == "batchnorm2d"  # no options left: the bare kind


def test_set_refuses_a_change_that_breaks_a_later_layer() -> None:
    s = _session("8x8x3", "conv 8 k3 p1 @a", "conv 8 k1 from=input @b", "add from=a,b")
    with pytest.raises(InputError, match=re.escape(
        "'a' not changed: with 4, layer 3 'add' (add): add cannot broadcast 8×8×4 and 8×8×8"
    )):  # fmt: skip
        s.execute("set a 4")


def test_insert_before_and_after() -> None:
    s = _session("224x224x3", *STEM_LINES)
    reply = s.execute("insert pool1_pad dropout 0.1; relu @extra")
    assert reply[0].split()[:3] == ["5", "dropout", "dropout"]
    assert reply[1].split()[:2] == ["6", "extra"]
    s.execute("insert after 1 bn")
    assert [e if isinstance(e, str) else next(iter(e)) for e in s.state.entries] == [
        "zeropad2d", "batchnorm2d", "conv2d", "batchnorm2d", "relu", "dropout", "relu", "zeropad2d", "maxpool2d",
    ]  # fmt: skip


def test_del_removes_an_entry_and_refuses_one_a_later_layer_reads() -> None:
    s = _session("8x8x3", "conv 8 k3 p1 @a", "conv 8 k1 from=input @b", "add from=a,b", "relu")
    with pytest.raises(InputError, match=r"^cannot delete 'a': without it, layer 3 'add' \(add\): no earlier layer is named 'a'"):
        s.execute("del a")
    assert s.execute("del 4") == ["deleted layer 4 'relu'; 3 left", "output 8×8×8 → 8×8×8; params 256 → 256; MACs 15,360 → 15,360"]


def test_input_shows_and_changes_the_input() -> None:
    s = _session("224x224x3", *STEM_LINES)
    assert s.execute("input") == ["input 224×224×3"]
    reply = s.execute("input 112x112x3")
    assert reply[0] == "input 112×112×3" and reply[-1].startswith("output 56×56×64 → 28×28×64;")


def test_entries_inside_blocks_are_named_by_their_block() -> None:
    s = Session()
    s.execute("load resnet50")
    with pytest.raises(InputError, match=re.escape("del: 'layer1.0.conv1' is inside 'layer1' (layer 5); del works on whole entries, so use 'layer1' or 5")):
        s.execute("del layer1.0.conv1")
    s.execute("set layer1 repeat=2")  # a block's parameters by key=value
    assert s.state.entries[4]["bottleneck"]["repeat"] == 2
    assert s.execute("explain layer4.2.conv3")[0] == "layer4.2.conv3 (conv2d): 7×7×512 → 7×7×2048"


# ------------------------------------------------------------------ explain, verify, help, completion


def test_explain_defaults_to_the_last_layer() -> None:
    s = _session("224x224x3", *STEM_LINES)
    assert s.execute("explain")[0] == "pool1_pool (maxpool2d): 114×114×64 → 56×56×64"
    lines = s.execute("explain 2")
    assert lines[0] == "conv1_conv (conv2d): 230×230×3 → 112×112×64"
    assert "  params: (7·7·3 + 1) · 64 = 9,472" in lines


def test_verify_says_when_the_forward_pass_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "convcalc.forward", None)  # makes the import fail
    s = _session("8x8x3", "conv 4 k3")
    assert s.execute("verify") == ["verification isn't available: the NumPy forward pass (convcalc.forward) is not installed"]


def test_verify_runs_the_forward_pass() -> None:
    pytest.importorskip("numpy")
    s = _session("8x8x3", "conv 4 k3 p1", "bn", "relu", "maxpool k2")
    reply = s.execute("verify")
    assert len(reply) == 1 and (reply[0].startswith("verified: ") or "isn't available" in reply[0])


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_help(name: str) -> None:
    s = Session()
    listing = s.execute("help")
    assert any(line.strip().startswith(COMMANDS[name].usage) for line in listing)
    detail = s.execute(f"help {name}")
    assert detail[0].startswith(COMMANDS[name].usage + " — ")
    assert len(detail) >= 2


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_help(kind: str) -> None:
    lines = Session().execute(f"help {kind}")
    assert lines[0].startswith(f"{kind}: ")


def test_help_layers_explains_the_syntax() -> None:
    text = "\n".join(Session().execute("help layers"))
    assert "k1x7" in text and "conv2d → filters" in text and "bn=batchnorm2d" in text


@pytest.mark.parametrize(
    ("before", "text", "expected"),
    [
        ("", "sh", ["show", "shuffle"]),
        ("", "bat", ["batchnorm2d", "batchnorm1d", "batchnorm3d", "batchnorm"]),
        ("relu; ", "re", ["relu", "relu6", "rescaling", "reshape"]),
        ("conv 64 ", "str", ["stride="]),
        ("conv 64 ", "bi", ["bias=false"]),
        ("up 2 ", "mo", ["mode=nearest", "mode=bilinear"]),
        ("gap ", "ke", ["keepdims", "keepdims=false"]),
        ("add ", "from=conv1_c", ["from=conv1_conv"]),
        ("add ", "from=conv1_conv,pool1_po", ["from=conv1_conv,pool1_pool"]),
        ("del ", "pool", ["pool1_pad", "pool1_pool"]),
        ("set ", "conv1_c", ["conv1_conv"]),
        ("set conv1_conv ", "dil", ["dilation="]),
        ("insert ", "af", ["after"]),
        ("insert after 3 ", "max", ["maxpool2d", "maxpool1d", "maxpool3d", "maxpool"]),
        ("insert 3 maxpool ", "ceil", ["ceil_mode", "ceil_mode=false"]),
        ("help ", "und", ["undo"]),
    ],
)  # fmt: skip
def test_completion(before: str, text: str, expected: list[str]) -> None:
    assert _session("224x224x3", *STEM_LINES).complete(before, text) == expected


def test_completion_of_file_names(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").write_text("x")
    (tmp_path / "nets").mkdir()
    assert Session().complete("save ", str(tmp_path / "ne")) == [str(tmp_path / "net.yaml"), str(tmp_path / "nets") + "/"]


# ------------------------------------------------------------------ save and load


def test_save_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "net.yaml"
    target.write_text("keep me")
    s = _session("224x224x3", *STEM_LINES)
    with pytest.raises(NeedsConfirmation) as asked:
        s.execute(f"save {target}")
    assert asked.value.message == f"'{target}' already exists; use 'save! {target}' to overwrite it"
    assert asked.value.command == f"save! {target}"
    assert target.read_text() == "keep me" and s.dirty
    assert s.execute(asked.value.command) == [f"saved 6 layers to {target}"]
    assert not s.dirty
    assert _figures(target) == _figures(STEM)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.yaml"]  # no temporary file left


def test_save_without_a_name_writes_the_loaded_file_back(tmp_path: Path) -> None:
    target = tmp_path / "stem.yaml"
    target.write_text(STEM.read_text())
    s = Session()
    s.execute(f"load {target}")
    assert not s.dirty
    s.execute("set conv1_conv 32")
    assert s.dirty
    s.execute("save")
    assert _figures(target)[0] == 32 * 7 * 7 * 3 + 32 + 4 * 32
    assert "name: resnet50_stem" in target.read_text()


def test_save_writes_what_load_reads_back(tmp_path: Path) -> None:
    s = Session()
    s.execute("load resnet50")  # blocks, repeats, residual containers, expressions
    s.execute(f"save {tmp_path / 'r50.yaml'}")
    a, b = analyse(load_model(tmp_path / "r50.yaml")), analyse(load_model(ROOT / "configs" / "resnet50.yaml"))
    assert a.totals == b.totals and [n.name for n in a.model.nodes] == [n.name for n in b.model.nodes]
    again = Session()
    again.execute(f"load {tmp_path / 'r50.yaml'}")
    assert again.state == s.state


def test_load_is_undoable_and_reports_file_errors(tmp_path: Path) -> None:
    s = _session("8x8x3", "relu")
    s.execute("load resnet50_stem")
    assert s.path is None  # a bundled file is never written back by a bare 'save'
    s.execute("undo")
    assert s.state.entries == ("relu",)
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 8, kernel_size: 3}\n")
    with pytest.raises(ConvCalcError, match=re.escape(f"{bad}:3:26: layer 'conv2d' (conv2d): conv2d has no option 'kernel_size'; convcalc calls it 'kernel'")):
        s.execute(f"load {bad}")


def test_chw_layout_files_keep_their_layout(tmp_path: Path) -> None:
    path = tmp_path / "chw.yaml"
    path.write_text("layout: chw\ninput: [3, 32, 32]\nlayers:\n  - conv2d: {filters: 8, kernel: 3}\n")
    s = Session()
    s.execute(f"load {path}")
    assert s.execute("input") == ["input 3×32×32"]
    s.execute("input 3x16x16")
    s.execute("save")
    assert "layout: chw\ninput: [3, 16, 16]" in path.read_text()


def test_quit_asks_when_there_are_unsaved_changes() -> None:
    s = _session("8x8x3", "relu")
    with pytest.raises(NeedsConfirmation) as asked:
        s.execute("quit")
    assert asked.value.command == "quit!" and not s.finished
    s.execute("quit!")
    assert s.finished


def test_states_are_immutable_snapshots() -> None:
    with pytest.raises(AttributeError):
        State().entries = ("relu",)  # type: ignore[misc]


# ------------------------------------------------------------------ scripts


def _piped(script: str, *args: str | None, cwd: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        code = run_shell(*args, stdin=io.StringIO(script), stdout=out, stderr=err)  # type: ignore[misc]
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def test_a_piped_script_of_100_layers_runs_and_saves(tmp_path: Path) -> None:
    pattern = ["conv 16 k3 p1", "bn", "relu", "dropout 0.1"]
    script = "\n".join(pattern[i % 4] for i in range(100)) + "\nsave net.yaml\n"
    started = time.perf_counter()
    code, out, err = _piped(script, "32x32x3", None, cwd=tmp_path)
    assert (code, err) == (0, "")
    assert time.perf_counter() - started < 5
    assert out.count("\n") == 101 and out.endswith("saved 100 layers to net.yaml\n")
    assert "\x1b[" not in out and ">" not in out  # no colour, no prompts
    model = load_model(tmp_path / "net.yaml")
    # 25 convolutions: (3·3·3 + 1)·16 = 448, then 24 × (3·3·16 + 1)·16 = 55,680; 25 batch norms × 4·16 = 1,600
    assert len(model.nodes) == 100 and analyse(model).totals.params == 448 + 55_680 + 1_600


def test_a_script_stops_at_the_first_bad_line_with_its_number() -> None:
    code, out, err = _piped("conv 16 k3 p1\n# a comment\n\nrelu\nmaxpool k3 s0\nrelu\n", "32x32x3")
    assert code == 2
    assert err == "error: line 5: layer 3 'maxpool2d' (maxpool2d): stride must be a positive whole number, or a pair [h, w] of them (got 0)\n"
    assert out.count("\n") == 2  # the two layers before it, and nothing after


def test_a_script_cannot_overwrite_without_save_bang(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").write_text("keep")
    code, _, err = _piped("relu\nsave net.yaml\n", "8x8x3", None, cwd=tmp_path)
    assert code == 2 and err == "error: line 2: 'net.yaml' already exists; use 'save! net.yaml' to overwrite it\n"
    assert (tmp_path / "net.yaml").read_text() == "keep"
    assert _piped("relu\nsave! net.yaml\nquit\nrelu k3\n", "8x8x3", None, cwd=tmp_path)[0] == 0  # quit ends it


def test_start_up_errors_exit_2() -> None:
    assert _piped("", "8x0x3")[0:3:2] == (2, "error: input shape '8x0x3' has '0' where a positive whole number was expected\n")


def test_starting_from_a_file_and_from_a_new_name(tmp_path: Path) -> None:
    code, out, _ = _piped("show\n", None, str(STEM))
    assert code == 0 and "params: 9,728" in out
    code, out, _ = _piped("relu\nsave\n", "4x4x1", "new.yaml", cwd=tmp_path)
    assert code == 0 and "new.yaml does not exist yet; 'save' will create it" in out
    assert (tmp_path / "new.yaml").exists()


def test_piped_through_a_real_pipe(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "convcalc.shell", "--input", "224x224x3"],
        input="\n".join([*STEM_LINES, "show", "explain nope"]) + "\n",
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == "error: line 8: explain: no layer is named 'nope'; 'list' shows the layers with their numbers\n"
    assert "MACs: 118,013,952" in done.stdout and "\x1b[" not in done.stdout


# ------------------------------------------------------------------ a real terminal


class Terminal:
    """A child process on a pseudo-terminal, driven like a person at a keyboard."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        import pty

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the shell
            try:
                os.chdir(cwd)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        import fcntl
        import struct
        import termios

        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.buffer = b""

    def expect(self, pattern: bytes, timeout: float = 15) -> str:
        """Read until ``pattern`` (a regex) matches; return the text up to its end."""
        import select

        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.buffer)
            if found:
                text, self.buffer = self.buffer[: found.end()], self.buffer[found.end():]
                return text.decode("utf-8", "replace").replace("\r\n", "\n")
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"timed out waiting for {pattern!r}; got {self.buffer[-600:]!r}")
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"the shell ended while waiting for {pattern!r}; got {self.buffer[-600:]!r}")
            self.buffer += chunk

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def type(self, line: str) -> str:
        """Type a line and return everything up to the next prompt."""
        self.send(line + "\r")
        return self.expect(PROMPT)

    def wait(self, timeout: float = 15) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:
                os.read(self.fd, 65536)  # keep the terminal drained
            except OSError:
                time.sleep(0.01)
        raise AssertionError("the shell did not exit")

    def close(self) -> None:
        try:
            if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.fd)


PROMPT = rb"\]\*?> $"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_session_at_a_real_terminal(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "TERM": "dumb",
        "CONVCALC_HISTORY": str(tmp_path / "history"), "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8",
    }  # fmt: skip
    code = "import sys; from convcalc.shell import run_shell; sys.exit(run_shell('224x224x3', None))"
    term = Terminal([sys.executable, "-c", code], tmp_path, env)
    try:
        assert "convcalc shell" in term.expect(PROMPT)
        term.type("pad 3 @conv1_pad")
        assert "224×224×64" in term.type("conv 64 k7 s1 @conv1_conv")  # the wrong stride, fixed below
        term.type("bn @conv1_bn; relu @conv1_relu")
        term.type("pad 1 @pool1_pad")
        term.type("maxpool k3 s2 @pool1_pool")
        assert "global_avgpool2d" in term.type("gap")
        assert "undone: add gap" in term.type("undo")
        assert "output 112×112×64 → 56×56×64" in term.type("set conv1_conv s2")
        term.send("conv 999 k1")  # Ctrl-C abandons the line being typed
        term.expect(rb"conv 999 k1")
        # CPython's readline checks signals only when its select() is interrupted,
        # so a SIGINT that lands just before it waits is seen late: let it settle.
        time.sleep(0.3)
        term.send("\x03")
        term.expect(PROMPT)
        term.send("sho\t\r")  # Tab completes the command
        assert "MACs: 118,013,952" in term.expect(PROMPT)
        assert "saved 6 layers to stem.yaml" in term.type("save stem.yaml")
        term.send("save stem.yaml\r")  # an existing file: asks
        term.expect(rb"overwrite it\? \[y/N\] ")
        assert "nothing done" in term.type("n")
        term.type("relu")
        term.send("\x04")  # Ctrl-D with unsaved changes: asks
        term.expect(rb"Quit without saving\? \[y/N\] ")
        term.type("n")
        assert "undone: add relu" in term.type("undo")
        term.send("\x04")  # nothing unsaved now: quits at once
        assert term.wait() == 0
    finally:
        term.close()
    assert _figures(tmp_path / "stem.yaml") == _figures(STEM)
    assert "set conv1_conv s2" in (tmp_path / "history").read_text()


# ------------------------------------------------------------------ what save writes

_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,6}", fullmatch=True)  # includes yes, on, null, True …
_values = st.one_of(
    st.integers(0, 999), st.floats(0, 9, allow_nan=False), st.booleans(), _names,
    st.lists(st.integers(0, 9), min_size=1, max_size=4),
)  # fmt: skip
_plain_entries = st.one_of(
    st.sampled_from(KINDS),
    st.builds(lambda k, o: {k: o}, st.sampled_from(KINDS), st.dictionaries(_names, _values, min_size=1, max_size=4)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_plain_entries, min_size=1, max_size=6), _names)
def test_the_written_yaml_holds_exactly_the_entries(entries: list[object], name: str) -> None:
    import yaml

    from convcalc.shell import state_yaml

    state = State(parse_shape("8x8x3"), tuple(entries), header=(("name", name), ("output", name)))
    text, starts = state_yaml(state)
    assert yaml.safe_load(text) == {"name": name, "input": [8, 8, 3], "layers": entries, "output": name}
    assert [text.splitlines()[line - 1][:2] for line in starts[:-1]] == ["- "] * len(entries)


def test_a_loaded_files_blocks_can_be_used_in_lines() -> None:
    s = Session()
    s.execute("load resnet50")
    s.execute("insert avgpool bottleneck width=512 @extra")
    assert s.state.entries[8] == {"bottleneck": {"width": 512, "name": "extra"}}
    assert s.complete("", "bottl") == ["bottleneck"]
    assert s.execute("explain extra")[0] == "extra.conv1 (conv2d): 7×7×2048 → 7×7×512"
