"""RunConfig.dtype: a run trained in float64 (the author's LANTM CPU runs were: main.lua never sets
a float tensor type, and Torch7's default is double) keeps float64 parameters, states and inputs,
takes the C kernels' float64 build, leaves torch's default dtype as it found it, and adds nothing to
the id of a float32 run."""
import pytest
import torch

from mannlib.engine import train as T
from mannlib.engine.cache import run_id
from mannlib.engine.config import ConfigError, profile_config
from mannlib.models import lantm_native


def quick(task, model, **kw):
    return profile_config(task, model, "quick", 0, **{**dict(steps=12, eval_every=6, dev_n=4, eval_n=4,
                                                             keep_best=True), **kw})


@pytest.mark.parametrize("task, model", [("reverse", "lantm-invnorm"), ("copy", "lantm-softmax"),
                                         ("mirror", "sann"), ("mirror", "tann"), ("m10ae", "lstm")])
def test_a_float64_run_trains_in_float64_and_restores_the_default(task, model):
    before = torch.get_default_dtype()
    r = T.train(quick(task, model, dtype="float64"), progress="none")
    assert torch.get_default_dtype() == before
    assert {v.dtype for v in r.model.state_dict().values() if v.is_floating_point()} == {torch.float64}
    _, fresh = T.build(quick(task, model, dtype="float64"))
    assert next(fresh.parameters()).dtype == torch.float64      # a loaded run is rebuilt in float64 too
    assert r.eval["accuracy"].between(0, 1).all()


def test_float64_changes_the_numbers_not_the_float32_ids():
    c32, c64 = quick("copy", "lantm-invnorm"), quick("copy", "lantm-invnorm", dtype="float64")
    assert "dtype" not in c32.to_json() and '"dtype":"float64"' in c64.to_json()
    assert run_id(c32) != run_id(c64)
    (_, m32), (_, m64) = T.build(c32), T.build(c64)
    for k, v in m32.state_dict().items():                       # the same initial weights, cast
        assert torch.equal(m64.state_dict()[k], v.double() if v.is_floating_point() else v), k
    a, b = (T.train(c, progress="none") for c in (c32, c64))
    assert a.summary["final_loss"] != b.summary["final_loss"]   # other rounding from the first update on


def test_the_lantm_c_kernel_has_a_float64_build_wherever_it_has_a_float32_one():
    if lantm_native.kernel(torch.float32) is None:
        pytest.skip("the LANTM C kernel did not build here")
    assert lantm_native.kernel(torch.float64) is not None


def test_an_unknown_dtype_names_the_allowed_ones():
    with pytest.raises(ConfigError, match="unknown dtype 'float16'; choose one of float32, float64"):
        quick("copy", "lstm", dtype="float16")
