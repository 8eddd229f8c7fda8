"""``python -m convcalc.shell [--input SHAPE] [FILE]``: the shell without the CLI, for scripts and tests."""

from __future__ import annotations

import argparse
import sys

from .repl import run_shell

if __name__ == "__main__":  # pragma: no cover - importing this module must not run the shell
    parser = argparse.ArgumentParser(prog="python -m convcalc.shell")
    parser.add_argument("--input")
    parser.add_argument("file", nargs="?")
    args = parser.parse_args()
    sys.exit(run_shell(args.input, args.file))
