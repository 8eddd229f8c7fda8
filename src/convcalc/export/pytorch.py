"""Programs written as a PyTorch module: one ``nn.Module`` per block, one for the network.

PyTorch is channels-first, so every rule here translates convcalc's
channels-last layer into its N×C×H×W counterpart, keeping parameters and
shapes equal:

* channel operations (concat, split, softmax, slices) work on dim 1;
* ``dense`` on a map is the 1×1 convolution it is (``in·units + units``
  parameters either way); ``layernorm`` on a map normalises the channels
  (``LayerNorm2d``, permuting around ``nn.LayerNorm``);
* ``flatten`` flattens in PyTorch's C·H·W order, as a hand-written PyTorch
  model does (the count is the same; the order of the features is not
  convcalc's H·W·C);
* ``same`` padding becomes ``nn.ZeroPad2d`` (``ConstantPad2d(-inf)`` before a
  max pool) with the split worked out from the input size: the extra pixel
  goes bottom/right, as in TensorFlow.

A layer with no exact counterpart (``prelu`` per element, an asymmetric
crop of a transposed convolution, …) raises :class:`ExportError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..layers.options import Padding
from .exprs import Sym, condition_names, forward_source, identifier, source
from .graph import ExportError, Op, Program, Step, Value, exclusive, implies

__all__ = ["write_pytorch"]

_ACTIVATIONS = {
    "relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()",
    "gelu": "nn.GELU()", "silu": "nn.SiLU()", "hardswish": "nn.Hardswish()", "hardsigmoid": "nn.Hardsigmoid()",
    "mish": "nn.Mish()", "identity": "nn.Identity()", "softmax": "nn.Softmax(dim=1)",
}
_RESERVED = {
    "forward", "training", "eval", "train", "apply", "to", "cuda", "cpu", "type", "float", "double", "half",
    "parameters", "buffers", "children", "modules", "state_dict", "zero_grad", "register_buffer", "add_module",
    "get_submodule", "extra_repr", "requires_grad_", "named_modules", "named_parameters", "x", "self",
}

HELPERS = {
    "LayerNorm2d": '''class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an N×C×H×W map."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
''',
    "Scale": '''class Scale(nn.Module):
    """A learned multiplier per channel (layer scale): C parameters."""

    def __init__(self, channels: int, init: float, rank: int = 3) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((channels,) + (1,) * (rank - 1), init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma
''',
    "DropPath": '''class DropPath(nn.Module):
    """Stochastic depth: drops a sample's whole branch with probability rate while training."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(1 - self.rate)
        return x * keep / (1 - self.rate)
