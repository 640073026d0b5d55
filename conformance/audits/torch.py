"""PyTorch's own functions under the registry's names (``gradspec audit torch``).

Data only, importable without torch: each registry entry maps to the library call written
as a Python expression in the spec's inputs (``z`` for activations and costs on logits,
``a, y`` for costs on predictions), every convention the spec fixes passed explicitly
(``reduction="none"``, ``approximate="none"``, the slope, alpha and delta of the registry).
The audit evaluates each expression once with :data:`IMPORTS` in scope to get the callable
and writes the same text into the reproducers, so a finding shows exactly what was called.
Derivatives are not listed: they are torch.autograd's (the library's real backward rules).
"""

from __future__ import annotations

from gradspec.spec import ELU_ALPHA, HUBER_DELTA, LEAKY_SLOPE, default

#: The name of the library (``gradspec audit torch``) and the FRAMEWORK its functions use.
LIBRARY = "torch"
FRAMEWORK = "torch"

#: Distributions whose versions the audit records; the first names the shipped audit file.
DISTRIBUTIONS = ("torch",)

#: alias -> module, in scope of every expression (and imported by every reproducer).
IMPORTS = {"torch": "torch", "F": "torch.nn.functional"}

#: Lines a reproducer needs after its imports (none for torch: float64 is just a dtype).
PREAMBLE: tuple[str, ...] = ()

#: The dtypes torch computes in on the CPU; the audit runs those gradspec knows
#: (``conformance.options.DTYPES``).
DTYPES = ("float64", "float32", "float16", "bfloat16")

#: Registry entry -> the library call.
CALLS: dict[str, str] = {
    "identity": "torch.nn.Identity()(z)",
    # values=1: the spec's step is 1 at z = 0 (torch.heaviside takes the value there).
    "step": "torch.heaviside(z, torch.ones_like(z))",
    "sigmoid": "torch.sigmoid(z)",
    "tanh": "torch.tanh(z)",
    "relu": "F.relu(z)",
    "leaky_relu": f"F.leaky_relu(z, negative_slope={LEAKY_SLOPE!r})",
    # beta and threshold are torch's defaults, written out: above z = 20 torch returns z
    # itself, a kink of its own that the spec does not have.
    "softplus": f"F.softplus(z, beta={default('softplus', 'beta')!r}, threshold=20.0)",
    "elu": f"F.elu(z, alpha={ELU_ALPHA!r})",
    "gelu": 'F.gelu(z, approximate="none")',
    "swish": "F.silu(z)",
    "softmax": "F.softmax(z, dim=-1)",
    "gelu_tanh": 'F.gelu(z, approximate="tanh")',
    "selu": "F.selu(z)",
    "mish": "F.mish(z)",
    "softsign": "F.softsign(z)",
    "hard_tanh": "F.hardtanh(z, min_val=-1.0, max_val=1.0)",
    "relu6": "F.relu6(z)",
    "hard_swish": "F.hardswish(z)",
    "log_sigmoid": "F.logsigmoid(z)",
    "log_softmax": "F.log_softmax(z, dim=-1)",
    "celu": f"F.celu(z, alpha={default('celu', 'alpha')!r})",
    # torch's hardsigmoid is relu6(z + 3) / 6: the registry's default slope 1/6
    "hard_sigmoid": "F.hardsigmoid(z)",
    "squared": 'F.mse_loss(a, y, reduction="none")',
    "absolute": 'F.l1_loss(a, y, reduction="none")',
    "huber": f'F.huber_loss(a, y, reduction="none", delta={HUBER_DELTA!r})',
    "smooth_l1": f'F.smooth_l1_loss(a, y, reduction="none", beta={default("smooth_l1", "beta")!r})',
    "log_loss": 'F.binary_cross_entropy(a, y, reduction="none")',
    "log_loss_logits": 'F.binary_cross_entropy_with_logits(z, y, reduction="none")',
    # Probability targets (not class indices); torch's class axis is dim 1, which is the
    # last axis of the (C,) and (N, C) rows the checks send.
    "cross_entropy_logits": 'F.cross_entropy(z, y, reduction="none")',
    # torch's kl_div takes log-probabilities as its input: kl_div(log a, y) = y (log y - log a).
    "kl_div": 'F.kl_div(torch.log(a), y, reduction="none")',
    # eps is torch's default, written out: log(a + eps) is torch's guard against log 0.
    "poisson_nll": "F.poisson_nll_loss(a, y, log_input=False, full=False, eps=1e-08, "
    'reduction="none")',
    "poisson_nll_log": 'F.poisson_nll_loss(z, y, log_input=True, full=False, reduction="none")',
}

#: Registry entries torch has no function for, and what it has instead.
NOT_IN_LIBRARY: dict[str, str] = {
    "half_squared": "no (a - y)**2 / 2 loss: F.mse_loss is (a - y)**2 (audited as squared); "
    "0.5 * F.mse_loss would audit gradspec's arithmetic, not torch's",
    "cross_entropy": "no -y log a on probabilities: F.nll_loss takes log-probabilities and "
    "class indices, F.cross_entropy takes logits (audited as cross_entropy_logits)",
    "hinge": "no binary hinge max(0, 1 - y a): F.hinge_embedding_loss is another function "
    "(a for y = 1, max(0, margin - a) for y = -1), F.multi_margin_loss is multi-class",
    "squared_hinge": "no squared hinge (F.multi_margin_loss(p=2) is multi-class)",
    "log_cosh": "no log-cosh loss",
    "focal": "no focal loss in torch itself: torchvision.ops.sigmoid_focal_loss takes logits "
    "(the pair sigmoid + focal here) and adds a class weight alpha",
}
