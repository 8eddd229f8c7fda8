"""Choices for memory figures and exports and imports: number formats, optimizers, target frameworks, unknown operations (kept apart so the CLI loads them cheaply)."""

from __future__ import annotations

from enum import Enum

__all__ = ["DType", "Optimizer", "Target", "Unknown"]


class DType(str, Enum):
    """Number format used for memory figures: bytes per parameter or activation."""

    FLOAT32 = "float32"
    FLOAT16 = "float16"
    BFLOAT16 = "bfloat16"
    FLOAT64 = "float64"
    INT8 = "int8"

    @property
    def bytes(self) -> int:
        """Bytes per number.

        >>> DType.BFLOAT16.bytes
        2
        """
        return {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}[self.value]


class Optimizer(str, Enum):
    """A training optimizer, by the state it keeps per trainable parameter."""

    SGD = "sgd"
    MOMENTUM = "momentum"
    ADAM = "adam"
    ADAMW = "adamw"

    @property
    def states(self) -> int:
        """Buffers per trainable parameter.

        >>> Optimizer.ADAM.states, Optimizer.MOMENTUM.states, Optimizer.SGD.states
        (2, 1, 0)
        """
        return {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}[self.value]

    @property
    def label(self) -> str:
        return {
            "sgd": "SGD",
            "momentum": "SGD with momentum",
            "adam": "Adam",
            "adamw": "AdamW",
        }[self.value]


class Target(str, Enum):
    """Which framework ``convcalc export`` writes for (here, beside the other
    choices, so that the command line does not import the exporter to list it)."""

    PYTORCH = "pytorch"
    KERAS = "keras"


class Unknown(str, Enum):
    """What an importer does with an operation convcalc has no kind for."""

    ERROR = "error"
    ZERO = "zero"
