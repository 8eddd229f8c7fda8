"""Keras models (a ``.keras`` zip, or ``model.to_json()`` text) read as convcalc documents.

A ``.keras`` file is a zip whose ``config.json`` holds the same JSON that
``model.to_json()`` writes, so the standard library reads both: no Keras,
TensorFlow or JAX is needed. Both layouts of the graph are understood:

- Keras 3: a layer's call is ``{"args": [...], "kwargs": {...}}`` and each
  tensor in it is ``{"class_name": "__keras_tensor__", "config":
  {"keras_history": [layer, node, tensor]}}``;
- tf.keras 2: a call is a list of ``[layer, node, tensor, kwargs]``.

Every Keras layer becomes one or a few convcalc layers named after it, with
``from:`` wherever it does not read the layer written just before it::

    Conv2D(64, 7, strides=2, name="conv1_conv")  →  conv2d: {name: conv1_conv, filters: 64, kernel: 7, stride: 2}
    Dense(1000, activation="softmax", name="predictions")
        →  dense: {name: predictions, units: 1000}
           softmax: {name: predictions_softmax}
    SeparableConv2D(128, 3, name="s")  →  conv2d: {name: s_depthwise, filters: C, kernel: 3, groups: C, bias: false}
                                           conv2d: {name: s, filters: 128, kernel: 1}
    Conv1D(16, 5, padding="causal", name="tcn")  →  conv1d: {name: tcn, filters: 16, kernel: 5, padding: [4, 0]}

1-D and 3-D layers (``Conv1D``, ``MaxPooling3D``, ``ZeroPadding3D``, …) come from
the same rules as their 2-D siblings, with the rank as an argument; a causal
Conv1D pads dilation·(k − 1) zeros before the sequence only.
``BatchNormalization`` becomes ``batchnorm1d`` (features or L×C), ``batchnorm2d``
or ``batchnorm3d`` by its input's rank, with Keras' ``center`` and ``scale``.

A nested model (``Functional`` or ``Sequential`` inside a ``Functional``)
becomes a ``sequential`` container with the nested model's name, so its layers
are ``stem.conv`` from outside. Arithmetic on tensors that Keras 3 records as
operations (``x + 3.0``, ``x * (1 / 6)`` in MobileNetV3's hard sigmoid) is a
``rescaling`` with the constant as offset or scale; between two tensors it is
``add`` or ``multiply``. Shapes are inferred with convcalc's own layer rules
as the document is built (a depthwise convolution needs its input's channels).

Parameters follow Keras' own split: ``trainable: false`` in a layer's config
freezes it, and ``Normalization`` counts its mean, variance and count only
when they are not given as constants, as Keras creates them.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import ConvCalcError
from ..layers import apply, make_layer
from ..shapes import Shape
from .document import SourceError

__all__ = ["read_keras"]

MODELS = ("Functional", "Model", "Sequential")
"""Class names of Keras models (a model may appear as a layer of another)."""

ACTIVATIONS: dict[str, str | None] = {
    "linear": None,
    "relu": "relu",
    "relu6": "relu6",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softmax": "softmax",
    "gelu": "gelu",
    "silu": "silu",
    "swish": "silu",
    "hard_sigmoid": "hardsigmoid",
    "hard_silu": "hardswish",
    "hard_swish": "hardswish",
    "elu": "elu",
    "leaky_relu": "leaky_relu",
    "mish": "mish",
    "softplus": "softplus",
}
"""Keras activation names → convcalc kinds (None: no layer at all)."""

_OP_ACTIVATIONS = {
    "Relu": "relu", "Relu6": "relu6", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softmax": "softmax",
    "Gelu": "gelu", "Silu": "silu", "Swish": "silu", "HardSigmoid": "hardsigmoid", "HardSilu": "hardswish",
    "HardSwish": "hardswish", "Elu": "elu", "Mish": "mish", "Softplus": "softplus",
}
"""Keras 3 operation classes (``keras.ops.relu(x)`` on a symbolic tensor) that are activations."""

_TF_OPS = {
    "__operators__.add": "add", "math.add": "add", "math.add_n": "add",
    "math.multiply": "multiply", "__operators__.mul": "multiply",
    "math.subtract": "subtract", "__operators__.sub": "subtract",
    "math.truediv": "divide", "math.divide": "divide", "__operators__.truediv": "divide",
    "nn.relu": "relu", "nn.relu6": "relu6", "math.sigmoid": "sigmoid", "nn.sigmoid": "sigmoid",
    "math.tanh": "tanh", "nn.silu": "silu", "nn.swish": "silu", "nn.gelu": "gelu", "nn.softmax": "softmax",
}
"""tf.keras 2 ``TFOpLambda`` functions (``x + 3.0`` is ``tf.__operators__.add``) → what they do."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")

_AXES = {1: "L", 2: "H×W", 3: "D×H×W"}
"""The spatial axes of a model's input, by their number."""

_EXAMPLES = {1: "L, e.g. 16000", 2: "HxW, e.g. 224x224", 3: "DxHxW, e.g. 16x112x112"}
"""What ``--input`` takes for a model whose spatial size Keras leaves open."""


class _Ref(NamedTuple):
    """One tensor in a Keras graph: output ``tensor`` of call ``node`` of ``layer``."""

    layer: str
    node: int
    tensor: int


