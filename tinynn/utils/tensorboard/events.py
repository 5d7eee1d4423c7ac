"""Reading event files back (what TensorBoard's EventAccumulator does, for the values tinynn's
SummaryWriter writes): ``read_events(path)`` yields each event as a dict, to look at a run's logs
without TensorBoard, or to test what was written."""
import struct

from .protobuf import fields
from .records import read_records


def _double(raw):
    return struct.unpack("<d", raw)[0]


def _decode_value(raw):
    value = fields(raw)
    decoded = {"tag": value[1][0].decode("utf-8")}
    if 2 in value:
        decoded["simple_value"] = struct.unpack("<f", value[2][0])[0]
    if 4 in value:
        image = fields(value[4][0])
        decoded["image"] = {"height": image[1][0], "width": image[2][0], "colorspace": image[3][0],
                            "encoded_image_string": image[4][0]}
    if 5 in value:
        histogram = fields(value[5][0])
        packed = {number: list(struct.unpack(f"<{len(histogram[number][0]) // 8}d", histogram[number][0]))
                  for number in (6, 7)}
        decoded["histo"] = {"min": _double(histogram[1][0]), "max": _double(histogram[2][0]),
                            "num": _double(histogram[3][0]), "sum": _double(histogram[4][0]),
                            "sum_squares": _double(histogram[5][0]), "bucket_limit": packed[6], "bucket": packed[7]}
    if 8 in value:
        tensor = fields(value[8][0])
        decoded["tensor"] = {"dtype": tensor[1][0], "float_val": [struct.unpack("<f", tensor[5][0][i:i + 4])[0]
                                                                  for i in range(0, len(tensor.get(5, [b""])[0]), 4)],
                             "double_val": [_double(tensor[6][0][i:i + 8])
                                            for i in range(0, len(tensor.get(6, [b""])[0]), 8)],
                             "string_val": [s.decode("utf-8") for s in tensor.get(8, [])]}
    if 9 in value:
        decoded["plugin_name"] = fields(fields(value[9][0])[1][0])[1][0].decode("utf-8")
    return decoded


def read_events(path):
    """Each event of the file: {"wall_time", "step", and "file_version", "summary" (a list of values:
    tag with simple_value, histo, image, tensor and plugin_name) or "session_log"}."""
    for record in read_records(path):
        event = fields(record)
        decoded = {"wall_time": _double(event[1][0]), "step": event.get(2, [0])[0]}
        if 3 in event:
            decoded["file_version"] = event[3][0].decode("utf-8")
        if 5 in event:
            decoded["summary"] = [_decode_value(raw) for raw in fields(event[5][0]).get(1, [])]
        if 7 in event:
            decoded["session_log"] = fields(event[7][0]).get(1, [0])[0]
        yield decoded
