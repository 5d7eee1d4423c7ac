"""Timing code the way PyTorch's ``torch.utils.benchmark`` does, for tinynn (CPU or GPU):

    from tinynn.utils import benchmark
    timer = benchmark.Timer("x @ w", globals={"x": x, "w": w}, label="linear", sub_label="batch 128",
                            description="tinynn")
    print(timer.blocked_autorange(min_run_time=0.5))      # median and IQR over blocks of runs
    benchmark.Compare([m1, m2, ...]).print()               # a table: sub_labels by descriptions

A measurement times blocks of ``number`` runs (so the timer's own overhead vanishes) and reports the
time per run: median, mean and interquartile range over the blocks. On the GPU a block ends with a
synchronisation, so it times the work, not the queueing of kernels.
"""
import statistics
import time
import timeit as _timeit

import numpy as np

from .. import backend, parallel


def _synchronize():
    """Wait for queued GPU work, where CuPy is in use (the CPU needs nothing)."""
    if backend._cupy_module is not None:
        backend.synchronize(backend.GPU)


class Measurement:
    """The times per run of a statement (seconds), from blocks of ``number_per_run`` runs each."""

    def __init__(self, number_per_run, raw_times, stmt, label=None, sub_label=None, description=None, num_threads=1):
        self.number_per_run, self.raw_times = number_per_run, list(raw_times)
        self.stmt, self.label, self.sub_label, self.description = stmt, label, sub_label, description
        self.num_threads = num_threads

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def mean(self):
        return statistics.fmean(self.times)

    @property
    def iqr(self):
        low, high = np.percentile(self.times, [25, 75])
        return float(high - low)

    @property
    def significant_figures(self):
        """How many digits of the median its spread supports (1 to 4), PyTorch's rough estimate: a
        90% interval, 1.645 standard errors of the interquartile times (at least 25 ns)."""
        times = sorted(self.times)
        middle = times[len(times) // 4:int(np.ceil(3 * len(times) / 4))]
        interval = max(1.645 * float(np.std(middle)) / np.sqrt(len(middle)), 25e-9)
        return int(min(max(np.floor(np.log10(self.median / interval)), 1), 4))

    @property
    def title(self):
        return ": ".join(part for part in (self.label, self.sub_label) if part) or self.stmt

    def __repr__(self):
        value, unit = _scaled(self.median)
        lines = [f"<tinynn.utils.benchmark.Measurement object at {hex(id(self))}>", self.title]
        if self.description:
            lines.append(self.description)
        if len(self.times) > 1:
            low, high = np.percentile(self.times, [25, 75])
            scale = value / self.median
            lines += [f"  Median: {value:.2f} {unit}",
                      f"  IQR:    {self.iqr * scale:.2f} {unit} ({low * scale:.2f} to {high * scale:.2f})"]
        else:
            lines.append(f"  {value:.2f} {unit}")
        runs = f"{self.number_per_run} runs per measurement" if len(self.times) > 1 else f"{self.number_per_run} runs"
        lines.append(f"  {len(self.times)} measurement{'s' if len(self.times) > 1 else ''}, {runs}, "
                     f"{self.num_threads} thread{'s' if self.num_threads > 1 else ''}")
        return "\n".join(lines)


def _scaled(seconds):
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= factor:
            return seconds / factor, unit
    return seconds / 1e-9, "ns"


class Timer:
    """``stmt`` (a string of code, or a callable) timed after ``setup`` ran once, with ``globals``;
    ``num_threads``: tinynn's CPU threads while timing (restored after)."""

    def __init__(self, stmt="pass", setup="pass", globals=None, label=None, sub_label=None, description=None,
                 num_threads=1):
        self.stmt, self.label, self.sub_label, self.description = stmt, label, sub_label, description
        self.num_threads = num_threads
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=self._clock, globals=dict(globals or {}))

    @staticmethod
    def _clock():
        _synchronize()
        return time.perf_counter()

    def _run(self, number):
        before = parallel.get_num_threads()
        parallel.set_num_threads(self.num_threads)
        try:
            return self._timer.timeit(number)
        finally:
            parallel.set_num_threads(before)

    def _measurement(self, number, raw_times):
        stmt = self.stmt if isinstance(self.stmt, str) else getattr(self.stmt, "__name__", repr(self.stmt))
        return Measurement(number, raw_times, stmt, self.label, self.sub_label, self.description, self.num_threads)

    def timeit(self, number=1000000):
        """One block of ``number`` runs (after one warm-up run)."""
        self._run(1)
        return self._measurement(number, [self._run(number)])

    def repeat(self, repeat=5, number=1000000):
        return [self._run(number) for _ in range(repeat)]

    def autorange(self, callback=None):
        """The standard library's autorange: (number, total time) with a total of at least 0.2 s."""
        return self._timer.autorange(callback)

    def _block_size(self, min_run_time):
        """Runs per block: enough that the timer's own overhead is under 1e-4 of a block and a block
        lasts at least min_run_time / 1000 (or the whole min_run_time), as PyTorch's estimate."""
        overhead = statistics.median(self._run(0) for _ in range(5))
        number = 1
        while number < 2 ** 31:
            taken = self._run(number)
            if (overhead / taken <= 1e-4 and taken >= min_run_time / 1000) or taken > min_run_time:
                break
            number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of runs until ``min_run_time`` seconds have been measured (at least one block);
        ``callback(number, time)`` after each."""
        number = self._block_size(min_run_time)
        raw_times, total = [], 0.0
        while total < min_run_time or not raw_times:
            taken = self._run(number)
            raw_times.append(taken)
            total += taken
            if callback is not None:
                callback(number, taken)
        return self._measurement(number, raw_times)


class Compare:
    """A table of measurements per label: rows the sub_labels, columns the descriptions, the median
    time per run in one unit for the whole table."""

    def __init__(self, results):
        self.results = list(results)

    def __str__(self):
        blocks = []
        for label in dict.fromkeys(m.label for m in self.results):
            group = [m for m in self.results if m.label == label]
            rows = list(dict.fromkeys(m.sub_label or "" for m in group))
            columns = list(dict.fromkeys(m.description or "" for m in group))
            _, unit = _scaled(min(m.median for m in group))
            factor = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[unit]
            cells = {(m.sub_label or "", m.description or ""): f"{m.median / factor:.1f}" for m in group}
            width = [max(len(rows_name) for rows_name in rows + [""])] + [
                max([len(c)] + [len(cells.get((r, c), "")) for r in rows]) for c in columns]
            header = " " * width[0] + "  |  " + "  |  ".join(c.center(w) for c, w in zip(columns, width[1:]))
            title = f"[ {label or ''} ]".center(len(header), "-")
            lines = [title, header, "-" * len(header)]
            for r in rows:
                lines.append(r.rjust(width[0]) + "  |  " + "  |  ".join(
                    cells.get((r, c), "").center(w) for c, w in zip(columns, width[1:])))
            lines += ["", f"Times are in {dict(s='seconds', ms='milliseconds', us='microseconds', ns='nanoseconds')[unit]} ({unit})."]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def print(self):
        print(str(self))