class _Call(NamedTuple):
    """One call of a layer: the tensors it reads (in order) and its constant arguments."""

    inputs: list[_Ref]
    constants: list[Any]
    """Non-tensor positional arguments (``3.0`` in ``x + 3.0``), in order."""
    first_is_constant: bool
    """True when a constant comes before the tensor (``3.0 - x``)."""


class _Prim(NamedTuple):
    """One convcalc layer a Keras layer turns into."""

    kind: str
    options: dict[str, Any]
    suffix: str = ""
    """Appended to the Keras name; the layer with no suffix carries the Keras name."""


_Convert = Callable[["_Reader", Mapping[str, Any], list[Shape]], list[_Prim]]
"""How one Keras class becomes convcalc layers: (reader, the layer's config, input shapes) → layers."""


def read_keras(path: str | Path, *, input: Any = None) -> dict[str, Any]:
    """The convcalc document for a Keras ``.keras`` zip or ``model.to_json()`` file.

    ``input`` overrides the input size: the spatial sizes (``(L,)``, ``(H, W)``
    or ``(D, H, W)``, as the model's input has them), optionally with the
    channels, or a :class:`~convcalc.shapes.Shape`; a model whose input size
    Keras leaves open (``None×None×3``, as MobileNetV3) needs it.
    """
    path = Path(path)
    config = _read_config(path)
    override = tuple(input.dims) if isinstance(input, Shape) else tuple(input) if input is not None else None
    return _Reader(path, override).document(config)


