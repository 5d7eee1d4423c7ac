"""``SummaryWriter`` (PyTorch's ``torch.utils.tensorboard.SummaryWriter``): training curves,
histograms, images and text in TensorBoard's event files, written without TensorBoard or protobuf
installed (``tensorboard --logdir runs`` shows them).

An event file is a sequence of records (``records.py``), each an Event message:
wall_time = 1 (double), step = 2, file_version = 3 ("brain.Event:2", the first record),
summary = 5 (``summary.py``), session_log = 7. Events wait in memory until ``max_queue`` of them
or ``flush_secs`` have gathered, then go to the file in one write of whole records; ``flush``,
``close``, leaving a ``with`` block and the interpreter's exit write the rest. A file cut short by a
crash loses at most its unwritten events: what was written stays readable.
"""
import itertools
import os
import socket
import time
import weakref
from datetime import datetime

import numpy as np

from . import protobuf as pb
from . import summary
from .records import frame

_file_numbers = itertools.count()


def _event(wall_time, step=None, summary_bytes=None, file_version=None, session_log=None):
    return (pb.double_field(1, wall_time) + (pb.int_field(2, step) if step else b"")
            + (pb.bytes_field(3, file_version) if file_version else b"")
            + (pb.bytes_field(5, summary_bytes) if summary_bytes is not None else b"")
            + (pb.bytes_field(7, session_log) if session_log is not None else b""))


class FileWriter:
    """One event file in ``log_dir``, named as TensorFlow names them (never one that exists)."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        os.makedirs(log_dir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}."
                f"{next(_file_numbers)}{filename_suffix}")
        self.log_dir, self.path = log_dir, os.path.join(log_dir, name)
        self.max_queue, self.flush_secs = max_queue, flush_secs
        self._file = open(self.path, "xb")
        self._pending, self._last_flush = [], time.monotonic()
        self.add_event(_event(time.time(), file_version="brain.Event:2"))
        self.flush()

    def get_logdir(self):
        return self.log_dir

    def add_event(self, event):
        if self._file is None:
            raise ValueError(f"SummaryWriter: the event file {self.path} is closed")
        self._pending.append(frame(event))
        if len(self._pending) >= self.max_queue or time.monotonic() - self._last_flush >= self.flush_secs:
            self.flush()

    def add_summary(self, summary_bytes, global_step=None, walltime=None):
        self.add_event(_event(time.time() if walltime is None else walltime, global_step, summary_bytes))

    def flush(self):
        if self._file is not None and self._pending:
            self._file.write(b"".join(self._pending))  # whole records only
            self._file.flush()
            self._pending = []
        self._last_flush = time.monotonic()

    def close(self):
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None


def _close_all(writers):
    for writer in writers.values():
        writer.close()


class SummaryWriter:
    """Writes to ``log_dir`` (default runs/<date>_<host><comment>), as PyTorch's SummaryWriter."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        if not log_dir:
            log_dir = os.path.join("runs", datetime.now().strftime("%b%d_%H-%M-%S") + "_" + socket.gethostname()
                                   + comment)
        self.log_dir, self.purge_step = str(log_dir), purge_step
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self.default_bins = summary.default_bins()
        self.file_writer = self.all_writers = None
        self._get_file_writer()

    def _get_file_writer(self):
        """The main event file (made again after ``close``); with ``purge_step``, first the events
        that tell TensorBoard to drop what an earlier run logged from that step on."""
        if self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.log_dir: self.file_writer}
            self._finalizer = weakref.finalize(self, _close_all, self.all_writers)
            if self.purge_step is not None:
                self.file_writer.add_event(_event(time.time(), self.purge_step, file_version="brain.Event:2"))
                self.file_writer.add_event(_event(time.time(), self.purge_step, session_log=pb.int_field(1, 1)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False, double_precision=False):
        """One point of the curve ``tag``: a number, or a one-element Tensor or array."""
        self._get_file_writer().add_summary(
            summary.scalar(tag, _number(scalar_value, tag), new_style, double_precision), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several curves in one chart ``main_tag``: each in a run of its own, log_dir/<main_tag>_<tag>."""
        walltime = time.time() if walltime is None else walltime
        self._get_file_writer()
        for tag, value in tag_scalar_dict.items():
            directory = self.log_dir + "/" + main_tag.replace("/", "_") + "_" + tag
            if directory not in self.all_writers:
                self.all_writers[directory] = FileWriter(directory, self.max_queue, self.flush_secs,
                                                         self.filename_suffix)
            self.all_writers[directory].add_summary(summary.scalar(main_tag, _number(value, tag)), global_step,
                                                    walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """The distribution of ``values`` (any shape): TensorBoard's buckets by default, or ``bins`` as
        numpy.histogram takes them."""
        bins = self.default_bins if isinstance(bins, str) and bins == "tensorflow" else bins
        self._get_file_writer().add_summary(summary.histogram(tag, _array(values), bins, max_bins), global_step,
                                            walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """An image: floats in [0, 1] or uint8, laid out as ``dataformats`` says."""
        self._get_file_writer().add_summary(summary.image(tag, _array(img_tensor), dataformats), global_step,
                                            walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images, shown as one grid of up to 8 columns."""
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Text (Markdown) under ``tag``."""
        self._get_file_writer().add_summary(summary.text(tag, str(text_string)), global_step, walltime)

    def flush(self):
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self):
        for writer in (self.all_writers or {}).values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()


def _array(value):
    """A Tensor (on any device), array or list as a NumPy array."""
    return value.numpy() if hasattr(value, "numpy") and not isinstance(value, np.ndarray) else np.asarray(value)


def _number(value, tag):
    array = _array(value)
    if array.size != 1:
        raise ValueError(f"add_scalar: '{tag}' needs one number, got {array.size} values (shape {tuple(array.shape)})")
    return float(array.reshape(()))
