"""``convcalc check``: architecture files checked for CI, findings in five report formats."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import EXIT_BAD_INPUT, reported_errors
from .options import output_option
from .output import write_output, write_stdout
from .verify import verifier

__all__ = ["CheckFormat", "check"]


class CheckFormat(str, Enum):
    """How ``check`` reports its findings."""

    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    JUNIT = "junit"
    SARIF = "sarif"


def check(
    paths: Annotated[list[str], typer.Argument(help="Architecture files, folders (searched for *.yaml, *.yml), globs, or bundled models' names (resnet50).", show_default=False)],
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Also run the NumPy forward pass on each file.")] = False,
    fmt: Annotated[CheckFormat | None, typer.Option("--format", help="Report format [default: github under GitHub Actions, else text].", show_default=False)] = None,
    output: Annotated[Path | None, output_option("Write the report to this file.")] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even with failing findings (never hides exit code 2).")] = False,
) -> None:
    """Check architecture files for CI: exit 0 clean, 1 findings, 2 could not run.

    [dim]Example: convcalc check configs/ --strict[/]
    """
    with reported_errors():
        import os

        from .. import checkformats
        from ..check import check_paths

        chosen = fmt or (CheckFormat.GITHUB if os.environ.get("GITHUB_ACTIONS") == "true" else CheckFormat.TEXT)
        result = check_paths(_bundled_names_resolved(paths), strict=strict, verify=verifier() if verify else None)
        if chosen is CheckFormat.TEXT and output is None:
            _print_findings(result)
        else:
            render = getattr(checkformats, f"as_{chosen.value}")
            text = render(result.findings, result.files)
            if output is None:
                write_stdout(text)
            else:
                write_output(output, text, inputs=result.files)
        if result.fatal:
            raise typer.Exit(EXIT_BAD_INPUT)
        if result.failed and not exit_zero:
            raise typer.Exit(1)


def _bundled_names_resolved(paths: list[str]) -> list[str]:
    """A bare name that is no file, folder or glob but a bundled model's (``resnet50``) → its file,
    as ``model`` reads it; anything else is left for the checker to report."""
    import glob
    import os

    from ..catalog import bundled

    known = bundled()
    out = []
    for path in paths:
        stem = path.removesuffix(".yaml")
        if stem in known and os.sep not in path and not os.path.exists(path) and not glob.has_magic(path):
            out.append(str(known[stem]))
        else:
            out.append(path)
    return out


def _print_findings(result: Any) -> None:
    """Text findings, coloured by severity on a terminal, then the summary."""
    from rich.console import Console
    from rich.text import Text

    from ..checkformats import report_order, text_line, text_summary

    console = Console(highlight=False, soft_wrap=True)
    for finding in report_order(result.findings, result.files):
        colour = "bold red" if finding.severity.value == "fatal" else "red" if finding.fails else "yellow"
        console.print(Text(text_line(finding), style=colour))
    console.print(Text(text_summary(result.findings, result.files), style="bold"))
