"""tinynn.utils.tensorboard: event files TensorBoard reads as it reads PyTorch's (checked with
TensorBoard's own EventAccumulator where it is installed), read back here by read_events: scalars,
histograms with TensorBoard's buckets, PNG images, text, add_scalars runs, purge_step; the record
framing's CRC-32C on its published test vectors; files that survive a crash and are never
overwritten; bad values named."""
import glob
import os
import struct
import zlib

import numpy as np
import pytest

import tinynn
from tinynn.utils.tensorboard import SummaryWriter, read_events
from tinynn.utils.tensorboard.records import crc32c, frame, masked_crc32c


def event_file(directory):
    (path,) = glob.glob(os.path.join(directory, "events.out.tfevents.*"))
    return path


def values(directory):
    """(step, summary value) of every summary event in the directory's event file."""
    return [(event["step"], value) for event in read_events(event_file(directory)) for value in event.get("summary", [])]


def decode_png(data):
    """(H, W, C) uint8 of a PNG this module writes (8-bit, unfiltered rows)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        assert struct.unpack(">I", data[position + 8 + length:position + 12 + length])[0] == zlib.crc32(kind + body)
        chunks[kind] = body
        position += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3, 6: 4}[color]
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(height, 1 + width * channels)
    assert depth == 8 and (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, channels)


def test_crc32c_matches_its_published_check_values():
    assert crc32c(b"123456789") == 0xE3069283  # the CRC catalogue's check value for CRC-32C
    assert crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720, B.4: 32 bytes of zeros
    assert crc32c(bytes(range(32))) == 0x46DD794E  # RFC 3720, B.4: an incrementing pattern
    record = frame(b"abc")
    assert record[:8] == struct.pack("<Q", 3) and record[12:15] == b"abc"
    assert struct.unpack("<I", record[15:])[0] == masked_crc32c(b"abc")


def test_scalars_histograms_images_and_text_read_back(tmp_path, rng):
    weights = rng.standard_normal(1000)
    image = rng.random((3, 5, 7)).astype(np.float32)
    with SummaryWriter(tmp_path) as writer:
        for step in range(4):
            writer.add_scalar("loss", tinynn.tensor(1.0 / (step + 1)), step)
        writer.add_scalar("lr", 0.1, 4, new_style=True)
        writer.add_scalar("lr64", 0.1, 4, new_style=True, double_precision=True)
        writer.add_histogram("weights", tinynn.tensor(weights), 5)
        writer.add_histogram("coarse", weights, 6, bins=4)
        writer.add_image("image", image, 7)
        writer.add_image("gray", np.arange(6, dtype=np.uint8).reshape(2, 3), 8, dataformats="HW")
        writer.add_text("notes", "a **markdown** note", 9)
    events = list(read_events(event_file(tmp_path)))
    assert events[0]["file_version"] == "brain.Event:2" and "summary" not in events[0]
    found = {value["tag"]: (step, value) for step, value in values(tmp_path)}
    assert [(step, value["simple_value"]) for step, value in values(tmp_path) if value["tag"] == "loss"] == \
        [(0, 1.0), (1, 0.5), (2, np.float32(1 / 3)), (3, 0.25)]
    assert found["lr"][1]["tensor"]["float_val"] == [np.float32(0.1)] and found["lr"][1]["plugin_name"] == "scalars"
    assert found["lr64"][1]["tensor"]["double_val"] == [0.1]

    histogram = found["weights"][1]["histo"]
    assert (histogram["min"], histogram["max"], histogram["num"]) == (weights.min(), weights.max(), 1000)
    assert histogram["sum"] == pytest.approx(weights.sum()) and histogram["sum_squares"] == pytest.approx(weights @ weights)
    assert sum(histogram["bucket"]) == 1000 and histogram["bucket"][0] == 0  # the empty bucket that holds the left edge
    assert histogram["bucket_limit"][0] < weights.min() <= histogram["bucket_limit"][1]
    assert all(abs(b / a - 1.1) < 1e-9 for a, b in zip(histogram["bucket_limit"][1:], histogram["bucket_limit"][2:])
               if a > 0 and b > 0)  # TensorBoard's buckets grow by 10%
    counts, edges = np.histogram(weights, bins=4)
    assert found["coarse"][1]["histo"]["bucket"] == [0.0] + counts.tolist()
    assert found["coarse"][1]["histo"]["bucket_limit"] == edges.tolist()

    picture = found["image"][1]["image"]
    assert (picture["height"], picture["width"], picture["colorspace"]) == (5, 7, 3)
    np.testing.assert_array_equal(decode_png(picture["encoded_image_string"]),
                                  (image.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8))
    gray = decode_png(found["gray"][1]["image"]["encoded_image_string"])
    np.testing.assert_array_equal(gray, np.repeat(np.arange(6, dtype=np.uint8).reshape(2, 3, 1), 3, axis=2))
    assert found["notes/text_summary"] == (9, {"tag": "notes/text_summary", "plugin_name": "text", "tensor": {
        "dtype": 7, "float_val": [], "double_val": [], "string_val": ["a **markdown** note"]}})


def test_a_batch_of_images_is_one_grid_of_up_to_eight_columns(tmp_path, rng):
    images = rng.random((10, 1, 2, 3))
    with SummaryWriter(tmp_path) as writer:
        writer.add_images("batch", images)
    (_, value), = values(tmp_path)
    grid = decode_png(value["image"]["encoded_image_string"])
    assert grid.shape == (4, 24, 3)  # 2 rows of 8 columns of 2 x 3 images
    expected = (images[9, 0] * 255).astype(np.float32).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(grid[2:4, 3:6, 0], expected)
    np.testing.assert_array_equal(grid[2:4, 6:, :], 0)  # the grid's empty places


def test_add_scalars_writes_a_run_per_curve_and_purge_step_marks_the_restart(tmp_path):
    with SummaryWriter(tmp_path, purge_step=3) as writer:
        writer.add_scalars("loss", {"train": 0.5, "test": 0.7}, 3)
    assert sorted(name for name in os.listdir(tmp_path) if not name.startswith("events")) == ["loss_test", "loss_train"]
    assert [values(tmp_path / run)[0][1]["simple_value"] for run in ("loss_train", "loss_test")] == \
        [0.5, pytest.approx(0.7)]
    assert values(tmp_path / "loss_train")[0] == (3, {"tag": "loss", "simple_value": 0.5})
    main = list(read_events(event_file(tmp_path)))
    assert [(event["step"], event.get("session_log")) for event in main[1:]] == [(3, None), (3, 1)]  # SessionLog START


def test_events_wait_for_max_queue_and_survive_a_crash(tmp_path):
    writer = SummaryWriter(tmp_path, max_queue=3)
    path = event_file(tmp_path)
    header_size = os.path.getsize(path)
    writer.add_scalar("x", 1.0, 1)
    writer.add_scalar("x", 2.0, 2)
    assert os.path.getsize(path) == header_size  # still in memory
    writer.add_scalar("x", 3.0, 3)
    assert [step for step, _ in values(tmp_path)] == [1, 2, 3]
    writer.add_scalar("x", 4.0, 4)
    writer.flush()
    with open(path, "ab") as file:  # a crash mid-write leaves part of a record
        file.write(frame(b"\x09" + bytes(8))[:10])
    assert [step for step, _ in values(tmp_path)] == [1, 2, 3, 4]
    writer.close()
    writer.add_scalar("x", 5.0, 5)  # after close, a new event file, as PyTorch's
    writer.close()
    assert len(glob.glob(os.path.join(tmp_path, "events.out.tfevents.*"))) == 2
    with open(path, "r+b") as file:
        file.seek(20)
        file.write(b"\xff")
    with pytest.raises(ValueError, match="is corrupt .*data CRC"):
        list(read_events(path))


def test_bad_values_are_named(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(ValueError, match=r"add_scalar: 'loss' needs one number, got 2 values \(shape \(2,\)\)"):
            writer.add_scalar("loss", tinynn.tensor([1.0, 2.0]))
        with pytest.raises(ValueError, match="add_histogram: 'w' holds NaN or infinite values"):
            writer.add_histogram("w", np.array([1.0, np.nan]))
        with pytest.raises(ValueError, match="add_histogram: 'w' has no values"):
            writer.add_histogram("w", np.array([]))
        with pytest.raises(ValueError, match=r"add_image: dataformats 'CHW' does not describe an image of shape \(4, 4\)"):
            writer.add_image("i", np.zeros((4, 4)))
        with pytest.raises(ValueError, match="add_image: expected 1, 3 or 4 channels, got 2"):
            writer.add_image("i", np.zeros((2, 4, 4)))


def test_gpu_values_are_logged(tmp_path, device):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("loss", tinynn.tensor(0.25, device=device), 1)
        writer.add_histogram("w", tinynn.tensor([1.0, 2.0, 3.0], device=device), 1)
    assert [value.get("simple_value") for _, value in values(tmp_path)] == [0.25, None]


def test_tensorboard_reads_ours_as_it_reads_torchs(torch, tmp_path, rng):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from torch.utils import tensorboard as torch_tensorboard
    weights, image = rng.standard_normal(500), rng.random((3, 6, 4)).astype(np.float32)
    for name, writer_class in (("ours", SummaryWriter), ("theirs", torch_tensorboard.SummaryWriter)):
        with writer_class(str(tmp_path / name)) as writer:
            for step in range(3):
                writer.add_scalar("loss", 1.0 / (step + 1), step)
                writer.add_scalar("acc", 0.5 + step / 10, step, new_style=True)
            writer.add_histogram("weights", weights, 3)
            writer.add_image("image", image, 4)
            writer.add_text("notes", "hello", 5)
    loaded = {}
    for name in ("ours", "theirs"):
        accumulator = event_accumulator.EventAccumulator(str(tmp_path / name), size_guidance={"images": 0})
        accumulator.Reload()
        histogram = accumulator.Histograms("weights")[0].histogram_value
        loaded[name] = (
            {kind: sorted(tags) for kind, tags in accumulator.Tags().items() if tags and isinstance(tags, list)},
            [(event.step, event.value) for event in accumulator.Scalars("loss")],
            [(event.step, list(event.tensor_proto.float_val)) for event in accumulator.Tensors("acc")],
            (histogram.min, histogram.max, histogram.num, histogram.sum, list(histogram.bucket_limit),
             list(histogram.bucket)),
            (accumulator.Images("image")[0].width, accumulator.Images("image")[0].height),
            list(accumulator.Tensors("notes/text_summary")[0].tensor_proto.string_val))
    assert loaded["ours"] == loaded["theirs"]
