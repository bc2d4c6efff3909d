"""front_kernels.compat.torch_dct against the installed torch-dct package (the oracle): every public
name, both norms, float32 and float64, odd and 1-length dims, gradients, LinearDCT and apply_linear_*."""
import inspect

import pytest
import torch
import torch.nn as nn

from conftest import TOL, rel_err

torch_dct = pytest.importorskip(
    "torch_dct", reason="torch-dct (the oracle of these tests) is not installed: pip install --no-deps torch-dct")

import front_kernels.compat.torch_dct as fkd  # noqa: E402

NORMS = [None, "ortho"]
DTYPES = [torch.float64, torch.float32]
SHAPES_1D = [(1,), (2,), (3,), (5,), (8,), (17,), (32,), (4, 1), (3, 7), (2, 1, 9), (2, 3, 16)]
SHAPES_2D = [(1, 1), (1, 5), (4, 1), (3, 3), (2, 5, 7), (3, 1, 4), (4, 9, 2), (2, 3, 8, 8)]
SHAPES_3D = [(1, 1, 1), (2, 1, 3), (3, 5, 7), (2, 3, 5, 7), (1, 4, 1, 3), (2, 2, 4, 4, 4)]
PAIRS = [("dct", "idct"), ("dct_2d", "idct_2d"), ("dct_3d", "idct_3d")]


def _x(shape, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64).to(dtype)


def _close(got, ref, dtype):
    assert got.dtype == ref.dtype == dtype
    assert got.shape == ref.shape
    assert rel_err(got, ref) < TOL[dtype]


# ----------------------------------------------------------------------------------------------
# the API surface


def test_every_public_name_of_torch_dct_is_here():
    public = {n for n in dir(torch_dct) if not n.startswith("_")}
    assert public == {"dct", "idct", "dct1", "idct1", "dct_2d", "idct_2d", "dct_3d", "idct_3d", "LinearDCT",
                      "apply_linear_2d", "apply_linear_3d"}
    assert public <= set(fkd.__all__)
    for name in public:
        assert callable(getattr(fkd, name)), name


@pytest.mark.parametrize("name", ["dct", "idct", "dct1", "idct1", "dct_2d", "idct_2d", "dct_3d", "idct_3d",
                                  "LinearDCT", "apply_linear_2d", "apply_linear_3d"])
def test_signatures_extend_torch_dct(name):
    """torch-dct's parameters, in order, with the same names, kinds and defaults; anything more is keyword-only."""
    theirs = list(inspect.signature(getattr(torch_dct, name)).parameters.values())
    ours = list(inspect.signature(getattr(fkd, name)).parameters.values())
    assert [(p.name, p.kind, p.default) for p in ours[:len(theirs)]] == \
           [(p.name, p.kind, p.default) for p in theirs]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in ours[len(theirs):])


def test_keyword_arguments_by_torch_dcts_names():
    x = _x((3, 6, 6, 6), torch.float64)
    assert rel_err(fkd.dct(x=x, norm="ortho"), torch_dct.dct(x=x, norm="ortho")) < 1e-10
    assert rel_err(fkd.idct(X=x, norm=None), torch_dct.idct(X=x, norm=None)) < 1e-10
    assert rel_err(fkd.dct1(x=x), torch_dct.dct1(x=x)) < 1e-10
    assert rel_err(fkd.idct1(X=x), torch_dct.idct1(X=x)) < 1e-10
    assert rel_err(fkd.dct_2d(x=x, norm="ortho"), torch_dct.dct_2d(x=x, norm="ortho")) < 1e-10
    assert rel_err(fkd.idct_2d(X=x), torch_dct.idct_2d(X=x)) < 1e-10
    assert rel_err(fkd.dct_3d(x, "ortho"), torch_dct.dct_3d(x, "ortho")) < 1e-10
    assert rel_err(fkd.idct_3d(X=x, norm="ortho"), torch_dct.idct_3d(X=x, norm="ortho")) < 1e-10
    layer = fkd.LinearDCT(in_features=6, type="dct", norm="ortho", bias=False, dtype=torch.float64)
    assert rel_err(fkd.apply_linear_2d(x=x, linear_layer=layer), torch_dct.dct_2d(x, norm="ortho")) < 1e-10
    assert rel_err(fkd.apply_linear_3d(x=x, linear_layer=layer), torch_dct.dct_3d(x, norm="ortho")) < 1e-10


