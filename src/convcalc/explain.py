"""The arithmetic behind one layer, written out with the numbers substituted.

>>> from convcalc.layers import make_layer
>>> spec = make_layer("conv2d", {"filters": 64, "kernel": 7, "stride": 2, "padding": 1})
>>> print("\\n".join(explain(spec, Shape.of(230, 230, 3))))
H: (230 + 2·1 − 7) / 2 + 1 = 113.5 → 113
   113.5 is rounded down: the last window would need 1 more row; only padding goes unread (no input row is lost)
W: (230 + 2·1 − 7) / 2 + 1 = 113.5 → 113
   113.5 is rounded down: the last window would need 1 more column; only padding goes unread (no input column is lost)
params: (7·7·3 + 1) · 64 = 9,472
MACs: 113·113·64 outputs × 7·7·3 = 120,130,752
"""

from __future__ import annotations

from fractions import Fraction

from .layers import LayerSpec, apply
from .layers.conv import Conv2d, ConvTranspose2d, TransposedAxis
from .layers.dense import Dense, Flatten
from .layers.merge import Add, Concat, Multiply
from .layers.norm import BatchNorm2d, LayerNorm
from .layers.pool import AvgPool2d, MaxPool2d, _Adaptive, _Global
from .layers.resample import ChannelShuffle, Upsample, ZeroPad2d
from .layers.window import Window
from .shapes import Shape

__all__ = ["explain"]


def explain(spec: LayerSpec, *inputs: Shape) -> list[str]:
    """Lines of arithmetic for ``spec`` applied to ``inputs``."""
    result = apply(spec, *inputs)
    x = inputs[0]
    if isinstance(spec, Conv2d):
        return [
            *_window_lines(spec.windows(x), spec.padding.mode),
            _conv_params(spec, x.channels, result.trainable),
            f"MACs: {_dims(result.output)} outputs × {spec.kernel[0]}·{spec.kernel[1]}·"
            f"{x.channels // spec.groups} = {result.macs:,}",
        ]
    if isinstance(spec, ConvTranspose2d):
        per = f"{spec.kernel[0]}·{spec.kernel[1]}·{spec.filters // spec.groups}"
        bias = f" + {spec.filters}" if spec.bias else ""
        lines = [_transposed_line(a) for a in spec.axes(x)]
        if spec.padding.mode != "explicit":
            lines.append(f"   padding {spec.padding.mode!r} resolved to the crops and output padding shown")
        return [
            *lines,
            f"params: {per}·{x.channels}{bias} = {result.trainable:,}" + _groups_note(spec.groups, x.channels, "output"),
            f"MACs: {_dims(x)} inputs × {per} = {result.macs:,}",
        ]
    if isinstance(spec, (MaxPool2d, AvgPool2d)):
        return [*_window_lines(spec.windows(x), spec.padding.mode), "params: none; MACs: none (pooling)"]
    if isinstance(spec, BatchNorm2d):
        c = x.channels
        trained = f"2·{c} = {result.trainable:,} (γ scale, β shift)" if spec.affine else "0 (affine off)"
        return [
            f"trainable: {trained}",
            f"non-trainable: 2·{c} = {result.non_trainable:,} (running mean and variance)",
        ]
    if isinstance(spec, LayerNorm):
        c = x.channels
        trained = f"2·{c} = {result.trainable:,} (γ scale, β shift)" if spec.affine else "0 (affine off)"
        return [f"normalises each position over its {c} features", f"trainable: {trained}"]
    if isinstance(spec, Dense):
        n = x.channels
        bias = f" + {spec.units}" if spec.bias else ""
        return [
            f"acts on the last axis: {n} → {spec.units} features",
            f"params: {n}·{spec.units}{bias} = {result.trainable:,}",
            f"MACs: {_dims(result.output)} outputs × {n} = {result.macs:,}",
        ]
    if isinstance(spec, Flatten):
        return [f"{_dims(x)} = {result.output.size:,} features"]
    if isinstance(spec, ZeroPad2d):
        p = spec.padding
        (h, w), c = x.hw, x.channels
        return [
            f"H: {h} + {p.top} + {p.bottom} = {h + p.top + p.bottom}",
            f"W: {w} + {p.left} + {p.right} = {w + p.left + p.right}",
        ]
    if isinstance(spec, Upsample):
        h, w = x.hw
        oh, ow = result.output.hw
        if spec.size is not None:
            return [f"resized to {oh}×{ow} ({spec.mode})"]
        sh, sw = spec.scale  # type: ignore[misc]
        return [f"H: ⌊{h} · {sh:g}⌋ = {oh}", f"W: ⌊{w} · {sw:g}⌋ = {ow}", f"mode: {spec.mode}"]
    if isinstance(spec, _Adaptive):
        return [f"output size fixed at {spec.output_size[0]}×{spec.output_size[1]}, windows adapt to {x.hw[0]}×{x.hw[1]}"]
    if isinstance(spec, _Global):
        return [f"reduces {x.hw[0]}×{x.hw[1]} to one value per channel: {result.output.format()}"]
    if isinstance(spec, ChannelShuffle):
        c, g = x.channels, spec.groups
        return [f"{c} channels seen as {g} groups × {c // g}, transposed to {c // g} × {g}"]
    if isinstance(spec, Concat):
        return [f"channels: {' + '.join(str(s.channels) for s in inputs)} = {result.output.channels}"]
    if isinstance(spec, (Add, Multiply)):
        shapes = " and ".join(s.format() for s in inputs)
        return [f"element-wise over {shapes}, broadcast to {result.output.format()}"]
    return [f"shape unchanged ({x.format()}); no parameters, no MACs"]


