"""gradspec.reference: the plain, numerically stable NumPy implementation of the registry.

Every activation ``N`` has ``N``, ``N_der``, ``N_der2`` (and ``N_der_output`` where the registry
has an output form); every cost ``C`` has ``C``, ``C_der``, ``C_der2``.  See docs/design.md.
This package never imports ``gradspec.derivations``.
"""

from __future__ import annotations

from . import activations, chain, costs, mlp, optim
from .activations import elu as elu
from .activations import elu_der as elu_der
from .activations import elu_der2 as elu_der2
from .activations import elu_der_output as elu_der_output
from .activations import gelu as gelu
from .activations import gelu_der as gelu_der
from .activations import gelu_der2 as gelu_der2
from .activations import identity as identity
from .activations import identity_der as identity_der
from .activations import identity_der2 as identity_der2
from .activations import identity_der_output as identity_der_output
from .activations import leaky_relu as leaky_relu
from .activations import leaky_relu_der as leaky_relu_der
from .activations import leaky_relu_der2 as leaky_relu_der2
from .activations import leaky_relu_der_output as leaky_relu_der_output
from .activations import relu as relu
from .activations import relu_der as relu_der
from .activations import relu_der2 as relu_der2
from .activations import relu_der_output as relu_der_output
from .activations import sigmoid as sigmoid
from .activations import sigmoid_der as sigmoid_der
from .activations import sigmoid_der2 as sigmoid_der2
from .activations import sigmoid_der_output as sigmoid_der_output
from .activations import silu as silu
from .activations import silu_der as silu_der
from .activations import silu_der2 as silu_der2
from .activations import softmax as softmax
from .activations import softmax_der as softmax_der
from .activations import softmax_vjp as softmax_vjp
from .activations import softplus as softplus
from .activations import softplus_der as softplus_der
from .activations import softplus_der2 as softplus_der2
from .activations import softplus_der_output as softplus_der_output
from .activations import step as step
from .activations import step_der as step_der
from .activations import step_der2 as step_der2
from .activations import step_der_output as step_der_output
from .activations import swish as swish
from .activations import swish_der as swish_der
from .activations import swish_der2 as swish_der2
from .activations import tanh as tanh
from .activations import tanh_der as tanh_der
from .activations import tanh_der2 as tanh_der2
from .activations import tanh_der_output as tanh_der_output
from .chain import LayerFactors as LayerFactors
from .chain import da_dz as da_dz
from .chain import dC_da as dC_da
from .chain import dC_da_prev as dC_da_prev
from .chain import dC_dz as dC_dz
from .chain import delta as delta
from .chain import dz_da_prev as dz_da_prev
from .chain import dz_db as dz_db
from .chain import dz_dw as dz_dw
from .chain import layer_factors as layer_factors
from .costs import absolute as absolute
from .costs import absolute_der as absolute_der
from .costs import absolute_der2 as absolute_der2
from .costs import bce as bce
from .costs import bce_der as bce_der
from .costs import bce_der2 as bce_der2
from .costs import binary_cross_entropy as binary_cross_entropy
from .costs import binary_cross_entropy_der as binary_cross_entropy_der
from .costs import binary_cross_entropy_der2 as binary_cross_entropy_der2
from .costs import categorical_cross_entropy as categorical_cross_entropy
from .costs import categorical_cross_entropy_der as categorical_cross_entropy_der
from .costs import categorical_cross_entropy_der2 as categorical_cross_entropy_der2
from .costs import cost_grad as cost_grad
from .costs import cost_value as cost_value
from .costs import cross_entropy as cross_entropy
from .costs import cross_entropy_der as cross_entropy_der
from .costs import cross_entropy_der2 as cross_entropy_der2
from .costs import cross_entropy_logits as cross_entropy_logits
from .costs import cross_entropy_logits_der as cross_entropy_logits_der
from .costs import cross_entropy_logits_der2 as cross_entropy_logits_der2
from .costs import half_squared as half_squared
from .costs import half_squared_der as half_squared_der
from .costs import half_squared_der2 as half_squared_der2
from .costs import huber as huber
from .costs import huber_der as huber_der
from .costs import huber_der2 as huber_der2
from .costs import log_loss as log_loss
from .costs import log_loss_der as log_loss_der
from .costs import log_loss_der2 as log_loss_der2
from .costs import log_loss_logits as log_loss_logits
from .costs import log_loss_logits_der as log_loss_logits_der
from .costs import log_loss_logits_der2 as log_loss_logits_der2
from .costs import reduce as reduce
from .costs import reduce_der as reduce_der
from .costs import sigmoid_cross_entropy as sigmoid_cross_entropy
from .costs import sigmoid_cross_entropy_der as sigmoid_cross_entropy_der
from .costs import sigmoid_cross_entropy_der2 as sigmoid_cross_entropy_der2
from .costs import softmax_cross_entropy as softmax_cross_entropy
from .costs import softmax_cross_entropy_der as softmax_cross_entropy_der
from .costs import softmax_cross_entropy_der2 as softmax_cross_entropy_der2
from .costs import squared as squared
from .costs import squared_der as squared_der
from .costs import squared_der2 as squared_der2
from .mlp import Arch as Arch
from .mlp import Network as Network
from .mlp import forward as forward
from .mlp import grads as grads
from .mlp import init_params as init_params
from .mlp import loss as loss
from .mlp import minibatch_grads as minibatch_grads
from .mlp import predict as predict
from .mlp import train_step as train_step
from .optim import gradient_descent as gradient_descent
from .optim import ideal_step_1d as ideal_step_1d
from .optim import newton_step as newton_step
from .optim import sgd as sgd

