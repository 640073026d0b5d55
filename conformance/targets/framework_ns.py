"""In-process torch or JAX code (``gradspec.check(module_or_mapping)``) as a Namespace.

The same conversions and autodiff as in the isolated worker (:mod:`.frameworks`), for code
the caller has already imported and trusts: NumPy arrays in, framework arrays to the code on
the chosen device, NumPy arrays back; the derivatives planned by :mod:`.autodiff` are defined
here by the framework's autodiff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gradspec.conformance.targets import frameworks
from gradspec.conformance.targets.autodiff import Derived
from gradspec.conformance.targets.namespace import ModuleNamespace
from gradspec.errors import UsageError


class FrameworkNamespace(ModuleNamespace):
    """A module or object whose protocol functions take and return tensors / jax arrays."""

    def __init__(self, module: Any, label: str, framework: object, device: str = "cpu") -> None:
        super().__init__(module, label, getattr(module, "__name__", None))
        if framework not in frameworks.ROUTES:
            raise UsageError(
                f"{label}: FRAMEWORK must be 'numpy', 'torch' or 'jax', not {framework!r}"
            )
        try:
            self.adapter = frameworks.make(str(framework), device)
        except frameworks.DeviceError as exc:
            raise UsageError(f"{label}: {exc}") from None
        except ImportError as exc:
            raise UsageError(f"{label}: FRAMEWORK = {framework!r}: {exc}") from None
        self.derived: dict[str, Callable[..., Any]] = {}

    def add_derived(self, table: list[Derived]) -> None:
        """Define each planned derivative by the framework's autodiff."""
        for d in table:
            func = super().function(d.of)
            self.derived[d.name] = self.adapter.derivative(func, d.order, d.jacobian)

    def names(self) -> set[str]:
        return super().names() | set(self.derived)

    def function(self, name: str) -> Callable[..., Any]:
        return self.derived.get(name) or super().function(name)

    def call(self, name: str, *args: Any) -> Any:
        result, _ = self.adapter.call(self.function(name), args, {})
        return frameworks.to_numpy(result)

    def import_line(self, name: str) -> str:
        if name in self.derived:
            return f"# {name}: {self.adapter.route} of the forward, see docs/check.md"
        return super().import_line(name)
