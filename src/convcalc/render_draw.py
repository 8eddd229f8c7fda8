"""The sliding-window picture drawn: terminal text and SVG.

Each *frame* is the padded input with one window on it, beside the output
grid with the cell that window makes. Cells, two characters wide so the grid
is square on a terminal::

    0  zero padding            □  input read by some window
    ▣  padding under the window ■  input under the window
    ×  input no window reads (lost to rounding, or between strided windows)

The SVG is the same picture, sized to its content, light theme, no web fonts.
"""

from __future__ import annotations

from html import escape

from .draw import PAD, READ, Frame, WindowPicture

__all__ = ["LEGEND", "picture_lines", "picture_svg", "picture_title"]

LEGEND = "0 padding  □ input  × input no window reads  ■ ▣ the window (input, padding)"

_GLYPH = {PAD: "0", READ: "□", "x": "×"}
_UNDER = {PAD: "▣", READ: "■", "x": "■"}


def _pair(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}×{b}"


def picture_title(p: WindowPicture) -> str:
    """``conv2d: 5×5 input, padding 1 → 7×7 padded; kernel 3, stride 2 → 3×3 output``
    (``conv1d: 10 input, …`` in 1-D)."""
    t, b, left, r = p.padding
    if p.rank == 1:
        pads = str(left) if left == r else f"{left}, {r} (before, after)"
        dilation = f", dilation {p.dilation[1]}" if p.dilation[1] != 1 else ""
        return (
            f"{p.kind}: {p.input[1]} input, padding {pads} → {p.padded[1]} padded; "
            f"kernel {p.kernel[1]}, stride {p.stride[1]}{dilation} → {p.output[1]} output"
        )
    pads = str(t) if len({t, b, left, r}) == 1 else f"{t}, {b}, {left}, {r} (top, bottom, left, right)"
    dilation = f", dilation {_pair(*p.dilation)}" if p.dilation != (1, 1) else ""
    return (
        f"{p.kind}: {p.input[0]}×{p.input[1]} input, padding {pads} → {p.padded[0]}×{p.padded[1]} padded; "
        f"kernel {_pair(*p.kernel)}, stride {_pair(*p.stride)}{dilation} → {p.output[0]}×{p.output[1]} output"
    )


def _frame_rows(p: WindowPicture, f: Frame) -> list[list[tuple[str, str]]]:
    """Cells of one frame as (glyph, style) pairs, row by row."""
    rows = []
    for r, line in enumerate(p.grid):
        cells = []
        for c, kind in enumerate(line):
            if r in f.taps_h and c in f.taps_w:
                cells.append((_UNDER[kind], "bold yellow"))
            else:
                cells.append((_GLYPH[kind], {PAD: "dim", READ: "", "x": "red"}[kind]))
        rows.append(cells)
    return rows


def _output_rows(p: WindowPicture, f: Frame) -> list[list[tuple[str, str]]]:
    return [
        [("■", "bold yellow") if (i, j) == (f.out_row, f.out_col) else ("□", "") for j in range(p.output[1])]
        for i in range(p.output[0])
    ]


def _heading(p: WindowPicture, f: Frame) -> str:
    """``window → out[0,1]``: the output cell the window makes (``out[1]`` in 1-D)."""
    return f"window → out[{f.out_col}]" if p.rank == 1 else f"window → out[{f.out_row},{f.out_col}]"


def _reads(p: WindowPicture, f: Frame) -> str:
    """``rows 0–2, cols 2–4`` of the padded grid, ``positions 2–4`` in 1-D
    (taps past its end read nothing)."""
    rows = f"{f.taps_h[0]}–{min(f.taps_h[-1], p.padded[0] - 1)}"
    cols = f"{f.taps_w[0]}–{min(f.taps_w[-1], p.padded[1] - 1)}"
    return f"positions {cols}" if p.rank == 1 else f"rows {rows}, cols {cols}"


