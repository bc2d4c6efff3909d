"""Sources and targets of a transfer, read lazily where the format allows.

A :class:`TensorStore` knows every entry's shape and dtype up front and loads
one tensor on request, so a caller can drive a transfer group by group.
Accepted inputs: a ``state_dict`` (mapping of name -> Tensor), an
``nn.Module``, a ``.safetensors`` file, a ``.pt``/``.pth``/``.bin`` state dict
(read with ``torch.load(weights_only=True)`` only), a Hugging Face checkpoint
folder (``config.json`` plus ``model.safetensors``, or shards listed in
``model.safetensors.index.json``, or ``pytorch_model.bin``), and, as a target
only, a ``config.json`` file, a folder holding only a config, or a
``transformers.PretrainedConfig``: the model is then built locally from it.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import torch

SAFETENSORS_INDEX = "model.safetensors.index.json"
SAFETENSORS_SINGLE = "model.safetensors"
TORCH_BINARIES = ("pytorch_model.bin", "model.pt", "model.pth")


class TensorStore:
    """Named tensors with known shapes; ``get(name)`` loads one of them.

    Attributes: ``shapes`` (name -> ``torch.Size``, in the checkpoint's order),
    ``dtypes`` (name -> ``torch.dtype``), ``origin`` (text naming where the
    tensors come from), ``config`` (a ``transformers`` config when one is
    known, else ``None``), ``files`` (name -> file holding it, for files).
    """

    def __init__(self, shapes, dtypes, getter, origin: str, config=None, files=None):
        self.shapes = dict(shapes)
        self.dtypes = dict(dtypes)
        self._getter = getter
        self.origin = origin
        self.config = config
        self.files = files or {}

    def keys(self):
        return self.shapes.keys()

    def __contains__(self, name) -> bool:
        return name in self.shapes

    def __len__(self) -> int:
        return len(self.shapes)

    def get(self, name: str) -> torch.Tensor:
        if name not in self.shapes:
            raise KeyError(f"{name!r} is not in {self.origin}")
        try:
            return self._getter(name)
        except Exception as exc:
            where = self.files.get(name, self.origin)
            raise ValueError(f"cannot read tensor {name!r} from {where}: {exc}") from exc

    @classmethod
    def from_state_dict(cls, sd: Mapping, origin: str = "state_dict", config=None) -> "TensorStore":
        for k, v in sd.items():
            if not isinstance(k, str):
                raise TypeError(f"{origin}: keys must be strings, got {k!r}")
            if not isinstance(v, torch.Tensor):
                raise TypeError(f"{origin}: entry {k!r} is a {type(v).__name__}, not a Tensor")
        return cls({k: v.shape for k, v in sd.items()}, {k: v.dtype for k, v in sd.items()},
                   sd.__getitem__, origin, config)


def _read_safetensors_header(path: Path):
    from safetensors import safe_open
    try:
        with safe_open(str(path), framework="pt") as f:
            keys = list(f.keys())
            out = {}
            for k in keys:
                sl = f.get_slice(k)
                out[k] = (torch.Size(sl.get_shape()), _st_dtype(sl.get_dtype(), path, k))
        return out
    except Exception as exc:
        raise ValueError(f"cannot read safetensors file {path}: {exc}") from exc


_ST_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
              "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
              "U8": torch.uint8, "BOOL": torch.bool}


def _st_dtype(code: str, path, key) -> torch.dtype:
    if code not in _ST_DTYPES:
        raise ValueError(f"tensor {key!r} in {path} has unsupported dtype {code}")
    return _ST_DTYPES[code]


def _check_file_size(path: Path) -> None:
    """safetensors validates offsets only lazily; catch a truncated file at open time."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise ValueError(f"cannot read safetensors file {path}: truncated header ({len(head)} bytes)")
        n = int.from_bytes(head, "little")
        if n > os.path.getsize(path) - 8:
            raise ValueError(f"cannot read safetensors file {path}: truncated header")
        try:
            header = json.loads(fh.read(n))
        except ValueError as exc:
            raise ValueError(f"cannot read safetensors file {path}: corrupt header ({exc})") from None
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    size = os.path.getsize(path) - 8 - n
    if size < end:
        raise ValueError(f"cannot read safetensors file {path}: truncated, holds {size} data bytes, "
                         f"its header needs {end}")


def _safetensors_store(files: list[Path], origin: str, config=None) -> TensorStore:
    from safetensors import safe_open
    shapes, dtypes, where = {}, {}, {}
    for path in files:
        if not path.is_file():
            raise ValueError(f"checkpoint file {path} does not exist")
        _check_file_size(path)
        for k, (shape, dtype) in _read_safetensors_header(path).items():
            shapes[k], dtypes[k], where[k] = shape, dtype, path
    handles = {}

    def getter(name):
        path = where[name]
        if path not in handles:
            handles[path] = safe_open(str(path), framework="pt")
        return handles[path].get_tensor(name)

    return TensorStore(shapes, dtypes, getter, origin, config, files={k: str(v) for k, v in where.items()})


def _torch_store(path: Path, config=None) -> TensorStore:
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"cannot read checkpoint file {path} (loaded with weights_only=True): {exc}") from exc
    if isinstance(obj, Mapping) and len(obj) == 1 and next(iter(obj)) in ("state_dict", "model"):
        obj = next(iter(obj.values()))
    if not isinstance(obj, Mapping):
        raise ValueError(f"checkpoint file {path} holds a {type(obj).__name__}, not a state dict")
    return TensorStore.from_state_dict(obj, origin=str(path), config=config)


