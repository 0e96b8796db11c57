"""Reading a CTranslate2 ``model.bin`` (binary version 6 and earlier) into numpy arrays.

Layout, little-endian: ``u32`` binary version, string spec name, ``u32`` spec revision, ``u32``
variable count, then per variable: string name, ``u8`` rank, ``u32`` × rank shape, ``u8`` dtype id,
``u32`` byte length, raw bytes; then ``u32`` alias count and (alias, target) string pairs.
A string is ``u16`` length (including a trailing NUL) followed by the bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Order of CTranslate2's DataType enum.
DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16, None)  # None: bfloat16
SUPPORTED_VERSIONS = range(1, 7)


@dataclass
class Ct2Model:
    spec: str
    version: int
    revision: int
    variables: dict[str, np.ndarray] = field(default_factory=dict)


class _Reader:
    def __init__(self, data: bytes, path: Path):
        self.data, self.offset, self.path = data, 0, path

    def take(self, n: int) -> bytes:
        if self.offset + n > len(self.data):
            raise ValueError(f"{self.path}: truncated CTranslate2 model (needs {n} bytes at {self.offset})")
        chunk = self.data[self.offset : self.offset + n]
        self.offset += n
        return chunk

    def unpack(self, fmt: str) -> int:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))[0]

    def string(self) -> str:
        length = self.unpack("H")
        return self.take(length)[:-1].decode("utf-8")


def read_ct2_model(path: Path) -> Ct2Model:
    """All variables of a CTranslate2 model file, with aliases resolved to the same arrays."""
    data = Path(path).read_bytes()
    reader = _Reader(data, Path(path))
    version = reader.unpack("I")
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"{path}: not a CTranslate2 model or unsupported binary version {version}")
    spec = reader.string() if version >= 2 else ""
    revision = reader.unpack("I") if version >= 3 else 1
    model = Ct2Model(spec=spec, version=version, revision=revision)
    for _ in range(reader.unpack("I")):
        name = reader.string()
        shape = tuple(reader.unpack("I") for _ in range(reader.unpack("B")))
        dtype_id = reader.unpack("B")
        if dtype_id >= len(DTYPES):
            raise ValueError(f"{path}: variable {name!r} has unknown dtype id {dtype_id}")
        num_bytes = reader.unpack("I")
        raw = reader.take(num_bytes)
        dtype = DTYPES[dtype_id]
        if dtype is None:  # bfloat16: the high half of a float32
            array = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
        model.variables[name] = array.reshape(shape)
    if version >= 5 or reader.offset < len(data):
        for _ in range(reader.unpack("I")):
            alias, target = reader.string(), reader.string()
            model.variables[alias] = model.variables[target]
    return model
