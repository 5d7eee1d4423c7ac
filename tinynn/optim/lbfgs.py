"""L-BFGS (PyTorch's ``LBFGS``, after minFunc): a quasi-Newton method that steers each step by an
estimate of the inverse Hessian built from the last ``history_size`` steps, with an optional
strong-Wolfe line search. It needs a closure that re-evaluates the loss (and its gradients),
since one ``step`` evaluates the function up to ``max_eval`` times.

All parameters are handled as one flat vector x (the parameters laid end to end), g = dL/dx.
"""
from .. import backend
from ..autograd import enable_grad, no_grad
from .hyperparameters import AT_LEAST_0
from .optimizer import Optimizer


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
    ``bounds`` (by default the interval between x1 and x2); its midpoint where the cubic has none:
        d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2),  d2 = sqrt(d1^2 - g1 g2),
        x = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)   (for x1 <= x2)."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2
    d2 = d2_square ** 0.5
    if x1 <= x2:
        minimum = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimum = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, low), high)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step length t along d satisfying the strong Wolfe conditions
        f(x + t d) <= f + c1 t gtd          (enough decrease),
        |g(x + t d) . d| <= -c2 gtd         (the slope flattened enough),
    found by growing t until a bracket holds a minimum, then shrinking the bracket by cubic
    interpolation (Nocedal and Wright, algorithms 3.5 and 3.6). ``evaluate(t)`` -> (f, g) at
    x + t d. Returns (f, g, t, evaluations)."""
    d_norm = float(abs(d).max())
    f_new, g_new = evaluate(t)
    evaluations, gtd_new = 1, float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done, iteration = False, 0
    while iteration < max_ls:  # bracketing: grow t until [t_prev, t] holds a minimum
        if f_new > f + c1 * t * gtd or (iteration > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g, done = [t], [f_new], [g_new], True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        t_prev, t = t, _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                          bounds=(t + 0.01 * (t - t_prev), t * 10))
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new = evaluate(t)
        evaluations, gtd_new, iteration = evaluations + 1, float(g_new @ d), iteration + 1
    if iteration == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket around a point that satisfies both conditions
    insufficient_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and iteration < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t away from the bracket's ends: a step stuck there makes no progress
        margin = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < margin:
            if insufficient_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - margin if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate(t)
        evaluations, gtd_new, iteration = evaluations + 1, float(g_new @ d), iteration + 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = (
                    bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low])
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evaluations


class LBFGS(Optimizer):
    """Each iteration of a ``step``:

        d = -H g, H the L-BFGS inverse-Hessian estimate: the two-loop recursion over the stored
            pairs s_i = x_(i+1) - x_i, y_i = g_(i+1) - g_i (a pair is kept when y.s > 1e-10),
            starting from H_0 = (y.s / y.y) I of the newest pair (plain -g on the first iteration)
        t = lr (min(1, 1 / |g|_1) lr on the very first), or a strong-Wolfe line search from it
        x <- x + t d, then the closure is evaluated again at the new x

    until ``max_iter`` iterations or ``max_eval`` evaluations, or |g|_inf <= tolerance_grad, or a
    step or loss change below tolerance_change. The history carries over between ``step`` calls.
    One parameter group only (as PyTorch); ``step(closure)`` returns the closure's first loss.
    """

    supports_complex = False
    HYPERPARAMETER_RANGES = dict(lr=AT_LEAST_0)

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS: per-parameter options (several parameter groups) are not supported")
        devices = {param.device for param in self.param_groups[0]["params"]}
        if len(devices) > 1:
            raise ValueError(f"LBFGS: all parameters must be on one device, got {sorted(devices)}")

    @property
    def _params(self):
        return self.param_groups[0]["params"]

    def add_param_group(self, group):
        if self.param_groups:
            raise ValueError("LBFGS: per-parameter options (several parameter groups) are not supported")
        super().add_param_group(group)

    def _flat_grad(self):
        xp = backend.get_array_module(self._params[0]._array)
        return xp.concatenate([(p.grad.to_dense()._array if p.grad is not None else xp.zeros_like(p._array)).reshape(-1)
                               for p in self._params])

    def _move(self, step_size, direction):
        """x <- x + step_size * direction, in place on every parameter."""
        offset = 0
        for param in self._params:
            param._array += step_size * direction[offset:offset + param.numel()].reshape(param.shape)
            offset += param.numel()

    def _evaluate(self, closure):
        with enable_grad():
            loss = closure()
        return float(loss), self._flat_grad()

    @no_grad()
    def step(self, closure=None):
        if closure is None:
            raise TypeError("LBFGS.step needs a closure that clears the gradients, computes the loss, calls "
                            "backward() and returns the loss: it evaluates the function several times per step")
        group = self.param_groups[0]
        lr, history_size = group["lr"], group["history_size"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self._state_of(self._params[0])
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            first_loss = closure()
        loss, flat_grad = float(first_loss), self._flat_grad()
        evaluations = 1
        state["func_evals"] += 1
        if float(abs(flat_grad).max()) <= tolerance_grad:
            return first_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_steps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
        iteration = 0
        while iteration < group["max_iter"]:
            iteration += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_steps, ro, h_diag = -flat_grad, [], [], [], 1.0
            else:
                y, s = flat_grad - prev_flat_grad, d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only where the curvature is positive
                    if len(old_dirs) == history_size:
                        del old_dirs[0], old_steps[0], ro[0]
                    old_dirs.append(y)
                    old_steps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                d = self._two_loop(-flat_grad, old_dirs, old_steps, ro, h_diag, state, history_size)
            prev_flat_grad, prev_loss = flat_grad.copy(), loss
            t = min(1.0, 1.0 / float(abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(flat_grad @ d)
            if gtd > -tolerance_change:  # not a descent direction
                break
            if group["line_search_fn"] == "strong_wolfe":
                start = [param._array.copy() for param in self._params]

                def evaluate(step_size):
                    self._move(step_size, d)
                    value = self._evaluate(closure)
                    for param, saved in zip(self._params, start):
                        param._array[...] = saved
                    return value

                loss, flat_grad, t, spent = _strong_wolfe(evaluate, t, d, loss, flat_grad, gtd,
                                                          max_ls=group["max_eval"] - evaluations)
                self._move(t, d)
                converged = float(abs(flat_grad).max()) <= tolerance_grad
            else:
                self._move(t, d)
                spent, converged = 0, False
                if iteration != group["max_iter"]:  # the last iteration's new point is left unevaluated
                    loss, flat_grad = self._evaluate(closure)
                    spent, converged = 1, float(abs(flat_grad).max()) <= tolerance_grad
            evaluations += spent
            state["func_evals"] += spent
            if (iteration == group["max_iter"] or evaluations >= group["max_eval"] or converged
                    or float(abs(d * t).max()) <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_steps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return first_loss

    @staticmethod
    def _two_loop(q, old_dirs, old_steps, ro, h_diag, state, history_size):
        """-H g by the two-loop recursion (Nocedal and Wright, algorithm 7.4), from q = -g."""
        alphas = state.setdefault("al", [None] * history_size)
        for i in range(len(old_dirs) - 1, -1, -1):
            alphas[i] = float(old_steps[i] @ q) * ro[i]
            q = q - alphas[i] * old_dirs[i]
        r = q * h_diag
        for i in range(len(old_dirs)):
            beta = float(old_dirs[i] @ r) * ro[i]
            r = r + (alphas[i] - beta) * old_steps[i]
        return r

    def _restored(self, key, value, param, where):
        """The history's flat vectors and lists of them, moved to the parameters' device and dtype."""
        def move(array):
            array = array._array if hasattr(array, "grad_fn") else array
            return backend.to_device(array, param.device).astype(param.dtype)

        if isinstance(value, list):
            return [move(v) if hasattr(v, "shape") else v for v in value]
        if hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
            return move(value)
        return super()._restored(key, value, param, where)
