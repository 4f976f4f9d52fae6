"""Checks that need a fresh interpreter: import weight, and order under PYTHONHASHSEED."""

import os
import subprocess
import sys
import textwrap


def run_python(code, **env):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_neuralab_loads_numpy_only():
    out = run_python("""
        import sys
        import neuralab, neuralab.nn, neuralab.optim
        heavy = ["matplotlib", "torch", "scipy", "PIL", "pandas"]
        print("numpy" in sys.modules, [m for m in heavy if m in sys.modules])
    """)
    assert out.strip() == "True []"


ORDER_SCRIPT = """
    import neuralab as nl
    from neuralab import nn

    NAMES = ["zeta", "alpha", "mu", "beta", "omega", "kappa", "delta", "epsilon", "theta",
             "gamma", "lambda_", "sigma", "rho", "tau", "phi", "chi", "psi", "eta", "iota", "nu"]

    class Block(nn.Module):
        def __init__(self, width):
            super().__init__()
            for name in NAMES[: width]:
                setattr(self, name, nn.Parameter([float(width)]))
            self.proj = nn.Linear(2, 2)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            for i, name in enumerate(NAMES):
                setattr(self, "block_" + name, Block(i % 5 + 1))
            self.head = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))

    nl.manual_seed(0)
    model = Model()
    print([name for name, _ in model.named_parameters()])
    print(list(model.state_dict()))
    print([round(float(p.data.numpy().ravel()[0]), 6) for p in model.parameters()])
    print(sorted(set(NAMES)) == sorted(NAMES), list(set(NAMES)))
"""


def test_parameter_order_is_the_same_under_different_hash_seeds():
    first = run_python(ORDER_SCRIPT, PYTHONHASHSEED="1").splitlines()
    second = run_python(ORDER_SCRIPT, PYTHONHASHSEED="2").splitlines()
    # The hash seed really differs between the runs: iterating a set of the names differs.
    assert first[3] != second[3]
    assert first[:3] == second[:3]  # names, state_dict keys and initial values
    names = eval(first[0])  # noqa: S307 - our own subprocess output
    assert names[:3] == ["block_zeta.zeta", "block_zeta.proj.weight", "block_zeta.proj.bias"]
    assert names[3:6] == ["block_alpha.zeta", "block_alpha.alpha", "block_alpha.proj.weight"]
    assert names[-4:] == ["head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"]
    assert eval(first[1]) == names  # noqa: S307 - no buffers: state_dict keys = parameters