# ----------------------------------------------------------------------------------------------
# values


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("shape", SHAPES_1D)
def test_dct_idct(shape, norm, dtype):
    x = _x(shape, dtype)
    _close(fkd.dct(x, norm), torch_dct.dct(x, norm), dtype)
    _close(fkd.idct(x, norm), torch_dct.idct(x, norm), dtype)
    assert rel_err(fkd.idct(fkd.dct(x, norm=norm), norm=norm), x) < TOL[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [s for s in SHAPES_1D if s[-1] > 1])
def test_dct1_idct1(shape, dtype):
    x = _x(shape, dtype)
    _close(fkd.dct1(x), torch_dct.dct1(x), dtype)
    _close(fkd.idct1(x), torch_dct.idct1(x), dtype)
    assert rel_err(fkd.idct1(fkd.dct1(x)), x) < TOL[dtype]


def test_dct1_reused_extension_buffer_does_not_leak_between_calls():
    # without autograd, the even extension is built in a per-thread buffer reused across calls and
    # shapes, also when the buffer was first made under inference_mode
    from front_kernels._backends.reference import native
    native.clear_workspace()
    with torch.inference_mode():
        small = _x((3, 5), torch.float64)
        _close(fkd.dct1(small), torch_dct.dct1(small), torch.float64)
    big, other = _x((6, 33), torch.float64, seed=1), _x((2, 3, 9), torch.float64, seed=2)
    first = fkd.dct1(big)
    _close(fkd.idct1(other), torch_dct.idct1(other), torch.float64)
    _close(first, torch_dct.dct1(big), torch.float64)
    _close(fkd.dct1(small), torch_dct.dct1(small), torch.float64)
    _close(fkd.dct1(big.T), torch_dct.dct1(big.T.contiguous()), torch.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dct1_of_one_point_is_the_point_and_idct1_refuses_it(dtype):
    x = _x((4, 1), dtype)
    _close(fkd.dct1(x), torch_dct.dct1(x), dtype)
    assert torch.equal(fkd.dct1(x), x)
    with pytest.raises(ValueError, match="idct1 needs at least 2 points"):
        fkd.idct1(x)  # torch-dct divides by 2 (N - 1) = 0 here


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("shape", SHAPES_2D)
def test_dct_2d_idct_2d(shape, norm, dtype):
    x = _x(shape, dtype)
    _close(fkd.dct_2d(x, norm), torch_dct.dct_2d(x, norm), dtype)
    _close(fkd.idct_2d(x, norm), torch_dct.idct_2d(x, norm), dtype)
    assert rel_err(fkd.idct_2d(fkd.dct_2d(x, norm), norm), x) < TOL[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("shape", SHAPES_3D)
def test_dct_3d_idct_3d(shape, norm, dtype):
    x = _x(shape, dtype)
    _close(fkd.dct_3d(x, norm), torch_dct.dct_3d(x, norm), dtype)
    _close(fkd.idct_3d(x, norm), torch_dct.idct_3d(x, norm), dtype)
    assert rel_err(fkd.idct_3d(fkd.dct_3d(x, norm), norm), x) < TOL[dtype]


@pytest.mark.parametrize("fwd,inv", PAIRS)
def test_non_contiguous_input(fwd, inv):
    x = _x((6, 5, 7, 4), torch.float64).transpose(0, 3)[..., ::2, :]  # shape (4, 5, 4, 6), strided
    assert not x.is_contiguous()
    for name in (fwd, inv):
        for norm in NORMS:
            assert rel_err(getattr(fkd, name)(x, norm), getattr(torch_dct, name)(x.contiguous(), norm)) < 1e-10
    assert rel_err(fkd.dct1(x), torch_dct.dct1(x.contiguous())) < 1e-10


def test_backward_is_none_and_other_norms_are_refused():
    x = _x((3, 5, 5, 5), torch.float64)
    for fwd, inv in PAIRS:
        for name in (fwd, inv):
            assert rel_err(getattr(fkd, name)(x, "backward"), getattr(torch_dct, name)(x, None)) < 1e-10
            for bad in ("forward", "orth", 1):
                with pytest.raises(ValueError, match="norm must be None or 'ortho'"):
                    getattr(fkd, name)(x, bad)


def test_backend_keyword():
    x = _x((3, 9), torch.float64)
    assert rel_err(fkd.dct(x, "ortho", backend="reference"), torch_dct.dct(x, "ortho")) < 1e-10
    assert rel_err(fkd.idct1(x, backend="reference"), torch_dct.idct1(x)) < 1e-10
    with pytest.raises(ValueError, match="backend"):
        fkd.dct_2d(x, backend="nope")


# ----------------------------------------------------------------------------------------------
# gradients


GRAD_CASES = [("dct", (3, 5)), ("idct", (2, 1, 4)), ("dct_2d", (2, 3, 4)), ("idct_2d", (3, 1)),
              ("dct_3d", (2, 3, 1, 4)), ("idct_3d", (2, 3, 2))]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name,shape", GRAD_CASES)
def test_gradcheck_and_gradient_equals_torch_dcts(name, shape, norm):
    x = _x(shape, torch.float64).requires_grad_()
    f = getattr(fkd, name)
    assert torch.autograd.gradcheck(lambda t: f(t, norm), (x,))
    g = _x(shape, torch.float64, seed=1)
    ours, = torch.autograd.grad(f(x, norm), x, g)
    theirs, = torch.autograd.grad(getattr(torch_dct, name)(x, norm), x, g)
    assert rel_err(ours, theirs) < 1e-10


@pytest.mark.parametrize("name,shape", [("dct1", (3, 5)), ("dct1", (2, 2)), ("idct1", (2, 1, 4)),
                                        ("idct1", (3, 2)), ("dct1", (3, 1))])
def test_gradcheck_dct1(name, shape):
    x = _x(shape, torch.float64).requires_grad_()
    f = getattr(fkd, name)
    assert torch.autograd.gradcheck(f, (x,))
    g = _x(shape, torch.float64, seed=1)
    ours, = torch.autograd.grad(f(x), x, g)
    theirs, = torch.autograd.grad(getattr(torch_dct, name)(x), x, g)
    assert rel_err(ours, theirs) < 1e-10


# ----------------------------------------------------------------------------------------------
# LinearDCT


LINEAR_CASES = [(t, norm, n) for t in ("dct", "idct", "dct1", "idct1") for norm in NORMS
                for n in (1, 2, 5, 16, 33) if not (t == "idct1" and n == 1)]


@pytest.fixture(params=DTYPES, ids=["default-float64", "default-float32"])
def default_dtype(request):
    old = torch.get_default_dtype()
    torch.set_default_dtype(request.param)
    yield request.param
    torch.set_default_dtype(old)


@pytest.mark.parametrize("type,norm,n", LINEAR_CASES)
def test_linear_dct_weight_equals_torch_dcts(type, norm, n, default_dtype):
    ours, theirs = fkd.LinearDCT(n, type, norm), torch_dct.LinearDCT(n, type, norm)
    assert isinstance(ours, nn.Linear) and isinstance(ours, fkd.LinearDCT)
    assert (ours.in_features, ours.out_features) == (n, n)
    assert (ours.type, ours.N, ours.norm) == (theirs.type, theirs.N, theirs.norm) == (type, n, norm)
    assert ours.bias is None and theirs.bias is None
    assert isinstance(ours.weight, nn.Parameter) and not ours.weight.requires_grad
    assert ours.weight.requires_grad == theirs.weight.requires_grad
    assert [p for p in ours.parameters() if p.requires_grad] == []
    _close(ours.weight, theirs.weight, default_dtype)
    assert set(ours.state_dict()) == set(theirs.state_dict()) == {"weight"}
    # the layer computes the functional transform
    x = _x((3, n), default_dtype)
    functional = {"dct": lambda t: fkd.dct(t, norm), "idct": lambda t: fkd.idct(t, norm),
                  "dct1": fkd.dct1, "idct1": fkd.idct1}[type]
    _close(ours(x), functional(x), default_dtype)


def test_linear_dct_positional_norm_bias_dtype_and_reset():
    layer = fkd.LinearDCT(7, "idct", "ortho", True, dtype=torch.float64)
    ref = torch_dct.LinearDCT(7, "idct", "ortho", True)
    assert layer.weight.dtype == layer.bias.dtype == torch.float64
    assert rel_err(layer.weight, ref.weight.double()) < TOL[torch.float32]  # torch-dct builds it in float32
    assert rel_err(layer.weight, fkd.idct(torch.eye(7, dtype=torch.float64), "ortho").t()) < 1e-12
    # the bias: trainable as in torch-dct, but zero instead of uninitialised memory
    assert layer.bias.shape == ref.bias.shape == (7,)
    assert layer.bias.requires_grad and ref.bias.requires_grad
    assert torch.equal(layer.bias, torch.zeros(7, dtype=torch.float64))
    with torch.no_grad():
        layer.weight.add_(1.0)
        layer.bias.add_(1.0)
    layer.reset_parameters()
    assert rel_err(layer.weight, fkd.idct(torch.eye(7, dtype=torch.float64), "ortho").t()) < 1e-12
    assert not layer.weight.requires_grad and not layer.bias.any()
    assert "type='idct'" in repr(layer) and "norm='ortho'" in repr(layer)


def test_linear_dct_loads_a_torch_dct_state_dict():
    ours = fkd.LinearDCT(9, "dct", "ortho")
    ours.load_state_dict(torch_dct.LinearDCT(9, "dct", "ortho").state_dict(), strict=True)
    assert rel_err(ours.weight, fkd.LinearDCT(9, "dct", "ortho").weight) < TOL[torch.float32]


def test_linear_dct_bad_arguments():
    with pytest.raises(ValueError, match="type must be one of"):
        fkd.LinearDCT(4, "dst")  # torch-dct keeps a random weight here
    with pytest.raises(ValueError, match="norm must be None or 'ortho'"):
        fkd.LinearDCT(4, "dct", "forward")
    with pytest.raises(ValueError, match="in_features"):
        fkd.LinearDCT(0, "dct")
    with pytest.raises(ValueError, match="idct1"):
        fkd.LinearDCT(1, "idct1")
    # as in torch-dct, the DCT-I types ignore norm
    assert torch.equal(fkd.LinearDCT(5, "dct1", "ortho").weight, fkd.LinearDCT(5, "dct1").weight)


# ----------------------------------------------------------------------------------------------
# apply_linear_2d / apply_linear_3d


@pytest.mark.parametrize("type", ["dct", "idct", "dct1", "idct1"])
@pytest.mark.parametrize("norm", NORMS)
def test_apply_linear_with_linear_dct(type, norm):
    n = 5
    ours = fkd.LinearDCT(n, type, norm, dtype=torch.float64)
    theirs = torch_dct.LinearDCT(n, type, norm).double()
    x2, x3 = _x((3, n, n), torch.float64), _x((2, n, n, n), torch.float64, seed=1)
    assert rel_err(fkd.apply_linear_2d(x2, ours), torch_dct.apply_linear_2d(x2, theirs)) < TOL[torch.float32]
    assert rel_err(fkd.apply_linear_3d(x3, ours), torch_dct.apply_linear_3d(x3, theirs)) < TOL[torch.float32]
    # the same layer in both: float64 agreement
    assert rel_err(fkd.apply_linear_2d(x2, ours), torch_dct.apply_linear_2d(x2, ours)) < 1e-12
    assert rel_err(fkd.apply_linear_3d(x3, ours), torch_dct.apply_linear_3d(x3, ours)) < 1e-12
    if type in ("dct", "idct"):
        assert rel_err(fkd.apply_linear_2d(x2, ours), getattr(fkd, f"{type}_2d")(x2, norm)) < 1e-12
        assert rel_err(fkd.apply_linear_3d(x3, ours), getattr(fkd, f"{type}_3d")(x3, norm)) < 1e-12


def test_apply_linear_with_any_linear_layer():
    """A non-square layer with a bias: the order of the steps and the bias at each step as torch-dct."""
    g = torch.Generator().manual_seed(3)
    layer = nn.Linear(4, 3, bias=True).double()
    with torch.no_grad():
        layer.weight.copy_(torch.randn(3, 4, generator=g, dtype=torch.float64))
        layer.bias.copy_(torch.randn(3, generator=g, dtype=torch.float64))
    x2, x3 = _x((2, 4, 4), torch.float64), _x((4, 4, 4), torch.float64, seed=1)
    y2, y3 = fkd.apply_linear_2d(x2, layer), fkd.apply_linear_3d(x3, layer)
    assert y2.shape == (2, 3, 3) and y3.shape == (3, 3, 3)
    assert rel_err(y2, torch_dct.apply_linear_2d(x2, layer)) < 1e-12
    assert rel_err(y3, torch_dct.apply_linear_3d(x3, layer)) < 1e-12
    # gradients flow to the layer's parameters as in torch-dct
    ours = torch.autograd.grad(fkd.apply_linear_3d(x3, layer).sum(), (layer.weight, layer.bias))
    theirs = torch.autograd.grad(torch_dct.apply_linear_3d(x3, layer).sum(), (layer.weight, layer.bias))
    for a, b in zip(ours, theirs):
        assert rel_err(a, b) < 1e-12


@pytest.mark.parametrize("type, norm", [("dct", None), ("dct", "ortho"), ("idct", None), ("idct", "ortho")])
def test_linear_dct_takes_the_transform_while_its_weight_is_the_matrix(type, norm):
    """Above the crossover the forward is the transform (checked by spying on it), giving F.linear's numbers
    to rounding, in float64 against the float64 product and with the input's gradient W^T g."""
    import torch.nn.functional as F
    n, rows = 128, 1024
    layer = fkd.LinearDCT(n, type, norm=norm, dtype=torch.float64)
    x = torch.randn(rows, n, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    calls = []
    real = getattr(fkd, type)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fkd, type, lambda *a, **k: calls.append(1) or real(*a, **k))
        y = layer(x)
    assert calls, "the transform path was not taken"
    want = F.linear(x.detach(), layer.weight)
    assert rel_err(y.detach(), want) < 1e-13
    g = torch.randn(rows, n, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y.backward(g)
    assert rel_err(x.grad, g @ layer.weight) < 1e-13
    assert set(layer.state_dict()) == {"weight"}


def test_linear_dct_applies_an_edited_or_loaded_weight():
    """An edit the version counter does not see (``weight.data``), a loaded state dict, a weight set to
    train, and a small input all run the product with the weight the layer holds."""
    import torch.nn.functional as F
    layer = fkd.LinearDCT(128, "dct", norm="ortho", bias=True)
    x = torch.randn(1024, 128, generator=torch.Generator().manual_seed(0))
    assert layer._transform_applies(x)
    layer.weight.data[3, 5] += 1.0
    assert not layer._transform_applies(x)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight, layer.bias), rtol=0, atol=0)
    other = fkd.LinearDCT(128, "idct", norm="ortho", bias=True)
    layer.load_state_dict(other.state_dict())
    torch.testing.assert_close(layer(x), F.linear(x, other.weight, other.bias), rtol=0, atol=0)
    layer.reset_parameters()
    with torch.no_grad():
        layer.bias.fill_(0.5)
    assert layer._transform_applies(x)
    torch.testing.assert_close(layer(x), fkd.dct(x, "ortho") + 0.5, rtol=1e-5, atol=1e-5)
    layer.weight.requires_grad_(True)
    assert not layer._transform_applies(x)
    layer(x).sum().backward()
    assert layer.weight.grad is not None
    assert not fkd.LinearDCT(128, "dct")._transform_applies(x[:16])
    assert not fkd.LinearDCT(128, "dct1")._transform_applies(x)
    assert not fkd.LinearDCT(128, "dct", dtype=torch.float64)._transform_applies(x)
