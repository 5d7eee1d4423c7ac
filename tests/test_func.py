"""tinynn.func against torch.func: grad (nested: second derivatives), grad_and_value with aux,
vjp, jvp, jacrev/jacfwd over chosen arguments, hessian, and functional_call through a MAML-style
inner step, whose meta-gradient equals PyTorch's."""
import numpy as np
import pytest

import tinynn
from tinynn import func, nn
from helpers import assert_close


def curve(L):
    return lambda x: (x.sin() * x ** 2).sum()


def layer(L):
    return lambda x, w: (w @ x).tanh()


def test_grad_nests_and_carries_aux_as_torch(torch, rng):
    values = rng.standard_normal(3)
    x, tx = tinynn.tensor(values), torch.tensor(values)
    assert_close(func.grad(curve(tinynn))(x), torch.func.grad(curve(torch))(tx), rtol=1e-12, what="grad")
    second = func.grad(lambda t: func.grad(curve(tinynn))(t).sum())(x)
    t_second = torch.func.grad(lambda t: torch.func.grad(curve(torch))(t).sum())(tx)
    assert_close(second, t_second, rtol=1e-12, what="grad of grad")
    (gradient, (value, aux)) = func.grad_and_value(lambda t: ((t ** 2).sum(), t.mean()), has_aux=True)(x)
    assert_close(gradient, 2 * values, rtol=1e-12) and abs(value.item() - (values ** 2).sum()) < 1e-12
    assert abs(aux.item() - values.mean()) < 1e-12
    assert not x.requires_grad  # the argument itself is left alone


def test_jacobians_hessian_vjp_and_jvp_match_torch(torch, rng):
    xv, wv, cotangent = rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(2)
    x, w, tx, tw = tinynn.tensor(xv), tinynn.tensor(wv), torch.tensor(xv), torch.tensor(wv)
    for argnums in (0, 1, (0, 1)):
        ours = func.jacrev(layer(tinynn), argnums)(x, w)
        theirs = torch.func.jacrev(layer(torch), argnums)(tx, tw)
        for a, b in zip(ours if isinstance(argnums, tuple) else [ours], theirs if isinstance(argnums, tuple) else [theirs]):
            assert_close(a, b, rtol=1e-12, what=f"jacrev {argnums}")
        assert_close(func.jacfwd(layer(tinynn), 1)(x, w), torch.func.jacfwd(layer(torch), 1)(tx, tw), rtol=1e-12)
    assert_close(func.hessian(curve(tinynn))(x), torch.func.hessian(curve(torch))(tx), rtol=1e-12, what="hessian")
    output, vjp_fn = func.vjp(layer(tinynn), x, w)
    t_output, t_vjp_fn = torch.func.vjp(layer(torch), tx, tw)
    for _ in range(2):  # callable more than once
        for a, b in zip(vjp_fn(tinynn.tensor(cotangent)), t_vjp_fn(torch.tensor(cotangent))):
            assert_close(a, b, rtol=1e-12, what="vjp")
    _, forward = func.jvp(layer(tinynn), (x, w), (x, w))
    _, t_forward = torch.func.jvp(layer(torch), (tx, tw), (tx, tw))
    assert_close(forward, t_forward, rtol=1e-12, what="jvp")


