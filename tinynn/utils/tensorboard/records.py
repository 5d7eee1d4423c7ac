"""TFRecord framing, the container of TensorBoard's event files: each record is

    length (uint64, little-endian) | masked CRC-32C of those 8 bytes (uint32) | data | masked CRC-32C of data

CRC-32C is the Castagnoli polynomial (reflected 0x82F63B78); TensorFlow masks it as
((crc >> 15) | (crc << 17)) + 0xA282EAD8 (mod 2^32), so a CRC stored in the data is not mistaken
for the data's own."""
import struct


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data):
    """One record: the bytes to append to the file."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


def read_records(path):
    """The data of every record in the file at ``path``, checking both CRCs; a record cut short at
    the end (a writer stopped mid-write) ends the file, as TensorBoard reads it."""
    with open(path, "rb") as file:
        content = file.read()
    position = 0
    while position + 12 <= len(content):
        header = content[position:position + 8]
        (length,), (header_crc,) = struct.unpack("<Q", header), struct.unpack("<I", content[position + 8:position + 12])
        if header_crc != masked_crc32c(header):
            raise ValueError(f"{path}: the record at byte {position} has a corrupt length (its CRC does not match)")
        end = position + 12 + length + 4
        if end > len(content):
            return
        data = content[position + 12:position + 12 + length]
        (data_crc,) = struct.unpack("<I", content[end - 4:end])
        if data_crc != masked_crc32c(data):
            raise ValueError(f"{path}: the record at byte {position} is corrupt (its data CRC does not match)")
        yield data
        position = end
