"""Running protocol functions written for PyTorch or JAX: conversion, device and autodiff.

A candidate declaring ``FRAMEWORK = "torch"`` or ``"jax"`` takes and returns tensors / jax
arrays.  An :class:`Adapter` sits between NumPy (what the checks send and receive) and the
framework: NumPy arrays become tensors on the chosen device before the call (float64 stays
float64: torch tensors of that dtype, JAX with x64 enabled for the call only), and the
framework's own autodiff supplies derivatives the candidate does not write
(:meth:`Adapter.derivative`), so that a custom ``torch.autograd.Function.backward`` or a
``jax.custom_jvp`` / ``custom_vjp`` rule is what gets checked.

This module is loaded by path in the isolated worker, which imports only the standard
library and NumPy: it must not import ``gradspec``, and torch / jax are imported only when an
adapter for them is made (a NumPy candidate never pays for them).  The in-process API
(:func:`gradspec.conformance.targets.target.in_process`) uses it the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

#: The frameworks a candidate can declare, with the name of their autodiff route.
ROUTES = {"torch": "torch.autograd", "jax": "jax.grad"}


class DeviceError(Exception):
    """The device asked for does not exist for this framework (message: one line)."""


class Adapter:
    """Calls framework code with NumPy data; subclasses know one framework."""

    framework = ""
    route = ""

    def to_framework(self, x: np.ndarray) -> Any:
        raise NotImplementedError

    def scope(self) -> contextlib.AbstractContextManager:
        """The context every call runs in (JAX: float64 enabled)."""
        return contextlib.nullcontext()

    def convert(self, obj: Any) -> Any:
        """NumPy arrays (also inside dicts, lists and tuples) as framework arrays."""
        if isinstance(obj, np.ndarray):
            return self.to_framework(obj)
        if isinstance(obj, dict):
            return {k: self.convert(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return type(obj)(self.convert(v) for v in obj)
        return obj

    def call(self, func: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[Any, tuple]:
        """``func`` on framework copies of ``args``: its result and the arguments as it left
        them (still framework arrays; the caller converts both back to NumPy)."""
        with self.scope():
            fargs = self.convert(args)
            return func(*fargs, **self.convert(kwargs)), fargs

    def derivative(self, func: Callable[..., Any], order: int, jacobian: bool) -> Callable:
        """The ``order``-th derivative of ``func`` with respect to its first argument, by
        the framework's autodiff.  Elementwise functions: the gradient of the sum (order 2:
        of the sum of that gradient), which is f'(z) element by element, and for a cost
        with one value per row or a reduced cost exactly its gradient.  ``jacobian``: per
        row along the last axis, ``J[..., i, j] = d out_i / d z_j`` (softmax)."""
        raise NotImplementedError

    def ops(self) -> dict[str, Any]:
        """The framework's functions under SymPy's names, for printed registry expressions."""
        raise NotImplementedError

    def output_derivative(self, func: Callable[..., Any], inverse: str) -> Callable:
        """f' as a function of the output a = f(z): the autodiff derivative of ``func`` at
        the preimage z = ``inverse``(a), a printed registry expression in ``a``."""
        der = self.derivative(func, 1, False)
        code = compile(inverse, "<registry inverse>", "eval")
        ops = self.ops()

        def der_output(a: Any) -> Any:
            return der(eval(code, {"__builtins__": {}}, {**ops, "a": a}))

        return der_output


# ----------------------------------------------------------------- torch


class TorchAdapter(Adapter):
    framework = "torch"
    route = ROUTES["torch"]

    def __init__(self, device: str) -> None:
        import torch

        self.torch = torch
        try:
            dev = torch.device(device)
        except (RuntimeError, ValueError) as exc:
            raise DeviceError(f"--device {device!r} is not a torch device ({exc})") from None
        if dev.type == "cuda":
            count = torch.cuda.device_count() if torch.cuda.is_available() else 0
            index = dev.index or 0
            if index >= count:
                raise DeviceError(
                    f"--device {device!r}: torch sees {count} CUDA device(s) on this machine"
                )
        try:
            torch.empty(1, device=dev)
        except Exception as exc:  # mps, xpu, ... not built in or not present
            first = (str(exc).strip().splitlines() or [""])[0][:150]
            raise DeviceError(f"--device {device!r} is not available to torch: {first}") from None
        self.device = dev

    def ops(self) -> dict[str, Any]:
        return _torch_ops(self.torch)

    def to_framework(self, x: np.ndarray) -> Any:
        # as_tensor shares memory on the CPU: an in-place change by the candidate then shows
        # in the arguments sent back, so the mutation check sees it.
        if x.dtype.name == "bfloat16" and x.dtype.names is None:
            # torch knows no NumPy bfloat16 (ml_dtypes): the same 16 bits, reinterpreted
            # (still shared on the CPU), become a torch.bfloat16 tensor.
            c = x if x.flags.c_contiguous else x.copy()  # (ascontiguousarray makes 0-d 1-d)
            bits = self.torch.from_numpy(c.view(np.int16))
            return bits.view(self.torch.bfloat16).to(self.device)
        return self.torch.as_tensor(x, device=self.device)

    def derivative(self, func: Callable[..., Any], order: int, jacobian: bool) -> Callable:
        torch = self.torch

        def grad(out: Any, x: Any, create: bool) -> Any:
            if not (isinstance(out, torch.Tensor) and out.requires_grad):
                raise TypeError(
                    "the forward's result is not connected to its input by torch.autograd "
                    "(detached, or computed outside torch); it cannot be differentiated"
                )
            (g,) = torch.autograd.grad(out.sum(), x, create_graph=create, allow_unused=True)
            return torch.zeros_like(x) if g is None else g

        def der(x: Any, *rest: Any) -> Any:
            x = x.detach().clone().requires_grad_(True)
            with torch.enable_grad():
                out = func(x, *rest)
                if jacobian:
                    rows = [grad(out[..., i], x, True) for i in range(out.shape[-1])]
                    return torch.stack(rows, dim=-2).detach()
                g = grad(out, x, order > 1)
                for _ in range(order - 1):
                    g = grad(g, x, False) if g.requires_grad else torch.zeros_like(x)
                # A plain copy: autograd may answer a lazy ZeroTensor, which numpy refuses.
                return torch.empty_like(x, requires_grad=False).copy_(g.detach())

        return der


# ----------------------------------------------------------------- jax


class JaxAdapter(Adapter):
    framework = "jax"
    route = ROUTES["jax"]

    def __init__(self, device: str) -> None:
        import jax

        self.jax = jax
        platform, _, index = device.partition(":")
        try:
            devices = jax.devices(platform)
        except RuntimeError as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:150]
            raise DeviceError(f"--device {device!r} is not available to jax: {first}") from None
        if index and (not index.isdigit() or int(index) >= len(devices)):
            raise DeviceError(f"--device {device!r}: jax sees {len(devices)} {platform} device(s)")
        self.device = devices[int(index or 0)]

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        # Scoped, not global: the candidate's own setting is left as it is outside the call.
        with self.jax.enable_x64(True):
            yield

    def ops(self) -> dict[str, Any]:
        jnp = self.jax.numpy
        return {
            "log": jnp.log, "log1p": jnp.log1p, "exp": jnp.exp, "expm1": jnp.expm1,
            "Abs": jnp.abs, "sign": jnp.sign, "sqrt": jnp.sqrt, "tanh": jnp.tanh,
            "atanh": jnp.arctanh, "Max": jnp.maximum, "Min": jnp.minimum,
            "Piecewise": _piecewise(jnp.where),
        }  # fmt: skip

    def to_framework(self, x: np.ndarray) -> Any:
        return self.jax.device_put(x, self.device)

    def derivative(self, func: Callable[..., Any], order: int, jacobian: bool) -> Callable:
        jax = self.jax
        jnp = jax.numpy

        def der(x: Any, *rest: Any) -> Any:
            def f(v: Any) -> Any:
                return func(v, *rest)

            if jacobian:
                out, pull = jax.vjp(f, x)
                k = out.shape[-1]
                rows = [pull(jnp.zeros_like(out).at[..., i].set(1))[0] for i in range(k)]
                return jnp.stack(rows, axis=-2)
            g = f
            for _ in range(order):
                g = jax.grad(lambda v, g=g: jnp.sum(g(v)))
            return g(x)

        return der


def make(framework: str, device: str = "cpu") -> Adapter:
    """The adapter for ``framework`` (``"torch"`` or ``"jax"``) on ``device``; raises
    :class:`DeviceError` (one line) for a device that does not exist, ImportError when the
    framework is not installed."""
    if framework == "torch":
        return TorchAdapter(device)
    if framework == "jax":
        return JaxAdapter(device)
    raise ValueError(f"FRAMEWORK must be one of {', '.join(ROUTES)}, not {framework!r}")


def to_numpy(obj: Any) -> Any:
    """Framework arrays (also inside dicts, lists and tuples) as NumPy arrays."""
    if isinstance(obj, dict):
        return {k: to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(to_numpy(v) for v in obj)
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):  # a torch tensor
        t = obj.detach().cpu()
        if str(t.dtype) == "torch.bfloat16":
            # NumPy has no bfloat16 of its own: the bits, as ml_dtypes' bfloat16 (what the
            # checks sent in); float16 converts as it is.
            import ml_dtypes
            import torch

            return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        return t.numpy()
    if not isinstance(obj, np.ndarray) and hasattr(obj, "__array__"):  # a jax array
        return np.asarray(obj)
    return obj


# ----------------------------------------------------------------- networks
#
# The network checks work on one flat dict of NumPy arrays (``init_params``, ``loss``,
# ``grads``, localisation by key and element).  These adapters give a torch module or a JAX
# pytree network exactly that view, here in the worker: the parent never sees a tensor.


def _piecewise(where: Callable[..., Any]) -> Callable[..., Any]:
    """SymPy's ``Piecewise((e1, c1), (e2, c2), ..., (en, True))`` as nested ``where``."""

    def piecewise(*pairs: tuple[Any, Any]) -> Any:
        *rest, (last, cond) = pairs
        if cond is not True:
            raise ValueError("a Piecewise cost must end with an otherwise branch (True)")
        out = last
        for expr, c in reversed(rest):
            out = where(c, expr, out)
        return out

    return piecewise


