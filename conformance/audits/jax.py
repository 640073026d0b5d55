"""JAX's own functions (jax.nn, jax.numpy) and optax's losses under the registry's names
(``gradspec audit jax``).

Data only, importable without jax: each registry entry maps to the library call written as
a Python expression in the spec's inputs (``z`` for activations and costs on logits, ``a, y``
for costs on predictions), every convention the spec fixes passed explicitly
(``approximate=False``, the slope, alpha and delta of the registry, the class axis).  The
audit evaluates each expression once with :data:`IMPORTS` in scope to get the callable and
writes the same text into the reproducers.  Derivatives are not listed: they are jax.grad's
(the library's real differentiation rules, custom JVPs included).  optax is optional: without
it its entries are reported as not installed.
"""

from __future__ import annotations

from gradspec.spec import ELU_ALPHA, HUBER_DELTA, LEAKY_SLOPE, default

#: The name of the library (``gradspec audit jax``) and the FRAMEWORK its functions use.
LIBRARY = "jax"
FRAMEWORK = "jax"

#: Distributions whose versions the audit records; the first names the shipped audit file.
DISTRIBUTIONS = ("jax", "jaxlib", "optax")

#: alias -> module, in scope of every expression (and imported by every reproducer).
IMPORTS = {"jax": "jax", "jnp": "jax.numpy", "jsp": "jax.scipy.special", "optax": "optax"}

#: Modules whose absence only removes the entries that use them.
OPTIONAL = ("optax",)

#: Lines a reproducer needs after its imports: float64 arrays need x64 enabled (the audit
#: enables it for its own calls only).
PREAMBLE = ('jax.config.update("jax_enable_x64", True)',)

#: The dtypes JAX computes in on the CPU; the audit runs those gradspec knows
#: (``conformance.options.DTYPES``).
DTYPES = ("float64", "float32", "float16", "bfloat16")

#: Registry entry -> the library call.
CALLS: dict[str, str] = {
    "identity": "jax.nn.identity(z)",
    # 1.0: the spec's step is 1 at z = 0 (jnp.heaviside takes the value there).
    "step": "jnp.heaviside(z, 1.0)",
    "sigmoid": "jax.nn.sigmoid(z)",
    "tanh": "jnp.tanh(z)",
    "relu": "jax.nn.relu(z)",
    "leaky_relu": f"jax.nn.leaky_relu(z, negative_slope={LEAKY_SLOPE!r})",
    "softplus": "jax.nn.softplus(z)",
    "elu": f"jax.nn.elu(z, alpha={ELU_ALPHA!r})",
    "gelu": "jax.nn.gelu(z, approximate=False)",
    "swish": "jax.nn.silu(z)",
    "softmax": "jax.nn.softmax(z, axis=-1)",
    "gelu_tanh": "jax.nn.gelu(z, approximate=True)",
    "selu": "jax.nn.selu(z)",
    "mish": "jax.nn.mish(z)",
    "softsign": "jax.nn.soft_sign(z)",
    "hard_tanh": "jax.nn.hard_tanh(z)",
    "relu6": "jax.nn.relu6(z)",
    "hard_swish": "jax.nn.hard_swish(z)",
    "log_sigmoid": "jax.nn.log_sigmoid(z)",
    "log_softmax": "jax.nn.log_softmax(z, axis=-1)",
    "celu": f"jax.nn.celu(z, alpha={default('celu', 'alpha')!r})",
    # jax.nn.hard_sigmoid is relu6(z + 3) / 6: the registry's default slope 1/6
    "hard_sigmoid": "jax.nn.hard_sigmoid(z)",
    # optax.losses.l2_loss is 0.5 * (a - y)**2 (its docstring: Bishop's convention).
    "half_squared": "optax.losses.l2_loss(a, y)",
    "squared": "optax.losses.squared_error(a, y)",
    "huber": f"optax.losses.huber_loss(a, y, delta={HUBER_DELTA!r})",
    "log_loss_logits": "optax.losses.sigmoid_binary_cross_entropy(z, y)",
    "cross_entropy_logits": "optax.losses.softmax_cross_entropy(z, y, axis=-1)",
    "hinge": "optax.losses.hinge_loss(a, y)",
    # rel_entr(y, a) = y log(y / a) elementwise (optax.losses.kl_divergence sums over rows).
    "kl_div": "jsp.rel_entr(y, a)",
    "log_cosh": "optax.losses.log_cosh(a, y)",
}

#: Registry entries neither JAX nor optax has a function for, and what they have instead.
NOT_IN_LIBRARY: dict[str, str] = {
    "absolute": "no absolute-error loss in optax (nor in jax.nn)",
    "log_loss": "no binary cross-entropy on probabilities: "
    "optax.losses.sigmoid_binary_cross_entropy takes logits (audited as log_loss_logits)",
    "cross_entropy": "no -y log a on probabilities: optax.losses.softmax_cross_entropy "
    "takes logits (audited as cross_entropy_logits)",
    "squared_hinge": "no squared hinge loss in optax",
    "poisson_nll": "no Poisson negative log-likelihood in optax (nor in jax.nn)",
    "poisson_nll_log": "no Poisson negative log-likelihood in optax (nor in jax.nn)",
    "smooth_l1": "no smooth L1 loss: optax.losses.huber_loss(a, y, delta=beta) / beta equals "
    "it (audited as huber)",
    "focal": "optax.losses.sigmoid_focal_loss takes logits (the pair sigmoid + focal here) "
    "and adds a class weight alpha: no focal loss on probabilities",
}
