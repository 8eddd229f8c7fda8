"""``convcalc solve``: the inverse calculator, for one layer or for a whole model's input sizes."""

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from .errors import reported_errors
from .options import WHOLE, Format, FormatOption, click_types, numbers, output_option
from .output import print_grid, write_output

__all__ = ["solve"]


class Sides(click_types.ParamType):
    """A Click type for one size per axis: ``112`` (every axis) or ``16x112x112`` (D, H, W).

    Each number is read as :data:`~convcalc.cli.options.WHOLE` reads one, with
    its wording; the value is a tuple of 1 to 3 numbers.
    """

    name = "N|DxHxW"
    _SPLIT = re.compile(r"\s*[x×,]\s*")

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, tuple):
            return value
        text = str(value).strip()
        parts = self._SPLIT.split(text) if text else [text]
        if len(parts) > 3:
            self.fail(f"{text!r} has {len(parts)} sizes; give one for every axis, or one per axis (L; H×W; D×H×W)", param, ctx)
        if len(parts) == 1:
            return (WHOLE.convert(parts[0], param, ctx),)
        return tuple(WHOLE.convert(part, param, ctx) for part in parts)


SIDES = Sides()


def _sides(flag: str, *names: str, text: str) -> Any:
    return typer.Option(flag, *names, click_type=SIDES, help=text, show_default=False)


def solve(
    size: Annotated[str | None, _sides("--input", "-i", text="Input length: one number, or one per axis (16x112x112 for D, H, W).")] = None,
    target: Annotated[str | None, _sides("--output-size", text="Wanted output length, or one per axis (8x56x56). Was --output; -o now names a file, as in every command.")] = None,
    kernel: Annotated[str | None, _sides("-k", "--kernel", text="Hold the kernel at this size (3, or 3x7x7 per axis).")] = None,
    stride: Annotated[str | None, _sides("-s", "--stride", text="Hold the stride (2, or 1x2x2 per axis).")] = None,
    padding: Annotated[str | None, typer.Option("-p", "--padding", help="Hold the padding: a number, one per axis (1x3x3), same or valid.", show_default=False)] = None,
    dilation: Annotated[str | None, _sides("--dilation", text="Hold the dilation (one, or one per axis).")] = None,
    transposed: Annotated[bool, typer.Option("--transposed", help="Solve a transposed convolution (lists the output_padding too).")] = False,
    model_source: Annotated[str | None, typer.Option("--model", "-m", help="Instead: a model file or bundled name; report the input sizes it takes cleanly, per axis.", show_default=False)] = None,
    low: Annotated[str | None, _sides("--low", text="With --model: smallest input side to try, for every axis or one per axis (1x32x32); by default 32, 1 along D, and around the model's own length past 1024 (audio).")] = None,
    high: Annotated[str | None, _sides("--high", text="With --model: largest input side to try, for every axis or one per axis (64x1024x1024); by default 1024, or around the model's own length past 1024.")] = None,
    fmt: FormatOption = Format.TABLE,
    output: Annotated[Path | None, output_option("Write the result to this file instead of the terminal.")] = None,
) -> None:
    """The inverse calculator: which kernel, stride and padding give a size.

    Lengths and options are one number, or one per spatial axis of a 1-D, 2-D or 3-D
    layer (each axis is solved on its own). With --model, the input sides the network
    takes with no input row dropped by rounding, per group of axes that behave alike.

    [dim]Examples: convcalc solve --input 224 --output-size 112 -k 7;
    convcalc solve -i 16x112x112 --output-size 8x56x56 -k 3x7x7 -s 2;
    convcalc solve --model resnet50; convcalc solve --model r3d_18 --low 1x32x32 --high 64x512x512;
    convcalc solve -i 112 --output-size 224 -k 3 -s 2 -p 1 --transposed[/]
    """
    with reported_errors():
        if output is not None and target is None and output.name.isdigit():
            raise InputError(f"-o/--output names a file now; give the wanted length as --output-size {output.name}")
        if model_source is not None:
            if size is not None or target is not None:
                raise InputError("--model finds input sizes for a whole network; leave out --input and --output-size")
            _solve_model(model_source, low, high, fmt, output)
            return
        if size is None or target is None:
            raise InputError("give --input and --output-size lengths (or --model FILE)")
        options: list[Any] = [size, target, kernel, stride, _padding(padding), dilation]
        if all(v is None or isinstance(v, str) or len(v) == 1 for v in options):
            one = [v[0] if isinstance(v, tuple) else v for v in options]
            _solve_layer(*one, transposed, fmt, output)  # type: ignore[arg-type]
            return
        _solve_axes(*options, transposed, fmt, output)


def _padding(padding: str | None) -> Any:
    """``same``/``valid`` as words, else one number or one per axis."""
    if padding is None or padding.strip().lower() in ("same", "valid"):
        return padding
    pad = numbers("--padding", padding, lengths=(1, 2, 3))
    return tuple(pad) if isinstance(pad, list) else (pad,)


def _emit(result: Any, output: Path | None, read: tuple[str, ...] = ()) -> None:
    """Text or a grid on stdout, or as text into the ``-o`` file."""
    if output is None:
        if isinstance(result, str):
            sys.stdout.write(result)
        else:
            print_grid(result)
        return
    write_output(output, result if isinstance(result, str) else result.plain(), read)


