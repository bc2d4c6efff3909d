"""Sources and targets of a transfer, read lazily where the format allows.

A :class:`TensorStore` knows every entry's shape and dtype up front and loads
one tensor on request, so a caller can drive a transfer group by group.
Accepted inputs: a ``state_dict`` (mapping of name -> Tensor), an
``nn.Module``, a ``.safetensors`` file, a ``.pt``/``.pth``/``.bin`` state dict
(read with ``torch.load(weights_only=True)`` only), a Hugging Face checkpoint
folder (``config.json`` plus ``model.safetensors``, or shards listed in
``model.safetensors.index.json``, or ``pytorch_model.bin``), and, as a target
only, a ``config.json`` file, a folder holding only a config, or a
``transformers.PretrainedConfig``: the model is then built locally from it,
after :mod:`.preflight` has sized it on the meta device.

A checkpoint is untrusted input. Every file a folder makes this module read
(its config, index, shards, ``pytorch_model.bin``) must resolve, symlinks
included, inside that folder; an index entry naming anything else is refused
without looking at what it names. Headers are validated before any tensor is
allocated (:mod:`.safetensors_io`). Every problem with the input's content is
a :class:`~.errors.CheckpointError` naming the file and the entry.
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path

import torch

from .errors import CheckpointError, MemoryBudgetError
from .safetensors_io import read_header, read_tensor

SAFETENSORS_INDEX = "model.safetensors.index.json"
SAFETENSORS_SINGLE = "model.safetensors"
CONFIG = "config.json"
TORCH_BINARIES = ("pytorch_model.bin", "model.pt", "model.pth")
MAX_JSON_BYTES = 100_000_000  # index files of the largest public checkpoints are well under 1 MB


class TensorStore:
    """Named tensors with known shapes; ``get(name)`` loads one of them.

    Attributes: ``shapes`` (name -> ``torch.Size``, in the checkpoint's order),
    ``dtypes`` (name -> ``torch.dtype``), ``origin`` (text naming where the
    tensors come from), ``config`` (a ``transformers`` config when one is
    known, else ``None``), ``files`` (name -> file holding it, for files),
    ``paths`` (the files and folders this store reads, for the output checks),
    ``ties`` (sets of names that share one tensor, e.g. tied input and output
    embeddings of a model built here), ``notes`` (what was decided while
    opening, for the report).
    """

    def __init__(self, shapes, dtypes, getter, origin: str, config=None, files=None, paths=(), ties=(), into=None):
        self.shapes = dict(shapes)
        self.dtypes = dict(dtypes)
        self._getter = getter
        self._into = into  # (name, out) -> bool: read straight into out, where the format allows
        self.origin = origin
        self.config = config
        self.files = files or {}
        self.paths = list(paths)
        self.ties = [list(t) for t in ties]
        self.notes: list[str] = []
        self.built = False  # built here from a config
        self.checkpoint_key = None  # checkpoint name -> this model's name (transformers' renamings), if any

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
        except CheckpointError:
            raise
        except Exception as exc:
            where = self.files.get(name, self.origin)
            raise CheckpointError(f"cannot read tensor {name!r} from {where}: {exc}") from exc

    def read_into(self, name: str, out: torch.Tensor) -> bool:
        """Read ``name`` straight into ``out`` (a contiguous CPU tensor of its dtype and size) when the
        format allows (safetensors files); ``False`` when it does not, and nothing was read."""
        if self._into is None or name not in self.shapes:
            return False
        try:
            return bool(self._into(name, out))
        except CheckpointError:
            raise
        except Exception as exc:
            raise CheckpointError(f"cannot read tensor {name!r} from {self.files.get(name, self.origin)}: "
                                  f"{exc}") from exc

    def nbytes(self, name: str) -> int:
        return self.shapes[name].numel() * torch.empty((), dtype=self.dtypes[name]).element_size()

    def release(self, names) -> None:
        """Drop this store's references to ``names`` (tensors held in memory), freeing them if unshared."""
        release = getattr(self._getter, "release", None)
        if release is not None:
            release(names)

    def renamed(self, mapping: dict[str, str], note: str) -> "TensorStore":
        """A view whose names are ``mapping.get(name, name)``; reads go to the original names."""
        back = {mapping.get(n, n): n for n in self.shapes}
        view = TensorStore({mapping.get(n, n): s for n, s in self.shapes.items()},
                           {mapping.get(n, n): d for n, d in self.dtypes.items()},
                           lambda name: self.get(back[name]), self.origin, self.config,
                           {mapping.get(n, n): f for n, f in self.files.items()}, self.paths,
                           [[mapping.get(n, n) for n in t] for t in self.ties],
                           into=lambda name, out: self.read_into(back[name], out))
        view.notes, view.built = self.notes + [note], self.built
        return view

    @classmethod
    def from_state_dict(cls, sd: Mapping, origin: str = "state_dict", config=None, paths=()) -> "TensorStore":
        for k, v in sd.items():
            if not isinstance(k, str):
                raise TypeError(f"{origin}: keys must be strings, got {k!r}")
            if not isinstance(v, torch.Tensor):
                raise TypeError(f"{origin}: entry {k!r} is a {type(v).__name__}, not a Tensor")
        return cls({k: v.shape for k, v in sd.items()}, {k: v.dtype for k, v in sd.items()},
                   _HeldTensors(sd), origin, config, paths=paths, ties=shared_tensors(sd))


def shared_tensors(sd: Mapping) -> list[list[str]]:
    """Sets of names whose tensors are one tensor (same memory, shape and strides): tied parameters."""
    by_key: dict[tuple, list[str]] = {}
    for name, t in sd.items():
        if isinstance(t, torch.Tensor) and t.numel() > 0 and t.device.type != "meta":
            by_key.setdefault((t.data_ptr(), tuple(t.shape), t.stride(), t.dtype), []).append(name)
    return [names for names in by_key.values() if len(names) > 1]


class _HeldTensors:
    """Getter over an in-memory mapping, whose entries can be released (the caller's mapping is not changed)."""

    def __init__(self, sd: Mapping):
        self._sd = dict(sd)

    def __call__(self, name):
        if name not in self._sd:
            raise RuntimeError("it was released after planning")
        return self._sd[name]

    def release(self, names):
        for n in names:
            self._sd.pop(n, None)


def member(folder: Path, name: str, what: str) -> Path:
    """``folder / name`` resolved, refused unless it stays inside ``folder`` (itself resolved)."""
    root = folder.resolve()
    if not isinstance(name, str) or not name or "\x00" in name or os.path.isabs(name):
        raise CheckpointError(f"{what} names {name!r}, which is not a file name inside the checkpoint folder "
                              f"{folder}")
    try:
        p = (root / name).resolve()
    except (OSError, RuntimeError):
        p = None
    if p is None or root not in p.parents:
        raise CheckpointError(f"{what} names {name!r}, which is not inside the checkpoint folder {folder}; "
                              f"only files inside it are read")
    return p


def read_json(path: Path, what: str):
    """The JSON value in ``path`` (at most :data:`MAX_JSON_BYTES`), or :class:`CheckpointError`."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_JSON_BYTES:
                raise CheckpointError(f"cannot read {what} {path}: {size} bytes, more than the "
                                      f"{MAX_JSON_BYTES} allowed")
            raw = fh.read()
        return json.loads(raw.decode("utf-8"))
    except CheckpointError:
        raise
    except OSError as exc:
        raise CheckpointError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CheckpointError(f"cannot read {what} {path}: not valid JSON ({str(exc)[:200]})") from None


def _safetensors_store(files: list[Path], origin: str, config=None, paths=()) -> TensorStore:
    shapes, dtypes, where, entries = {}, {}, {}, {}
    for path in files:
        if not path.is_file():
            raise CheckpointError(f"checkpoint file {path} does not exist")
        header, _ = read_header(path)
        for k, e in header.items():
            if k in where:
                raise CheckpointError(f"tensor {k!r} is in two files of {origin}: {where[k]} and {path}")
            shapes[k], dtypes[k], where[k], entries[k] = torch.Size(e.shape), e.dtype, path, e

    def getter(name):
        return read_tensor(where[name], entries[name])
    def into(name, out):
        read_tensor(where[name], entries[name], out)
        return True

    return TensorStore(shapes, dtypes, getter, origin, config, files={k: str(v) for k, v in where.items()},
                       paths=paths or files, into=into)


def _torch_store(path: Path, config=None, paths=(), max_bytes: int | None = None) -> TensorStore:
    size = os.path.getsize(path)
    if max_bytes is not None and size > max_bytes:
        from .preflight import fmt_bytes
        raise MemoryBudgetError(f"checkpoint file {path} is {fmt_bytes(size)}; a .pt/.bin file is read whole, "
                                f"more than the {fmt_bytes(max_bytes)} this run may use "
                                f"(convert it to safetensors to stream it, or raise max_memory)")
    try:
        with warnings.catch_warnings():  # torch's notes on pickle protocols are not the user's concern
            warnings.simplefilter("ignore")
            obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"cannot read checkpoint file {path} (loaded with weights_only=True): "
                              f"{str(exc)[:300]}") from None
    if isinstance(obj, Mapping) and len(obj) == 1 and next(iter(obj)) in ("state_dict", "model"):
        obj = next(iter(obj.values()))
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"checkpoint file {path} holds a {type(obj).__name__}, not a state dict")
    try:
        return TensorStore.from_state_dict(obj, origin=str(path), config=config, paths=paths or [path])
    except TypeError as exc:
        raise CheckpointError(str(exc)) from None


def load_config(path: Path):
    """The ``transformers`` config in ``path`` (a JSON object with a ``model_type``)."""
    try:
        from transformers import AutoConfig
    except ImportError as exc:  # pragma: no cover - transformers is a declared extra
        raise ImportError("reading a Hugging Face config needs transformers (pip install front_kernels[transfer])") from exc
    d = read_json(path, "Hugging Face config")
    if not isinstance(d, dict):
        raise CheckpointError(f"cannot read Hugging Face config {path}: it must hold a JSON object, "
                              f"got a {type(d).__name__}")
    model_type = d.pop("model_type", None)
    if not isinstance(model_type, str) or not model_type:
        raise CheckpointError(f"cannot read Hugging Face config {path}: it has no 'model_type' string")
    try:
        return AutoConfig.for_model(model_type, **d)
    except Exception as exc:
        raise CheckpointError(f"cannot read Hugging Face config {path}: {type(exc).__name__}: "
                              f"{str(exc)[:300]}") from None


def build_model(config, origin: str = "config", *, parameters_on_meta: bool = False):
    """Instantiate the model a ``transformers`` config describes (architecture from
    ``config.architectures[0]`` when transformers knows it, else ``AutoModel``).

    ``parameters_on_meta``: every parameter is created on the ``meta`` device (no
    memory, no initialisation), buffers as usual; see :class:`_SeededInit`."""
    import transformers
    archs = getattr(config, "architectures", None) or []
    try:
        with _parameters_on_meta() if parameters_on_meta else contextlib.nullcontext():
            cls = getattr(transformers, archs[0], None) if archs and isinstance(archs[0], str) else None
            if cls is not None and isinstance(cls, type) and issubclass(cls, transformers.PreTrainedModel):
                return cls(config)
            return transformers.AutoModel.from_config(config)
    except Exception as exc:
        raise CheckpointError(f"transformers cannot build a model from {origin}: {type(exc).__name__}: "
                              f"{str(exc)[:300]}") from None


@contextlib.contextmanager
def _parameters_on_meta():
    """Within: every ``nn.Module.register_parameter`` puts the parameter on the ``meta`` device."""
    register = torch.nn.Module.register_parameter

    def on_meta(module, name, param):
        if param is not None and param.device.type != "meta":
            param = type(param)(param.to("meta"), requires_grad=param.requires_grad)
        register(module, name, param)

    torch.nn.Module.register_parameter = on_meta
    try:
        yield
    finally:
        torch.nn.Module.register_parameter = register


class _SeededInit:
    """Getter of a model built with its parameters on the meta device: each parameter is created when it
    is read, by the model's own initialisation, from a seed fixed by ``(seed, module name)``.

    Reading ``name`` owned by module ``m`` (the first name of a tied parameter is its owner): ``m``'s own
    parameters get fresh memory, filled with NaN; the model's ``_init_weights`` runs on ``m`` and then on
    each of its ancestors (children before parents, as ``post_init`` does), under
    ``torch.manual_seed(crc32(m) + seed)``; a value that no ``_init_weights`` wrote (still NaN) takes
    ``m.reset_parameters()`` (PyTorch's default init) instead. The parameters are put back on the meta
    device afterwards, so the values depend on the name and seed alone, never on the order of reads, and
    memory is held only by the tensors handed out. Buffers are real and returned as they are.
    """

    def __init__(self, model, seed: int):
        self.model, self.seed = model, seed
        self.owner: dict[str, str] = {}
        first: dict[int, str] = {}
        for name, p in model.named_parameters(remove_duplicate=False):
            self.owner[name] = first.setdefault(id(p), name)
        self.buffers = dict(model.named_buffers(remove_duplicate=False))
        self.init = getattr(model, "_init_weights", None)

    def ties(self) -> list[list[str]]:
        groups: dict[str, list[str]] = {}
        for name, owner in self.owner.items():
            groups.setdefault(owner, []).append(name)
        return [g for g in groups.values() if len(g) > 1]

    def __call__(self, name: str) -> torch.Tensor:
        if name not in self.owner:
            return self.buffers[name]
        path, _, attr = self.owner[name].rpartition(".")
        module = self.model.get_submodule(path)
        saved = dict(module._parameters)
        for k, p in saved.items():
            if p is not None:
                module._parameters[k] = type(p)(torch.full(p.shape, float("nan"), dtype=p.dtype),
                                                requires_grad=p.requires_grad)
        try:
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                torch.manual_seed((zlib.crc32(path.encode()) + self.seed * 1_000_003) % (2 ** 63))
                self._run_init(module, path)
                value = module._parameters[attr].detach()
                if value.is_floating_point() and not torch.isfinite(value.sum()) and \
                        hasattr(module, "reset_parameters"):
                    module.reset_parameters()
                    self._run_init(module, path)
                    value = module._parameters[attr].detach()
        finally:
            module._parameters.update(saved)
        return value

    def _run_init(self, module, path: str) -> None:
        if self.init is None:
            return
        parts = path.split(".") if path else []
        for k in range(len(parts), -1, -1):
            self.init(self.model.get_submodule(".".join(parts[:k])))


def checkpoint_key_renamer(module):
    """``key -> name in module``: the renamings ``transformers`` applies when it loads a checkpoint
    (``save_pretrained`` may write older names than the module uses); ``None`` when there are none."""
    try:
        from transformers.conversion_mapping import WeightRenaming, get_model_conversion_mapping
        from transformers.core_model_loading import rename_source_key
        renamings = [t for t in get_model_conversion_mapping(module) if isinstance(t, WeightRenaming)]
    except Exception:  # transformers without checkpoint conversion, or a module it does not know
        return None
    if not renamings:
        return None
    prefix = getattr(module, "base_model_prefix", None)

    def rename(key: str) -> str:
        try:
            return rename_source_key(key, renamings, [], prefix, None)[0]
        except Exception:
            return key
    return rename


def _model_store(config, origin: str, max_memory, paths=(), seed: int = 0, like=None) -> TensorStore:
    """The state dict of the model ``config`` describes, each entry created when it is read by the model's
    own init from a seed fixed by ``seed`` and the entry's module (:class:`_SeededInit`), so the entries no
    source tensor overwrites are the same in every run and the others cost nothing; a config without
    ``architectures`` takes ``like``'s (the source's config) when their model types agree."""
    from .preflight import check_config_target
    note = None
    archs = getattr(like, "architectures", None)
    if not getattr(config, "architectures", None) and archs and getattr(like, "model_type", None) == \
            getattr(config, "model_type", ""):
        config = copy.deepcopy(config)
        config.architectures = list(archs)
        note = (f"target {origin} names no architecture: built as {archs[0]}, the source's "
                f"(same model type {config.model_type!r})")
    check_config_target(config, origin, max_memory)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = build_model(config, origin, parameters_on_meta=True)
    init = _SeededInit(module, seed)
    sd = module.state_dict()
    store = TensorStore({k: v.shape for k, v in sd.items()}, {k: v.dtype for k, v in sd.items()}, init, origin,
                        config, paths=paths, ties=init.ties())
    store.built = True
    store.checkpoint_key = checkpoint_key_renamer(module)
    store.notes.append(f"target built from {origin} as {type(module).__name__}; its entries are created when "
                       f"read, each by the model's own init with seed {seed}")
    if note:
        store.notes.insert(0, note)
    return store


def open_tensors(obj, role: str = "source", build_from_config: bool = False, max_memory=None, *,
                 seed: int = 0, like=None) -> TensorStore:
    """Open ``obj`` as a :class:`TensorStore`; ``role`` names it in error messages.

    With ``build_from_config`` (targets), a config file / config-only folder /
    ``PretrainedConfig`` builds the model locally and returns its state dict,
    once :func:`.preflight.check_config_target` has found that it fits in
    ``max_memory`` (bytes or text like ``'8GB'``; default: the available memory).
    The model is initialised from ``torch.manual_seed(seed)``; a config without
    ``architectures`` takes those of ``like`` (a source config) of the same model type.
    """
    if isinstance(obj, TensorStore):
        return obj
    if isinstance(obj, torch.nn.Module):
        return TensorStore.from_state_dict(obj.state_dict(), origin=f"{role} module {type(obj).__name__}",
                                           config=getattr(obj, "config", None))
    if isinstance(obj, Mapping):
        return TensorStore.from_state_dict(obj, origin=f"{role} state_dict")
    if _is_hf_config(obj):
        if not build_from_config:
            raise TypeError(f"{role} is a config without weights; only a target may be a config")
        return _model_store(obj, f"{role} config", max_memory, seed=seed, like=like)
    if isinstance(obj, (str, os.PathLike)):
        return _open_path(Path(obj), role, build_from_config, max_memory, seed, like)
    raise TypeError(f"{role} must be a state_dict, nn.Module, checkpoint path or folder, "
                    f"got {type(obj).__name__}")


def _is_hf_config(obj) -> bool:
    try:
        from transformers import PretrainedConfig
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, PretrainedConfig)


def _file_budget(max_memory):
    from .preflight import memory_budget
    return memory_budget(max_memory)[0]


def _open_folder(path: Path, role: str, build_from_config: bool, max_memory, seed, like) -> TensorStore:
    def inside(name):
        p = member(path, name, f"{role} folder {path}")
        return p if p.exists() else None

    cfg_path = inside(CONFIG)
    config = load_config(cfg_path) if cfg_path is not None else None
    index = inside(SAFETENSORS_INDEX)
    if index is not None:
        weight_map = _weight_map(index)
        files = {}
        for tensor, shard in weight_map.items():
            files.setdefault(shard, member(path, shard, f"checkpoint index {index}: entry {tensor!r}"))
        store = _safetensors_store(sorted(set(files.values())), str(path), config, paths=[path])
        missing = [t for t, shard in weight_map.items() if store.files.get(t) != str(files[shard])]
        if missing:
            t = missing[0]
            raise CheckpointError(f"checkpoint index {index} lists {t!r} in {weight_map[t]!r}, which "
                                  f"does not hold it")
        return store
    single = inside(SAFETENSORS_SINGLE)
    if single is not None:
        return _safetensors_store([single], str(path), config, paths=[path])
    for name in TORCH_BINARIES:
        p = inside(name)
        if p is not None:
            return _torch_store(p, config, paths=[path], max_bytes=_file_budget(max_memory))
    if config is not None and build_from_config:
        return _model_store(config, str(cfg_path), max_memory, paths=[path], seed=seed, like=like)
    raise CheckpointError(f"{role} folder {path} holds no model.safetensors, {SAFETENSORS_INDEX} "
                          f"or pytorch_model.bin")


def _weight_map(index: Path) -> dict[str, str]:
    data = read_json(index, "checkpoint index")
    weight_map = data.get("weight_map") if isinstance(data, dict) else None
    if not isinstance(weight_map, dict):
        raise CheckpointError(f"checkpoint index {index} must be a JSON object with a 'weight_map' object "
                              f"(tensor name -> shard file)")
    for tensor, shard in weight_map.items():
        if not isinstance(shard, str):
            raise CheckpointError(f"checkpoint index {index}: entry {tensor!r} names shard {shard!r}, "
                                  f"which is not a file name")
    return weight_map


def _open_path(path: Path, role: str, build_from_config: bool, max_memory, seed=0, like=None) -> TensorStore:
    if path.is_dir():
        return _open_folder(path, role, build_from_config, max_memory, seed, like)
    if not path.exists():
        raise CheckpointError(f"{role} path {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return _safetensors_store([path], str(path))
    if suffix in (".pt", ".pth", ".bin"):
        return _torch_store(path, max_bytes=_file_budget(max_memory))
    if suffix == ".json":
        if not build_from_config:
            raise CheckpointError(f"{role} {path} is a config without weights; only a target may be a config")
        return _model_store(load_config(path), str(path), max_memory, paths=[path], seed=seed, like=like)
    raise CheckpointError(f"{role} path {path}: unknown checkpoint format {suffix!r} "
                          f"(expected .safetensors, .pt, .pth, .bin, config.json or a folder)")