def _read_config(path: Path) -> Mapping[str, Any]:
    """The model's JSON, from a zip's ``config.json`` or the file itself."""
    where = str(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                try:
                    raw = archive.read("config.json")
                except KeyError:
                    raise SourceError(
                        "is a zip without config.json, so not a Keras model file; save it with model.save('model.keras')",
                        context=where,
                    ) from None
        elif path.suffix.lower() == ".keras":
            raise SourceError("is not a zip archive, so not a Keras .keras file (truncated or another format?)", context=where)
        else:
            raw = path.read_bytes()
    except SourceError:
        raise
    except zipfile.BadZipFile as error:
        raise SourceError(f"is a damaged zip archive ({error})", context=where) from None
    except FileNotFoundError:
        raise SourceError("no such file", context=where) from None
    except OSError as error:
        raise SourceError(f"cannot be read ({error.strerror or error})", context=where) from None
    try:
        config = json.loads(raw)
    except UnicodeDecodeError as error:
        raise SourceError(f"is not JSON text (byte {error.start} is not UTF-8)", context=where) from None
    except json.JSONDecodeError as error:
        raise SourceError(f"is not valid JSON at line {error.lineno}, column {error.colno} ({error.msg})", context=where) from None
    if not isinstance(config, Mapping) or config.get("class_name") not in MODELS:
        found = config.get("class_name") if isinstance(config, Mapping) else type(config).__name__
        raise SourceError(
            f"is not a Keras model (top-level class_name is {found!r}, expected Functional or Sequential); "
            "write it with model.to_json() or model.save('model.keras')",
            context=where,
        )
    return config


class _Scope:
    """Names, shapes and entries of one model (the top one, or a nested one)."""

    def __init__(self, reserved: set[str]) -> None:
        self.entries: list[dict[str, Any]] = []
        self.used: set[str] = set(reserved)
        self.shapes: dict[str, Shape] = {}
        self.refs: dict[_Ref, str] = {}
        self.last = "input"
        """The name the next entry reads without a ``from:``."""
        self.frozen = False
        """True inside a frozen nested model: its layers need no ``trainable: false`` of their own."""

    def fresh(self, wanted: str) -> str:
        """``wanted`` made a valid convcalc name not used yet in this scope."""
        name = _clean(wanted)
        base, n = name, 0
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name


class _Reader:
    def __init__(self, path: Path, override: tuple[int, ...] | None) -> None:
        self.path = path
        self.override = override

    def fail(self, reason: str, layer: str | None = None, rule: str = "schema") -> SourceError:
        return SourceError(reason, context=str(self.path), layer=layer, rule=rule)

    # --- the model ---------------------------------------------------------

    def document(self, model: Mapping[str, Any]) -> dict[str, Any]:
        config = model.get("config") or {}
        name = config.get("name") or self.path.stem
        scope = _Scope({"input"})
        shape = self._model_input(model)
        scope.shapes["input"] = shape
        output = self._model(model, scope, "input")
        doc: dict[str, Any] = {
            "name": name,
            "description": f"Keras {model['class_name']} model {name!r}, read from {self.path.name}",
            "input": list(shape.dims),
            "layers": scope.entries,
        }
        if not scope.entries:
            raise self.fail("has no layers besides its input")
        if output != scope.last:
            doc["output"] = output
        return doc

    def _model_input(self, model: Mapping[str, Any]) -> Shape:
        """The model's input shape (without the batch axis), with the override applied."""
        declared = self._declared_input(model)
        if declared is None:
            raise self.fail("declares no input shape (no InputLayer and no batch_input_shape)")
        dims = list(declared)
        spatial = len(dims) - 1
        axes = _AXES.get(spatial)
        if self.override is not None:
            given = list(self.override)
            if axes is None or len(given) not in (spatial, spatial + 1):
                size = "x".join(map(str, given))
                wanted = f"give {axes} or {axes}×C" if axes else "it has no spatial size to set"
                raise self.fail(f"--input {size} does not fit the model's input {_dims(dims)}: {wanted}")
            if len(given) > spatial and dims[-1] is not None and given[-1] != dims[-1]:
                raise self.fail(f"--input has {given[-1]} channels but the model's input has {dims[-1]}")
            dims = given if len(given) > spatial else [*given, dims[-1]]
        if any(d is None for d in dims):
            hint = f"; give --input {_EXAMPLES[spatial]}" if spatial in _EXAMPLES and dims[-1] is not None else ""
            raise self.fail(f"leaves its input size open ({_dims(dims)}){hint}")
        if not all(isinstance(d, int) and d > 0 for d in dims):
            raise self.fail(f"has input shape {_dims(dims)}; sizes must be positive whole numbers")
        return Shape(tuple(dims))

    def _declared_input(self, model: Mapping[str, Any]) -> list[Any] | None:
        config = model.get("config") or {}
        layers = config.get("layers") or []
        if model["class_name"] == "Sequential":
            if config.get("build_input_shape"):
                return list(config["build_input_shape"])[1:]
            first = layers[0] if layers else None
            if first is not None:
                shape = _batch_shape(first.get("config") or {})
                if shape is not None:
                    return shape
            return None
        inputs = _ref_list(config.get("input_layers"))
        if len(inputs) != 1:
            raise self.fail(f"has {len(inputs)} inputs; convcalc models take one")
        for layer in layers:
            if _layer_name(layer) == inputs[0].layer:
                return _batch_shape(layer.get("config") or {})
        raise self.fail(f"names input layer {inputs[0].layer!r}, which is not among its layers")

    def _model(self, model: Mapping[str, Any], scope: _Scope, input_name: str) -> str:
        """Write a model's layers into ``scope``, reading ``input_name``; return its output's name."""
        config = model.get("config") or {}
        layers = config.get("layers")
        if not isinstance(layers, list):
            raise self.fail(f"model {config.get('name')!r} has no list of layers")
        # Reserve every Keras name first, so names made up later (``x_relu``) never take one.
        for layer in layers:
            scope.used.add(_clean(_layer_name(layer)))
        if model["class_name"] == "Sequential":
            return self._sequential(layers, scope, input_name)
        return self._functional(config, layers, scope, input_name)

    def _sequential(self, layers: list[Mapping[str, Any]], scope: _Scope, input_name: str) -> str:
        current = input_name
        for layer in layers:
            if layer.get("class_name") == "InputLayer":
                continue
            current = self._emit(layer, 0, _Call([], [], False), scope, [current])
        return current

    def _functional(self, config: Mapping[str, Any], layers: list[Mapping[str, Any]], scope: _Scope, input_name: str) -> str:
        inputs = _ref_list(config.get("input_layers"))
        outputs = _ref_list(config.get("output_layers"))
        if len(inputs) != 1:
            raise self.fail(f"model {config.get('name')!r} has {len(inputs)} inputs; convcalc models take one")
        if not outputs:
            raise self.fail(f"model {config.get('name')!r} names no output layers")
        by_name = {_layer_name(layer): layer for layer in layers}
        scope.refs[_Ref(inputs[0].layer, 0, 0)] = input_name
        pending = [
            (layer, index, self._call(layer, node))
            for layer in layers
            if layer.get("class_name") != "InputLayer" or _layer_name(layer) != inputs[0].layer
            for index, node in enumerate(layer.get("inbound_nodes") or [])
        ]
        # Keras writes layers in an order where inputs come first; a shared layer's
        # later call may still wait for a layer written after it.
        while pending:
            waiting = []
            for layer, index, call in pending:
                if all(ref in scope.refs for ref in call.inputs):
                    sources = [scope.refs[ref] for ref in call.inputs]
                    self._emit(layer, index, call, scope, sources)
                else:
                    waiting.append((layer, index, call))
            if len(waiting) == len(pending):
                layer, _, call = waiting[0]
                missing = next(ref for ref in call.inputs if ref not in scope.refs)
                if missing.tensor > 0 and missing.layer in by_name:
                    why = f"reads output {missing.tensor} of {missing.layer!r}; convcalc layers have one output"
                elif missing.layer in by_name:
                    why = f"reads {missing.layer!r}, which is part of a cycle or never computed"
                else:
                    why = f"reads {missing.layer!r}, which is not a layer of the model"
                raise self.fail(why, layer=_layer_name(layer))
            pending = waiting
        output = outputs[0]
        if output not in scope.refs:
            raise self.fail(f"names output {output.layer!r}, which no layer computes")
        return scope.refs[output]

    # --- one call of one layer ----------------------------------------------

    def _call(self, layer: Mapping[str, Any], node: Any) -> _Call:
        """The tensors and constants of one inbound node, in either layout."""
        inputs: list[_Ref] = []
        constants: list[Any] = []
        first_is_constant = False
        if isinstance(node, Mapping):  # Keras 3
            for arg in node.get("args") or []:
                refs = list(_keras3_tensors(arg))
                if refs:
                    inputs.extend(refs)
                else:
                    if not inputs:
                        first_is_constant = True
                    constants.append(arg)
            for value in (node.get("kwargs") or {}).values():
                inputs.extend(_keras3_tensors(value))
            return _Call(inputs, constants, first_is_constant)
        if isinstance(node, list):  # tf.keras 2
            entries = [node] if node and isinstance(node[0], str) else node
            for entry in _keras2_entries(entries):
                if entry[0] == "_CONSTANT_VALUE":
                    constants.append(entry[2])
                    first_is_constant = first_is_constant or not inputs
                else:
                    inputs.append(_Ref(entry[0], int(entry[1]), int(entry[2])))
                kwargs = entry[3] if len(entry) > 3 and isinstance(entry[3], Mapping) else {}
                for key, value in kwargs.items():
                    if key == "name":
                        continue
                    if _is_keras2_ref(value):
                        ref = _Ref(value[0], int(value[1]), int(value[2]))
                        if ref not in inputs:
                            inputs.append(ref)
                    elif isinstance(value, (int, float)) and not isinstance(value, bool):
                        constants.append(value)
            return _Call(inputs, constants, first_is_constant)
        raise self.fail(f"has an inbound node Keras did not write ({type(node).__name__})", layer=_layer_name(layer))

    def _emit(self, layer: Mapping[str, Any], index: int, call: _Call, scope: _Scope, sources: list[str]) -> str:
        """Write the convcalc layers of one call of ``layer``; return the name of its output."""
        keras_name = _layer_name(layer)
        class_name = layer.get("class_name")
        config = layer.get("config") or {}
        if not sources:
            raise self.fail("is called on no tensor", layer=keras_name)
        shapes = [scope.shapes[s] for s in sources]
        if index > 0 and class_name not in _STATELESS:
            raise self.fail(
                f"is called {index + 1} times, sharing its weights; convcalc counts every layer once per use",
                layer=keras_name,
            )
        base = keras_name if index == 0 else f"{keras_name}_call{index}"
        if class_name in MODELS and isinstance(config.get("layers"), list):
            return self._nested(layer, scope, sources, base)
        prims = self._convert(layer, call, shapes)
        frozen = config.get("trainable") is False and not scope.frozen
        first = True
        name = sources[0]
        for prim in prims:
            name = scope.fresh(base + prim.suffix) if prim.suffix else self._own_name(scope, base)
            options: dict[str, Any] = {"name": name}
            if first and (len(sources) > 1 or sources[0] != scope.last):
                options["from"] = sources if len(sources) > 1 else sources[0]
            options.update(prim.options)
            if frozen:
                options["trainable"] = False
            try:
                result = apply(make_layer(prim.kind, prim.options), *shapes)
            except ConvCalcError as error:
                raise self.fail(
                    f"Keras {class_name} as convcalc {prim.kind}: {error.reason}", layer=keras_name, rule=error.rule or "schema"
                ) from None
            scope.entries.append({prim.kind: options})
            scope.shapes[name] = result.output
            scope.last = name
            shapes = [result.output]
            first = False
        scope.refs[_Ref(keras_name, index, 0)] = name
        return name

    def _own_name(self, scope: _Scope, base: str) -> str:
        """The Keras name itself (reserved for it up front), made valid."""
        name = _clean(base)
        if name in scope.used and name not in scope.shapes and name not in scope.refs.values():
            return name
        return scope.fresh(base)

    def _nested(self, layer: Mapping[str, Any], scope: _Scope, sources: list[str], base: str) -> str:
        """A model used as a layer: a ``sequential`` container holding its layers."""
        if len(sources) != 1:
            raise self.fail(f"is a nested model called on {len(sources)} tensors; convcalc containers take one", layer=base)
        inner = _Scope(set())
        inner.shapes["input"] = scope.shapes[sources[0]]
        config = layer.get("config") or {}
        frozen = config.get("trainable") is False and not scope.frozen
        inner.frozen = scope.frozen or frozen
        if layer["class_name"] == "Sequential":
            output = self._model(layer, inner, "input")
        else:
            # The nested model's input layer becomes an identity, so its layers can name it.
            inputs = _ref_list(config.get("input_layers"))
            input_name = inner.fresh(inputs[0].layer if inputs else "input_layer")
            inner.entries.append({"identity": {"name": input_name}})
            inner.shapes[input_name] = inner.shapes["input"]
            inner.last = input_name
            output = self._model(layer, inner, input_name)
        if output != inner.last:
            tail = inner.fresh(f"{output}_output")
            inner.entries.append({"identity": {"name": tail, "from": output}})
            inner.shapes[tail] = inner.shapes[output]
            output = tail
        name = self._own_name(scope, base)
        options: dict[str, Any] = {"name": name}
        if sources[0] != scope.last:
            options["from"] = sources[0]
        if frozen:
            options["trainable"] = False
        options["layers"] = inner.entries
        scope.entries.append({"sequential": options})
        scope.shapes[name] = inner.shapes[output]
        scope.last = name
        # A nested Functional model's first node is its own input-to-output link,
        # which Keras leaves out of inbound_nodes but counts in references (Keras 3
        # and tf.keras 2 alike): its one call is node 1, or node 0 where it has no
        # such link (Keras 3 Sequential).
        for node in (0, 1):
            scope.refs[_Ref(_layer_name(layer), node, 0)] = name
        return name

    # --- layer classes ------------------------------------------------------

    def _convert(self, layer: Mapping[str, Any], call: _Call, shapes: list[Shape]) -> list[_Prim]:
        class_name = layer.get("class_name")
        module = str(layer.get("module") or "")
        config = layer.get("config") or {}
        keras_name = _layer_name(layer)
        if module.startswith("keras.src.ops") or class_name == "TFOpLambda":
            return self._operation(layer, call, shapes)
        convert = _CLASSES.get(str(class_name))
        if convert is None:
            raise self.fail(
                f"Keras layer class {class_name!r} has no convcalc equivalent; "
                "replace the layer, or describe the model in a convcalc YAML file",
                layer=keras_name,
            )
        if config.get("data_format", "channels_last") != "channels_last":
            raise self.fail(
                f"uses data_format {config.get('data_format')!r}; convcalc reads channels_last Keras models",
                layer=keras_name,
            )
        try:
            return convert(self, config, shapes)
        except _Unsupported as error:
            raise self.fail(f"Keras {class_name}: {error}", layer=keras_name) from None

    def _operation(self, layer: Mapping[str, Any], call: _Call, shapes: list[Shape]) -> list[_Prim]:
        """Tensor arithmetic Keras recorded as a layer (Keras 3 ops, tf.keras 2 TFOpLambda)."""
        keras_name = _layer_name(layer)
        class_name = str(layer.get("class_name"))
        if class_name == "TFOpLambda":
            function = str((layer.get("config") or {}).get("function"))
            what = _TF_OPS.get(function)
            label = f"TensorFlow operation tf.{function}"
        else:
            what = {"Add": "add", "Subtract": "subtract", "Multiply": "multiply", "Divide": "divide",
                    "TrueDivide": "divide"}.get(class_name) or _OP_ACTIVATIONS.get(class_name)
            label = f"Keras operation {class_name}"
        if what is None:
            raise self.fail(f"{label} has no convcalc equivalent", layer=keras_name)
        if what not in ("add", "subtract", "multiply", "divide"):
            if len(shapes) != 1:
                raise self.fail(f"{label} reads {len(shapes)} tensors; expected one", layer=keras_name)
            return [_Prim(what, {})]
        if len(shapes) >= 2 and not call.constants:
            if what in ("subtract", "divide"):
                raise self.fail(f"{label} between two tensors has no convcalc equivalent", layer=keras_name)
            return [_Prim(what, {})]
        if len(shapes) == 1 and len(call.constants) == 1 and _is_number(call.constants[0]):
            c = float(call.constants[0])
            if what == "add":
                return [_Prim("rescaling", {"scale": 1.0, "offset": c})]
            if what == "multiply":
                return [_Prim("rescaling", {"scale": c, "offset": 0.0})]
            if what == "subtract":
                scale, offset = (-1.0, c) if call.first_is_constant else (1.0, -c)
                return [_Prim("rescaling", {"scale": scale, "offset": offset})]
            if call.first_is_constant or c == 0:
                raise self.fail(f"{label} of a constant by a tensor has no convcalc equivalent", layer=keras_name)
            return [_Prim("rescaling", {"scale": 1.0 / c, "offset": 0.0})]
        raise self.fail(
            f"{label} with {len(shapes)} tensor(s) and constants {call.constants!r} has no convcalc equivalent "
            "(only tensor-and-number or tensor-and-tensor)",
            layer=keras_name,
        )


class _Unsupported(Exception):
    """A layer option convcalc cannot express; the reader adds the file and layer."""


def _clean(name: str) -> str:
    """A Keras name as a convcalc name: ``tf.math.multiply`` → ``tf_math_multiply``, ``input`` → ``input_``."""
    name = re.sub(r"[^A-Za-z0-9_\-]", "_", name) or "layer"
    if not _NAME.match(name):
        name = f"_{name}"
    return "input_" if name == "input" else name


def _dims(dims: list[Any]) -> str:
    return "×".join("?" if d is None else str(d) for d in dims)


def _layer_name(layer: Mapping[str, Any]) -> str:
    name = layer.get("name") or (layer.get("config") or {}).get("name")
    return str(name) if name is not None else str(layer.get("class_name", "layer")).lower()


def _batch_shape(config: Mapping[str, Any]) -> list[Any] | None:
    for key in ("batch_shape", "batch_input_shape"):
        if config.get(key):
            return list(config[key])[1:]
    return None


def _ref_list(value: Any) -> list[_Ref]:
    """``[["x", 0, 0], …]`` or a single ``["x", 0, 0]`` (Keras 3 for one tensor)."""
    if not value:
        return []
    if isinstance(value, Mapping):
        value = list(value.values())
    if _is_keras2_ref(value):
        return [_Ref(value[0], int(value[1]), int(value[2]))]
    return [ref for item in value for ref in _ref_list(item)]


def _is_keras2_ref(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and isinstance(value[2], int)
    )


def _keras3_tensors(value: Any) -> Iterator[_Ref]:
    if isinstance(value, Mapping):
        if value.get("class_name") == "__keras_tensor__":
            history = (value.get("config") or {}).get("keras_history") or []
            if len(history) == 3:
                yield _Ref(str(history[0]), int(history[1]), int(history[2]))
            return
        for item in value.values():
            yield from _keras3_tensors(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keras3_tensors(item)


def _keras2_entries(value: list[Any]) -> Iterator[list[Any]]:
    for item in value:
        if isinstance(item, list) and len(item) >= 3 and isinstance(item[0], str) and isinstance(item[1], int):
            yield item
        elif isinstance(item, list):
            yield from _keras2_entries(item)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sizes(value: Any, rank: int) -> int | list[int]:
    """Keras' per-axis sizes as one number when every axis agrees: ``[3, 3]`` as ``3``,
    ``[1, 7]`` as it is, ``[5]`` (1-D) as ``5``, ``[3, 1, 1]`` (3-D) as it is."""
    values = [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)] * rank
    if len(values) != rank:
        raise _Unsupported(f"sizes {value!r} do not have one number for each of the {rank} spatial axes")
    return values[0] if len(set(values)) == 1 else values


def _padding(value: Any) -> str:
    word = str(value).lower()
    if word not in ("same", "valid"):
        raise _Unsupported(f"padding {value!r} is not 'same' or 'valid'")
    return word


def _activation(value: Any) -> str | None:
    """The convcalc kind of a Keras activation (a name, or Keras 3's serialized function)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = value.get("config") if isinstance(value.get("config"), str) else value.get("class_name")
    name = str(value)
    if name not in ACTIVATIONS:
        raise _Unsupported(f"activation {name!r} has no convcalc equivalent")
    return ACTIVATIONS[name]


def _with_activation(prims: list[_Prim], config: Mapping[str, Any]) -> list[_Prim]:
    kind = _activation(config.get("activation"))
    return [*prims, _Prim(kind, {}, f"_{kind}")] if kind else prims


def _window(config: Mapping[str, Any], rank: int, causal: bool = False) -> dict[str, Any]:
    """kernel, stride, padding and dilation of a Keras convolution, defaults left out.

    ``causal`` (Conv1D's ``padding="causal"``) pads dilation·(k − 1) zeros before
    the sequence and none after, then convolves as ``valid``: k = 5 → ``[4, 0]``.
    """
    options: dict[str, Any] = {"kernel": _sizes(config["kernel_size"], rank)}
    stride = _sizes(config.get("strides", 1), rank)
    if stride != 1:
        options["stride"] = stride
    dilation = _sizes(config.get("dilation_rate", 1), rank)
    if causal and str(config.get("padding")).lower() == "causal":
        before = int(dilation) * (int(options["kernel"]) - 1)  # 1-D: both are single numbers
        if before:
            options["padding"] = [before, 0]
    elif _padding(config.get("padding", "valid")) == "same" and options["kernel"] != 1:
        options["padding"] = "same"  # a 1×1 kernel needs no padding for 'same'
    if dilation != 1:
        options["dilation"] = dilation
    return options


def _channels(shapes: list[Shape]) -> int:
    return shapes[0].channels


def _conv(rank: int) -> _Convert:
    """``Conv1D``, ``Conv2D``, ``Conv3D`` → ``conv1d``, ``conv2d``, ``conv3d`` (Conv1D's
    ``padding="causal"`` as explicit padding before the sequence)."""

    def convert(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
        options = {"filters": int(config["filters"]), **_window(config, rank, causal=rank == 1)}
        groups = int(config.get("groups", 1))
        if groups != 1:
            options["groups"] = groups
        if not config.get("use_bias", True):
            options["bias"] = False
        return _with_activation([_Prim(f"conv{rank}d", options)], config)

    return convert


def _conv_transpose(rank: int) -> _Convert:
    def convert(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
        options = {"filters": int(config["filters"]), **_window(config, rank)}
        if config.get("output_padding") is not None:
            options["output_padding"] = _sizes(config["output_padding"], rank)
        if not config.get("use_bias", True):
            options["bias"] = False
        return _with_activation([_Prim(f"conv_transpose{rank}d", options)], config)

    return convert


def _depthwise(config: Mapping[str, Any], shapes: list[Shape], rank: int) -> dict[str, Any]:
    """A depthwise convolution: C·depth_multiplier filters in C groups."""
    c = _channels(shapes)
    return {"filters": c * int(config.get("depth_multiplier", 1)), **_window(config, rank), "groups": c}


def _depthwise_conv(rank: int) -> _Convert:
    def convert(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
        options = _depthwise(config, shapes, rank)
        if not config.get("use_bias", True):
            options["bias"] = False
        return _with_activation([_Prim(f"conv{rank}d", options)], config)

    return convert


def _separable_conv(rank: int) -> _Convert:
    """Depthwise (no bias), then a pointwise convolution (kernel 1) that carries the bias."""

    def convert(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
        depthwise = {**_depthwise(config, shapes, rank), "bias": False}
        pointwise: dict[str, Any] = {"filters": int(config["filters"]), "kernel": 1}
        if not config.get("use_bias", True):
            pointwise["bias"] = False
        kind = f"conv{rank}d"
        return _with_activation([_Prim(kind, depthwise, "_depthwise"), _Prim(kind, pointwise)], config)

    return convert


def _last_axis(config: Mapping[str, Any], shapes: list[Shape], what: str = "axis") -> None:
    """Keras' axis (an int or a list of one) must be the channels: -1 or rank."""
    axis = config.get("axis", -1)
    axes = axis if isinstance(axis, list) else [axis]
    rank = shapes[0].rank + 1  # Keras counts the batch axis
    if [a % rank if isinstance(a, int) else a for a in axes] != [rank - 1]:
        raise _Unsupported(f"{what} {axis!r} is not the channel (last) axis; convcalc normalises over channels")


def _batch_norm(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    _last_axis(config, shapes)
    center, scale = bool(config.get("center", True)), bool(config.get("scale", True))
    options: dict[str, Any] = {"eps": float(config.get("epsilon", 1e-3))}
    if config.get("momentum") is not None:
        # Keras' momentum is the old value's weight; PyTorch's (convcalc's) is the new value's.
        options["momentum"] = round(1.0 - float(config["momentum"]), 12)
    if not (center or scale):
        options["affine"] = False
    elif not (center and scale):
        options["center" if not center else "scale"] = False  # β only (InceptionV3) or γ only
    # batchnorm1d (features or L×C), 2d or 3d by the input's rank
    kind = {0: "batchnorm1d", 1: "batchnorm1d", 3: "batchnorm3d"}.get(shapes[0].spatial_rank, "batchnorm2d")
    return [_Prim(kind, options)]


def _layer_norm(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    _last_axis(config, shapes)
    center, scale = config.get("center", True), config.get("scale", True)
    if center != scale:
        raise _Unsupported(f"center={center} with scale={scale} has no convcalc equivalent (affine is both or neither)")
    if config.get("rms_scaling"):
        raise _Unsupported("rms_scaling=True has no convcalc equivalent")
    options: dict[str, Any] = {"eps": float(config.get("epsilon", 1e-3))}
    if not center:
        options["affine"] = False
    return [_Prim("layernorm", options)]


def _group_norm(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    _last_axis(config, shapes)
    center, scale = config.get("center", True), config.get("scale", True)
    if center != scale:
        raise _Unsupported(f"center={center} with scale={scale} has no convcalc equivalent (affine is both or neither)")
    return [_Prim("groupnorm", {"groups": int(config["groups"]), "eps": float(config.get("epsilon", 1e-3)), "affine": bool(center)})]


def _dense(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    options: dict[str, Any] = {"units": int(config["units"])}
    if not config.get("use_bias", True):
        options["bias"] = False
    return _with_activation([_Prim("dense", options)], config)


def _activation_layer(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    kind = _activation(config.get("activation"))
    return [_Prim(kind or "identity", {})]


def _relu(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    top = config.get("max_value")
    slope = float(config.get("negative_slope") or 0.0)
    if float(config.get("threshold") or 0.0) != 0.0:
        raise _Unsupported(f"threshold {config['threshold']!r} has no convcalc equivalent")
    if top is None:
        return [_Prim("leaky_relu", {"negative_slope": slope})] if slope else [_Prim("relu", {})]
    if float(top) == 6.0 and not slope:
        return [_Prim("relu6", {})]
    raise _Unsupported(f"max_value {top!r} with negative_slope {slope!r} has no convcalc equivalent (relu6 is max_value 6)")


def _leaky_relu(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    slope = config.get("negative_slope", config.get("alpha", 0.3))
    return [_Prim("leaky_relu", {"negative_slope": float(slope)})]


def _prelu(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    shared = sorted(int(a) for a in config.get("shared_axes") or [])
    spatial = list(range(1, shapes[0].rank))
    if not shared:
        per = "element"
    elif shared == spatial:
        per = "channel"
    elif shared == [*spatial, shapes[0].rank]:
        per = "tensor"
    else:
        raise _Unsupported(f"shared_axes {shared} is not none, the spatial axes or all axes")
    return [_Prim("prelu", {"per": per})]


def _simple(kind: str, **keys: str) -> _Convert:
    """A class that maps onto ``kind``, copying config ``key`` to option ``keys[key]``."""

    def convert(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
        return [_Prim(kind, {option: config[key] for key, option in keys.items() if config.get(key) is not None})]

    return convert


def _softmax(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    _last_axis(config, shapes)
    return [_Prim("softmax", {})]


def _zero_padding(rank: int) -> _Convert:
    """``ZeroPadding{1,2,3}D``: ``n``, one number per axis (2-D, 3-D), or ``[before, after]``
    per axis (ZeroPadding1D's ``[before, after]`` is its one axis's pair) → the sides in
    convcalc's order, one number if all agree: ``((1, 2), (0, 0))`` → ``[1, 2, 0, 0]``."""

    def convert(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
        value = config.get("padding", 1)
        if isinstance(value, int):
            pairs = [[value, value]] * rank
        elif rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
            pairs = [list(value)]
        elif len(value) == rank and all(isinstance(v, int) for v in value):
            pairs = [[v, v] for v in value]
        elif len(value) == rank and all(isinstance(v, (list, tuple)) and len(v) == 2 for v in value):
            pairs = [list(v) for v in value]
        else:
            raise _Unsupported(f"padding {value!r} is not a number, one per axis or [before, after] per axis")
        pads = [int(p) for pair in pairs for p in pair]
        padding: int | list[int] = pads[0] if len(set(pads)) == 1 else pads
        return [_Prim(f"zeropad{rank}d", {"padding": padding})]

    return convert


def _pooling(kind: str, rank: int) -> _Convert:
    def convert(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
        kernel = _sizes(config.get("pool_size", 2), rank)
        options: dict[str, Any] = {"kernel": kernel}
        stride = _sizes(config["strides"], rank) if config.get("strides") is not None else kernel
        if stride != kernel:
            options["stride"] = stride
        if _padding(config.get("padding", "valid")) == "same":
            options["padding"] = "same"
            if kind.startswith("avgpool"):
                options["count_include_pad"] = False  # Keras averages over the pixels inside only
        return [_Prim(kind, options)]

    return convert


def _global_pooling(kind: str) -> _Convert:
    def convert(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
        return [_Prim(kind, {"keepdims": True} if config.get("keepdims") else {})]

    return convert


def _concatenate(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    _last_axis(config, shapes)
    return [_Prim("concat", {})]


def _reshape(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    return [_Prim("reshape", {"shape": [int(d) for d in config["target_shape"]]})]


def _rescaling(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    scale, offset = config.get("scale", 1.0), config.get("offset", 0.0)
    if not (_is_number(scale) and _is_number(offset)):
        raise _Unsupported(f"scale {scale!r} and offset {offset!r} must be single numbers for convcalc's rescaling")
    return [_Prim("rescaling", {"scale": float(scale), "offset": float(offset)})]


def _normalization(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    _last_axis(config, shapes)
    if config.get("invert"):
        raise _Unsupported("invert=True has no convcalc equivalent")
    options = {key: config[key] for key in ("mean", "variance") if config.get(key) is not None}
    return [_Prim("normalization", options)]


def _dropout(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    return [_Prim("dropout", {"rate": float(config.get("rate", 0.5))})]


def _layer_scale(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
    options: dict[str, Any] = {"init": float(config.get("init_values", 1.0))}
    if config.get("projection_dim") is not None:
        options["channels"] = int(config["projection_dim"])
    return [_Prim("scale", options)]


def _upsampling(rank: int) -> _Convert:
    """``UpSampling{1,2,3}D`` → ``upsample`` (UpSampling1D and 3D repeat: nearest)."""

    def convert(reader: _Reader, config: Mapping[str, Any], shapes: list[Shape]) -> list[_Prim]:
        mode = str(config.get("interpolation", "nearest"))
        if mode not in ("nearest", "bilinear"):
            raise _Unsupported(f"interpolation {mode!r} is not nearest or bilinear")
        options: dict[str, Any] = {"scale": _sizes(config.get("size", 2), rank)}
        if mode != "nearest":
            options["mode"] = mode
        return [_Prim("upsample", options)]

    return convert


_RANKED: dict[str, Callable[[int], _Convert]] = {
    "Conv{n}D": _conv,
    "Convolution{n}D": _conv,
    "Conv{n}DTranspose": _conv_transpose,
    "Convolution{n}DTranspose": _conv_transpose,
    "ZeroPadding{n}D": _zero_padding,
    "MaxPooling{n}D": lambda n: _pooling(f"maxpool{n}d", n),
    "MaxPool{n}D": lambda n: _pooling(f"maxpool{n}d", n),
    "AveragePooling{n}D": lambda n: _pooling(f"avgpool{n}d", n),
    "AvgPool{n}D": lambda n: _pooling(f"avgpool{n}d", n),
    "GlobalAveragePooling{n}D": lambda n: _global_pooling(f"global_avgpool{n}d"),
    "GlobalAvgPool{n}D": lambda n: _global_pooling(f"global_avgpool{n}d"),
    "GlobalMaxPooling{n}D": lambda n: _global_pooling(f"global_maxpool{n}d"),
    "GlobalMaxPool{n}D": lambda n: _global_pooling(f"global_maxpool{n}d"),
    "UpSampling{n}D": _upsampling,
    "SpatialDropout{n}D": lambda n: _dropout,
}
"""Keras classes that come in 1-D, 2-D and 3-D (``Conv1D``, ``Conv2D``, ``Conv3D``), by rank."""

_RANKED_1D_2D: dict[str, Callable[[int], _Convert]] = {
    "DepthwiseConv{n}D": _depthwise_conv,
    "SeparableConv{n}D": _separable_conv,
    "SeparableConvolution{n}D": _separable_conv,
}
"""Keras classes that come in 1-D and 2-D only (Keras has no DepthwiseConv3D)."""

_CLASSES: dict[str, _Convert] = {
    **{name.format(n=n): make(n) for name, make in _RANKED.items() for n in (1, 2, 3)},
    **{name.format(n=n): make(n) for name, make in _RANKED_1D_2D.items() for n in (1, 2)},
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "GroupNormalization": _group_norm,
    "Dense": _dense,
    "Activation": _activation_layer,
    "ReLU": _relu,
    "LeakyReLU": _leaky_relu,
    "PReLU": _prelu,
    "ELU": _simple("elu", alpha="alpha"),
    "Softmax": _softmax,
    "Add": _simple("add"),
    "Multiply": _simple("multiply"),
    "Concatenate": _concatenate,
    "Reshape": _reshape,
    "Flatten": _simple("flatten"),
    "Rescaling": _rescaling,
    "Normalization": _normalization,
    "Dropout": _dropout,
    "LayerScale": _layer_scale,
    "StochasticDepth": _simple("drop_path", drop_path_rate="rate"),
    "Identity": _simple("identity"),
}
"""Keras layer classes → how each becomes convcalc layers."""

_STATELESS = {
    *(
        name.format(n=n)
        for name in _RANKED
        if not name.startswith("Conv")
        for n in (1, 2, 3)
    ),
    "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "Add", "Multiply", "Concatenate", "Reshape", "Flatten",
    "Rescaling", "Dropout", "StochasticDepth", "Identity", "TFOpLambda",
}
"""Classes without weights, which may be called more than once."""
