"""The protocol-buffer wire format, as much of it as TensorBoard's event files use: a message is a
sequence of fields, each a key (field number << 3 | wire type) then its value. Wire types: 0 varint
(ints, enums), 1 fixed 64-bit (double), 2 length-delimited (strings, bytes, nested messages, packed
repeated numbers), 5 fixed 32-bit (float). Encoding a message is joining its fields' bytes;
``fields`` decodes one back into {field number: [values]} (nested messages stay bytes, to be
decoded in turn by whoever knows their schema)."""
import struct

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5


def varint(value):
    """An int as a base-128 varint (negative ints as their 64-bit two's complement, as protobuf)."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def key(number, wire_type):
    return varint(number << 3 | wire_type)


def int_field(number, value):
    return key(number, VARINT) + varint(int(value))


def double_field(number, value):
    return key(number, FIXED64) + struct.pack("<d", float(value))


def float_field(number, value):
    return key(number, FIXED32) + struct.pack("<f", float(value))


def bytes_field(number, value):
    """A string (UTF-8), bytes, or an encoded nested message."""
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return key(number, LENGTH_DELIMITED) + varint(len(data)) + data


def packed_doubles_field(number, values):
    return bytes_field(number, struct.pack(f"<{len(values)}d", *values))


def _read_varint(data, position):
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position


def fields(data):
    """{field number: [raw values]}: ints for varints, bytes for the rest (struct-unpack fixed ones)."""
    found, position = {}, 0
    while position < len(data):
        tag, position = _read_varint(data, position)
        number, wire_type = tag >> 3, tag & 7
        if wire_type == VARINT:
            value, position = _read_varint(data, position)
        elif wire_type == FIXED64:
            value, position = data[position:position + 8], position + 8
        elif wire_type == FIXED32:
            value, position = data[position:position + 4], position + 4
        elif wire_type == LENGTH_DELIMITED:
            length, position = _read_varint(data, position)
            value, position = data[position:position + length], position + length
        else:
            raise ValueError(f"protobuf: wire type {wire_type} of field {number} is not one TensorBoard's events use")
        found.setdefault(number, []).append(value)
    return found
