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

from typing import Any

from ..layers.options import Padding
from .exprs import Sym, condition_names, forward_source, identifier, source
from .graph import ExportError, Op, Program, Value

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
        self.ordered_dict = False

    # ------------------------------------------------------------ modules

    def module(self, op: Op) -> str | None:
        """Constructor source of the module for ``op``, or None for an op done in ``forward``."""
        src = self._module(op)
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
        if kind == "sequential":
            return self._sequential(op)
        if kind in _ACTIVATIONS:
            return _ACTIVATIONS[kind]
        needs = ("conv2d", "conv_transpose2d", "batchnorm2d", "layernorm", "groupnorm", "instancenorm", "dense", "prelu", "scale", "normalization")
        if cin is None and kind in needs:
            raise op.fail("its input size is not known to the exporter (a flatten inside a block whose instances differ?)")
        if kind == "conv2d":
            return self._conv(op, cin)  # type: ignore[arg-type]
        if kind == "conv_transpose2d":
            return self._conv_transpose(op, cin)  # type: ignore[arg-type]
        if kind in ("maxpool2d", "avgpool2d"):
            return self._pool(op)
        if kind in ("adaptive_avgpool2d", "adaptive_maxpool2d"):
            what = "Avg" if kind == "adaptive_avgpool2d" else "Max"
            return f"nn.Adaptive{what}Pool2d({_pair(o['output_size'])})"
        if kind in ("global_avgpool2d", "global_maxpool2d"):
            what = "Avg" if kind == "global_avgpool2d" else "Max"
            if o.get("keepdims"):
                return f"nn.Adaptive{what}Pool2d(1)"
            return f"nn.Sequential(nn.Adaptive{what}Pool2d(1), nn.Flatten())"
        if kind == "zeropad2d":
            p = o["padding"]
            if isinstance(p, Sym):
                return f"nn.ZeroPad2d({p.src})"
            return f"nn.ZeroPad2d({_sides(p)})"
        if kind == "batchnorm2d":
            return f"nn.BatchNorm{'2' if x.rank == 3 else '1'}d({cin}{_keywords(o, eps=1e-5, momentum=0.1, affine=True)})"  # type: ignore[union-attr]
        if kind == "layernorm":
            extra = _keywords({"eps": o.get("eps", 1e-5), "elementwise_affine": o.get("affine", True)}, eps=1e-5, elementwise_affine=True)
            if x.rank == 3:  # type: ignore[union-attr]
                self.helpers.add("LayerNorm2d")
                return f"LayerNorm2d({cin}{extra})"
            return f"nn.LayerNorm({cin}{extra})"
        if kind == "groupnorm":
            return f"nn.GroupNorm({source(o['groups'])}, {cin}{_keywords(o, eps=1e-5, affine=True, groups=None)})"
        if kind == "instancenorm":
            return f"nn.InstanceNorm2d({cin}{_keywords(o, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False)})"
        if kind == "normalization":
            self.helpers.add("Normalization")
            return f"Normalization({cin}{'' if x.rank == 3 else ', rank=1'})"  # type: ignore[union-attr]
        if kind == "dense":
            bias = "" if o.get("bias", True) is True else f", bias={source(o['bias'])}"
            if x.rank == 3:  # type: ignore[union-attr]
                return f"nn.Conv2d({cin}, {source(o['units'])}, 1{bias})"  # dense on a map: a 1×1 convolution
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
            return f"Scale({cin}, {source(o.get('init', 1.0))}{'' if x.rank == 3 else ', rank=1'})"  # type: ignore[union-attr]
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

    def _sequential(self, op: Op) -> str:
        made = [(child.local, self.module(child)) for child in op.children]
        if [name for name, _ in made] == [str(i) for i in range(len(made))]:
            body = "".join(f"    {_indent(src)},\n" for _, src in made)
            return f"nn.Sequential(\n{body})"
        self.ordered_dict = True
        body = "".join(f"    ({name!r}, {_indent(src)}),\n" for name, src in made)
        return f"nn.Sequential(OrderedDict([\n{body}]))"

    def _conv(self, op: Op, cin: str) -> str:
        o = op.options
        args = [cin, source(o["filters"]), source(o["kernel"])]
        if o.get("stride", (1, 1)) != (1, 1):
            args.append(f"stride={source(o['stride'])}")
        pad, wrapper = self._padding(op, "nn.ZeroPad2d")
        if pad:
            args.append(f"padding={pad}")
        for key, default in (("dilation", (1, 1)), ("groups", 1)):
            if o.get(key, default) != default:
                args.append(f"{key}={source(o[key])}")
        if o.get("bias", True) is not True:
            args.append(f"bias={source(o['bias'])}")
        conv = f"nn.Conv2d({', '.join(args)})"
        return f"nn.Sequential({wrapper}, {conv})" if wrapper else conv

    def _padding(self, op: Op, pad_module: str, limit: bool = False) -> tuple[str, str | None]:
        """The ``padding=`` argument and, if it cannot say it, a padding module to put first."""
        p = op.options.get("padding", Padding("explicit"))
        if isinstance(p, Sym):
            return p.src, None
        if p.mode != "explicit":
            p = _resolved(op, p)
        if p.top == p.bottom and p.left == p.right:
            kernel = op.options.get("kernel")
            if limit and isinstance(kernel, tuple) and (p.top > kernel[0] // 2 or p.left > kernel[1] // 2):
                return "", f"{pad_module}({_sides(p)})"
            pad = source((p.top, p.left))
            return ("" if pad == "0" else pad), None
        return "", f"{pad_module}({_sides(p)})"

    def _pool(self, op: Op) -> str:
        o = op.options
        what = "Max" if op.kind == "maxpool2d" else "Avg"
        args = [source(o["kernel"])]
        if o.get("stride") is not None:
            args.append(f"stride={source(o['stride'])}")
        given = o.get("padding", Padding("explicit"))
        mode = given.mode if isinstance(given, Padding) else "explicit"
        pad_module = "nn.ConstantPad2d({}, float('-inf'))" if what == "Max" else "nn.ZeroPad2d({})"
        pad, wrapper = self._padding(op, "PAD", limit=True)
        if wrapper:
            if o.get("ceil_mode"):
                raise op.fail("uneven padding with ceil_mode has no exact PyTorch counterpart")
            if what == "Avg" and (mode == "same" or not o.get("count_include_pad", True)):
                raise op.fail("average pooling over uneven padding that excludes the padded pixels has no PyTorch counterpart")
            wrapper = pad_module.format(wrapper[4:-1])
        if pad:
            args.append(f"padding={pad}")
        if what == "Max" and o.get("dilation", (1, 1)) != (1, 1):
            args.append(f"dilation={source(o['dilation'])}")
        if o.get("ceil_mode"):
            args.append("ceil_mode=True")
        if what == "Avg" and ((mode == "same" and pad) or o.get("count_include_pad", True) is not True):
            args.append("count_include_pad=False")  # Keras' same averages over the real pixels only
        pool = f"nn.{what}Pool2d({', '.join(args)})"
        return f"nn.Sequential({wrapper}, {pool})" if wrapper else pool

    def _conv_transpose(self, op: Op, cin: str) -> str:
        o = op.options
        spec, shape = _concrete(op)
        p = o.get("padding", Padding("explicit"))
        out_pad = o.get("output_padding", (0, 0))
        if isinstance(p, Padding) and p.mode != "explicit":
            if spec is None or shape is None:
                raise op.fail(f"padding {p.mode!r} of a transposed convolution needs the input size, which this block's instances do not share")
            ah, aw = spec.axes(shape)
            p = Padding("explicit", ah.pad_before, ah.pad_after, aw.pad_before, aw.pad_after)
            out_pad = (ah.output_padding, aw.output_padding)
        if isinstance(p, Padding) and (p.top != p.bottom or p.left != p.right):
            raise op.fail("a transposed convolution cropping unevenly has no exact PyTorch counterpart (its padding crops both sides alike)")
        args = [cin, source(o["filters"]), source(o["kernel"])]
        if o.get("stride", (1, 1)) != (1, 1):
            args.append(f"stride={source(o['stride'])}")
        pad = p.src if isinstance(p, Sym) else source((p.top, p.left))
        if pad != "0":
            args.append(f"padding={pad}")
        if out_pad != (0, 0):
            args.append(f"output_padding={source(out_pad)}")
        for key, default in (("groups", 1), ("dilation", (1, 1))):
            if o.get(key, default) != default:
                args.append(f"{key}={source(o[key])}")
        if o.get("bias", True) is not True:
            args.append(f"bias={source(o['bias'])}")
        return f"nn.ConvTranspose2d({', '.join(args)})"

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
        for op in ops:
            made = self.module(op)
            if made is None:
                continue
            path = [_attr(part) for part in op.owner]
            for i in range(len(path)):
                holder = ".".join(path[: i + 1])
                if holder not in holders:
                    holders.add(holder)
                    init.append((None, f"self.{holder} = nn.Module()"))
            attr = ".".join([*path, _attr(op.local)])
            attrs[id(op)] = attr
            init.append((op.condition, f"self.{attr} = {made}"))
        signature = ""
        if program.is_block:
            params = ["in_channels: int"] + [f"{identifier(k)}: {type(v).__name__} = {v!r}" for k, v in program.params.items()]
            signature = ", " + ", ".join(params)
            if len(signature) > 80:
                signature = ",\n        " + ",\n        ".join(params) + ",\n    "
        doc = f'    """Block {program.name!r} of the file."""\n\n' if program.is_block else ""
        if _numbered_chain(program):  # torchvision's style for numbered layers: the block is an nn.Sequential
            made = "".join(f"            {_indent(_indent(self.module(op)))},\n" for op in ops)  # type: ignore[arg-type]
            return f"class {name}(nn.Sequential):\n{doc}    def __init__(self{signature}) -> None:\n        super().__init__(\n{made}        )\n"
        forward = _Forward(program, attrs).lines()
        text = f"class {name}(nn.Module):\n{doc}    def __init__(self{signature}) -> None:\n        super().__init__()\n"
        text += _blocks(init, 2, lambda c: c)
        text += "\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
        text += _blocks(forward, 2, forward_source)
        return text


def _numbered_chain(program: Program) -> bool:
    """Whether the program is layers 0, 1, 2, … each reading the one before, with no conditions."""
    current = program.input
    for i, op in enumerate(program.ops):
        if op.local != str(i) or op.condition or op.owner or op.inputs != [current] or op.kind in _INLINE:
            return False
        current = op.outputs[-1]
    return bool(program.ops) and current is program.output


_INLINE = ("phi", "add", "multiply", "concat", "slice", "split", "rescaling")


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
    """ZeroPad2d's (left, right, top, bottom), or one number when all agree."""
    sides = (p.left, p.right, p.top, p.bottom)
    return str(sides[0]) if len(set(sides)) == 1 else str(sides)


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
            wh, ww = spec.windows(shape)
            found.add(Padding("explicit", wh.pad_before, wh.pad_after, ww.pad_before, ww.pad_after))
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

    def _needed(self, key: int, i: int, condition: str | None) -> bool:
        """Whether a reader after op ``i`` needs value ``key`` while ``condition`` holds."""
        for j, reader in self.uses.get(key, []):
            if j <= i:
                continue
            if condition is not None and reader.kind == "phi" and id(reader.inputs[1]) == key and reader.condition == condition:
                continue  # the phi reads it only when the condition fails
            return True
        return False

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
                if inner == outer:
                    self.var[id(value)] = inner
                elif not self._busy(outer, i, None):
                    out.append((op.condition, f"{outer} = {inner}"))
                    self.var[id(value)] = outer
                else:
                    name = self._fresh("", i, op.outer)
                    out.append((op.outer, f"{name} = {inner} if {self.render(op.condition)} else {outer}"))  # type: ignore[arg-type]
                    self.var[id(value)] = name
                continue
            if op.kind == "split":
                names: list[str] = []
                for k in range(len(op.outputs)):
                    names.append(self._fresh(f"{op.local}_{k}", i, op.condition, tuple(names)))
                again = self._reusable(op.inputs[0], i, op.condition)
                if again is not None and again not in names:
                    names[-1] = again
                out.append((op.condition, f"{', '.join(names)} = {self._split(op, args[0])}"))
                for value, name in zip(op.outputs, names):
                    self.var[id(value)] = name
                continue
            expression = self._expression(op, args)
            name = self._reusable(op.inputs[0], i, op.condition) if args else None
            if name is None:
                name = self._fresh(op.local, i, op.condition)
            out.append((op.condition, f"{name} = {expression}"))
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


def write_pytorch(network: Program, blocks: list[Program], header: str) -> str:
    """The whole module's text: header, imports, helpers, block classes, the network class."""
    writer = _Writer(blocks, network)
    classes = [writer.write_class(p) for p in blocks] + [writer.write_class(network)]
    imports = "from collections import OrderedDict\n\n" if writer.ordered_dict else ""
    imports += "import torch\nfrom torch import nn\n"
    helpers = [HELPERS[name] for name in HELPERS if name in writer.helpers]
    return header + "\n" + imports + "\n\n" + "\n\n".join([*helpers, *classes])


_ = ExportError  # raised through Op.fail