def test_functional_call_carries_a_maml_meta_gradient_like_torch(torch, rng):
    """One inner SGD step on a task's support set with the model's own parameters, then the query
    loss with the adapted ones: its gradient with respect to the original parameters goes through
    the inner step (a second derivative), as with torch.func.functional_call."""
    model, t_model = tinynn.nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    t_model.load_state_dict({key: torch.tensor(value.numpy()) for key, value in model.state_dict().items()})
    support, query = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    targets = rng.standard_normal((4, 2)), rng.standard_normal((5, 2))

    def meta_loss(L, net, call, params):
        tensor = (lambda v: tinynn.tensor(v)) if L is tinynn else (lambda v: torch.tensor(v))
        inner = ((call(net, params, (tensor(support),)) - tensor(targets[0])) ** 2).mean()
        grads = (tinynn.autograd.grad(inner, list(params.values()), create_graph=True) if L is tinynn else
                 torch.autograd.grad(inner, list(params.values()), create_graph=True))
        adapted = {name: value - 0.1 * g for (name, value), g in zip(params.items(), grads)}
        return ((call(net, adapted, (tensor(query),)) - tensor(targets[1])) ** 2).mean()

    ours = meta_loss(tinynn, model, func.functional_call, dict(model.named_parameters()))
    theirs = meta_loss(torch, t_model, torch.func.functional_call, dict(t_model.named_parameters()))
    assert abs(ours.item() - theirs.item()) < 1e-12
    ours.backward()
    theirs.backward()
    for (name, param), (_, t_param) in zip(model.named_parameters(), t_model.named_parameters()):
        assert_close(param.grad, t_param.grad, rtol=1e-10, atol=1e-12, what=f"meta-gradient of {name}")
    assert type(model.weight) is tinynn.nn.Parameter  # the module has its own parameters back


def test_misuse_is_a_clear_error():
    with pytest.raises(ValueError, match="the function must return one number"):
        func.grad(lambda t: t * 2)(tinynn.ones(3))
    with pytest.raises(ValueError, match="argnums must be an int or a tuple of ints below the 1 arguments"):
        func.grad(lambda t: t.sum(), argnums=2)(tinynn.ones(3))
    with pytest.raises(KeyError, match="has no parameter or buffer 'kernel'"):
        func.functional_call(tinynn.nn.Linear(2, 2), {"kernel": tinynn.ones(2, 2)}, (tinynn.ones(2),))
    with pytest.raises(KeyError, match=r"strict.*missing \['bias'\]"):
        func.functional_call(tinynn.nn.Linear(2, 2), {"weight": tinynn.ones(2, 2)}, (tinynn.ones(2),), strict=True)


def test_linearize_and_stack_module_state_match_torch(torch):
    def function(library):
        return lambda x: (x ** 3).sin() * x.sum()
    x = np.array([0.3, 0.7, -0.2])
    output, jvp_fn = tinynn.func.linearize(function(tinynn), tinynn.tensor(x))
    t_output, t_jvp_fn = torch.func.linearize(function(torch), torch.tensor(x))
    assert_close(output, t_output)
    for tangent in (np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])):
        assert_close(jvp_fn(tinynn.tensor(tangent)), t_jvp_fn(torch.tensor(tangent)), rtol=1e-12)
    models = [nn.Linear(3, 2) for _ in range(4)]
    parameters, buffers = tinynn.func.stack_module_state(models)
    assert {k: v.shape for k, v in parameters.items()} == {"weight": (4, 2, 3), "bias": (4, 2)} and buffers == {}
    np.testing.assert_array_equal(parameters["weight"].numpy()[2], models[2].weight.numpy())
    assert parameters["weight"].requires_grad and parameters["weight"].grad_fn is None
    with pytest.raises(ValueError, match="stack_module_state: the models must have the same parameters"):
        tinynn.func.stack_module_state([nn.Linear(3, 2), nn.Linear(3, 2, bias=False)])