def picture_lines(p: WindowPicture, width: int = 80) -> list[list[tuple[str, str]]]:
    """The frames as lines of styled segments, side by side while they fit
    in ``width`` columns, else one below the other."""
    gap = "   "
    panels = []
    for f in p.frames:
        grid = _frame_rows(p, f)
        out = _output_rows(p, f)
        height = max(len(grid), len(out)) + 1
        lines: list[list[tuple[str, str]]] = [[(_heading(p, f), "bold")]]
        for i in range(height - 1):
            left = [(g + " ", s) for g, s in grid[i]] if i < len(grid) else [("  " * p.padded[1], "")]
            right = [(g + " ", s) for g, s in out[i]] if i < len(out) else []
            lines.append([*left, ("→ " if i == f.out_row else "  ", "dim"), *right])
        lines.append([(_reads(p, f), "dim")])
        panel_width = max(sum(len(t) for t, _ in line) for line in lines)
        panels.append((lines, panel_width))
    rows: list[list[tuple[str, str]]] = []
    group: list[tuple[list, int]] = []
    used = 0
    for panel in [*panels, None]:
        if panel is not None and (not group or used + len(gap) + panel[1] <= width):
            group.append(panel)
            used += panel[1] + (len(gap) if len(group) > 1 else 0)
            continue
        height = max(len(lines) for lines, _ in group)
        for i in range(height):
            line: list[tuple[str, str]] = []
            for k, (lines, w) in enumerate(group):
                part = lines[i] if i < len(lines) else []
                pad = w - sum(len(t) for t, _ in part)
                line += [*part, (" " * pad + (gap if k < len(group) - 1 else ""), "")]
            rows.append(line)
        if panel is None:
            break
        rows.append([])
        group, used = [panel], panel[1]
    return rows


# ------------------------------------------------------------ SVG

_CELL = 22
_FILL = {PAD: "#eceff1", READ: "#ffffff", "x": "#ffcdd2"}


def picture_svg(p: WindowPicture) -> str:
    """The frames as one SVG document, sized to its content."""
    gh, gw = p.padded
    oh, ow = p.output
    margin, title_h, head_h = 16, 28, 22
    frame_w = gw * _CELL + 40 + ow * _CELL
    frame_h = head_h + max(gh, oh) * _CELL
    width = margin * 2 + len(p.frames) * frame_w + (len(p.frames) - 1) * 32
    height = margin * 2 + title_h + frame_h + 34
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{margin}" y="{margin + 14}" font-size="14" fill="#212121">{escape(picture_title(p))}</text>',
    ]
    for k, f in enumerate(p.frames):
        x0 = margin + k * (frame_w + 32)
        y0 = margin + title_h
        parts.append(
            f'<text x="{x0}" y="{y0 + 14}" fill="#212121" font-weight="bold">{escape(_heading(p, f))}: {escape(_reads(p, f))}</text>'
        )
        top = y0 + head_h
        for r, line in enumerate(p.grid):
            for c, kind in enumerate(line):
                x, y = x0 + c * _CELL, top + r * _CELL
                parts.append(f'<rect x="{x}" y="{y}" width="{_CELL}" height="{_CELL}" fill="{_FILL[kind]}" stroke="#90a4ae"/>')
                if kind == PAD:
                    parts.append(f'<text x="{x + _CELL / 2}" y="{y + 15}" text-anchor="middle" fill="#90a4ae">0</text>')
                elif kind == "x":
                    parts.append(f'<text x="{x + _CELL / 2}" y="{y + 16}" text-anchor="middle" fill="#c62828">×</text>')
        for r in f.taps_h:
            for c in f.taps_w:
                if r < gh and c < gw:
                    x, y = x0 + c * _CELL, top + r * _CELL
                    parts.append(f'<rect x="{x + 2}" y="{y + 2}" width="{_CELL - 4}" height="{_CELL - 4}" fill="#1e88e5" fill-opacity="0.35"/>')
        # The window's outline, over its first and last taps.
        last_r, last_c = min(f.taps_h[-1], gh - 1), min(f.taps_w[-1], gw - 1)
        parts.append(
            f'<rect x="{x0 + f.taps_w[0] * _CELL}" y="{top + f.taps_h[0] * _CELL}" '
            f'width="{(last_c - f.taps_w[0] + 1) * _CELL}" height="{(last_r - f.taps_h[0] + 1) * _CELL}" '
            'fill="none" stroke="#1565c0" stroke-width="3"/>'
        )
        ox = x0 + gw * _CELL + 40
        parts.append(f'<text x="{ox - 28}" y="{top + f.out_row * _CELL + 16}" fill="#1565c0">→</text>')
        for i in range(oh):
            for j in range(ow):
                hit = (i, j) == (f.out_row, f.out_col)
                parts.append(
                    f'<rect x="{ox + j * _CELL}" y="{top + i * _CELL}" width="{_CELL}" height="{_CELL}" '
                    f'fill="{"#1e88e5" if hit else "#ffffff"}" fill-opacity="{0.6 if hit else 1}" stroke="#90a4ae"/>'
                )
    legend_y = margin + title_h + frame_h + 24
    parts.append(
        f'<text x="{margin}" y="{legend_y}" fill="#455a64">grey 0: zero padding · white: input · red ×: input no window reads · '
        "blue: the window and the output cell it makes</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
