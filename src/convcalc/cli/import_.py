"""``convcalc import``: an ONNX or Keras file written as an editable architecture file.

Also the one place the other commands load such a file (:func:`load_imported`),
so ``model``, ``check`` and ``solve --model`` read ``.onnx``, ``.keras`` and
Keras ``.json`` files the same way, and print an importer's warnings the same way.
"""

import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ..dtypes import Unknown
from ..errors import InputError
from .errors import reported_errors
from .options import output_option

__all__ = ["import_", "load_imported", "parse_input"]


def import_(
    source: Annotated[Path, typer.Argument(help="An ONNX (.onnx) or Keras (.keras, .json) model file.", show_default=False, dir_okay=False)],
    output: Annotated[Path | None, output_option("Write the architecture file here instead of to stdout.")] = None,
    input_shape: Annotated[str | None, typer.Option("--input", "-i", help="Override the input's spatial size, optionally with channels: 299x299, 299x299x3; 16000 (audio); 16x112x112 (video).", show_default=False)] = None,
    unknown: Annotated[Unknown, typer.Option("--unknown", help="An ONNX op convcalc has no layer for: stop with an error, or count it as an identity with 0 parameters and 0 MACs (with a warning).")] = Unknown.ERROR,
) -> None:
    """Convert an ONNX or Keras model into an editable convcalc architecture file.

    [dim]Example: convcalc import resnet50.onnx -o resnet50.yaml[/]
    """
    with reported_errors():
        from ..importers import is_import
        from ..loader import parse_model

        if not is_import(source):
            raise InputError(f"{str(source)!r}: convcalc import reads ONNX (.onnx) and Keras (.keras, .json) files")
        text = _imported_text(source, input_shape, unknown)
        parse_model(text, str(source), default_name=source.stem)  # never write a file that does not load
        if output is None:
            sys.stdout.write(text)
            return
        from ..files import write_atomically

        try:
            write_atomically(output, text, inputs=(source,))
        except InputError as error:
            raise error.within(f"--output {str(output)!r}") from None


def load_imported(source: str | Path, input_shape: str | None = None, unknown: str = "error") -> Any:
    """The analysed model (:class:`~convcalc.model.Summary`) of an ONNX or Keras file, warnings on stderr."""
    from ..loader import parse

    source = Path(source)
    return parse(_imported_text(source, input_shape, unknown), str(source), default_name=source.stem)


def parse_input(text: str) -> tuple[int, ...]:
    """The spatial size, optionally with channels, for ``--input``: ``299x299``
    or ``299x299x3`` for images, ``16000`` or ``16000x1`` for audio,
    ``16x112x112`` or ``16x112x112x3`` for video; the importer matches it to
    the model's input rank. Sizes follow :func:`convcalc.shapes.parse_shape`'s
    rule (ASCII digits, at most ``MAX_DIM``).

    >>> parse_input("299x299"), parse_input("320×240×3"), parse_input("16000")
    ((299, 299), (320, 240, 3), (16000,))
    """
    from ..shapes import DIGITS, MAX_DIM

    parts = [p for p in re.split(r"\s*[x×,]\s*", text.strip()) if p]
    if not 1 <= len(parts) <= 4 or not all(DIGITS.match(p) and p.lstrip("0") for p in parts):
        raise InputError(
            f"--input {text!r} is not understood; give the spatial size with positive whole numbers, "
            "optionally with channels: 299x299, 299x299x3, 16000 (audio), 16x112x112 (video)"
        )
    if any(len(p.lstrip("0")) > len(str(MAX_DIM)) or int(p) > MAX_DIM for p in parts):
        raise InputError(f"--input {text!r} has a size above {MAX_DIM:,}, the largest accepted (docs/limits.md)")
    return tuple(int(p) for p in parts)


def _imported_text(source: Path, input_shape: str | None, unknown: str) -> str:
    from ..importers import load_source

    size = parse_input(input_shape) if input_shape is not None else None
    with _warnings_to_stderr():
        return load_source(source, input=size, unknown=Unknown(unknown).value)


@contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """An importer's warnings (ops counted as zero, …) as ``warning: …`` lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for item in caught:
                sys.stderr.write(f"warning: {item.message}\n")