def cost_function(source: dict, ops: dict[str, Any]) -> Callable[[Any, Any], Any]:
    """The per-example cost ``C(out, Y)`` (one value per row) of a registry entry.

    ``source`` comes from the parent (``gradspec.conformance.targets.fwnets.cost_source``):
    ``expr`` is the registry's SymPy expression printed as Python (``log1p`` and friends
    already substituted), in ``a``/``z`` and ``y`` for an elementwise cost (summed over the
    outputs here) or in ``z0..z{K-1}``, ``y0..`` for a per-row cost.  ``ops`` are the
    framework's functions under SymPy's names (``log``, ``Abs``, ``Piecewise``, ...): the
    cost is then ordinary framework code, so autodiff flows through it."""
    code = compile(str(source["expr"]), "<registry cost>", "eval")
    vector = bool(source.get("vector"))

    def cost(out: Any, y: Any) -> Any:
        if vector:
            names = {f"z{i}": out[..., i] for i in range(out.shape[-1])}
            names |= {f"y{i}": y[..., i] for i in range(y.shape[-1])}
            return eval(code, {"__builtins__": {}}, {**ops, **names})
        value = eval(code, {"__builtins__": {}}, {**ops, "a": out, "z": out, "y": y})
        return value.sum(-1)

    return cost


