"""The ``convcalc`` command line: thin commands that load, compute and render.

Exit codes: 0 success; 1 a check failed (reserved for ``--verify`` and
``check``); 2 bad input — a wrong flag, a malformed file, an impossible layer.
"""


import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from .dtypes import DType, Optimizer
from .errors import ConvCalcError, InputError
from .layers import Kind, apply, canonical_kind, make_layer, spec_class
from .shapes import Layout, Shape, parse_shape

__all__ = ["app", "main"]

EXIT_BAD_INPUT = 2

app = typer.Typer(
    help="Exact shapes, parameters and MACs of convolutional-network layers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root() -> None:
    """Exact shapes, parameters and MACs of convolutional-network layers.

    Exit codes: 0 success, 1 a check failed, 2 bad input.
    """


class Format(str, Enum):
    """How ``layer`` prints its result."""

    TABLE = "table"
    JSON = "json"


class ModelFormat(str, Enum):
    """How ``model`` prints its summary."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a :class:`ConvCalcError` into one sentence on stderr and exit 2."""
    try:
        yield
    except ConvCalcError as error:
        from rich.console import Console
        from rich.text import Text

        # Text, not markup: messages quote values such as '[h, w]' that markup
        # would swallow; soft_wrap keeps the sentence on one line for grep.
        message = Text.assemble(("error:", "bold red"), " ", error.message)
        Console(stderr=True, highlight=False).print(message, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


_NUMBER_LIST = re.compile(r"\s*[x×,]\s*|\s+")


def _numbers(flag: str, text: str, *, floats: bool = False, lengths: tuple[int, ...] = (1, 2)) -> Any:
    """``'3'`` → 3, ``'3x5'`` / ``'3,5'`` → [3, 5]; words such as 'same' pass through."""
    parts = _NUMBER_LIST.split(text.strip())
    try:
        values = [float(p) if floats and not p.isdigit() else int(p) for p in parts]
    except ValueError:
        shapes = {1: "a number", 2: "two like 3x5", 4: "four like 1,1,2,2"}
        *first, last = (shapes[n] for n in lengths)
        wanted = f"{', '.join(first)} or {last}" if first else last
        raise InputError(f"{flag} {text!r} is not understood; give {wanted}") from None
    if len(values) not in lengths:
        raise InputError(f"{flag} {text!r} has {len(values)} numbers; give {' or '.join(map(str, lengths))}")
    return values[0] if len(values) == 1 else values


def _padding(text: str) -> Any:
    word = text.strip().lower()
    if word in ("same", "valid"):
        return word
    return _numbers("--padding", text, lengths=(1, 2, 4))


def _input_shape(
    shape: str | None, height: int | None, width: int | None, channels: int | None, layout: Layout
) -> Shape:
    given = (height, width, channels)
    if shape is not None:
        parsed = parse_shape(shape, layout)
        explicit = tuple(v for v in given if v is not None)
        consistent = parsed.dims == explicit or (
            parsed.is_map and all(v in (None, d) for v, d in zip(given, parsed.dims))
        )
        if explicit and not consistent:
            raise InputError(
                f"input {shape!r} contradicts -H/-W/-C "
                f"({', '.join(f'{n}={v}' for n, v in zip('HWC', given) if v is not None)}); give one of them"
            )
        return parsed
    if height is None and width is None and channels is None:
        raise InputError("no input shape: give it as 224x224x3 (H×W×C) or with -H, -W and -C")
    if height is None and width is None:
        dims: tuple[int | None, ...] = (channels,)
    else:
        dims = given
    missing = [n for n, v in zip("HWC", dims) if v is None]
    if missing:
        raise InputError(f"input shape needs -{'/-'.join(missing)} as well (or give it as 224x224x3)")
    bad = [f"{n}={v}" for n, v in zip("HWC" if len(dims) == 3 else "C", dims) if v < 1]  # type: ignore[operator]
    if bad:
        raise InputError(f"input sizes must be positive whole numbers (got {', '.join(bad)})")
    return Shape(tuple(dims))  # type: ignore[arg-type]


def _flag(option: str) -> str:
    return "--filters" if option in ("filters", "units") else "--" + option.replace("_", "-")


def _layer_options(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """Map the flags the user set to ``kind``'s options, refusing ones it lacks."""
    names = spec_class(kind).option_names()
    options = {}
    for name, value in given.items():
        if value is None:
            continue
        target = "units" if name == "filters" and "units" in names else name
        if target not in names:
            takes = ", ".join(dict.fromkeys(_flag(n) for n in names)) or "no options"
            raise InputError(f"{_flag(name)} does not apply to {kind} (it takes {takes})")
        options[target] = value
    return options


@app.command()
def layer(
    shape: Annotated[str | None, typer.Argument(help="Input as H×W×C (224x224x3), or C×H×W with --layout chw, or a feature count (2048).", show_default=False)] = None,
    height: Annotated[int | None, typer.Option("-H", "--height", help="Input height.", show_default=False)] = None,
    width: Annotated[int | None, typer.Option("-W", "--width", help="Input width.", show_default=False)] = None,
    channels: Annotated[int | None, typer.Option("-C", "--channels", help="Input channels (alone: a feature vector).", show_default=False)] = None,
    kind: Annotated[Kind, typer.Option("-t", "--type", help="Layer kind.")] = Kind.CONV2D,  # type: ignore[attr-defined]
    kernel: Annotated[str | None, typer.Option("-k", "--kernel", help="Kernel: 3 or 1x7.", show_default=False)] = None,
    stride: Annotated[str | None, typer.Option("-s", "--stride", help="Stride: 2 or 2x1 (default 1; pooling: the kernel).", show_default=False)] = None,
    padding: Annotated[str | None, typer.Option("-p", "--padding", help="Padding: 1, 1x2 (h, w), 0,1,0,1 (top, bottom, left, right), same, valid.", show_default=False)] = None,
    filters: Annotated[int | None, typer.Option("-f", "--filters", "--units", help="Output channels (conv) or features (dense).", show_default=False)] = None,
    dilation: Annotated[str | None, typer.Option("--dilation", help="Dilation: 2 or 2x1.", show_default=False)] = None,
    groups: Annotated[int | None, typer.Option("--groups", help="Groups (conv: depthwise when equal to channels; channel_shuffle).", show_default=False)] = None,
    bias: Annotated[bool | None, typer.Option("--bias/--no-bias", help="Learn a bias per output (default on).", show_default=False)] = None,
    output_padding: Annotated[str | None, typer.Option("--output-padding", help="Transposed conv: extra rows/columns at the end.", show_default=False)] = None,
    ceil_mode: Annotated[bool, typer.Option("--ceil-mode", help="Pooling: round the output size up (PyTorch rule).")] = False,
    count_include_pad: Annotated[bool | None, typer.Option("--count-include-pad/--exclude-pad", help="Average pooling: count padding in the mean.", show_default=False)] = None,
    output_size: Annotated[str | None, typer.Option("--output-size", help="Adaptive pooling: output size, 7 or 6x6.", show_default=False)] = None,
    keepdims: Annotated[bool, typer.Option("--keepdims", help="Global pooling: keep a 1×1×C map.")] = False,
    scale: Annotated[str | None, typer.Option("--scale", help="Upsample: factor, 2 or 1.5 or 2x1.", show_default=False)] = None,
    size: Annotated[str | None, typer.Option("--size", help="Upsample: output size, 56 or 28x56.", show_default=False)] = None,
    mode: Annotated[str | None, typer.Option("--mode", help="Upsample: nearest or bilinear.", show_default=False)] = None,
    rate: Annotated[float | None, typer.Option("--rate", help="Dropout rate.", show_default=False)] = None,
    negative_slope: Annotated[float | None, typer.Option("--negative-slope", help="leaky_relu slope.", show_default=False)] = None,
    affine: Annotated[bool | None, typer.Option("--affine/--no-affine", help="Norms: learn scale and shift.", show_default=False)] = None,
    others: Annotated[list[str] | None, typer.Option("--with", help="Merges (add, multiply, concat): another input shape; repeat for more.", show_default=False)] = None,
    layout: Annotated[Layout, typer.Option("--layout", help="Axis order to read and print shapes.")] = Layout.HWC,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
    explain: Annotated[bool, typer.Option("--explain", help="Show the arithmetic step by step.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Run the layer with NumPy on random input and confirm the figures (exit 1 on a mismatch).")] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Batch size of the verifying run.")] = 1,
) -> None:
    """One layer: output shape, parameters and MACs.

    [dim]Example: convcalc layer 224x224x3 -k 7 -s 2 -p 3 -f 64 --no-bias --explain[/]
    """
    with reported_errors():
        name = canonical_kind(kind.value)
        inputs = (_input_shape(shape, height, width, channels, layout),)
        given = {
            "filters": filters,
            "kernel": None if kernel is None else _numbers("--kernel", kernel),
            "stride": None if stride is None else _numbers("--stride", stride),
            "padding": None if padding is None else _padding(padding),
            "dilation": None if dilation is None else _numbers("--dilation", dilation),
            "groups": groups,
            "bias": bias,
            "output_padding": None if output_padding is None else _numbers("--output-padding", output_padding),
            "ceil_mode": ceil_mode or None,
            "count_include_pad": count_include_pad,
            "output_size": None if output_size is None else _numbers("--output-size", output_size),
            "keepdims": keepdims or None,
            "scale": None if scale is None else _numbers("--scale", scale, floats=True),
            "size": None if size is None else _numbers("--size", size),
            "mode": mode,
            "rate": rate,
            "negative_slope": negative_slope,
            "affine": affine,
        }
        spec = make_layer(name, _layer_options(name, given))
        if others and spec.arity == (1, 1):
            raise InputError(f"--with gives extra inputs to merges (add, multiply, concat), not to {name}")
        inputs += tuple(parse_shape(s, layout) for s in others or ())
        result = apply(spec, *inputs)
        explanation = None
        if explain:
            from .explain import explain as explain_layer

            explanation = explain_layer(spec, *inputs)
        verification = None
        if verify:
            from .forward import verify_layer

            verification = verify_layer(spec, *inputs, batch=batch, layout=layout)
        _print_layer(spec, inputs, result, layout, fmt, explanation, verification)
        _report_mismatches(verification)


def _print_layer(
    spec: Any, inputs: tuple[Shape, ...], result: Any, layout: Layout, fmt: Format,
    explanation: list[str] | None, verification: Any = None,
) -> None:
    from .report import layer_document

    doc = layer_document(spec, inputs, result, layout, explanation)
    if verification is not None:
        doc["verified"] = verification.ok
        doc["verification"] = {"batch": verification.batch, "seed": verification.seed, "mismatches": list(verification.mismatches)}
    if fmt is Format.JSON:
        import json

        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    from rich.console import Console

    from .render import layer_table

    console = Console(highlight=False)
    console.print(layer_table(doc))
    for line in explanation or ():
        console.print(line, markup=False, soft_wrap=True)


_MEMORY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*", re.I)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
          "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "t": 1000**4, "tb": 1000**4, "tib": 1024**4}


def _memory_size(text: str) -> int:
    """``4GiB`` → 4,294,967,296; ``512MB`` → 512,000,000; ``1000000`` bytes."""
    match = _MEMORY.fullmatch(text)
    unit = match[2].lower() if match else None
    if match is None or unit not in _UNITS:
        raise InputError(f"--max-memory {text!r} is not a size; give bytes or a size like 4GiB, 512MiB, 2GB")
    return int(float(match[1]) * _UNITS[unit])


def _verify_model(model: Any, summary: Any, batch: int, max_memory: str) -> Any:
    """The forward pass with the memory guard first and a progress bar on a terminal."""
    from .forward import check_memory, verify

    check_memory(model, batch, limit=_memory_size(max_memory), summary=summary)
    if not sys.stderr.isatty():
        return verify(model, summary, batch=batch)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("forward pass", total=len(model.nodes))

        def advance(step: int, total: int, name: str) -> None:
            bar.update(task, completed=step, description=f"forward pass: {name}")

        return verify(model, summary, batch=batch, progress=advance)


def _report_mismatches(verification: Any) -> None:
    """Mismatches on stderr and exit 1; nothing when the pass agreed."""
    if verification is None or verification.ok:
        return
    from rich.console import Console

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for message in verification.mismatches:
        console.print(f"mismatch: {message}", markup=False, style="bold red")
    raise typer.Exit(1)


_SUFFIX_FORMATS = {".json": ModelFormat.JSON, ".csv": ModelFormat.CSV, ".md": ModelFormat.MARKDOWN}


@app.command()
def model(
    source: Annotated[str | None, typer.Argument(help="An architecture file, or a bundled model's name (see 'convcalc models').", show_default=False)] = None,
    layers: Annotated[str | None, typer.Option("--layers", help="Instead of a file: layers in the shell's one-line syntax, e.g. 'conv 64 k7 s2 p3; bn; relu; maxpool k3 s2 p1' (docs/shell.md).", show_default=False)] = None,
    input_shape: Annotated[str | None, typer.Option("--input", "-i", help="With --layers: the input shape, e.g. 224x224x3.", show_default=False)] = None,
    depth: Annotated[int | None, typer.Option("--depth", "-d", min=0, help="Collapse blocks nested deeper than N into one row each (0: top level only).", show_default=False)] = None,
    layout: Annotated[Layout | None, typer.Option("--layout", help="Axis order to print shapes [default: the file's layout, else hwc].", show_default=False)] = None,
    fmt: Annotated[ModelFormat | None, typer.Option("--format", help="Output format [default: table, or from --output's suffix].", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of the terminal (.svg and .html export the table).", show_default=False, dir_okay=False)] = None,
    dtype: Annotated[DType, typer.Option("--dtype", help="Number format for memory figures.")] = DType.FLOAT32,
    verify: Annotated[bool, typer.Option("--verify", help="Run a NumPy forward pass and confirm every shape and parameter count (exit 1 on a mismatch).")] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Batch size of the verifying forward pass.")] = 1,
    max_memory: Annotated[str, typer.Option("--max-memory", help="Refuse a forward pass estimated to need more memory than this.")] = "4GiB",
    columns: Annotated[str | None, typer.Option("--columns", help="Extra columns, comma-separated: rf (receptive field), jump, start, clipped (field inside the input), mem (output memory).", show_default=False)] = None,
    optimizer: Annotated[Optimizer | None, typer.Option("--optimizer", help="Add the memory of a training step with this optimizer, at --batch and --dtype.", show_default=False)] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="Explain one layer (or block) by name: its arithmetic and its receptive field.", show_default=False)] = None,
) -> None:
    """A whole network: per-layer shapes, parameters and MACs, with totals.

    [dim]Example: convcalc model resnet50 --depth 1[/]
    """
    with reported_errors():
        from .model import analyse

        model = _model_from(source, layers, input_shape)
        summary = analyse(model, dtype)
        if explain is not None:
            _explain_model_layer(summary, explain)
            return
        extra = _extra_columns(summary, columns)
        training = None
        if optimizer is not None:
            from .training import training_memory

            training = training_memory(summary, batch, dtype, optimizer)
        verification = _verify_model(model, summary, batch, max_memory) if verify else None
        suffix = output.suffix.lower() if output else ""
        chosen = fmt or _SUFFIX_FORMATS.get(suffix, ModelFormat.TABLE)
        _print_model(summary, depth, layout or summary.model.layout, chosen, output, verification, extra, training)
        _report_mismatches(verification)


def _extra_columns(summary: Any, columns: str | None) -> Any:
    if columns is None:
        return ()
    from .report import COLUMNS, extra_columns

    names = [c.strip().lower() for c in columns.split(",") if c.strip()]
    for name in names:
        if name not in COLUMNS:
            raise InputError(f"--columns {name!r} is not a column; choose from {', '.join(COLUMNS)}")
    if any(n != "mem" for n in names) and not summary.model.input.is_map:
        raise InputError("receptive-field columns need an H×W×C input; this network's input is a vector")
    return extra_columns(summary, names)


def _explain_model_layer(summary: Any, name: str) -> None:
    """``model --explain NAME``: a layer's arithmetic, or a block's totals, and the receptive field."""
    from difflib import get_close_matches

    from .explain import explain

    names = [row.node.name for row in summary.rows]
    last_of_group = {group: i for i, row in enumerate(summary.rows) for group in row.node.path}
    if name in names:
        index = names.index(name)
        row = summary.rows[index]
        lines = [f"layer {name!r} ({row.node.spec.kind}): {', '.join(s.format() for s in row.inputs)} → {row.result.output.format()}"]
        lines += [f"  {line}" for line in explain(row.node.spec, *row.inputs)]
    elif name in last_of_group:
        index = last_of_group[name]
        inside = [r for r in summary.rows if name in r.node.path]
        kind = summary.model.groups.get(name, "group")
        lines = [
            f"{kind} {name!r}: {len(inside)} layers, output {summary.rows[index].result.output.format()}",
            f"  params: {sum(r.result.trainable for r in inside):,} trainable, "
            f"{sum(r.result.non_trainable for r in inside):,} non-trainable; MACs: {sum(r.result.macs for r in inside):,}",
        ]
    else:
        close = get_close_matches(name, [*names, *last_of_group], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"--explain {name!r}: no layer or block has that name{hint}")
    if summary.model.input.is_map:
        from .receptive import explain_field

        lines.append("receptive field:")
        lines += [f"  {line}" for line in explain_field(summary, index)]
    sys.stdout.write("\n".join(lines) + "\n")


def _model_from(source: str | None, layers: str | None, input_shape: str | None) -> Any:
    """The model named by a file or bundled name, or written with --layers."""
    if layers is not None:
        if source is not None:
            raise InputError(f"give a file ({source!r}) or --layers, not both")
        if input_shape is None:
            raise InputError("--layers needs --input, e.g. --input 224x224x3")
        from .shell import layers_to_model

        return layers_to_model(layers, input_shape)
    if source is None:
        raise InputError("name an architecture file or a bundled model (see 'convcalc models'), or give --layers")
    if input_shape is not None:
        raise InputError("--input goes with --layers; a file declares its own input")
    from .catalog import resolve
    from .loader import load_model

    return load_model(resolve(source))


def _print_model(
    summary: Any,
    depth: int | None,
    layout: Layout,
    fmt: ModelFormat,
    output: Path | None,
    verification: Any = None,
    extra: Any = (),
    training: Any = None,
) -> None:
    from . import report

    verified = report.verified_layers(verification) if verification is not None else None
    if fmt is ModelFormat.JSON:
        import json

        text = json.dumps(report.model_document(summary, layout, verification, training), indent=2) + "\n"
    elif fmt is ModelFormat.CSV:
        text = report.model_csv(report.display_rows(summary, depth, verified), layout, extra)
    elif fmt is ModelFormat.MARKDOWN:
        text = report.model_markdown(summary, report.display_rows(summary, depth, verified), layout, extra, training)
    else:
        from .render import model_table

        table = model_table(summary, report.display_rows(summary, depth, verified), layout, extra, training)
        if output is None:
            _print_grid(table)  # a pipe gets the text Rich would print there, without Rich's start-up
            return
        from rich.console import Console

        console = Console(record=True, file=io.StringIO(), width=160, highlight=False)
        console.print(table)
        suffix = output.suffix.lower()
        if suffix == ".svg":
            text = console.export_svg(title=f"convcalc model {summary.model.name}")
        elif suffix in (".html", ".htm"):
            text = console.export_html()
        else:
            text = console.export_text()
    if output is None:
        sys.stdout.write(text)
    else:
        _write_atomically(output, text)


def _write_atomically(path: Path, text: str) -> None:
    from .files import write_atomically

    try:
        write_atomically(path, text)
    except InputError as error:
        raise error.within(f"--output {str(path)!r}") from None


@app.command()
def models() -> None:
    """List the bundled models, usable by name with 'convcalc model'."""
    with reported_errors():
        from rich.console import Console

        from .catalog import bundled
        from .loader import load_model
        from .model import analyse
        from .render import models_table

        entries = []
        for name, path in bundled().items():
            summary = analyse(load_model(path))
            entries.append((name, summary.model.description, summary))
        Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(models_table(entries))


class CheckFormat(str, Enum):
    """How ``check`` reports its findings."""

    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    JUNIT = "junit"
    SARIF = "sarif"


@app.command()
def check(
    paths: Annotated[list[str], typer.Argument(help="Architecture files, folders (searched for *.yaml, *.yml) or globs.", show_default=False)],
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Also run the NumPy forward pass on each file.")] = False,
    fmt: Annotated[CheckFormat | None, typer.Option("--format", help="Report format [default: github under GitHub Actions, else text].", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.", show_default=False, dir_okay=False)] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even with failing findings (never hides exit code 2).")] = False,
) -> None:
    """Check architecture files for CI: exit 0 clean, 1 findings, 2 could not run.

    [dim]Example: convcalc check configs/ --strict[/]
    """
    with reported_errors():
        import os

        from . import checkformats
        from .check import check_paths

        chosen = fmt or (CheckFormat.GITHUB if os.environ.get("GITHUB_ACTIONS") == "true" else CheckFormat.TEXT)
        result = check_paths(paths, strict=strict, verify=_verifier() if verify else None)
        if chosen is CheckFormat.TEXT and output is None:
            _print_findings(result)
        else:
            render = getattr(checkformats, f"as_{chosen.value}")
            text = render(result.findings, result.files)
            if output is None:
                sys.stdout.buffer.write(text.encode("utf-8")) if hasattr(sys.stdout, "buffer") else sys.stdout.write(text)
                sys.stdout.flush()
            else:
                _write_atomically(output, text)
        if result.fatal:
            raise typer.Exit(EXIT_BAD_INPUT)
        if result.failed and not exit_zero:
            raise typer.Exit(1)


def _print_findings(result: Any) -> None:
    """Text findings, coloured by severity on a terminal, then the summary."""
    from rich.console import Console
    from rich.text import Text

    from .checkformats import report_order, text_line, text_summary

    console = Console(highlight=False, soft_wrap=True)
    for finding in report_order(result.findings, result.files):
        colour = "bold red" if finding.severity.value == "fatal" else "red" if finding.fails else "yellow"
        console.print(Text(text_line(finding), style=colour))
    console.print(Text(text_summary(result.findings, result.files), style="bold"))


def _verifier() -> Any:
    """The forward pass as a check: (node index, message) per disagreement."""
    from .forward import verify

    def run(model: Any, summary: Any) -> list[tuple[int, str]]:
        report = verify(model, summary)
        index = {node.name: i for i, node in enumerate(model.nodes)}
        found = []
        for message in report.mismatches:
            match = re.match(r"layer '([^']+)'", message)
            found.append((index.get(match[1], -1) if match else -1, message))
        return found

    return run


@app.command()
def solve(
    size: Annotated[int | None, typer.Option("--input", "-i", min=1, help="Input length (one side).", show_default=False)] = None,
    target: Annotated[int | None, typer.Option("--output", "-o", min=1, help="Wanted output length.", show_default=False)] = None,
    kernel: Annotated[int | None, typer.Option("-k", "--kernel", min=1, help="Hold the kernel at this size.", show_default=False)] = None,
    stride: Annotated[int | None, typer.Option("-s", "--stride", min=1, help="Hold the stride.", show_default=False)] = None,
    padding: Annotated[str | None, typer.Option("-p", "--padding", help="Hold the padding: a number, same or valid.", show_default=False)] = None,
    dilation: Annotated[int | None, typer.Option("--dilation", min=1, help="Hold the dilation.", show_default=False)] = None,
    transposed: Annotated[bool, typer.Option("--transposed", help="Solve a transposed convolution (lists the output_padding too).")] = False,
    model_source: Annotated[str | None, typer.Option("--model", "-m", help="Instead: a model file or bundled name; report the input sizes it takes cleanly.", show_default=False)] = None,
    low: Annotated[int, typer.Option("--low", min=1, help="With --model: smallest input side to try.")] = 32,
    high: Annotated[int, typer.Option("--high", min=1, help="With --model: largest input side to try.")] = 1024,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """The inverse calculator: which kernel, stride and padding give a size.

    [dim]Examples: convcalc solve --input 224 --output 112 -k 7;
    convcalc solve --model resnet50; convcalc solve -i 112 -o 224 -k 3 -s 2 -p 1 --transposed[/]
    """
    with reported_errors():
        if model_source is not None:
            if size is not None or target is not None:
                raise InputError("--model finds input sizes for a whole network; leave out --input and --output")
            _solve_model(model_source, low, high, fmt)
            return
        if size is None or target is None:
            raise InputError("give --input and --output lengths (or --model FILE)")
        _solve_layer(size, target, kernel, stride, padding, dilation, transposed, fmt)


def _solve_layer(size: int, target: int, kernel: Any, stride: Any, padding: str | None, dilation: Any, transposed: bool, fmt: Format) -> None:
    from .solve import solve_layer

    pad: Any = padding
    if padding is not None and padding.strip().lower() not in ("same", "valid"):
        pad = _numbers("--padding", padding, lengths=(1,))
    solutions = solve_layer(size, target, kernel, stride, pad, dilation, transposed)
    if fmt is Format.JSON:
        import json

        rows = [s._asdict() | {"formula": s.formula(size)} for s in solutions]
        sys.stdout.write(json.dumps({"input": size, "output": target, "transposed": transposed, "solutions": rows}, indent=2) + "\n")
        return
    from .render import Grid

    kind = "transposed convolution" if transposed else "convolution"
    headers = ["kernel", "stride", "padding", "dilation", *(["output_padding"] if transposed else []), "rounding", "arithmetic"]
    rows = []
    for s in solutions:
        pads = str(s.padding) if s.pad_before == s.pad_after else f"{s.padding} ({s.pad_before} before, {s.pad_after} after)"
        if s.padding == "same":
            pads = f"same ({s.pad_before} before, {s.pad_after} after)"
        rounding = "exact" if s.exact else (f"drops {s.dropped} input row{'s' if s.dropped > 1 else ''}" if s.dropped else "rounds; only padding unread")
        cells = [str(s.kernel), str(s.stride), pads, str(s.dilation), *([str(s.output_padding)] if transposed else []), rounding, s.formula(size)]
        rows.append((cells, ""))
    columns = [(h, "right" if h in ("kernel", "stride", "dilation", "output_padding") else "left", "") for h in headers]
    title = (f"{kind}: {size} → {target}", f"{len(solutions)} solution{'s' if len(solutions) != 1 else ''}")
    _print_grid(Grid(columns, rows, title=title))


def _print_grid(grid: Any) -> None:
    """A :class:`~convcalc.render.Grid` on stdout: plain text to a pipe, Rich on a terminal."""
    if not sys.stdout.isatty():
        sys.stdout.write(grid.plain())
        return
    from rich.console import Console

    Console(highlight=False).print(grid, crop=False)


def _solve_model(source: str, low: int, high: int, fmt: Format) -> None:
    from .catalog import resolve
    from .loader import load_model
    from .solve import clean_input_sizes

    if low > high:
        raise InputError(f"--low {low} is above --high {high}")
    model = load_model(resolve(source))
    report = clean_input_sizes(model, low, high)
    if fmt is Format.JSON:
        import json

        sys.stdout.write(json.dumps(report._asdict() | {"name": model.name, "summary": report.lines()}, indent=2) + "\n")
        return
    sys.stdout.write(f"{model.name}: input sides {low} to {high}\n" + "".join(f"  {line}\n" for line in report.lines()))


@app.command()
def shell(
    path: Annotated[str | None, typer.Argument(help="An architecture file to start from.", show_default=False)] = None,
    input_shape: Annotated[str | None, typer.Option("--input", "-i", help="Input shape to start with, e.g. 224x224x3.", show_default=False)] = None,
) -> None:
    """Build a network layer by layer and watch the shapes flow.

    Type a layer ('conv 64 k7 s2 p3'), 'show', 'undo', 'save net.yaml', 'help'.
    With a script piped in, runs it and exits 2 at the first bad line.
    """
    from .shell import run_shell

    code = run_shell(input_shape, path)
    if code:
        raise typer.Exit(code)


@app.command()
def schema() -> None:
    """Print the JSON Schema (draft-07) of architecture files."""
    from importlib.resources import files

    sys.stdout.write((files("convcalc") / "schema.json").read_text(encoding="utf-8"))


def main() -> None:
    """Console-script entry point."""
    app(prog_name="convcalc")