def test_vmap_maps_over_dimensions_as_torchs(torch, rng):
    x, weight = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))

    def per_example(library):
        return lambda a, b: ((a @ b) ** 2).sum()
    ours = func.vmap(per_example(tinynn), in_dims=(0, None))(tinynn.tensor(x), tinynn.tensor(weight))
    theirs = torch.func.vmap(per_example(torch), in_dims=(0, None))(torch.tensor(x), torch.tensor(weight))
    assert_close(ours, theirs, rtol=1e-12)
    # per-example gradients: vmap of grad
    ours = func.vmap(func.grad(per_example(tinynn), argnums=1), in_dims=(0, None))(tinynn.tensor(x), tinynn.tensor(weight))
    theirs = torch.func.vmap(torch.func.grad(per_example(torch), argnums=1), in_dims=(0, None))(torch.tensor(x),
                                                                                               torch.tensor(weight))
    assert ours.shape == (4, 3, 2)
    assert_close(ours, theirs, rtol=1e-12)
    # in_dims along another axis, several outputs placed by out_dims, nested dict arguments, nesting
    two = func.vmap(lambda a: (a @ tinynn.tensor(weight), a.sum()), in_dims=1, out_dims=(1, 0))(tinynn.tensor(x.T.copy()))
    assert [t.shape for t in two] == [(2, 4), (4,)]
    assert_close(two[0], (x @ weight).T, rtol=1e-12)
    scaled = func.vmap(lambda d: d["a"] * d["b"], in_dims=({"a": 0, "b": None},))({"a": tinynn.tensor(x),
                                                                                   "b": tinynn.tensor(2.0)})
    assert_close(scaled, 2 * x, rtol=1e-12)
    assert_close(tinynn.vmap(tinynn.vmap(lambda a, b: a * b))(tinynn.tensor(x), tinynn.tensor(x)), x * x, rtol=1e-12)
    # gradients flow through the stacked results
    leaf = tinynn.tensor(x, requires_grad=True)
    func.vmap(lambda a: (a ** 2).sum())(leaf).sum().backward()
    assert_close(leaf.grad, 2 * x, rtol=1e-12)


def test_vmap_randomness_and_bad_dims():
    x = tinynn.zeros(4, 3)
    with pytest.raises(RuntimeError, match="vmap: the function draws random numbers; pass randomness="):
        func.vmap(lambda a: a + tinynn.randn(3))(x)
    same = func.vmap(lambda a: a + tinynn.randn(3), randomness="same")(x).numpy()
    different = func.vmap(lambda a: a + tinynn.randn(3), randomness="different")(x).numpy()
    assert np.array_equal(same[0], same[3]) and not np.array_equal(different[0], different[3])
    with pytest.raises(ValueError, match=r"vmap: the mapped dimensions have different sizes \[3, 4\]"):
        func.vmap(lambda a, b: a)(tinynn.zeros(4, 2), tinynn.zeros(3, 2))
    with pytest.raises(ValueError, match="vmap: no argument is mapped"):
        func.vmap(lambda a: a, in_dims=None)(x)
    with pytest.raises(ValueError, match="vmap: randomness must be"):
        func.vmap(lambda a: a, randomness="fresh")


def test_vmap_over_an_empty_dimension_gives_pytorchs_empty_results(torch):
    """Mapped over a dimension of length 0 (an empty batch), the results are empty, in the function's
    output structure and shapes with 0 at out_dims, as PyTorch's (tinynn failed: it read the first
    result); working them out draws no random numbers."""
    def results(library):
        vmap = library.func.vmap
        empty = library.zeros(0, 3)
        shapes = [tuple(vmap(lambda a: a * 2)(empty).shape), tuple(vmap(lambda a: a[0])(empty).shape),
                  tuple(vmap(lambda a, b: a + b, in_dims=(1, None))(library.zeros(3, 0), library.ones(3)).shape),
                  tuple(vmap(vmap(lambda a: a.sum()))(library.zeros(2, 0, 3)).shape)]
        total, parts = vmap(lambda a: (a.sum(), {"m": a @ library.ones(3, 2)}), out_dims=(0, 1))(empty)
        return shapes, tuple(total.shape), tuple(parts["m"].shape)

    assert results(tinynn) == results(torch)
    state = tinynn.random.get_rng_state()
    assert tuple(func.vmap(lambda a: a + tinynn.randn(3), randomness="different")(tinynn.zeros(0, 3)).shape) == (0, 3)
    assert tinynn.random.get_rng_state()["cpu"] == state["cpu"]


