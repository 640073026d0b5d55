"""torch.nn.functional's selu, mish, softsign, hardtanh, relu6, hardswish, logsigmoid and
gelu(approximate="tanh") declared under their registry names (torch's gelu_tanh is the spec's
gelu_tanh, not its gelu); derivatives from torch.autograd.grad."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

_FNS = {
    "selu": F.selu,
    "mish": F.mish,
    "softsign": F.softsign,
    "hard_tanh": F.hardtanh,
    "relu6": F.relu6,
    "hard_swish": F.hardswish,
    "log_sigmoid": F.logsigmoid,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
}


def _fwd(name, z):
    z = np.asarray(z)
    with torch.no_grad():
        return _FNS[name](torch.tensor(z)).numpy()


def _der(name, z):
    x = torch.tensor(np.asarray(z), requires_grad=True)
    (g,) = torch.autograd.grad(_FNS[name](x).sum(), x)
    return g.numpy()


def _make(name):
    globals()[name] = lambda z: _fwd(name, z)
    globals()[name + "_der"] = lambda z: _der(name, z)


for _name in _FNS:
    _make(_name)