def _torch_ops(torch: Any) -> dict[str, Any]:
    def pick(first_if: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        # torch.minimum/maximum refuse a Python number (SymPy writes Min(0, a)); where does not
        return lambda x, y: torch.where(first_if(x, y), x, y)

    return {
        "log": torch.log, "log1p": torch.log1p, "exp": torch.exp, "expm1": torch.expm1,
        "Abs": torch.abs, "sign": torch.sign, "sqrt": torch.sqrt, "tanh": torch.tanh,
        "atanh": torch.atanh, "Max": pick(lambda x, y: x >= y),
        "Min": pick(lambda x, y: x <= y), "Piecewise": _piecewise(torch.where),
    }  # fmt: skip


#: torch activation modules whose settings the parent needs to name the registry entry.
_TORCH_ATTRS = ("negative_slope", "alpha", "approximate", "beta", "threshold", "dim")


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {text}"


def _class_name(kind: type) -> str:
    """``torch.nn.Sequential`` rather than ``torch.nn.modules.container.Sequential``."""
    module = kind.__module__
    if module.startswith("torch.nn.modules."):
        module = "torch.nn"
    return f"{module}.{kind.__qualname__}"


class TorchNetwork:
    """``model(seed) -> torch.nn.Module`` seen through the network protocol.

    Parameters are the module's ``named_parameters()`` (``0.weight``, ``0.bias``, ...) as
    NumPy arrays; ``loss(params, X, Y)`` is the registry cost (``settings["cost"]``, a
    printed expression, see :func:`cost_function`) of ``module(X)``, summed over the outputs
    and reduced over the examples (``sum``, or ``mean`` = sum / N); ``grads`` is
    ``torch.autograd.grad`` of that loss, so a custom ``autograd.Function`` inside the module
    is what gets checked.  The module is evaluated with the given parameters by
    ``torch.func.functional_call`` on one structure built from ``model(0)`` (its buffers and
    mode, train or eval, as the candidate left them).

    float64: the module is cast with ``module.double()`` when a forward in float64 works;
    otherwise it is checked in its own dtype (``describe()`` says which, and why).
    ``model(seed)`` runs under ``torch.random.fork_rng`` seeded with ``seed``, so default
    initialisers give the same parameters for the same seed and the global RNG the forward
    sees (dropout) is left as it is.
    """

    def __init__(self, adapter: TorchAdapter, model: Callable[[int], Any], settings: dict) -> None:
        self.torch = adapter.torch
        self.device = adapter.device
        self.model = model
        self.reduction = str(settings.get("reduction") or "mean")
        self.cost = (
            cost_function(settings["cost"], _torch_ops(self.torch))
            if settings.get("cost")
            else None
        )
        self.inputs: int | None = settings.get("inputs")
        self.cast, self.cast_problem, self.probe_error = True, "", ""
        self.outputs: int | None = None
        self.structure = self._make(0, cast=False)
        if self.inputs is None:
            linear = [m for m in self.structure.modules() if isinstance(m, self.torch.nn.Linear)]
            self.inputs = linear[0].in_features if linear else None
        self._choose_dtype()

    # --- building ---------------------------------------------------------------------

    def _make(self, seed: int, cast: bool) -> Any:
        torch = self.torch
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self.model(seed)
        if not isinstance(module, torch.nn.Module):
            raise TypeError(
                f"model({seed}) returned {type(module).__name__}, not a torch.nn.Module"
            )
        module = module.to(self.device)
        return module.double() if cast else module

    def _probe(self, module: Any) -> int:
        """Run a forward on a small batch; the number of outputs."""
        dtype = self._dtype_of(module)
        X = self.torch.linspace(-1, 1, 3 * int(self.inputs or 1), dtype=dtype, device=self.device)
        out = module(X.reshape(3, -1))
        if not isinstance(out, self.torch.Tensor) or out.ndim != 2 or out.shape[0] != 3:
            shape = tuple(out.shape) if isinstance(out, self.torch.Tensor) else type(out).__name__
            raise ValueError(f"model(0)(X) for X of shape (3, {self.inputs}) gave {shape}")
        return int(out.shape[1])

    def _choose_dtype(self) -> None:
        if self.inputs is None:
            self.probe_error = "no nn.Linear tells the number of inputs"
            return
        cast = self._make(0, cast=True)
        try:
            self.outputs = self._probe(cast)
            self.structure = cast
            return
        except Exception as exc:
            self.cast_problem = _first_line(exc)
        self.cast = False
        try:
            self.outputs = self._probe(self.structure)
        except Exception as exc:
            self.probe_error = _first_line(exc)

    def _dtype_of(self, module: Any) -> Any:
        floats = [p.dtype for p in module.parameters() if p.is_floating_point()]
        return floats[0] if floats else self.torch.get_default_dtype()

    @property
    def dtype(self) -> Any:
        return self._dtype_of(self.structure)

    def describe(self) -> dict:
        """Plain data for the parent: parameters, dtype, sizes, the layers of an
        ``nn.Sequential`` (else None) and random modules left in training mode."""
        m, torch = self.structure, self.torch
        layers = None
        if type(m) is torch.nn.Sequential:
            layers = []
            for child in m.children():
                kind = type(child)
                name = kind.__name__ if kind.__module__.startswith("torch.nn") else ""
                if kind is torch.nn.Linear:
                    row = ("Linear", child.in_features, child.out_features, child.bias is not None)
                    layers.append(row)
                else:
                    attrs = {a: getattr(child, a) for a in _TORCH_ATTRS if hasattr(child, a)}
                    layers.append((name or f"{kind.__module__}.{kind.__qualname__}", attrs))
        random = [
            f"{n or type(sub).__name__}: {type(sub).__name__}(p={getattr(sub, 'p', '?')})"
            for n, sub in m.named_modules()
            if isinstance(sub, torch.nn.modules.dropout._DropoutNd) and sub.training
        ]
        return {
            "framework": "torch",
            "class": _class_name(type(m)),
            "parameters": [(k, tuple(p.shape), str(p.dtype)) for k, p in m.named_parameters()],
            "dtype": str(self.dtype).replace("torch.", ""),
            "cast": self.cast,
            "cast_problem": self.cast_problem,
            "probe_error": self.probe_error,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "layers": layers,
            "random_in_training": random,
        }

    # --- the protocol -----------------------------------------------------------------

    def _tensors(self, params: dict, grad: bool) -> dict:
        out = {}
        for k, v in params.items():
            t = self.torch.as_tensor(v, dtype=self.dtype, device=self.device)
            out[k] = t.requires_grad_(True) if grad else t
        return out

    def _loss(self, tensors: dict, X: Any, Y: Any) -> Any:
        if self.cost is None:
            raise ValueError("no cost: ARCH must name the registry cost of the module's output")
        torch = self.torch
        X = torch.as_tensor(X, dtype=self.dtype, device=self.device)
        Y = torch.as_tensor(Y, dtype=self.dtype, device=self.device)
        out = torch.func.functional_call(self.structure, tensors, (X,))
        per_example = self.cost(out, Y)
        total = per_example.sum()
        return total / per_example.shape[0] if self.reduction == "mean" else total

    def init_params(self, seed: int) -> dict[str, np.ndarray]:
        module = self._make(seed, cast=self.cast)
        return {k: p.detach().cpu().numpy().copy() for k, p in module.named_parameters()}

    def loss(self, params: dict, X: np.ndarray, Y: np.ndarray) -> Any:
        with self.torch.no_grad():
            return self._loss(self._tensors(params, False), X, Y).cpu().numpy()

    def grads(self, params: dict, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
        tensors = self._tensors(params, True)
        with self.torch.enable_grad():
            loss = self._loss(tensors, X, Y)
            got = self.torch.autograd.grad(loss, list(tensors.values()), allow_unused=True)
        return {
            k: (np.zeros(np.shape(params[k])) if g is None else g.detach().cpu().numpy())
            for k, g in zip(tensors, got, strict=True)
        }


def _path_name(path: tuple) -> str:
    """A JAX key path as one string key: ``layers[0].W`` (dict keys and attributes after a
    dot, sequence indices in brackets); a flat dict keeps its own keys (``W0``)."""
    out = ""
    for entry in path:
        key = getattr(entry, "key", getattr(entry, "name", getattr(entry, "idx", entry)))
        if isinstance(key, int) and not isinstance(key, bool):
            out += f"[{key}]"
        else:
            out += ("." if out else "") + str(key)
    return out


class JaxNetwork:
    """A JAX network whose parameters are any pytree, seen through the flat protocol.

    ``init_params(seed)`` may return nested dicts, lists, tuples or registered pytree nodes
    of arrays; they are flattened with their key paths into string keys (:func:`_path_name`)
    and unflattened (with the structure of ``init_params(0)``) before each call of the
    candidate's ``loss(params, X, Y)`` and ``grads``.  Without ``grads``, the gradient is
    ``jax.grad`` of ``loss`` (a ``custom_vjp`` / ``custom_jvp`` rule inside is what gets
    checked).  Every call runs with float64 enabled (:meth:`JaxAdapter.scope`).
    """

    def __init__(self, adapter: JaxAdapter, init: Callable, loss: Callable, grads: Callable | None):
        self.adapter, self.jax = adapter, adapter.jax
        self._init, self._loss, self._grads = init, loss, grads
        self._treedef: Any = None
        self._keys: list[str] = []
        # Called as written, not under jax.jit: tracing would freeze Python-side state or
        # NumPy randomness inside loss, which the determinism check must see.

    def _flat(self, tree: Any) -> tuple[dict[str, Any], Any]:
        leaves, treedef = self.jax.tree_util.tree_flatten_with_path(tree)
        return {_path_name(p): v for p, v in leaves}, treedef

    def _structure(self) -> Any:
        if self._treedef is None:
            with self.adapter.scope():
                flat, self._treedef = self._flat(self._init(0))
            self._keys = list(flat)
        return self._treedef

    def _tree(self, params: dict) -> Any:
        treedef = self._structure()
        missing = [k for k in self._keys if k not in params]
        if missing:
            raise KeyError(f"parameters lack {missing[:3]} of init_params's pytree")
        leaves = [self.adapter.to_framework(np.asarray(params[k])) for k in self._keys]
        return self.jax.tree_util.tree_unflatten(treedef, leaves)

    def describe(self) -> dict:
        with self.adapter.scope():
            flat, treedef = self._flat(self._init(0))
        shapes = [(k, tuple(np.shape(v)), str(np.asarray(v).dtype)) for k, v in flat.items()]
        return {
            "framework": "jax",
            "class": str(treedef)[:200],
            "parameters": shapes,
            "grads": "own" if self._grads is not None else "jax.grad",
        }

    def init_params(self, seed: int) -> dict[str, np.ndarray]:
        with self.adapter.scope():
            flat, _ = self._flat(self._init(seed))
            return {k: np.array(v) for k, v in flat.items()}

    def loss(self, params: dict, X: np.ndarray, Y: np.ndarray) -> Any:
        with self.adapter.scope():
            tree = self._tree(params)
            return np.asarray(self._loss(tree, *self.adapter.convert((X, Y))))

    def grads(self, params: dict, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
        with self.adapter.scope():
            tree = self._tree(params)
            fX, fY = self.adapter.convert((X, Y))
            if self._grads is not None:
                g = self._grads(tree, fX, fY)
            else:
                g = self.jax.grad(self._loss)(tree, fX, fY)
            flat, _ = self._flat(g)
            return {k: np.array(v) for k, v in flat.items()}


def network(adapter: Adapter, functions: dict[str, Callable | None], settings: dict) -> Any:
    """The network adapter of a FRAMEWORK candidate: ``functions`` are the candidate's own
    (``model`` for torch; ``init_params``, ``loss`` and optionally ``grads`` for JAX)."""
    if isinstance(adapter, TorchAdapter):
        model = functions.get("model")
        if model is None:
            raise ValueError("a torch network defines model(seed) -> torch.nn.Module")
        return TorchNetwork(adapter, model, settings)
    if isinstance(adapter, JaxAdapter):
        init, loss = functions.get("init_params"), functions.get("loss")
        if init is None or loss is None:
            raise ValueError("a JAX network defines init_params(seed) and loss(params, X, Y)")
        return JaxNetwork(adapter, init, loss, functions.get("grads"))
    raise ValueError(f"no network adapter for {adapter.framework!r}")