def test_replace_all_batch_norm_modules_keeps_no_running_statistics():
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(4, affine=False)),
                          nn.InstanceNorm2d(3, track_running_stats=True))
    assert func.replace_all_batch_norm_modules_(model) is model
    for batch_norm in (model[1], model[2][0]):
        assert not batch_norm.track_running_stats
        assert batch_norm.running_mean is None and batch_norm.running_var is None
        assert batch_norm.num_batches_tracked is None
    assert model[3].track_running_stats and model[3].running_mean is not None  # instance norm is not batch norm
    assert sorted(name for name, _ in model.named_buffers()) == ["3.num_batches_tracked", "3.running_mean",
                                                                  "3.running_var"]
    model.eval()  # batch statistics even in evaluation: the output of each sample is normalised over the batch
    x = tinynn.randn(4, 1, 5, 5)
    normalised = model[1](model[0](x)).numpy()
    assert_close(normalised.mean(axis=(0, 2, 3)), np.zeros(3), rtol=0, atol=1e-5)


def test_grad_of_dicts_and_tuples_of_tensors_as_torch_func(torch):
    """PyTorch's per-sample gradient recipe: vmap(grad(loss)) with the parameters as a dict."""
    def run(module, func):
        model = module.nn.Linear(3, 1)
        with module.no_grad():
            model.weight.copy_(module.tensor([[0.5, -1.0, 2.0]]))
            model.bias.fill_(0.25)
        params = {name: value.detach() for name, value in model.named_parameters()}

        def loss(p, x, y):
            return ((func.functional_call(model, p, (x.unsqueeze(0),)) - y) ** 2).mean()
        xs = module.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]])
        per_sample = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, xs, module.zeros(2, 1))
        pair, x_grad = func.grad(lambda wb, x: ((x @ wb[0].T + wb[1]) ** 2).sum(), argnums=(0, 1))(
            (params["weight"], params["bias"]), xs)
        return per_sample, pair, x_grad
    ours, theirs = run(tinynn, tinynn.func), run(torch, torch.func)
    assert sorted(ours[0]) == ["bias", "weight"] and isinstance(ours[1], tuple)
    for name in ("weight", "bias"):
        np.testing.assert_allclose(ours[0][name].numpy(), theirs[0][name].numpy(), rtol=1e-6)
    for mine, reference in zip(list(ours[1]) + [ours[2]], list(theirs[1]) + [theirs[2]]):
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="expected Tensor arguments .* got str"):
        tinynn.func.grad(lambda s: s)("not a tensor")


def test_vjp_of_dicts_of_tensors_as_torch_func(torch):
    def run(module, transforms):
        params = {"a": module.tensor([1.0, 2.0]), "b": module.tensor([[0.5, -1.0], [2.0, 0.25]])}
        x = module.tensor([3.0, -1.0])
        _, vjp_fn = transforms.vjp(lambda p, x: {"y": p["b"] @ (p["a"] * x), "z": (x ** 2).sum()}, params, x)
        return vjp_fn({"y": module.tensor([1.0, -2.0]), "z": module.tensor(0.5)})
    (ours_params, ours_x), (theirs_params, theirs_x) = run(tinynn, tinynn.func), run(torch, torch.func)
    assert sorted(ours_params) == ["a", "b"]
    for name in ("a", "b"):
        np.testing.assert_allclose(ours_params[name].detach().numpy(), theirs_params[name].numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours_x.detach().numpy(), theirs_x.numpy(), rtol=1e-6)