''',
    "Normalization": '''class Normalization(nn.Module):
    """Keras' Normalization: a fixed mean and variance per channel, and its sample count."""

    def __init__(self, channels: int, rank: int = 3) -> None:
        super().__init__()
        shape = (channels,) + (1,) * (rank - 1)
        self.register_buffer("mean", torch.zeros(shape))
        self.register_buffer("variance", torch.ones(shape))
        self.register_buffer("count", torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.variance.sqrt().clamp_min(1e-7)
''',
    "Reshape": '''class Reshape(nn.Module):
    """Keras' Reshape: the numbers in channels-last order, refolded to a channels-last shape."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            x = x.permute(0, 2, 3, 1)
        x = x.reshape(x.shape[0], *self.shape)
        return x.permute(0, 3, 1, 2) if x.dim() == 4 else x
''',
}


def class_name(name: str) -> str:
    """``inverted_residual`` → ``InvertedResidual``; ``resnet50`` → ``Resnet50``."""
    parts = [p for p in identifier(name).replace("-", "_").split("_") if p]
    text = "".join(p[:1].upper() + p[1:] for p in parts) or "Net"
    return text if text[0].isalpha() else "Net" + text


def _pair(value: Any) -> str:
    return source(value)


class _Writer:
    def __init__(self, programs: list[Program], network: Program) -> None:
        self.helpers: set[str] = set()
        self.classes = {p.name: class_name(p.name) for p in programs}
        name = class_name(network.name)
        while name in self.classes.values() or name in HELPERS:
            name += "Net"
        self.classes[network.name] = name
        self.paths: dict[int, str] = {}
        """Each op's module, as a path within its class (``se.fc1``), for :meth:`place`."""

    def place(self, steps: tuple[Step, ...]) -> str | None:
        """The path of a layer's module in the network (``layer1.0.conv1``), or None if it has none."""
        parts = []
        for op, index in steps:
            if id(op) not in self.paths:
                return None
            parts.append(self.paths[id(op)])
            if op.kind == "block" and getattr(op, "repeat", None) is not None:
                parts.append(str(index))
        return ".".join(parts)

    # ------------------------------------------------------------ modules

    def module(self, op: Op, target: str = "") -> str | None:
        """Constructor source of the module for ``op``, or None for an op done in ``forward``.

        ``target`` is where it is assigned (``self.se``): a sequential of
        named layers is built there by statements, one per layer.
        """
        src = self._sequential(op, target) if op.kind == "sequential" else self._module(op)
        if src is None:
            return None
        trainable = op.trainable
        if trainable is False:
            src += ".requires_grad_(False)"
        elif isinstance(trainable, Sym):
            src += f".requires_grad_({trainable.src})"
        return src

    def _module(self, op: Op) -> str | None:
        kind, o = op.kind, op.options
        x = op.inputs[0] if op.inputs else None
        cin = source(x.channels) if x is not None and x.channels is not None else None
        if kind in ("phi", "add", "multiply", "concat", "slice", "split", "rescaling"):
            return None
        if kind == "block":
            made = [self._call(op.block, call) for call in op.calls]  # type: ignore[arg-type]
            if getattr(op, "repeat", None) is None:
                return made[0]
            rest = made[1:]
            if len(rest) > 2 and len(set(rest)) == 1:
                return f"nn.Sequential(\n    {made[0]},\n    *[{rest[0]} for _ in range({len(rest)})],\n)"
            return "nn.Sequential(\n" + "".join(f"    {m},\n" for m in made) + ")"
        if kind in _ACTIVATIONS:
            return _ACTIVATIONS[kind]
        needs = ("conv", "batchnorm", "layernorm", "groupnorm", "instancenorm", "dense", "prelu", "scale", "normalization")
        if cin is None and kind.startswith(needs):
            raise op.fail("its input size is not known to the exporter (a flatten inside a block whose instances differ?)")
        n = _spatial(kind)  # 1, 2 or 3 for a kind of that many spatial axes
        if kind.startswith("conv_transpose"):
            return self._conv_transpose(op, cin)  # type: ignore[arg-type]
        if kind.startswith("conv"):
            return self._conv(op, cin)  # type: ignore[arg-type]
        if kind.startswith(("maxpool", "avgpool")):
            return self._pool(op)
        if kind.startswith("adaptive_"):
            what = "Avg" if kind.startswith("adaptive_avg") else "Max"
            return f"nn.Adaptive{what}Pool{n}d({_pair(o['output_size'])})"
        if kind.startswith("global_"):
            what = "Avg" if kind.startswith("global_avg") else "Max"
            if o.get("keepdims"):
                return f"nn.Adaptive{what}Pool{n}d(1)"
            return f"nn.Sequential(nn.Adaptive{what}Pool{n}d(1), nn.Flatten())"
        if kind.startswith("zeropad"):
            p = o["padding"]
            if isinstance(p, Sym):
                if n != 1:  # a list would be in convcalc's axis order, not PyTorch's last-axis-first
                    raise op.fail("a zero padding computed from block parameters is exported only as one number; write the sides out")
                return f"nn.ZeroPad{n}d({p.src})"
            return f"nn.ZeroPad{n}d({_sides(p)})"
        if kind.startswith("batchnorm"):
            scale, center = o.get("scale", True), o.get("center", True)  # Keras' γ and β flags
            if o.get("affine", True) is not False and (scale is not True or center is not True):
                raise op.fail(
                    "batch norm that learns only γ or only β (Keras' scale or center false) has no PyTorch "
                    "counterpart: nn.BatchNorm's affine learns both or neither"
                )
            # N×C and N×C×L are BatchNorm1d's; a kind's own rank otherwise (batchnorm2d is used on vectors too)
            dims = {1: 1, 2: 1, 3: 2, 4: 3}[x.rank]  # type: ignore[union-attr]
            return f"nn.BatchNorm{dims}d({cin}{_keywords(o, eps=1e-5, momentum=0.1, affine=True)})"
        if kind == "layernorm":
            extra = _keywords({"eps": o.get("eps", 1e-5), "elementwise_affine": o.get("affine", True)}, eps=1e-5, elementwise_affine=True)
            if x.rank == 3:  # type: ignore[union-attr]
                self.helpers.add("LayerNorm2d")
                return f"LayerNorm2d({cin}{extra})"
            if x.rank != 1:  # type: ignore[union-attr]
                raise op.fail("layer norm over the channels of a 1-D or 3-D map is not exported (PyTorch's nn.LayerNorm normalises the last axis)")
            return f"nn.LayerNorm({cin}{extra})"
        if kind == "groupnorm":
            return f"nn.GroupNorm({source(o['groups'])}, {cin}{_keywords(o, eps=1e-5, affine=True, groups=None)})"
        if kind == "instancenorm":
            if x.rank != 3:  # type: ignore[union-attr]
                raise op.fail("instance norm is exported for 2-D maps only")
            return f"nn.InstanceNorm2d({cin}{_keywords(o, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False)})"
        if kind == "normalization":
            self.helpers.add("Normalization")
            return f"Normalization({cin}{'' if x.rank == 3 else f', rank={x.rank}'})"  # type: ignore[union-attr]
        if kind == "dense":
            bias = "" if o.get("bias", True) is True else f", bias={source(o['bias'])}"
            if x.rank > 1:  # type: ignore[union-attr]
                return f"nn.Conv{x.rank - 1}d({cin}, {source(o['units'])}, 1{bias})"  # type: ignore[union-attr]  # dense on a map: a 1×1 convolution
            return f"nn.Linear({cin}, {source(o['units'])}{bias})"
        if kind == "flatten":
            return "nn.Flatten()"
        if kind == "reshape":
            self.helpers.add("Reshape")
            return f"Reshape({', '.join(map(str, o['shape']))})"
        if kind == "dropout":
            return f"nn.Dropout({source(o.get('rate', 0.5))})"
        if kind == "drop_path":
            self.helpers.add("DropPath")
            return f"DropPath({source(o.get('rate', 0.0))})"
        if kind == "leaky_relu":
            return f"nn.LeakyReLU({source(o.get('negative_slope', 0.01))})"
        if kind == "elu":
            return f"nn.ELU({source(o.get('alpha', 1.0))})"
        if kind == "softplus":
            return f"nn.Softplus({_keywords(o, beta=1.0, threshold=20.0)[2:]})"
        if kind == "prelu":
            per = o.get("per", "tensor")
            if per == "element":
                raise op.fail("prelu with one slope per element has no PyTorch counterpart (nn.PReLU learns one per tensor or per channel)")
            if isinstance(per, Sym):
                raise op.fail("prelu's 'per' computed from block parameters is not exported")
            return "nn.PReLU()" if per == "tensor" else f"nn.PReLU({cin})"
        if kind == "scale":
            self.helpers.add("Scale")
            return f"Scale({cin}, {source(o.get('init', 1.0))}{'' if x.rank == 3 else f', rank={x.rank}'})"  # type: ignore[union-attr]
        if kind == "upsample":
            return self._upsample(op)
        if kind == "channel_shuffle":
            return f"nn.ChannelShuffle({source(o['groups'])})"
        if kind == "pixel_shuffle":
            return f"nn.PixelShuffle({source(o['factor'])})"
        if kind == "pixel_unshuffle":
            return f"nn.PixelUnshuffle({source(o['factor'])})"
        raise op.fail(f"{kind} has no PyTorch counterpart in convcalc's exporter")

    def _call(self, block: str, call: Any) -> str:
        args = [source(call.in_channels)] + [f"{identifier(k)}={source(v)}" for k, v in call.args]
        return f"{self.classes[block]}({', '.join(args)})"

    def _sequential(self, op: Op, target: str) -> str:
        """``nn.Sequential(a, b, …)`` for layers 0, 1, 2, …; else built by statements that keep the names.

        ``nn.Sequential`` runs its modules in the order they were added, so
        ``self.se = nn.Sequential()`` followed by ``self.se.fc1 = …`` reads
        as the file does without ``OrderedDict`` (which the generated code
        would have to import).
        """
        for child in op.children:
            self.paths[id(child)] = child.local  # as an attribute (only when legal as it is) or a key of add_module
        if not _statements(op):
            body = "".join(f"    {_indent(self.module(child))},\n" for child in op.children)  # type: ignore[arg-type]
            return f"nn.Sequential(\n{body})"
        if not target:  # callers pass one wherever a named sequential can be (not in a numbered chain or a repeat)
            raise AssertionError(f"unreachable: no attribute to build {op.name!r} in")
        lines = ["nn.Sequential()"]
        for i, child in enumerate(op.children):
            if _legal(op):
                at = f"{target}.{_attr(child.local)}"
                lines.append(f"{at} = {self.module(child, at)}")
            else:
                lines.append(f"{target}.add_module({child.local!r}, {self.module(child, f'{target}[{i}]')})")
        return "\n".join(lines)

    def _conv(self, op: Op, cin: str) -> str:
        o = op.options
        n = _spatial(op.kind)
        args = [cin, source(o["filters"]), source(o["kernel"])]
        if not _ones(o.get("stride", 1)):
            args.append(f"stride={source(o['stride'])}")
        pad, wrapper = self._padding(op, f"nn.ZeroPad{n}d")
        if pad:
            args.append(f"padding={pad}")
        if not _ones(o.get("dilation", 1)):
            args.append(f"dilation={source(o['dilation'])}")
        if o.get("groups", 1) != 1:
            args.append(f"groups={source(o['groups'])}")
        if o.get("bias", True) is not True:
            args.append(f"bias={source(o['bias'])}")
        conv = f"nn.Conv{n}d({', '.join(args)})"
        return f"nn.Sequential({wrapper}, {conv})" if wrapper else conv

    def _padding(self, op: Op, pad_module: str, limit: bool = False) -> tuple[str, str | None]:
        """The ``padding=`` argument and, if it cannot say it, a padding module to put first."""
        p = op.options.get("padding", Padding("explicit"))
        if isinstance(p, Sym):
            return p.src, None
        if p.mode != "explicit":
            p = _resolved(op, p)
        if p.is_symmetric:
            kernel = op.options.get("kernel")
            # PyTorch's pools take at most half the window as padding
            if limit and isinstance(kernel, tuple) and any(before > k // 2 for (before, _), k in zip(p.pads(), kernel)):
                return "", f"{pad_module}({_sides(p)})"
            pad = source(tuple(before for before, _ in p.pads()))
            return ("" if pad == "0" else pad), None
        return "", f"{pad_module}({_sides(p)})"

    def _pool(self, op: Op) -> str:
        o = op.options
        n = _spatial(op.kind)
        what = "Max" if op.kind.startswith("max") else "Avg"
        args = [source(o["kernel"])]
        if o.get("stride") is not None:
            args.append(f"stride={source(o['stride'])}")
        given = o.get("padding", Padding("explicit"))
        mode = given.mode if isinstance(given, Padding) else "explicit"
        pad_module = f"nn.ConstantPad{n}d({{}}, float('-inf'))" if what == "Max" else f"nn.ZeroPad{n}d({{}})"
        pad, wrapper = self._padding(op, "PAD", limit=True)
        if wrapper:
            if o.get("ceil_mode"):
                raise op.fail("uneven padding with ceil_mode has no exact PyTorch counterpart")
            if what == "Avg" and (mode == "same" or not o.get("count_include_pad", True)):
                raise op.fail("average pooling over uneven padding that excludes the padded pixels has no PyTorch counterpart")
            wrapper = pad_module.format(wrapper[4:-1])
        if pad:
            args.append(f"padding={pad}")
        if what == "Max" and not _ones(o.get("dilation", 1)):
            args.append(f"dilation={source(o['dilation'])}")
        if o.get("ceil_mode"):
            args.append("ceil_mode=True")
        if what == "Avg" and ((mode == "same" and pad) or o.get("count_include_pad", True) is not True):
            args.append("count_include_pad=False")  # Keras' same averages over the real pixels only
        pool = f"nn.{what}Pool{n}d({', '.join(args)})"
        return f"nn.Sequential({wrapper}, {pool})" if wrapper else pool

    def _conv_transpose(self, op: Op, cin: str) -> str:
        o = op.options
        spec, shape = _concrete(op)
        p = o.get("padding", Padding("explicit"))
        out_pad = o.get("output_padding", 0)
        if isinstance(p, Padding) and p.mode != "explicit":
            if spec is None or shape is None:
                raise op.fail(f"padding {p.mode!r} of a transposed convolution needs the input size, which this block's instances do not share")
            axes = spec.axes(shape)
            p = Padding.of([(a.pad_before, a.pad_after) for a in axes])
            out_pad = tuple(a.output_padding for a in axes)
        if isinstance(p, Padding) and not p.is_symmetric:
            raise op.fail("a transposed convolution cropping unevenly has no exact PyTorch counterpart (its padding crops both sides alike)")
        args = [cin, source(o["filters"]), source(o["kernel"])]
        if not _ones(o.get("stride", 1)):
            args.append(f"stride={source(o['stride'])}")
        pad = p.src if isinstance(p, Sym) else source(tuple(before for before, _ in p.pads()))
        if pad != "0":
            args.append(f"padding={pad}")
        if source(out_pad) != "0":
            args.append(f"output_padding={source(out_pad)}")
        if o.get("groups", 1) != 1:
            args.append(f"groups={source(o['groups'])}")
        if not _ones(o.get("dilation", 1)):
            args.append(f"dilation={source(o['dilation'])}")
        if o.get("bias", True) is not True:
            args.append(f"bias={source(o['bias'])}")
        return f"nn.ConvTranspose{_spatial(op.kind)}d({', '.join(args)})"

    def _upsample(self, op: Op) -> str:
        o = op.options
        args = []
        if o.get("size") is not None:
            args.append(f"size={_tuple(o['size'])}")
        else:
            args.append(f"scale_factor={_tuple(o['scale'])}")
        if o.get("mode", "nearest") != "nearest":
            args.append(f"mode={source(o['mode'])}")
        if o.get("align_corners"):
            args.append("align_corners=True")
        return f"nn.Upsample({', '.join(args)})"

    # ------------------------------------------------------------ classes

    def write_class(self, program: Program) -> str:
        name = self.classes[program.name]
        ops = program.ops
        conditions = [op.condition for op in ops if op.condition] + [op.outer for op in ops if op.outer]
        stored = list(dict.fromkeys(n for c in conditions for n in condition_names(c)))
        init: list[tuple[str | None, str]] = [(None, f"self.{identifier(n)} = {identifier(n)}") for n in stored]
        holders: set[str] = set()
        attrs: dict[int, str] = {}
        numbered = _numbered_chain(program)
        for op in ops:
            path = [_attr(part) for part in op.owner]
            attr = op.local if numbered else ".".join([*path, _attr(op.local)])
            made = self.module(op, f"self.{attr}")
            if made is None:
                continue
            for i in range(len(path)):
                holder = ".".join(path[: i + 1])
                if holder not in holders:
                    holders.add(holder)
                    init.append((None, f"self.{holder} = nn.Module()"))
            attrs[id(op)] = attr
            self.paths[id(op)] = attr
            init.append((op.condition, f"self.{attr} = {made}"))
        signature = ""
        if program.is_block:
            params = ["in_channels: int"] + [f"{identifier(k)}: {type(v).__name__} = {v!r}" for k, v in program.params.items()]
            signature = ", " + ", ".join(params)
            if len(signature) > 80:
                signature = ",\n        ".join(["", *params]) + ",\n    "
        doc = f'    """Block {program.name!r} of the file."""\n\n' if program.is_block else ""
        opening = f"\n        self{signature}" if signature.startswith(",\n") else f"self{signature}"
        if numbered:  # torchvision's style for numbered layers: the block is an nn.Sequential
            made = "".join(f"            {_indent(_indent(self.module(op)))},\n" for op in ops)  # type: ignore[arg-type]
            return f"class {name}(nn.Sequential):\n{doc}    def __init__({opening}) -> None:\n        super().__init__(\n{made}        )\n"
        forward = _Forward(program, attrs).lines()
        text = f"class {name}(nn.Module):\n{doc}    def __init__({opening}) -> None:\n        super().__init__()\n"
        text += _blocks(init, 2, lambda c: c)
        text += "\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
        text += _blocks(forward, 2, forward_source)
        return text


def _numbered_chain(program: Program) -> bool:
    """Whether the program is layers 0, 1, 2, … each reading the one before, with no conditions."""
    current = program.input
    for i, op in enumerate(program.ops):
        if op.local != str(i) or op.condition or op.owner or op.inputs != [current] or op.kind in _INLINE or _statements(op):
            return False
        current = op.outputs[-1]
    return bool(program.ops) and current is program.output


_INLINE = ("phi", "add", "multiply", "concat", "slice", "split", "rescaling")


def _statements(op: Op) -> bool:
    """Whether a sequential is built by statements: its layers (or those of one inside it) are named."""
    if op.kind != "sequential":
        return False
    numbered = [child.local for child in op.children] == [str(i) for i in range(len(op.children))]
    return not numbered or any(_statements(child) for child in op.children)


def _legal(op: Op) -> bool:
    """Whether a sequential's layers can be attributes (``self.se.fc1``), else ``add_module("0", …)``."""
    return all(child.local.isidentifier() and _attr(child.local) == child.local for child in op.children)


def _attr(name: str) -> str:
    text = identifier(name)
    return text + "_" if text in _RESERVED else text


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")


def _tuple(value: Any) -> str:
    if isinstance(value, Sym):
        return value.src
    a, b = value
    return repr(a) if a == b else f"({a!r}, {b!r})"


def _sides(p: Padding) -> str:
    """PyTorch's padding sides, last axis first: ZeroPad2d's (left, right, top, bottom); one number when all agree."""
    sides = tuple(side for pair in reversed(p.pads()) for side in pair)
    return str(sides[0]) if len(set(sides)) == 1 else str(sides)


def _spatial(kind: str) -> int:
    """The spatial axes a kind works on: ``conv3d`` → 3; 2 for kinds without a suffix."""
    return int(kind[-2]) if kind[-1:] == "d" and kind[-2:-1] in ("1", "2", "3") else 2


def _ones(value: Any) -> bool:
    """Whether a stride or dilation is 1 along every axis (PyTorch's default)."""
    return not isinstance(value, Sym) and all(v == 1 for v in (value if isinstance(value, tuple) else (value,)))


def _keywords(options: dict[str, Any], **defaults: Any) -> str:
    out = []
    for key, default in defaults.items():
        if key in options and default is not None and options[key] != default:
            out.append(f"{key}={source(options[key])}")
    return "".join(f", {item}" for item in out)


def _resolved(op: Op, p: Padding) -> Padding:
    """``same``/``valid`` as the four numbers they come to, the same in every instance, or an error."""
    if p.mode == "valid":
        return Padding("explicit")
    from ..layers import make_layer

    geometry = {k: v for k, v in op.options.items() if k in ("kernel", "stride", "dilation", "padding", "ceil_mode")}
    known = not any(isinstance(v, Sym) for v in geometry.values())
    spec = make_layer(op.kind, {**geometry, **({"filters": 1} if "conv" in op.kind else {})}) if known else None
    shapes = set(op.inputs[0].shapes or ())
    if spec is not None and shapes:
        found = set()
        for shape in shapes:
            found.add(Padding.of([(w.pad_before, w.pad_after) for w in spec.windows(shape)]))
        if len(found) == 1:
            return found.pop()
    raise op.fail(
        f"padding {p.mode!r} comes to different pixels in different instances of this block (it depends on the input size); "
        "give the padding as numbers"
    )


def _concrete(op: Op) -> tuple[Any, Any]:
    try:
        spec = op.spec
    except Exception:
        spec = None
    return spec, op.inputs[0].shape()


def _blocks(lines: list[tuple[str | None, str]], depth: int, render: Any) -> str:
    """Lines under their conditions: consecutive lines with one condition share an ``if``."""
    out = []
    pad = "    " * depth
    current: str | None = None
    for condition, line in lines:
        if condition != current:
            if condition is not None:
                out.append(f"{pad}if {render(condition)}:")
            current = condition
        indent = pad + ("    " if condition is not None else "")
        out.extend(indent + part for part in line.split("\n"))
    return "\n".join(out) + "\n"


OWN = "\x00"
"""In an expression that takes several statements (``a(x)\\n<OWN> = b(<OWN>)``), the statement's own variable."""


class _Forward:
    """``forward``'s statements, reusing a variable once its value is dead."""

    def __init__(self, program: Program, attrs: dict[int, str]) -> None:
        self.program = program
        self.attrs = attrs
        self.render = forward_source
        """How a condition reads in the statements (``self.stride == 2``)."""
        self.var: dict[int, str] = {id(program.input): "x"}
        self.uses: dict[int, list[tuple[int, Op]]] = {}
        for i, op in enumerate(program.ops):
            for value in op.inputs:
                self.uses.setdefault(id(value), []).append((i, op))
        self.uses.setdefault(id(program.output), []).append((len(program.ops), Op("output", "", "", (), [], [])))
        self.copies: dict[int, str] = {}
        """Phis whose ``if`` works on a copy of the value it may skip to: the copy's variable."""

    def _needed(self, key: int, i: int, condition: str | None) -> bool:
        """Whether a reader after op ``i`` needs value ``key`` while ``condition`` holds."""
        for j, reader in self.uses.get(key, []):
            if j <= i:
                continue
            if condition is not None and reader.condition is not None:
                if reader.kind == "phi" and id(reader.inputs[1]) == key:
                    if implies(condition, reader.condition):
                        continue  # the phi reads it only when its condition fails
                elif exclusive(condition, reader.condition):
                    continue  # the reader runs only when this condition fails
            return True
        return False

    def _closing(self, i: int, op: Op) -> list[Op]:
        """The phis that close the ``if`` op ``i`` opens, skipping back to op ``i``'s input."""
        return [
            p for p in self.program.ops[i + 1 :]
            if p.kind == "phi" and p.condition == op.condition and p.inputs[1] is op.inputs[0] and id(p.outputs[0]) in self.uses
        ]

    def _copy(self, i: int, op: Op, args: list[str]) -> str | None:
        """A variable to copy op ``i``'s input into before an ``if`` that may skip it, when the input is still needed.

        ``out = x`` then ``if …: out = self.expand(out)`` reads better than
        ``out = out if … else x`` after the ``if``.
        """
        if op.condition is None or not op.inputs or not self._busy(args[0], i, op.condition):
            return None
        closing = self._closing(i, op)
        if not closing or any(id(p) in self.copies for p in closing):
            return None
        end = self.program.ops.index(closing[-1])
        if not self._needed(id(op.inputs[0]), end, op.condition):
            return None  # busy only inside the ``if``: no copy needed
        name = self._fresh("", i, closing[-1].outer, tuple(args))
        for p in closing:
            self.copies[id(p)] = name
        return name

    def _target(self, i: int, op: Op, args: list[str]) -> str | None:
        """The variable a phi will read its value from, when op ``i`` makes that value and may write there."""
        for _, reader in self.uses.get(id(op.outputs[0]), []):
            if reader.kind == "phi" and reader.inputs[0] is op.outputs[0] and reader.condition == op.condition and id(reader.outputs[0]) in self.uses:
                name = self.copies.get(id(reader)) or self.var[id(reader.inputs[1])]
                if not self._busy(name, i, op.condition):
                    return name
        return None

    def _busy(self, name: str, i: int, condition: str | None) -> bool:
        """Whether variable ``name`` holds a value still needed after op ``i``."""
        return any(var == name and self._needed(key, i, condition) for key, var in self.var.items())

    def _fresh(self, hint: str, i: int, condition: str | None, taken: tuple[str, ...] = ()) -> str:
        candidates = ["out", identifier(hint)] if hint else ["out"]
        candidates += [f"out{n}" for n in range(1, len(self.program.ops) + 2)]
        for name in candidates:
            if name not in ("self", "torch", "nn", *taken) and not self._busy(name, i, condition) and name not in _RESERVED - {"x"}:
                return name
        raise AssertionError("unreachable: more variables than ops")

    def _reusable(self, value: Value, i: int, condition: str | None) -> str | None:
        name = self.var[id(value)]
        return None if self._busy(name, i, condition) else name

    def lines(self) -> list[tuple[str | None, str]]:
        out: list[tuple[str | None, str]] = []
        for i, op in enumerate(self.program.ops):
            args = [self.var[id(v)] for v in op.inputs]
            if op.kind == "phi":
                inner, outer = args
                value = op.outputs[0]
                if id(value) not in self.uses:  # folded into a later phi
                    continue
                if id(op) in self.copies:
                    name = self.copies[id(op)]
                    if inner != name:
                        out.append((op.condition, f"{name} = {inner}"))
                    self.var[id(value)] = name
                elif inner == outer:
                    self.var[id(value)] = inner
                elif not self._busy(outer, i, None):
                    out.append((op.condition, f"{outer} = {inner}"))
                    self.var[id(value)] = outer
                else:
                    name = self._fresh("", i, op.outer)
                    out.append((op.outer, f"{name} = {inner} if {self.render(op.condition)} else {outer}"))  # type: ignore[arg-type]
                    self.var[id(value)] = name
                continue
            copy = self._copy(i, op, args)
            if copy is not None:
                out.append((self._closing(i, op)[-1].outer, f"{copy} = {args[0]}"))
                args[0] = copy
            if op.kind == "split":
                names: list[str] = []
                for k in range(len(op.outputs)):
                    names.append(self._fresh(f"{op.local}_{k}", i, op.condition, tuple(names)))
                again = copy or self._reusable(op.inputs[0], i, op.condition)
                if again is not None and again not in names:
                    names[-1] = again
                out.append((op.condition, f"{', '.join(names)} = {self._split(op, args[0])}"))
                for value, name in zip(op.outputs, names):
                    self.var[id(value)] = name
                continue
            expression = self._expression(op, args)
            name = copy or self._target(i, op, args) or (self._reusable(op.inputs[0], i, op.condition) if args else None)
            if name is None:
                name = self._fresh(op.local, i, op.condition)
            out.append((op.condition, f"{name} = {expression}".replace(OWN, name)))
            self.var[id(op.outputs[0])] = name
        out.append((None, f"return {self.var[id(self.program.output)]}"))
        return out

    def _split(self, op: Op, arg: str) -> str:
        parts = op.options["parts"]
        return f"{arg}.chunk({parts}, dim=1)" if parts else f"{arg}.split({list(op.options['sizes'])}, dim=1)"

    def _expression(self, op: Op, args: list[str]) -> str:
        if op.kind == "add":
            return " + ".join(args)
        if op.kind == "multiply":
            return " * ".join(args)
        if op.kind == "concat":
            return f"torch.cat([{', '.join(args)}], dim=1)"
        if op.kind == "rescaling":
            o = op.options
            return f"{args[0]} * {source(o.get('scale', 1.0))} + {source(o.get('offset', 0.0))}"
        if op.kind == "slice":
            o = op.options
            if o.get("chunks") is not None:
                return f"{args[0]}.chunk({source(o['chunks'])}, dim=1)[{source(o['chunk'])}]"
            stop = "" if o.get("stop") is None else source(o["stop"])
            start = "" if not o.get("start") else source(o["start"])
            return f"{args[0]}[:, {start}:{stop}]"
        return f"self.{self.attrs[id(op)]}({args[0]})"


def write_pytorch(network: Program, blocks: list[Program], header: str) -> tuple[str, Callable[[tuple[Step, ...]], str | None]]:
    """The whole module's text (header, imports, helpers, block classes, the network class), and where layers went.

    The second result turns a layer's steps (:func:`~convcalc.export.graph.placements`)
    into its module's path in the network, or None.
    """
    writer = _Writer(blocks, network)
    classes = [writer.write_class(p) for p in blocks] + [writer.write_class(network)]
    imports = "import torch\nfrom torch import nn\n"
    helpers = [HELPERS[name] for name in HELPERS if name in writer.helpers]
    return header + "\n" + imports + "\n\n" + "\n\n".join([*helpers, *classes]), writer.place


_ = ExportError  # raised through Op.fail
