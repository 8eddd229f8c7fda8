"""``convcalc solve``: the inverse calculator, for one layer or for a whole model's input sizes."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from .errors import reported_errors
from .options import WHOLE, Format, FormatOption, numbers, output_option
from .output import print_grid, write_output

__all__ = ["solve"]


def solve(
    size: Annotated[int | None, typer.Option("--input", "-i", click_type=WHOLE, help="Input length (one side).", show_default=False)] = None,
    target: Annotated[int | None, typer.Option("--output-size", click_type=WHOLE, help="Wanted output length (was --output; -o now names a file, as in every command).", show_default=False)] = None,
    kernel: Annotated[int | None, typer.Option("-k", "--kernel", click_type=WHOLE, help="Hold the kernel at this size.", show_default=False)] = None,
    stride: Annotated[int | None, typer.Option("-s", "--stride", click_type=WHOLE, help="Hold the stride.", show_default=False)] = None,
    padding: Annotated[str | None, typer.Option("-p", "--padding", help="Hold the padding: a number, same or valid.", show_default=False)] = None,
    dilation: Annotated[int | None, typer.Option("--dilation", click_type=WHOLE, help="Hold the dilation.", show_default=False)] = None,
    transposed: Annotated[bool, typer.Option("--transposed", help="Solve a transposed convolution (lists the output_padding too).")] = False,
    model_source: Annotated[str | None, typer.Option("--model", "-m", help="Instead: a model file or bundled name; report the input sizes it takes cleanly.", show_default=False)] = None,
    low: Annotated[int, typer.Option("--low", click_type=WHOLE, help="With --model: smallest input side to try.")] = 32,
    high: Annotated[int, typer.Option("--high", click_type=WHOLE, help="With --model: largest input side to try.")] = 1024,
    fmt: FormatOption = Format.TABLE,
    output: Annotated[Path | None, output_option("Write the result to this file instead of the terminal.")] = None,
) -> None:
    """The inverse calculator: which kernel, stride and padding give a size.

    [dim]Examples: convcalc solve --input 224 --output-size 112 -k 7;
    convcalc solve --model resnet50; convcalc solve -i 112 --output-size 224 -k 3 -s 2 -p 1 --transposed[/]
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
        _solve_layer(size, target, kernel, stride, padding, dilation, transposed, fmt, output)


def _emit(result: Any, output: Path | None, read: tuple[str, ...] = ()) -> None:
    """Text or a grid on stdout, or as text into the ``-o`` file."""
    if output is None:
        if isinstance(result, str):
            sys.stdout.write(result)
        else:
            print_grid(result)
        return
    write_output(output, result if isinstance(result, str) else result.plain(), read)


def _solve_layer(size: int, target: int, kernel: Any, stride: Any, padding: str | None, dilation: Any, transposed: bool, fmt: Format, output: Path | None = None) -> None:
    from ..solve import solve_layer

    pad: Any = padding
    if padding is not None and padding.strip().lower() not in ("same", "valid"):
        pad = numbers("--padding", padding, lengths=(1,))
    solutions = solve_layer(size, target, kernel, stride, pad, dilation, transposed)
    if fmt is Format.JSON:
        import json

        rows = [s._asdict() | {"formula": s.formula(size)} for s in solutions]
        doc = {"schema_version": 1, "input": size, "output": target, "transposed": transposed, "solutions": rows}
        _emit(json.dumps(doc, indent=2) + "\n", output)
        return
    from ..render import Grid

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
    _emit(Grid(columns, rows, title=title), output)


def _solve_model(source: str, low: int, high: int, fmt: Format, output: Path | None = None) -> None:
    from ..catalog import resolve
    from ..loader import load_model
    from ..solve import clean_input_sizes

    if low > high:
        raise InputError(f"--low {low} is above --high {high}")
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

        doc = {"schema_version": 1} | report._asdict() | {"name": model.name, "summary": report.lines()}
        _emit(json.dumps(doc, indent=2) + "\n", output, read)
        return
    _emit(f"{model.name}: input sides {low} to {high}\n" + "".join(f"  {line}\n" for line in report.lines()), output, read)