def assert_same_tree(ours, theirs, what="value"):
    """Two pytrees of the same structure (dict keys, tuple and list lengths) and close leaves."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{what}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            assert_same_tree(ours[key], theirs[key], f"{what}[{key!r}]")
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), f"{what}: {type(ours)} != {type(theirs)}"
        for position, (mine, reference) in enumerate(zip(ours, theirs)):
            assert_same_tree(mine, reference, f"{what}[{position}]")
    else:
        assert_close(ours, theirs, rtol=1e-10, atol=1e-12, what=what)


def two_outputs(L):
    def f(p, x):
        hidden = (p["w"] @ x + p["b"]).tanh()
        return {"y": hidden * x[:2], "pair": ((hidden ** 2).sum(), p["b"].exp())}, hidden.mean()
    return f


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians_of_dicts_and_tuples_as_torch_func(torch, rng, transform):
    """Arguments and outputs as pytrees: each output tensor's Jacobian in its argument's structure
    (a tuple of them for a tuple of argnums), the output's structure around them, aux alongside."""
    values = {"w": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}
    xv = rng.standard_normal(3)
    params, t_params = ({k: lib.tensor(v) for k, v in values.items()} for lib in (tinynn, torch))
    x, tx = tinynn.tensor(xv), torch.tensor(xv)
    for argnums in (0, 1, (0, 1), (1, 0)):
        ours, aux = getattr(func, transform)(two_outputs(tinynn), argnums, has_aux=True)(params, x)
        theirs, t_aux = getattr(torch.func, transform)(two_outputs(torch), argnums, has_aux=True)(t_params, tx)
        assert_same_tree(ours, theirs, f"{transform} argnums={argnums}")
        assert_close(aux, t_aux, rtol=1e-12)
    hessian = func.hessian(lambda p: two_outputs(tinynn)(p, x)[0]["pair"][0])(params)
    t_hessian = torch.func.hessian(lambda p: two_outputs(torch)(p, tx)[0]["pair"][0])(t_params)
    assert_same_tree(hessian, t_hessian, "hessian")  # a dict (by output key) of dicts (by input key)
    assert hessian["w"]["b"].shape == (2, 3, 2)


def test_neural_tangent_kernel_recipe_as_torch_func(torch, rng):
    """PyTorch's NTK tutorial: per-example Jacobians of a network's output with respect to its
    parameters dict, vmap(jacrev(f), (None, 0)), contracted into the kernel between two batches."""
    x1, x2 = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    weights = {name: value.numpy() for name, value in
               tinynn.nn.Sequential(tinynn.nn.Linear(3, 6), tinynn.nn.Tanh(), tinynn.nn.Linear(6, 2)).state_dict().items()}

    def run(L):
        model = L.nn.Sequential(L.nn.Linear(3, 6), L.nn.Tanh(), L.nn.Linear(6, 2)).double()
        model.load_state_dict({name: L.tensor(value) for name, value in weights.items()})
        params = {name: value.detach() for name, value in model.named_parameters()}

        def one(p, x):
            return L.func.functional_call(model, p, (x.unsqueeze(0),)).squeeze(0)
        jac1, jac2 = (L.func.vmap(L.func.jacrev(one), (None, 0))(params, L.tensor(x)) for x in (x1, x2))
        blocks = [L.einsum("Naf,Mbf->NMab", a.flatten(2), b.flatten(2)) for a, b in zip(jac1.values(), jac2.values())]
        return jac1, sum(blocks[1:], blocks[0])

    (ours_jac, ours_ntk), (t_jac, t_ntk) = run(tinynn), run(torch)
    assert_same_tree(ours_jac, t_jac, "per-example Jacobians")
    assert ours_jac["0.weight"].shape == (4, 2, 6, 3)
    assert_close(ours_ntk, t_ntk, rtol=1e-10, atol=1e-12, what="NTK")