def _dims(shape: Shape) -> str:
    return "·".join(str(d) for d in shape.dims)


def _window_lines(windows: tuple[Window, Window], mode: str) -> list[str]:
    lines = []
    for w in windows:
        if mode == "same":
            out = -(-w.size // w.stride)
            # The raw total can be negative (stride > kernel); it is then clamped to 0.
            total = (out - 1) * w.stride + w.span - w.size
            split = (
                f"→ {w.pad_before} before, {w.pad_after} after"
                if total >= 0
                else "< 0 → no padding"
            )
            lines.append(
                f"{w.axis}: same padding → ⌈{w.size} / {w.stride}⌉ = {out}; "
                f"padding ({out} − 1)·{w.stride} + {w.span} − {w.size} = {_signed(total)} {split}"
            )
        lines.append(f"{w.axis}: {_window_formula(w)}")
        lines.extend(f"   {note}" for note in _window_notes(w))
    return lines


def _window_formula(w: Window) -> str:
    pads = (
        f"2·{w.pad_before}"
        if w.pad_before == w.pad_after
        else f"{w.pad_before} + {w.pad_after}"
    )
    span = str(w.span)
    if w.dilation > 1:
        span = f"({w.dilation}·({w.kernel} − 1) + 1)"
    text = f"({w.size} + {pads} − {span}) / {w.stride} + 1"
    if w.ceil_mode:
        ratio = Fraction(w.padded - w.span, w.stride)
        text = f"⌈({w.size} + {pads} − {span}) / {w.stride}⌉ + 1"
        rounded = -(-ratio.numerator // ratio.denominator) + 1
        if ratio.denominator != 1:
            text += f" = ⌈{_decimal(ratio)}⌉ + 1"
        return f"{text} = {rounded}" + (f" → {w.out}" if rounded != w.out else "")
    quotient = Fraction(w.padded - w.span, w.stride) + 1
    if quotient.denominator == 1:
        return f"{text} = {w.out}"
    return f"{text} = {_decimal(quotient)} → {w.out}"


def _window_notes(w: Window) -> list[str]:
    unit = "row" if w.axis == "H" else "column"
    notes = []
    if w.dilation > 1:
        notes.append(f"dilation {w.dilation} spreads the {w.kernel}-tap kernel over {w.span} {unit}s")
    if not w.exact:
        q = _decimal(Fraction(w.padded - w.span, w.stride) + 1)
        if w.ceil_mode:
            if w.out == -(-(w.padded - w.span) // w.stride) + 1:
                notes.append("rounded up (ceil_mode): the last window overhangs the end")
            else:
                start = w.out * w.stride
                where = ", in the right padding" if start < w.padded else ""
                lost = ""
                if w.dropped:
                    lost = f"; then {_rows(w.dropped, unit)} {'are' if w.dropped > 1 else 'is'} read by no window"
                notes.append(
                    f"rounded up (ceil_mode), but that last window would start at padded "
                    f"position {start}, past the input "
                    f"({w.pad_before}–{w.pad_before + w.size - 1}){where}, so PyTorch drops it{lost}"
                )
        else:
            missing = w.stride - (w.padded - w.span) % w.stride
            if w.dropped:
                plural = _rows(w.dropped, unit)
                notes.append(
                    f"{q} is rounded down: {plural} ({w.axis}={w.size}) "
                    f"{'are' if w.dropped > 1 else 'is'} covered by no window and dropped"
                )
            elif w.pad_before + w.size > (w.out - 1) * w.stride + w.span:
                notes.append(
                    f"{q} is rounded down: the {unit}s after the last window are the gap that "
                    f"stride {w.stride} leaves after every window (a further window would start past the input)"
                )
            else:
                notes.append(
                    f"{q} is rounded down: the last window would need {missing} more {unit}"
                    f"{'s' if missing > 1 else ''}; only padding goes unread (no input {unit} is lost)"
                )
    if w.skipped:
        notes.append(f"stride {w.stride} > window {w.span}: {w.skipped} {unit}(s) between windows are never read")
    return notes


def _rows(n: int, unit: str) -> str:
    """'the last input row' or '3 input rows'."""
    return f"{n} input {unit}s" if n > 1 else f"the last input {unit}"


def _signed(n: int) -> str:
    """An integer with a typographic minus, as in the formulas: −1."""
    return f"−{-n}" if n < 0 else str(n)


def _decimal(q: Fraction) -> str:
    """113.5, 56.333…, −0.5: enough digits to show the fraction is not whole."""
    text = f"{float(abs(q)):.3f}".rstrip("0").rstrip(".")
    sign = "−" if q < 0 else ""
    return sign + (text if Fraction(text) == abs(q) else text + "…")


def _conv_params(spec: Conv2d, channels: int, total: int) -> str:
    kh, kw = spec.kernel
    per_group = channels // spec.groups
    inner = f"{kh}·{kw}·{per_group}"
    text = f"({inner} + 1) · {spec.filters}" if spec.bias else f"{inner} · {spec.filters}"
    return f"params: {text} = {total:,}" + _groups_note(spec.groups, channels, "input")


def _groups_note(groups: int, channels: int, side: str) -> str:
    if groups == 1:
        return ""
    if groups == channels and side == "input":
        return f"  (depthwise: groups = channels = {channels}, each filter sees 1 channel)"
    return f"  (groups={groups}: each filter sees {channels} / {groups} = {channels // groups} channels)"


def _transposed_line(a: TransposedAxis) -> str:
    span = str(a.span) if a.dilation == 1 else f"{a.dilation}·({a.kernel} − 1) + 1"
    crop = f" − 2·{a.pad_before}" if a.pad_before == a.pad_after else f" − {a.pad_before} − {a.pad_after}"
    extra = f" + {a.output_padding}" if a.output_padding else ""
    return f"{a.axis}: ({a.size} − 1)·{a.stride}{crop} + {span}{extra} = {a.out}"
