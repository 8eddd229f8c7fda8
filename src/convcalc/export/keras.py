"""Programs written as Keras 3 functional-API builders: one function per block, one for the network.

Keras is channels-last like convcalc, so shapes need no translation, and
Keras infers every layer's input channels. What needs care is padding:
numeric (PyTorch-style) padding becomes ``ZeroPadding2D`` and ``'valid'``
(and a ``-inf`` pad, ``MaxPoolPadding``, before a max pool), ``same`` stays
``same``. PyTorch's ``ceil_mode``, which Keras' pools lack, is the same
``-inf`` pad made longer after each axis by the last window's overhang, then
a ``valid`` pool. Layers the file names keep their names
(``layer1.0.conv1``), so ``model.get_layer`` finds them. A kind with no
exact Keras counterpart (a ``ceil_mode`` average whose last window
overhangs, ``pixel_shuffle`` in PyTorch's channel order, a cropping
transposed convolution with ``output_padding``, …) raises
:class:`ExportError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..layers.options import Padding
from ..layers.window import Window
from .exprs import Sym, identifier, source
from .graph import Call, Op, Program, Step
from .pytorch import OWN, _blocks, _Forward, _ones, _spatial

__all__ = ["write_keras"]

_ACTIVATIONS = {
    "relu": "relu",
    "relu6": "relu6",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "gelu": "gelu",
    "silu": "silu",
    "hardswish": "hard_swish",
    "hardsigmoid": "hard_sigmoid",
    "mish": "mish",
    "softmax": "softmax",
}

HELPERS = {
    "Scale": '''class Scale(layers.Layer):
    """A learned multiplier per channel (layer scale): C parameters."""

    def __init__(self, init: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape) -> None:
        self.gamma = self.add_weight(shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.init))

    def call(self, x):
        return x * self.gamma
''',
    "DropPath": '''class DropPath(layers.Layer):
    """Stochastic depth: drops a sample's whole branch with probability rate while training."""

    def __init__(self, rate: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, x, training=None):
        if not training or self.rate == 0:
            return x
        shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        keep = keras.random.uniform(shape) >= self.rate
        return x * ops.cast(keep, x.dtype) / (1 - self.rate)
''',
    "MaxPoolPadding": '''class MaxPoolPadding(layers.Layer):
    """Pads the spatial axes with -inf, which a max pool never picks: ((before, after), ...) per axis."""

    def __init__(self, padding: tuple[tuple[int, int], ...], **kwargs) -> None:
        super().__init__(**kwargs)
        self.padding = padding

    def call(self, x):
        return ops.pad(x, [(0, 0), *self.padding, (0, 0)], constant_values=float("-inf"))