def test_jvp_of_dicts_with_aux_as_torch_func(torch, rng):
    values = {"w": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}
    directions = {"w": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}
    xv, dx = rng.standard_normal(3), rng.standard_normal(3)

    def run(L):
        primals = ({k: L.tensor(v) for k, v in values.items()}, L.tensor(xv))
        tangents = ({k: L.tensor(v) for k, v in directions.items()}, L.tensor(dx))
        return L.func.jvp(two_outputs(L), primals, tangents, has_aux=True)
    (output, derivative, aux), (t_output, t_derivative, t_aux) = run(tinynn), run(torch)
    assert_same_tree(output, t_output, "output")
    assert_same_tree(derivative, t_derivative, "derivative")
    assert_close(aux, t_aux, rtol=1e-12)
    x = tinynn.tensor(xv)
    with pytest.raises(ValueError, match=r"jvp: tangent 0 has shape \(2,\), expected its primal's \(3,\)"):
        func.jvp(lambda t: t * 2, (x,), (tinynn.zeros(2, dtype=tinynn.float64),))
    with pytest.raises(ValueError, match="jvp: the tangents hold 2 tensors for the primals' 1"):
        func.jvp(lambda t: t * 2, (x,), (x, x))
    with pytest.raises(TypeError, match="jvp: expected primals and tangents to be tuples, got Tensor and tuple"):
        func.jvp(lambda t: t * 2, x, (x,))
    lin_out, lin_fn = func.linearize(lambda p, t: two_outputs(tinynn)(p, t)[0],
                                     {k: tinynn.tensor(v) for k, v in values.items()}, tinynn.tensor(xv))
    t_lin_out, t_lin_fn = torch.func.linearize(lambda p, t: two_outputs(torch)(p, t)[0],
                                               {k: torch.tensor(v) for k, v in values.items()}, torch.tensor(xv))
    assert_same_tree(lin_out, t_lin_out, "linearize output")
    assert not lin_out["y"].requires_grad
    assert_same_tree(lin_fn({k: tinynn.tensor(v) for k, v in directions.items()}, tinynn.tensor(dx)),
                     t_lin_fn({k: torch.tensor(v) for k, v in directions.items()}, torch.tensor(dx)), "linearize jvp_fn")
    with pytest.raises(NotImplementedError, match="strict=True"):
        func.jvp(lambda t: t * 2, (x,), (x,), strict=True)
    with pytest.raises(ValueError, match=r"jacrev: with has_aux=True the function must return a pair \(output, aux\)"):
        func.jacrev(lambda t: t * 2, has_aux=True)(x)
    with pytest.raises(ValueError, match="jacrev: chunk_size must be None or a positive int, got 0"):
        func.jacrev(lambda t: t * 2, chunk_size=0)


def test_functional_call_replaces_a_tied_weight_under_all_its_names_as_torchs(torch):
    """An embedding's weight given to the output layer too: a value for either name is used by both
    (tie_weights=True, the default), two values for it are an error; with tie_weights=False each name
    stands alone, and strict wants them all. Before, tie_weights was ignored: the other layer kept its
    own weight, a silent wrong answer."""
    results = []
    for library in (tinynn, torch):
        library.manual_seed(0)

        class TiedModel(library.nn.Module):
            def __init__(self):
                super().__init__()
                self.enc, self.dec = library.nn.Embedding(4, 3), library.nn.Linear(3, 4, bias=False)
                self.dec.weight = self.enc.weight

            def forward(self, index):
                return self.dec(self.enc(index))

        model, index, call = TiedModel(), library.tensor([1]), library.func.functional_call
        shared = library.ones(4, 3)
        results.append([call(model, {"dec.weight": library.ones(4, 3)}, (index,)).tolist(),
                        call(model, {"enc.weight": shared, "dec.weight": shared}, (index,)).tolist(),
                        call(model, {"enc.weight": library.ones(4, 3)}, (index,), strict=True).tolist(),
                        call(model, ({"enc.weight": library.ones(4, 3)}, {"dec.weight": 2 * library.ones(4, 3)}),
                             (index,), tie_weights=False).tolist()])
        with pytest.raises(ValueError, match=r"multiple values for keys \['dec.weight', 'enc.weight'\], which are tied"):
            call(model, {"enc.weight": library.ones(4, 3), "dec.weight": library.zeros(4, 3)}, (index,))
        with pytest.raises((KeyError, RuntimeError), match="dec.weight"):
            call(model, {"enc.weight": library.ones(4, 3)}, (index,), tie_weights=False, strict=True)
    assert results[0] == results[1] == [[[3.0] * 4], [[3.0] * 4], [[3.0] * 4], [[6.0] * 4]]