def _solve_layer(size: int, target: int, kernel: Any, stride: Any, padding: Any, dilation: Any, transposed: bool, fmt: Format, output: Path | None = None) -> None:
    from ..solve import solve_layer

    solutions = solve_layer(size, target, kernel, stride, padding, dilation, transposed)
    if fmt is Format.JSON:
        import json

        doc = {"schema_version": 1, "input": size, "output": target, "transposed": transposed, "solutions": _rows(solutions, size)}
        _emit(json.dumps(doc, indent=2) + "\n", output)
        return
    kind = "transposed convolution" if transposed else "convolution"
    _emit(_grid(solutions, size, transposed, f"{kind}: {size} → {target}"), output)


def _rows(solutions: Any, size: int) -> list[dict[str, Any]]:
    return [s._asdict() | {"formula": s.formula(size)} for s in solutions]


def _grid(solutions: Any, size: int, transposed: bool, title: str) -> Any:
    from ..render import Grid

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
    return Grid(columns, rows, title=(title, f"{len(solutions)} solution{'s' if len(solutions) != 1 else ''}"))


def _solve_axes(size: Any, target: Any, kernel: Any, stride: Any, padding: Any, dilation: Any, transposed: bool, fmt: Format, output: Path | None) -> None:
    """Per-axis lengths: one answer per group of axes asking the same question, and one layer made of them."""
    from ..layers.window import AXES
    from ..solve import layer_options, solve_axes

    given = {"--input": size, "--output-size": target, "--kernel": kernel, "--stride": stride, "--padding": padding, "--dilation": dilation}
    rank = max(len(v) for v in given.values() if isinstance(v, tuple))
    for flag, value in given.items():
        if isinstance(value, tuple) and len(value) not in (1, rank):
            raise InputError(
                f"{flag} {'x'.join(map(str, value))} has {len(value)} sizes where another option has {rank}; "
                f"give one for every axis, or one per axis ({'×'.join(AXES[rank])})"
            )
    if len(size) == 1:
        size = size * rank
    answers = solve_axes(size, target, kernel, stride, padding, dilation, transposed)
    layer = layer_options(answers, rank)
    kind = f"conv_transpose{rank}d" if transposed else f"conv{rank}d"
    if fmt is Format.JSON:
        import json

        doc = {
            "schema_version": 1,
            "axes": AXES[rank],
            "input": list(size),
            "output": [next(a.output for a in answers if axis in a.axes) for axis in AXES[rank]],
            "transposed": transposed,
            "per_axis": [{"axes": a.axes, "input": a.input, "output": a.output, "solutions": _rows(a.solutions, a.input)} for a in answers],
            "layer": None if layer is None else {"kind": kind, **layer},
        }
        _emit(json.dumps(doc, indent=2) + "\n", output)
        return
    word = "transposed convolution" if transposed else "convolution"
    grids = [_grid(a.solutions, a.input, transposed, f"{word} along {_along(a.axes)}: {a.input} → {a.output}") for a in answers]
    if output is not None:
        text = "\n".join(g.plain() for g in grids)
        _emit(text + _layer_line(kind, layer), output)
        return
    for grid in grids:
        print_grid(grid)
    sys.stdout.write(_layer_line(kind, layer))


def _along(axes: str) -> str:
    """'D', 'H and W', 'D, H and W'."""
    return axes if len(axes) == 1 else f"{', '.join(axes[:-1])} and {axes[-1]}"


def _layer_line(kind: str, layer: dict[str, Any] | None) -> str:
    if layer is None:
        return "no single layer: some axis has no solution that drops nothing with a number for its padding\n"
    shown = ", ".join(f"{k}: {_value(v)}" for k, v in layer.items())
    return f"one layer, the first solution along each axis that drops nothing: {kind}: {{{shown}}}\n"


def _value(v: Any) -> str:
    return "[" + ", ".join(map(str, v)) + "]" if isinstance(v, list) else str(v)


def _solve_model(source: str, low: tuple[int, ...] | None, high: tuple[int, ...] | None, fmt: Format, output: Path | None = None) -> None:
    from ..catalog import resolve
    from ..loader import load_model
    from ..solve import clean_input_sizes

    if low is not None and high is not None and len(low) == len(high) == 1 and low[0] > high[0]:
        raise InputError(f"--low {low[0]} is above --high {high[0]}")
    from ..importers import is_import

    if is_import(source):  # ONNX or Keras
        from .import_ import load_imported

        model = load_imported(source).model
    else:
        model = load_model(resolve(source))
    report = clean_input_sizes(model, low, high)
    import os

    read = (source,) if os.path.exists(source) else ()
    if fmt is Format.JSON:
        import json

        legacy = {k: getattr(report, k) for k in ("low", "high", "smallest", "runs", "clean", "heights", "widths")}
        doc = (
            {"schema_version": 1}
            | legacy
            | {"name": model.name, "axes": report.axes, "input": list(report.input)}
            | {"apart": [g._asdict() for g in report.apart], "summary": report.lines()}
        )
        _emit(json.dumps(doc, indent=2) + "\n", output, read)
        return
    _emit(f"{model.name}: {report.title()}\n" + "".join(f"  {line}\n" for line in report.lines()), output, read)
