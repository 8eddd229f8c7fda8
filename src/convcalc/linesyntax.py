"""One layer per line: the compact syntax of ``convcalc shell`` and ``--layers``.

A line is a layer kind (or a short alias) followed by space-separated
tokens; it reads into the plain-data *entry* an architecture file holds
(``docs/format.md``), and an entry formats back into a line::

    conv 64 k7 s2 p3 @conv1   →   {"conv2d": {"filters": 64, "kernel": 7, "stride": 2,
                                              "padding": 3, "name": "conv1"}}

Tokens after the kind, in any order (``docs/shell.md`` has the whole table):

* a *count*, the kind's main number: ``conv 64`` (filters), ``fc 10`` (units),
  ``pad 3`` (padding), ``up 2`` (scale), ``dropout 0.2`` (rate), …;
* a *short flag*, a letter glued to its value: ``k7`` kernel, ``s2`` stride,
  ``p3`` padding, ``d2`` dilation, ``g32`` groups; pairs and lists join with
  ``x`` or ``,``: ``k1x7``, ``p0x1x0x1``;
* ``key=value`` for any option or common key: ``bias=false``, ``p=same``,
  ``mode=bilinear``, ``from=a,b`` (a trailing comma makes a list of one);
  ``key=`` with nothing after it is "unset" where the caller allows it;
* a bare boolean option means true: ``gap keepdims``;
* ``@conv1`` names the layer, the same as ``name=conv1``.

Values read as ``true``/``false``, whole numbers, decimals, lists of numbers
(``1x7``), or else text (``same``, ``$width*2``). ``#`` starts a comment and
``;`` separates layers in :func:`parse_layers`.

>>> parse_line("conv 64 k7 s2 p3 @conv1")
{'conv2d': {'filters': 64, 'kernel': 7, 'stride': 2, 'padding': 3, 'name': 'conv1'}}
>>> format_entry({"maxpool2d": {"kernel": 3, "stride": 2, "padding": 1}})
'maxpool2d k3 s2 p1'
>>> parse_layers("conv 8 k1x7 bias=false; bn; relu")
[{'conv2d': {'filters': 8, 'kernel': [1, 7], 'bias': False}}, 'batchnorm2d', 'relu']

This module checks the syntax and that every option exists for the kind;
whether the values fit (stride 0, a kernel larger than its input) is the
loader's business, which reports it with the layer's name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from difflib import get_close_matches
from typing import Any

from .errors import ConvCalcError, InputError
from .layers import ALIASES, KINDS, canonical_kind, spec_class
from .layers.base import unknown_option_message

__all__ = [
    "COMMON_KEYS",
    "KIND_ALIASES",
    "POSITIONAL",  # noqa: F822 - made on first use by the module __getattr__
    "SHORT_FLAGS",
    "format_entry",
    "format_value",
    "kind_names",
    "parse_layers",
    "parse_line",
    "parse_options",
    "parse_value",
]

KIND_ALIASES: dict[str, str] = ALIASES
"""Other names accepted for a kind; each kind declares its own (``aliases``)."""


def positional(kind: str) -> str | None:
    """The option a bare number sets for ``kind``: ``conv 64`` is 64 filters
    (the kind's ``positional`` declaration)."""
    return spec_class(kind).positional


def __getattr__(name: str) -> dict[str, str]:
    """``POSITIONAL``, every kind's positional option, made on first use (it
    imports every kind module, which a single line never needs)."""
    if name == "POSITIONAL":
        return {kind: p for kind in KINDS if (p := positional(kind)) is not None}
    raise AttributeError(name)


SHORT_FLAGS: dict[str, str] = {"k": "kernel", "s": "stride", "p": "padding", "d": "dilation", "g": "groups"}
"""One-letter flags glued to their value (``k7``), also usable as keys (``p=same``)."""

COMMON_KEYS = ("name", "from", "trainable", "if")
"""Keys every entry may carry besides its kind's options (see docs/format.md)."""

CONTAINERS = ("residual", "branches", "sequential")

_COMMENT = re.compile(r"#.*")
# ASCII digits only (\d would take '²' and '２'), and no more digits than int() reads.
_INT = re.compile(r"[+-]?[0-9]{1,4000}\Z")
_FLOAT = re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(e[+-]?[0-9]+)?\Z", re.IGNORECASE)
_LIST_SEP = re.compile(r"[x,]")
_FLAG = re.compile(r"([a-z])([+-]?[\d.\[].*)\Z")
_NUMERIC_START = re.compile(r"[+-]?(\d|\.\d|\[)")

_UNSET = object()


def kind_names() -> list[str]:
    """Every word a line may start with: the kinds, then their aliases."""
    return [*KINDS, *KIND_ALIASES]


def _kind(word: str) -> str:
    """The canonical kind of ``word``, or an error with a suggestion."""
    lowered = word.lower()
    try:
        return canonical_kind(word)
    except ConvCalcError:
        pass
    if lowered in CONTAINERS:
        raise InputError(
            f"{word!r} is a container; containers do not fit on one line, "
            "so write them in a file and load it"
        )
    close = get_close_matches(lowered, kind_names(), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(KINDS)}"
    raise InputError(f"unknown layer kind {word!r}; {hint}")


def _is_kind(word: str) -> bool:
    try:
        canonical_kind(word)
    except ConvCalcError:
        return False
    return True


def _number(text: str) -> int | float | None:
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        value = float(text)
        return value if math.isfinite(value) else None
    return None


def parse_value(text: str) -> Any:
    """A token's value: a boolean, a number, a list of numbers, or else the text.

    >>> [parse_value(t) for t in ("3", "0.5", "1x7", "0,1,0,1", "[2,2]", "false", "same")]
    [3, 0.5, [1, 7], [0, 1, 0, 1], [2, 2], False, 'same']
    """
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    single = _number(text)
    if single is not None:
        return single
    bracketed = text.startswith("[") and text.endswith("]")
    inner = text[1:-1] if bracketed else text
    if bracketed and not inner.strip():
        return []
    parts = _LIST_SEP.split(inner)
    if len(parts) > 1 or bracketed:
        numbers = [_number(p.strip()) for p in parts]
        if all(n is not None for n in numbers):
            return numbers
    return text


def _references(text: str) -> str | list[str]:
    """``a`` → ``'a'``; ``a,b`` → ``['a', 'b']``; ``a,`` → ``['a']``."""
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if "," not in inner and inner == text:
        return text
    names = [n.strip() for n in inner.split(",")]
    if names and names[-1] == "":
        names.pop()
    if not names or "" in names:
        raise InputError(f"from={text!r} has an empty name; write from=a or from=a,b")
    return names


def _option_names(kind: str) -> tuple[str, ...]:
    return spec_class(kind).option_names()


def _bool_options(kind: str) -> set[str]:
    cls = spec_class(kind)
    return {f.name for f in cls.declared() if isinstance(f.default, bool)} | {"trainable"}


def parse_options(kind: str | None, tokens: list[str], *, allow_unset: bool = False) -> dict[str, Any]:
    """Read option tokens for ``kind`` into ``{option: value}`` in the order written.

    ``kind`` ``None`` (a block or container) accepts only ``key=value`` and
    ``@name``. With ``allow_unset``, ``key=`` gives the value ``None``: the
    caller removes the option, restoring its default.

    >>> parse_options("conv2d", ["128", "s1", "bias=false"])
    {'filters': 128, 'stride': 1, 'bias': False}
    >>> parse_options("relu", ["k3"])
    Traceback (most recent call last):
      ...
    convcalc.errors.InputError: 'k3': relu has no option 'kernel'; it takes no options
    """
    own = _option_names(kind) if kind else ()
    allowed = (*own, *COMMON_KEYS)
    booleans = _bool_options(kind) if kind else {"trainable"}
    main = positional(kind) if kind else None
    given: dict[str, tuple[str, Any]] = {}  # option → (token, value)
    label = kind or "this entry"

    def put(option: str, value: Any, token: str) -> None:
        if kind is not None and option not in allowed:
            # Suggest among the common keys only for a near miss of one ('nmae').
            near_common = get_close_matches(option, COMMON_KEYS, n=1, cutoff=0.6)
            message = unknown_option_message(kind, option, allowed if near_common else own)
            raise InputError(f"{token!r}: {message}")
        if option in given:
            raise InputError(f"{token!r}: {option} is already given ({given[option][0]!r}); give it once")
        given[option] = (token, value)

    for token in tokens:
        if token.startswith("@"):
            if len(token) == 1:
                raise InputError("'@' needs a name after it, as in @conv1")
            put("name", token[1:], token)
            continue
        if "=" in token:
            key, _, text = token.partition("=")
            if not key:
                raise InputError(f"{token!r} has no option name before '='; write key=value, as in stride=2")
            option = SHORT_FLAGS.get(key, key) if key not in allowed else key
            if text == "":
                if not allow_unset:
                    raise InputError(f"{token!r} has no value after '='; write {key}=VALUE")
                put(option, None, token)
            elif option == "name":
                put(option, text, token)
            elif option == "from":
                put(option, _references(text), token)
            else:
                put(option, parse_value(text), token)
            continue
        flag = _FLAG.match(token)
        if flag and flag.group(1) in SHORT_FLAGS and kind is not None:
            put(SHORT_FLAGS[flag.group(1)], parse_value(flag.group(2)), token)
            continue
        if _NUMERIC_START.match(token) and kind is not None:
            if main is None:
                takes = "takes no options" if not own else f"takes no count; give its options as key=value ({', '.join(own)})"
                raise InputError(f"{token!r}: {kind} {takes}")
            if main in given:
                raise InputError(
                    f"{token!r}: {kind} takes one count ({main}), and "
                    f"{given[main][0]!r} already gives it"
                )
            put(main, parse_value(token), token)
            continue
        if token in booleans and token in allowed:
            put(token, True, token)
            continue
        if kind is not None and token in own:
            raise InputError(f"{token!r}: {token} needs a value, as in {token}=…")
        expected = (
            "a count such as 64, a flag such as k3 or s2, key=value, or @name"
            if kind is not None
            else "key=value or @name"
        )
        raise InputError(f"{token!r} is not understood for {label}; expected {expected}")
    return {option: value for option, (_, value) in given.items()}


def _ordered(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The kind's own options in their declared order, then the common keys."""
    order = [*_option_names(kind), *COMMON_KEYS]
    return {k: options[k] for k in sorted(options, key=order.index)}


def _split(line: str) -> list[str]:
    return _COMMENT.sub("", line).split()


def parse_line(line: str, blocks: Collection[str] = ()) -> str | dict[str, dict[str, Any]]:
    """One layer line → its entry: the bare kind, or ``{kind: {options}}``.

    ``blocks`` names the blocks of the file being edited; a line may start
    with one and give its parameters as ``key=value``.

    >>> parse_line("bn")
    'batchnorm2d'
    >>> parse_line("add from=a,b")
    {'add': {'from': ['a', 'b']}}
    >>> parse_line("conv k3")       # the loader, not the syntax, asks for filters
    {'conv2d': {'kernel': 3}}
    >>> parse_line("unit width=128 repeat=4 @layer2", blocks={"unit"})
    {'unit': {'width': 128, 'repeat': 4, 'name': 'layer2'}}
    """
    tokens = _split(line)
    if not tokens:
        raise InputError("the line is empty; write a layer such as 'relu' or 'conv 64 k3'")
    if tokens[0] in blocks:
        given = parse_options(None, tokens[1:])
        return {tokens[0]: given} if given else tokens[0]
    kind = _kind(tokens[0])
    options = parse_options(kind, tokens[1:])
    if not options:
        return kind
    return {kind: _ordered(kind, options)}


def parse_layers(text: str, first: int = 1, blocks: Collection[str] = ()) -> list[str | dict[str, dict[str, Any]]]:
    """``'a; b; c'`` (or one layer per line) → entries; empty parts are skipped.

    Errors name the layer's number, counting from ``first``:

    >>> parse_layers("conv 8 k3; relu 2", first=4)
    Traceback (most recent call last):
      ...
    convcalc.errors.InputError: layer 5: '2': relu takes no options
    """
    entries = []
    parts = [p for line in text.splitlines() for p in _COMMENT.sub("", line).split(";")]
    for part in parts:
        if not part.strip():
            continue
        try:
            entries.append(parse_line(part, blocks))
        except ConvCalcError as error:
            raise error.within(f"layer {first + len(entries)}") from None
    return entries


# ------------------------------------------------------------------ formatting


def format_value(value: Any) -> str:
    """A plain value as a token :func:`parse_value` reads back the same.

    >>> [format_value(v) for v in (3, 0.5, [1, 7], True, "same")]
    ['3', '0.5', '1x7', 'true', 'same']
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, (list, tuple)) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        items = [format_value(v) for v in value]
        text = "x".join(items) if len(items) > 1 else "[" + "".join(items) + "]"
        if parse_value(text) == list(value):
            return text
    if isinstance(value, str) and value and not re.search(r"[\s;#]", value) and parse_value(value) == value:
        return value
    raise InputError(f"the value {value!r} cannot be written on one line; edit the file instead")


def _format_option(kind: str, option: str, value: Any) -> str:
    if option == "name":
        if not isinstance(value, str) or not value or re.search(r"[\s;#]", value):
            raise InputError(f"the name {value!r} cannot be written on one line")
        return f"name={value}"
    if option == "from":
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(
            isinstance(n, str) and n and not re.search(r"[\s;#,\[\]]", n) for n in names
        ):
            raise InputError(f"from {value!r} cannot be written on one line")
        return "from=" + ",".join(names) + ("," if isinstance(value, list) and len(value) == 1 else "")
    if value is True and option in _bool_options(kind):
        return option
    text = format_value(value)
    short = next((f for f, o in SHORT_FLAGS.items() if o == option), None)
    if short and _NUMERIC_START.match(text):
        return short + text
    return f"{option}={text}"


def format_entry(entry: Any) -> str:
    """An entry (bare kind or ``{kind: {options}}``) as one normalised line.

    Kinds are written by their canonical names, the count first, short flags
    where they apply, then ``key=value``. Entries a line cannot hold
    (containers, blocks, values with spaces) raise :class:`InputError`.

    >>> format_entry({"conv2d": {"kernel": [1, 7], "filters": 64, "padding": "same", "name": "b1"}})
    'conv2d 64 k1x7 padding=same name=b1'
    >>> format_entry(parse_line("fc 10 bias=false @head"))
    'dense 10 bias=false name=head'
    """
    if isinstance(entry, str):
        word, options = entry, None
    elif isinstance(entry, dict) and len(entry) == 1:
        ((word, options),) = entry.items()
    else:
        raise InputError(f"{entry!r} is not a layer entry (a kind, or one kind with its options)")
    if not isinstance(word, str) or word.lower() in CONTAINERS or not _is_kind(word):
        raise InputError(f"{word!r} is not a layer kind, so it cannot be written on one line; edit the file instead")
    kind = canonical_kind(word)
    if options is None:
        return kind
    if not isinstance(options, dict):
        raise InputError(f"the options of {kind} must be a mapping, got {options!r}")
    known = (*_option_names(kind), *COMMON_KEYS)
    for option in options:
        if option not in known:
            raise InputError(unknown_option_message(kind, option, known))
    options = _ordered(kind, options)
    tokens = [kind]
    main = positional(kind)
    if main in options:
        try:
            text = format_value(options[main])
        except InputError:
            text = ""
        if _NUMERIC_START.match(text) and not text.startswith(("+", "-")):
            tokens.append(text)
            options = {k: v for k, v in options.items() if k != main}
    tokens.extend(_format_option(kind, option, value) for option, value in options.items())
    return " ".join(tokens)
