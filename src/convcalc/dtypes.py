"""Number formats for memory figures (kept apart so the CLI loads it cheaply)."""

from __future__ import annotations

from enum import Enum

__all__ = ["DType"]


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