''',
    "ChannelShuffle": '''class ChannelShuffle(layers.Layer):
    """ShuffleNet's shuffle: C channels seen as groups × C/groups, transposed."""

    def __init__(self, groups: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.groups = groups

    def call(self, x):
        h, w, c = x.shape[1:]
        x = ops.reshape(x, (-1, h, w, self.groups, c // self.groups))
        return ops.reshape(ops.swapaxes(x, 3, 4), (-1, h, w, c))
''',
}


class _Statements(_Forward):
    """``forward``'s allocator, writing Keras calls."""

    def __init__(self, program: Program, writer: _Writer) -> None:
        super().__init__(program, {})
        self.render = str  # a builder function reads its arguments directly
        self.writer = writer

    def _split(self, op: Op, arg: str) -> str:
        parts = op.options["parts"]
        if parts:
            return f"ops.split({arg}, {parts}, axis=-1)"
        sizes = list(op.options["sizes"])
        cuts = [sum(sizes[: i + 1]) for i in range(len(sizes) - 1)]
        return f"ops.split({arg}, {cuts}, axis=-1)"

    def _expression(self, op: Op, args: list[str]) -> str:
        name = self.writer.name(op)
        if op.kind in ("add", "multiply", "concat"):
            what = {"add": "Add", "multiply": "Multiply", "concat": "Concatenate"}[op.kind]
            return f"layers.{what}(name={name})([{', '.join(args)}])"
        if op.kind == "slice":
            o = op.options
            if o.get("chunks") is not None:
                return f"ops.split({args[0]}, {source(o['chunks'])}, axis=-1)[{source(o['chunk'])}]"
            stop = "" if o.get("stop") is None else source(o["stop"])
            start = "" if not o.get("start") else source(o["start"])
            return f"{args[0]}[..., {start}:{stop}]"
        return self.apply(op, args[0])

    def apply(self, op: Op, text: str) -> str:
        """The expression applying ``op`` to ``text``: one statement per layer of a sequential (or padding and layer)."""
        if op.kind == "block":
            if getattr(op, "repeat", None) and op not in self.program.ops:
                return self._repeated(op, text)
            return self._call(op, op.calls[0], text, self.writer.name(op))
        if op.kind == "sequential":
            steps = [
                self.apply(child, text if i == 0 else OWN) for i, child in enumerate(op.children)
            ]
        else:
            steps = [
                f"{layer}({text if i == 0 else OWN})"
                for i, layer in enumerate(self.writer.layers(op))
            ]
        return f"\n{OWN} = ".join(steps)

    def _call(self, op: Op, call: Call, text: str, name: str) -> str:
        given = [f"{identifier(k)}={source(v)}" for k, v in call.args]
        return f"{identifier(op.block)}({text}, {', '.join([*given, f'name={name}'])})"  # type: ignore[arg-type]

    def _repeated(self, op: Op, text: str) -> str:
        """A repeated block inside a sequential (densenet's dense blocks): the first instance, then a loop over the rest.

        The top level does the same in :meth:`_Writer._expand_repeats`; here
        the loop is one step of the chain, so it assigns to the chain's variable.
        """
        name = self.writer.name(op)
        # the name's text without its closing quote, and the quote
        base, quote = name[:-1], name[-1]
        first = self._call(op, op.calls[0], text, f"{base}.0{quote}")
        rest = op.calls[1:]
        if not rest:
            return first
        if any(c.args != rest[0].args for c in rest):
            raise op.fail("a repeated block whose later instances differ is not exported to Keras")
        again = self._call(op, rest[0], OWN, f"f{base.lstrip('f')}.{{i}}{quote}")
        return f"{first}\nfor i in range(1, {len(op.calls)}):\n    {OWN} = {again}"


class _Writer:
    def __init__(self, network: Program) -> None:
        self.helpers: set[str] = set()
        self.network = network
        self.current: Program = network
        self.frozen: list[str] = []

    def name(self, op: Op, suffix: str = "") -> str:
        """The ``name=`` value: the file's name, prefixed inside a block function."""
        if self.current.is_block:
            return f'f"{{name}}.{op.name}{suffix}"'
        return repr(op.name + suffix)

    def layers(self, op: Op) -> list[str]:
        """The Keras layers that make ``op``, applied in order."""
        made = self._layers(op)
        extra = ""
        if op.trainable is False:
            extra = ", trainable=False"
        elif isinstance(op.trainable, Sym):
            extra = f", trainable={op.trainable.src}"
        if extra:
            made = [m[:-1] + extra + ")" for m in made]
        return made

    def _layers(self, op: Op) -> list[str]:
        kind, o, name = op.kind, op.options, self.name(op)
        n = _spatial(kind)  # 1, 2 or 3 spatial axes
        if kind in _ACTIVATIONS:
            return [f"layers.Activation({_ACTIVATIONS[kind]!r}, name={name})"]
        if kind.startswith("conv_transpose"):
            p = o.get("padding", Padding("explicit"))
            if isinstance(p, Sym) or (
                p.mode == "explicit"
                and (
                    any(any(pair) for pair in p.pads()) or source(o.get("output_padding", 0)) != "0"
                )
            ):
                raise op.fail(
                    f"numeric padding of a transposed convolution crops its output; Keras' Conv{n}DTranspose has no exact counterpart (use same or valid)"
                )
            args = [source(o["filters"]), source(o["kernel"])]
            if not _ones(o.get("stride", 1)):
                args.append(f"strides={source(o['stride'])}")
            if p.mode == "same":
                args.append('padding="same"')
            if o.get("groups", 1) != 1:
                raise op.fail("a grouped transposed convolution has no Keras counterpart")
            if not _ones(o.get("dilation", 1)):
                args.append(f"dilation_rate={source(o['dilation'])}")
            if o.get("bias", True) is not True:
                args.append(f"use_bias={source(o['bias'])}")
            return [f"layers.Conv{n}DTranspose({', '.join(args)}, name={name})"]
        if kind.startswith("conv"):
            pads, mode = self._padding(op)
            args = [source(o["filters"]), source(o["kernel"])]
            if not _ones(o.get("stride", 1)):
                args.append(f"strides={source(o['stride'])}")
            if mode == "same":
                args.append('padding="same"')
            if not _ones(o.get("dilation", 1)):
                args.append(f"dilation_rate={source(o['dilation'])}")
            if o.get("groups", 1) != 1:
                args.append(f"groups={source(o['groups'])}")
            if o.get("bias", True) is not True:
                args.append(f"use_bias={source(o['bias'])}")
            return [*pads, f"layers.Conv{n}D({', '.join(args)}, name={name})"]
        if kind.startswith(("maxpool", "avgpool")):
            if not _ones(o.get("dilation", 1)):
                raise op.fail("a dilated max pool has no Keras counterpart")
            what = f"MaxPooling{n}D" if kind.startswith("max") else f"AveragePooling{n}D"
            pads, mode = self._padding(op, pool=True)
            if pads and kind.startswith("avg") and o.get("count_include_pad", True) is not True:
                raise op.fail(
                    "average pooling that leaves numeric padding out of the mean has no Keras counterpart"
                )
            args = [source(o["kernel"])]
            if o.get("stride") is not None:
                args.append(f"strides={source(o['stride'])}")
            if mode == "same":
                args.append('padding="same"')
            return [*pads, f"layers.{what}({', '.join(args)}, name={name})"]
        if kind.startswith("adaptive_"):
            shape = op.inputs[0].shape()
            size = o["output_size"]
            if (
                shape is None
                or isinstance(size, Sym)
                or any(s % m for s, m in zip(shape.spatial, size))
            ):
                raise op.fail(
                    "adaptive pooling has a Keras counterpart only when the output size divides the input size"
                )
            what = f"AveragePooling{n}D" if kind.startswith("adaptive_avg") else f"MaxPooling{n}D"
            return [
                f"layers.{what}({source(tuple(s // m for s, m in zip(shape.spatial, size)))}, name={name})"
            ]
        if kind.startswith("global_"):
            what = (
                f"GlobalAveragePooling{n}D"
                if kind.startswith("global_avg")
                else f"GlobalMaxPooling{n}D"
            )
            return [f"layers.{what}({'keepdims=True, ' if o.get('keepdims') else ''}name={name})"]
        if kind.startswith("zeropad"):
            p = o["padding"]
            if isinstance(p, Sym) and n != 1:
                raise op.fail(
                    "a zero padding computed from block parameters is exported only as one number; write the sides out"
                )
            return [
                f"layers.ZeroPadding{n}D({p.src if isinstance(p, Sym) else _keras_pads(p)}, name={name})"
            ]
        if kind.startswith("batchnorm"):
            if o.get("momentum", 0.1) is None:
                raise op.fail(
                    "batch norm with momentum null (a cumulative average) has no Keras counterpart"
                )
            args = [
                f"epsilon={source(o.get('eps', 1e-5))}",
                f"momentum={source(_keras_momentum(o.get('momentum', 0.1)))}",
            ]
            # γ is learned when affine and scale, β when affine and center (Keras' own two flags)
            affine = o.get("affine", True)
            for flag in ("center", "scale"):
                learned = _both(affine, o.get(flag, True))
                if learned is not True:
                    args.append(f"{flag}={source(learned)}")
            return [f"layers.BatchNormalization({', '.join(args)}, name={name})"]
        if kind in ("layernorm", "groupnorm", "instancenorm"):
            if kind == "instancenorm" and o.get("track_running_stats"):
                raise op.fail("instance norm with running statistics has no Keras counterpart")
            affine = o.get("affine", kind != "instancenorm")
            args = [f"epsilon={source(o.get('eps', 1e-5))}"]
            if affine is not True:
                args += [f"center={source(affine)}", f"scale={source(affine)}"]
            if kind == "layernorm":
                return [f"layers.LayerNormalization({', '.join(args)}, name={name})"]
            # instance norm: one group per channel
            groups = o["groups"] if kind == "groupnorm" else op.inputs[0].channels
            if groups is None:
                raise op.fail("its channels are not known to the exporter")
            return [f"layers.GroupNormalization({source(groups)}, {', '.join(args)}, name={name})"]
        if kind == "normalization":
            return [f"layers.Normalization(name={name})"]
        if kind == "dense":
            bias = "" if o.get("bias", True) is True else f", use_bias={source(o['bias'])}"
            return [f"layers.Dense({source(o['units'])}{bias}, name={name})"]
        if kind == "flatten":
            return [f"layers.Flatten(name={name})"]
        if kind == "reshape":
            return [f"layers.Reshape({tuple(o['shape'])!r}, name={name})"]
        if kind == "dropout":
            return [f"layers.Dropout({source(o.get('rate', 0.5))}, name={name})"]
        if kind == "drop_path":
            self.helpers.add("DropPath")
            return [f"DropPath({source(o.get('rate', 0.0))}, name={name})"]
        if kind == "identity":
            return [f"layers.Identity(name={name})"]
        if kind == "leaky_relu":
            return [
                f"layers.LeakyReLU(negative_slope={source(o.get('negative_slope', 0.01))}, name={name})"
            ]
        if kind == "elu":
            return [f"layers.ELU(alpha={source(o.get('alpha', 1.0))}, name={name})"]
        if kind == "softplus":
            if o.get("beta", 1.0) != 1.0:
                raise op.fail("softplus with beta other than 1 has no Keras counterpart")
            return [f"layers.Activation('softplus', name={name})"]
        if kind == "prelu":
            per = o.get("per", "tensor")
            rank = op.inputs[0].rank
            shared = {
                "tensor": list(range(1, rank + 1)),
                "channel": list(range(1, rank)),
                "element": None,
            }[per]
            return [
                f"layers.PReLU({'' if shared is None else f'shared_axes={shared}, '}name={name})"
            ]
        if kind == "scale":
            self.helpers.add("Scale")
            return [f"Scale({source(o.get('init', 1.0))}, name={name})"]
        if kind == "rescaling":
            return [
                f"layers.Rescaling({source(o.get('scale', 1.0))}, offset={source(o.get('offset', 0.0))}, name={name})"
            ]
        if kind == "upsample":
            scale = o.get("scale")
            if (
                scale is None
                or isinstance(scale, Sym)
                or any(s != int(s) for s in scale)
                or o.get("align_corners")
            ):
                raise op.fail(
                    "upsampling by a size, a fractional scale or with align_corners has no exact Keras counterpart"
                )
            return [
                f"layers.UpSampling2D({source(tuple(int(s) for s in scale))}, interpolation={source(o.get('mode', 'nearest'))}, name={name})"
            ]
        if kind == "channel_shuffle":
            self.helpers.add("ChannelShuffle")
            return [f"ChannelShuffle({source(o['groups'])}, name={name})"]
        if kind == "sequential":
            made = []
            for child in op.children:
                made.extend(self.layers(child))
            return made
        raise op.fail(
            f"{kind} has no exact Keras counterpart (PyTorch's channel order, or no such layer)"
        )

    def _padding(self, op: Op, pool: bool = False) -> tuple[list[str], str]:
        """Layers to pad first, and the padding mode to give the layer."""
        p = op.options.get("padding", Padding("explicit"))
        if isinstance(p, Sym):
            if pool:
                raise op.fail(
                    "padding computed from block parameters before a pool is not exported"
                )
            return [
                f"layers.ZeroPadding{_spatial(op.kind)}D({p.src}, name={self.name(op, '_pad')})"
            ], "valid"
        if p.mode != "explicit":
            return [], p.mode
        if pool and op.options.get("ceil_mode"):
            p = self._ceil_padding(op, p)
        if not any(any(pair) for pair in p.pads()):
            return [], "valid"
        n = _spatial(op.kind)
        # max pooling pads with -inf, so the padding never wins
        if pool and op.kind.startswith("maxpool"):
            self.helpers.add("MaxPoolPadding")
            return [f"MaxPoolPadding({p.pads()}, name={self.name(op, '_pad')})"], "valid"
        return [f"layers.ZeroPadding{n}D({_keras_pads(p)}, name={self.name(op, '_pad')})"], "valid"

    def _ceil_padding(self, op: Op, p: Padding) -> Padding:
        """The pool's padding with ceil_mode's overhang added after each axis, so that ``valid`` pooling rounds up as PyTorch does.

        The overhang is how far the last window PyTorch keeps reaches past the
        padded input: (out − 1)·stride + kernel − padded, where ``out`` already
        drops a last window that would start in the right padding. A 2×2 map
        under a 3-wide pool with stride 2 keeps one window (out 1), which reaches
        0·2 + 3 − 2 = 1 cell past it. The overhang depends on the input size, so
        every instance of a block must come to the same cells.
        """
        spec = op.spec
        shapes = set(op.inputs[0].shapes or ())
        if spec is None or not shapes:
            raise op.fail(
                "ceil_mode pooling is exported only where the input size and the window are known"
            )
        found = {tuple(_overhang(w) for w in spec.windows(shape)) for shape in shapes}
        if len(found) != 1:
            raise op.fail(
                "ceil_mode overhangs by different cells in different instances of this block (it depends on the input size); "
                "a Keras function pads by one amount"
            )
        overhang = found.pop()
        if any(overhang) and op.kind.startswith("avgpool"):
            raise op.fail(
                "ceil_mode average pooling whose last window overhangs the input has no Keras counterpart "
                "(PyTorch leaves the overhang out of that window's divisor, Keras' valid pooling does not)"
            )
        return Padding.of(
            [
                (before, after + extra)
                for (before, after), extra in zip(spec.padding.pads(), overhang)
            ]
        )

    def function(self, program: Program) -> str:
        self.current = program
        statements = _Statements(program, self)
        body = statements.lines()
        frozen_calls = [op for op in _every_op(program.ops) if op.kind == "block" and op.trainable is not True]
        for op in frozen_calls:
            if op.trainable is not False:
                raise op.fail("a block instance whose trainable flag depends on a block parameter has no Keras export; give trainable: false or true")
        # Keras freezes by layer after the model is built: each frozen block
        # instance, at any depth, is a name prefix of the layers it made.
        self.frozen += [f"{instance}{op.name}" for instance in program.instances for op in frozen_calls]
        text = _blocks(self._expand_repeats(program, body), 1, lambda c: c)
        if program.is_block:
            params = (
                ["x"]
                + [f"{identifier(k)}={v!r}" for k, v in program.params.items()]
                + [f"name={program.name!r}"]
            )
            head = f'def {identifier(program.name)}({", ".join(params)}):\n    """Block {program.name!r} of the file."""\n'
            # the file's $in_channels: Keras knows it from the input
            if re.search(r"\bin_channels\b", text):
                head += "    in_channels = x.shape[-1]\n"
            return head + text
        shape = tuple(program.input.shapes[0].dims) if program.input.shapes else ()
        head = f"def build_{identifier(program.name)}() -> keras.Model:\n    inputs = keras.Input({shape!r})\n    x = inputs\n"
        lines = text.rstrip("\n").split("\n")
        result = lines[-1].strip().removeprefix("return ")
        tail = f"    model = keras.Model(inputs, {result}, name={program.name!r})\n"
        if self.frozen:  # str.startswith takes a tuple of prefixes
            prefixes = tuple(name + "." for name in self.frozen)
            tail += f"    for layer in model.layers:\n        if layer.name.startswith({prefixes!r}):\n            layer.trainable = False\n"
        return head + "\n".join(lines[:-1]) + "\n" + tail + "    return model\n"

    def _expand_repeats(
        self, program: Program, body: list[tuple[str | None, str]]
    ) -> list[tuple[str | None, str]]:
        """A repeated block as a loop: the first call, then ``for i in range(1, n)``."""
        out = []
        repeats = {
            self.name(op): op
            for op in program.ops
            if op.kind == "block" and getattr(op, "repeat", None)
        }
        for condition, line in body:
            op = next((o for key, o in repeats.items() if line.endswith(f"name={key})")), None)
            if op is None:
                out.append((condition, line))
                continue
            target, call = line.split(" = ", 1)
            arg = call[call.index("(") + 1 : call.index(",")]
            base = self.name(op)[:-1]  # the name's text without its closing quote
            first = call.replace(f"name={self.name(op)}", f"name={base}.0{self.name(op)[-1]}")
            out.append((condition, f"{target} = {first}"))
            rest = op.calls[1:]
            if rest:
                given = ", ".join(f"{identifier(k)}={source(v)}" for k, v in rest[0].args)
                inner = f"{identifier(op.block)}({target}, {given + ', ' if given else ''}name=f{base.lstrip('f')}.{{i}}{self.name(op)[-1]})"  # type: ignore[arg-type]
                out.append(
                    (condition, f"for i in range(1, {len(op.calls)}):\n    {target} = {inner}")
                )
                if any(c.args != rest[0].args for c in rest):
                    raise op.fail(
                        "a repeated block whose later instances differ is not exported to Keras"
                    )
            _ = arg
        return out


def _overhang(w: Window) -> int:
    """Cells the last window of a ceil_mode pool reaches past the padded input (0 if it ends inside)."""
    return max((w.out - 1) * w.stride + w.span - w.padded, 0)


def _keras_pads(p: Padding) -> str:
    """``ZeroPadding1D``'s ``(before, after)``; ``((top, bottom), (left, right))`` and the 3-D alike."""
    return str(p.pads()[0]) if p.rank == 1 else str(p.pads())


def _keras_momentum(torch_momentum: Any) -> Any:
    """PyTorch updates running = (1 − m)·running + m·batch; Keras' momentum is the 1 − m."""
    if isinstance(torch_momentum, Sym):
        return Sym(f"1 - ({torch_momentum.src})")
    return round(1 - torch_momentum, 12)


def place(steps: tuple[Step, ...]) -> str | None:
    """The Keras layer's name for a layer's steps: block instances' names, dotted, then the layer's; None for a slice."""
    parts = []
    for op, index in steps:
        if op.kind == "sequential":
            continue  # its layers' names already start with its own (``se.fc1``)
        if op.kind in ("slice", "split"):
            return None  # ``ops`` arithmetic, not a layer
        parts.append(
            op.name
            + (
                f".{index}"
                if op.kind == "block" and getattr(op, "repeat", None) is not None
                else ""
            )
        )
    return ".".join(parts)


def _both(a: Any, b: Any) -> Any:
    """``a and b`` for flags that may be block parameters (:class:`Sym`): a
    value when one side decides it, else the expression."""
    if a is False or b is False:
        return False
    if a is True:
        return b
    if b is True:
        return a
    return Sym(f"{a.src} and {b.src}")


def _every_op(ops: list[Op]) -> list[Op]:
    """``ops`` and, in order, the children of sequentials at any depth."""
    found = []
    for op in ops:
        found.append(op)
        found += _every_op(op.children)
    return found


def write_keras(
    network: Program, blocks: list[Program], header: str
) -> tuple[str, Callable[[tuple[Step, ...]], str | None]]:
    """The whole module (header, imports, helper layers, block functions, the builder), and where layers went."""
    writer = _Writer(network)
    functions = [writer.function(p) for p in blocks] + [writer.function(network)]
    helpers = [HELPERS[name] for name in HELPERS if name in writer.helpers]
    code = "\n\n".join([*helpers, *functions])
    imports = "import keras\nfrom keras import layers"
    if "ops." in code:
        imports += ", ops"
    return header + "\n" + imports + "\n\n\n" + code, place
