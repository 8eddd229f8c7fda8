"""``convcalc layer``: one layer from flags — output shape, parameters and MACs."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..layers import apply, canonical_kind, make_layer, spec_class
from ..shapes import Layout, Shape, parse_shape
from .errors import reported_errors
from .options import (
    REAL,
    SIZE,
    WHOLE,
    Format,
    FormatOption,
    MaxMemoryOption,
    batch_option,
    numbers,
    output_option,
)
from .output import write_output
from .verify import report_mismatches, verify_layer

__all__ = ["layer"]


def _picture(spec: Any, x: Shape, output: Path | None) -> Any:
    if output is not None and output.suffix.lower() != ".svg" and str(output) != "-":
        raise InputError(f"-o {str(output)!r}: the picture is written as SVG; name the file with .svg")
    from ..draw import window_picture

    return window_picture(spec, x)


def _print_picture(picture: Any) -> None:
    from rich.console import Console
    from rich.text import Text

    from ..render_draw import LEGEND, picture_lines, picture_title

    console = Console(highlight=False)
    console.print(Text(picture_title(picture)), soft_wrap=True)
    for line in picture_lines(picture, console.width):
        console.print(Text.assemble(*line), soft_wrap=True)
    console.print(Text(LEGEND, style="dim"), soft_wrap=True)


def _kind_names() -> list[str]:
    from ..layers import ALIASES, KINDS

    return [*KINDS, *ALIASES]


def layer(
    shape: Annotated[str | None, typer.Argument(help="Input as H×W×C (224x224x3), L×C (16000x1) or D×H×W×C (16x112x112x3); channels first with --layout chw; or a feature count (2048).", show_default=False)] = None,
    height: Annotated[int | None, typer.Option("-H", "--height", click_type=SIZE, help="Input height.", show_default=False)] = None,
    width: Annotated[int | None, typer.Option("-W", "--width", click_type=SIZE, help="Input width.", show_default=False)] = None,
    channels: Annotated[int | None, typer.Option("-C", "--channels", click_type=SIZE, help="Input channels (alone: a feature vector).", show_default=False)] = None,
    kind: Annotated[str, typer.Option("-t", "--type", metavar="KIND", autocompletion=_kind_names, help="Layer kind or alias (see docs/kinds.md): conv2d, maxpool, bn, fc, split, …")] = "conv2d",
    kernel: Annotated[str | None, typer.Option("-k", "--kernel", help="Kernel: 3, or one per axis: 1x7 (2-D), 3x1x1 (3-D).", show_default=False)] = None,
    stride: Annotated[str | None, typer.Option("-s", "--stride", help="Stride: 2 or one per axis, 2x1 (default 1; pooling: the kernel).", show_default=False)] = None,
    padding: Annotated[str | None, typer.Option("-p", "--padding", help="Padding: 1, 1x2 (h, w), 0,1,0,1 (top, bottom, left, right), same, valid.", show_default=False)] = None,
    filters: Annotated[int | None, typer.Option("-f", "--filters", "--units", click_type=WHOLE, help="Output channels (conv) or features (dense).", show_default=False)] = None,
    dilation: Annotated[str | None, typer.Option("--dilation", help="Dilation: 2 or 2x1.", show_default=False)] = None,
    groups: Annotated[int | None, typer.Option("--groups", click_type=WHOLE, help="Groups (conv: depthwise when equal to channels; channel_shuffle).", show_default=False)] = None,
    bias: Annotated[bool | None, typer.Option("--bias/--no-bias", help="Learn a bias per output (default on).", show_default=False)] = None,
    output_padding: Annotated[str | None, typer.Option("--output-padding", help="Transposed conv: extra rows/columns at the end.", show_default=False)] = None,
    ceil_mode: Annotated[bool, typer.Option("--ceil-mode", help="Pooling: round the output size up (PyTorch rule).")] = False,
    count_include_pad: Annotated[bool | None, typer.Option("--count-include-pad/--exclude-pad", help="Average pooling: count padding in the mean.", show_default=False)] = None,
    output_size: Annotated[str | None, typer.Option("--output-size", help="Adaptive pooling: output size, 7 or 6x6.", show_default=False)] = None,
    keepdims: Annotated[bool, typer.Option("--keepdims", help="Global pooling: keep a 1×1×C map.")] = False,
    scale: Annotated[str | None, typer.Option("--scale", help="Upsample: factor, 2 or 1.5 or 2x1.", show_default=False)] = None,
    size: Annotated[str | None, typer.Option("--size", help="Upsample: output size, 56 or 28x56.", show_default=False)] = None,
    mode: Annotated[str | None, typer.Option("--mode", help="Upsample: nearest or bilinear.", show_default=False)] = None,
    rate: Annotated[float | None, typer.Option("--rate", click_type=REAL, help="Dropout rate.", show_default=False)] = None,
    negative_slope: Annotated[float | None, typer.Option("--negative-slope", click_type=REAL, help="leaky_relu slope.", show_default=False)] = None,
    affine: Annotated[bool | None, typer.Option("--affine/--no-affine", help="Norms: learn scale and shift.", show_default=False)] = None,
    settings: Annotated[list[str] | None, typer.Option("--set", metavar="KEY=VALUE", help="Any option of the kind, as in a shell line: --set parts=2, --set eps=0.001 (repeat for more).", show_default=False)] = None,
    others: Annotated[list[str] | None, typer.Option("--with", help="Merges (add, multiply, concat): another input shape; repeat for more.", show_default=False)] = None,
    layout: Annotated[Layout, typer.Option("--layout", help="Axis order to read and print shapes.")] = Layout.HWC,
    fmt: FormatOption = Format.TABLE,
    explain: Annotated[bool, typer.Option("--explain", help="Show the arithmetic step by step.")] = False,
    draw: Annotated[bool, typer.Option("--draw", help="Draw the padded input with the first windows at their stride, and the output (sliding-window layers over a 2-D or 1-D input, up to 32×32 or 32 padded).")] = False,
    output: Annotated[Path | None, output_option("With --draw: write the picture as SVG to this file (.svg).")] = None,
    verify: Annotated[bool, typer.Option("--verify", help="Run the layer with NumPy on random input and confirm the figures (exit 1 on a mismatch).")] = False,
    batch: Annotated[int | None, batch_option()] = None,
    max_memory: MaxMemoryOption = "4GiB",
) -> None:
    """One layer: output shape, parameters and MACs.

    [dim]Example: convcalc layer 224x224x3 -k 7 -s 2 -p 3 -f 64 --no-bias --explain[/]
    """
    with reported_errors():
        name = canonical_kind(kind)
        inputs = (_input_shape(shape, height, width, channels, layout),)
        # Per-axis flags take one number or one per spatial axis of the kind (or of the input).
        axes = getattr(spec_class(name), "rank", None) or (inputs[0].spatial_rank if inputs[0].rank > 1 else 2)
        each = tuple(dict.fromkeys((1, axes)))
        given = {
            "filters": filters,
            "kernel": None if kernel is None else numbers("--kernel", kernel, lengths=each),
            "stride": None if stride is None else numbers("--stride", stride, lengths=each),
            "padding": None if padding is None else _padding(padding, axes),
            "dilation": None if dilation is None else numbers("--dilation", dilation, lengths=each),
            "groups": groups,
            "bias": bias,
            "output_padding": None if output_padding is None else numbers("--output-padding", output_padding, lengths=each),
            "ceil_mode": ceil_mode or None,
            "count_include_pad": count_include_pad,
            "output_size": None if output_size is None else numbers("--output-size", output_size, lengths=each),
            "keepdims": keepdims or None,
            "scale": None if scale is None else numbers("--scale", scale, floats=True, lengths=each),
            "size": None if size is None else numbers("--size", size, lengths=each),
            "mode": mode,
            "rate": rate,
            "negative_slope": negative_slope,
            "affine": affine,
        }
        options = _layer_options(name, given)
        for key, value in _settings(name, settings or ()).items():
            if key in options:
                raise InputError(f"--set {key}=… repeats an option already given by its own flag; give it once")
            options[key] = value
        spec = make_layer(name, options)
        if others and spec.arity == (1, 1):
            raise InputError(f"--with gives extra inputs to merges (add, multiply, concat), not to {name}")
        inputs += tuple(parse_shape(s, layout) for s in others or ())
        result = apply(spec, *inputs)
        explanation = None
        if explain:
            from ..explain import explain as explain_layer

            explanation = explain_layer(spec, *inputs)
        verification = None
        if verify:
            verification = verify_layer(spec, inputs, batch or 1, layout, max_memory)
        picture = _picture(spec, inputs[0], output) if draw else None
        if output is not None and picture is None:
            raise InputError("-o writes the --draw picture; add --draw, or leave out -o")
        if output is not None:
            from ..render_draw import picture_svg

            write_output(output, picture_svg(picture), inputs=())
        else:
            _print_layer(spec, inputs, result, layout, fmt, explanation, verification, batch)
            if picture is not None:
                _print_picture(picture)
        report_mismatches(verification)


def _padding(text: str, axes: int = 2) -> Any:
    word = text.strip().lower()
    if word in ("same", "valid"):
        return word
    return numbers("--padding", text, lengths={1: (1, 2), 2: (1, 2, 4), 3: (1, 3, 6)}[axes])


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


def _settings(kind: str, given: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``--set key=value`` pairs read as a shell line reads them (``docs/shell.md``)."""
    from ..linesyntax import parse_options

    for text in given:
        if "=" not in text or text.startswith("="):
            raise InputError(f"--set takes KEY=VALUE, like --set parts=2 (got {text!r})")
    options = parse_options(kind, list(given))
    for common in ("name", "from", "trainable", "if"):
        if common in options:
            raise InputError(f"--set {common}=… is for layers in a file or the shell, not for convcalc layer")
    return options


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


def _print_layer(
    spec: Any, inputs: tuple[Shape, ...], result: Any, layout: Layout, fmt: Format,
    explanation: list[str] | None, verification: Any = None, batch: int | None = None,
) -> None:
    from ..report import layer_document

    doc = layer_document(spec, inputs, result, layout, explanation, batch)
    if verification is not None:
        doc["verified"] = verification.ok
        doc["verification"] = {"batch": verification.batch, "seed": verification.seed, "mismatches": list(verification.mismatches)}
    if fmt is Format.JSON:
        import json

        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    from rich.console import Console

    from ..render import layer_table

    console = Console(highlight=False)
    console.print(layer_table(doc))
    for line in explanation or ():
        console.print(line, markup=False, soft_wrap=True)