def _load_config(path: Path):
    try:
        from transformers import AutoConfig
    except ImportError as exc:  # pragma: no cover - transformers is a declared extra
        raise ImportError("reading a Hugging Face config needs transformers (pip install front_kernels[transfer])") from exc
    try:
        with open(path) as fh:
            d = json.load(fh)
        model_type = d.pop("model_type", None)
        if model_type is None:
            raise ValueError("it has no 'model_type'")
        return AutoConfig.for_model(model_type, **d)
    except Exception as exc:
        raise ValueError(f"cannot read Hugging Face config {path}: {exc}") from exc


def build_model(config, origin: str = "config"):
    """Instantiate the model a ``transformers`` config describes (architecture from
    ``config.architectures[0]`` when transformers knows it, else ``AutoModel``)."""
    import transformers
    archs = getattr(config, "architectures", None) or []
    try:
        cls = getattr(transformers, archs[0], None) if archs else None
        if cls is not None:
            return cls(config)
        return transformers.AutoModel.from_config(config)
    except Exception as exc:
        raise ValueError(f"transformers cannot build a model from {origin}: {exc}") from exc


def _module_store(module: torch.nn.Module, origin: str, config=None) -> TensorStore:
    sd = module.state_dict()
    return TensorStore.from_state_dict(sd, origin=origin, config=config or getattr(module, "config", None))


def open_tensors(obj, role: str = "source", build_from_config: bool = False) -> TensorStore:
    """Open ``obj`` as a :class:`TensorStore`; ``role`` names it in error messages.

    With ``build_from_config`` (targets), a config file / config-only folder /
    ``PretrainedConfig`` builds the model locally and returns its state dict.
    """
    if isinstance(obj, TensorStore):
        return obj
    if isinstance(obj, torch.nn.Module):
        return _module_store(obj, f"{role} module {type(obj).__name__}")
    if isinstance(obj, Mapping):
        return TensorStore.from_state_dict(obj, origin=f"{role} state_dict")
    if _is_hf_config(obj):
        if not build_from_config:
            raise TypeError(f"{role} is a config without weights; only a target may be a config")
        return _module_store(build_model(obj, f"{role} config"), f"{role} config", obj)
    if isinstance(obj, (str, os.PathLike)):
        return _open_path(Path(obj), role, build_from_config)
    raise TypeError(f"{role} must be a state_dict, nn.Module, checkpoint path or folder, "
                    f"got {type(obj).__name__}")


def _is_hf_config(obj) -> bool:
    try:
        from transformers import PretrainedConfig
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, PretrainedConfig)


def _open_path(path: Path, role: str, build_from_config: bool) -> TensorStore:
    if path.is_dir():
        cfg_path = path / "config.json"
        config = _load_config(cfg_path) if cfg_path.is_file() else None
        index = path / SAFETENSORS_INDEX
        if index.is_file():
            try:
                with open(index) as fh:
                    weight_map = json.load(fh)["weight_map"]
            except Exception as exc:
                raise ValueError(f"cannot read checkpoint index {index}: {exc}") from exc
            files = sorted({path / f for f in weight_map.values()})
            store = _safetensors_store(files, str(path), config)
            missing = sorted(set(weight_map) - set(store.shapes))
            if missing:
                raise ValueError(f"checkpoint index {index} lists {missing[0]!r}, which no shard holds")
            return store
        if (path / SAFETENSORS_SINGLE).is_file():
            return _safetensors_store([path / SAFETENSORS_SINGLE], str(path), config)
        for name in TORCH_BINARIES:
            if (path / name).is_file():
                return _torch_store(path / name, config)
        if config is not None and build_from_config:
            return _module_store(build_model(config, str(cfg_path)), str(cfg_path), config)
        raise ValueError(f"{role} folder {path} holds no model.safetensors, {SAFETENSORS_INDEX} "
                         f"or pytorch_model.bin")
    if not path.exists():
        raise ValueError(f"{role} path {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return _safetensors_store([path], str(path))
    if suffix in (".pt", ".pth", ".bin"):
        return _torch_store(path)
    if suffix == ".json":
        if not build_from_config:
            raise ValueError(f"{role} {path} is a config without weights; only a target may be a config")
        config = _load_config(path)
        return _module_store(build_model(config, str(path)), str(path), config)
    raise ValueError(f"{role} path {path}: unknown checkpoint format {suffix!r} "
                     f"(expected .safetensors, .pt, .pth, .bin, config.json or a folder)")
