"""``convcalc solve``: the inverse calculator, for one layer or for a whole model's input sizes."""

import sys
from typing import Annotated, Any

import typer

from ..errors import InputError
from .errors import reported_errors
from .options import WHOLE, Format, FormatOption, numbers
from .output import print_grid

__all__ = ["solve"]


def solve(
    size: Annotated[int | None, typer.Option("--input", "-i", click_type=WHOLE, help="Input length (one side).", show_default=False)] = None,
    target: Annotated[int | None, typer.Option("--output", "-o", click_type=WHOLE, help="Wanted output length.", show_default=False)] = None,
    kernel: Annotated[int | None, typer.Option("-k", "--kernel", click_type=WHOLE, help="Hold the kernel at this size.", show_default=False)] = None,
    stride: Annotated[int | None, typer.Option("-s", "--stride", click_type=WHOLE, help="Hold the stride.", show_default=False)] = None,
    padding: Annotated[str | None, typer.Option("-p", "--padding", help="Hold the padding: a number, same or valid.", show_default=False)] = None,
    dilation: Annotated[int | None, typer.Option("--dilation", click_type=WHOLE, help="Hold the dilation.", show_default=False)] = None,
    transposed: Annotated[bool, typer.Option("--transposed", help="Solve a transposed convolution (lists the output_padding too).")] = False,
    model_source: Annotated[str | None, typer.Option("--model", "-m", help="Instead: a model file or bundled name; report the input sizes it takes cleanly.", show_default=False)] = None,
    low: Annotated[int, typer.Option("--low", click_type=WHOLE, help="With --model: smallest input side to try.")] = 32,
    high: Annotated[int, typer.Option("--high", click_type=WHOLE, help="With --model: largest input side to try.")] = 1024,
    fmt: FormatOption = Format.TABLE,
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
    from ..solve import solve_layer

    pad: Any = padding
    if padding is not None and padding.strip().lower() not in ("same", "valid"):
        pad = numbers("--padding", padding, lengths=(1,))
    solutions = solve_layer(size, target, kernel, stride, pad, dilation, transposed)
    if fmt is Format.JSON:
        import json

        rows = [s._asdict() | {"formula": s.formula(size)} for s in solutions]
        sys.stdout.write(json.dumps({"input": size, "output": target, "transposed": transposed, "solutions": rows}, indent=2) + "\n")
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
    print_grid(Grid(columns, rows, title=title))


def _solve_model(source: str, low: int, high: int, fmt: Format) -> None:
    from ..catalog import resolve
    from ..loader import load_model
    from ..solve import clean_input_sizes

    if low > high:
        raise InputError(f"--low {low} is above --high {high}")
    from ..importers import is_import

    if is_import(source):  # ONNX or Keras
        from .import_ import load_imported

        model = load_imported(source)
    else:
        model = load_model(resolve(source))
    report = clean_input_sizes(model, low, high)
    if fmt is Format.JSON:
        import json

        sys.stdout.write(json.dumps(report._asdict() | {"name": model.name, "summary": report.lines()}, indent=2) + "\n")
        return
    sys.stdout.write(f"{model.name}: input sides {low} to {high}\n" + "".join(f"  {line}\n" for line in report.lines()))