__all__ = [
    "Arch",
    "LayerFactors",
    "Network",
    "absolute",
    "absolute_der",
    "absolute_der2",
    "activations",
    "bce",
    "bce_der",
    "bce_der2",
    "binary_cross_entropy",
    "binary_cross_entropy_der",
    "binary_cross_entropy_der2",
    "categorical_cross_entropy",
    "categorical_cross_entropy_der",
    "categorical_cross_entropy_der2",
    "chain",
    "cost_grad",
    "cost_value",
    "costs",
    "cross_entropy",
    "cross_entropy_der",
    "cross_entropy_der2",
    "cross_entropy_logits",
    "cross_entropy_logits_der",
    "cross_entropy_logits_der2",
    "dC_da",
    "dC_da_prev",
    "dC_dz",
    "da_dz",
    "delta",
    "dz_da_prev",
    "dz_db",
    "dz_dw",
    "elu",
    "elu_der",
    "elu_der2",
    "elu_der_output",
    "forward",
    "gelu",
    "gelu_der",
    "gelu_der2",
    "gradient_descent",
    "grads",
    "half_squared",
    "half_squared_der",
    "half_squared_der2",
    "huber",
    "huber_der",
    "huber_der2",
    "ideal_step_1d",
    "identity",
    "identity_der",
    "identity_der2",
    "identity_der_output",
    "init_params",
    "layer_factors",
    "leaky_relu",
    "leaky_relu_der",
    "leaky_relu_der2",
    "leaky_relu_der_output",
    "log_loss",
    "log_loss_der",
    "log_loss_der2",
    "log_loss_logits",
    "log_loss_logits_der",
    "log_loss_logits_der2",
    "loss",
    "minibatch_grads",
    "mlp",
    "newton_step",
    "optim",
    "predict",
    "reduce",
    "reduce_der",
    "relu",
    "relu_der",
    "relu_der2",
    "relu_der_output",
    "sgd",
    "sigmoid",
    "sigmoid_cross_entropy",
    "sigmoid_cross_entropy_der",
    "sigmoid_cross_entropy_der2",
    "sigmoid_der",
    "sigmoid_der2",
    "sigmoid_der_output",
    "silu",
    "silu_der",
    "silu_der2",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_der",
    "softmax_cross_entropy_der2",
    "softmax_der",
    "softmax_vjp",
    "softplus",
    "softplus_der",
    "softplus_der2",
    "softplus_der_output",
    "squared",
    "squared_der",
    "squared_der2",
    "step",
    "step_der",
    "step_der2",
    "step_der_output",
    "swish",
    "swish_der",
    "swish_der2",
    "tanh",
    "tanh_der",
    "tanh_der2",
    "tanh_der_output",
    "train_step",
]
