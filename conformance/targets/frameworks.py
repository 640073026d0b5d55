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
