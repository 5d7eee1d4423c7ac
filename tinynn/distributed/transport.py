"""The wire between the processes of a job, over TCP: rank 0 listens, every other rank connects to
it, so rank 0 is the hub of a star. Messages are length-prefixed pickles (NumPy arrays pickle their
memory as one block, protocol 5); only the processes of one job, started together, talk this way."""
import pickle
import socket
import struct
import time

_LENGTH = struct.Struct("!Q")


def free_port(host="127.0.0.1"):
    """A port no process listens on now, for a job's rank 0 (a launcher's MASTER_PORT)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def send(connection, value):
    payload = pickle.dumps(value, protocol=5)
    connection.sendall(_LENGTH.pack(len(payload)))
    connection.sendall(payload)


def receive(connection):
    (length,) = _LENGTH.unpack(_exactly(connection, _LENGTH.size))
    return pickle.loads(_exactly(connection, length))


def _exactly(connection, count):
    buffer = bytearray(count)
    view, received = memoryview(buffer), 0
    while received < count:
        got = connection.recv_into(view[received:], count - received)
        if got == 0:
            raise ConnectionError("distributed: a process of the job closed its connection (did it fail or finish "
                                  "early?)")
        received += got
    return buffer


def rendezvous(host, port, rank, world_size, timeout):
    """{peer rank: connection}: for rank 0 every other rank's, for the others rank 0's. Each rank
    announces (rank, world_size) on connecting; rank 0 checks they fit together."""
    if rank == 0:
        return _accept_peers(host, port, world_size, timeout)
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = socket.create_connection((host, port), timeout=max(deadline - time.monotonic(), 0.1))
            break
        except OSError as error:  # rank 0 may not be listening yet
            if time.monotonic() > deadline:
                raise TimeoutError(f"distributed: rank {rank} could not reach rank 0 at {host}:{port} within "
                                   f"{timeout:g} s ({error})") from None
            time.sleep(0.05)
    connection.settimeout(timeout)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    send(connection, (rank, world_size))
    verdict = receive(connection)
    if verdict != "ok":
        connection.close()
        raise RuntimeError(f"distributed: rank 0 refused rank {rank}: {verdict}")
    return {0: connection}


def _accept_peers(host, port, world_size, timeout):
    server = socket.create_server((host, port), reuse_port=False)
    server.settimeout(timeout)
    peers = {}
    try:
        while len(peers) < world_size - 1:
            try:
                connection, _ = server.accept()
            except socket.timeout:
                missing = sorted(set(range(1, world_size)) - set(peers))
                raise TimeoutError(f"distributed: rank 0 waited {timeout:g} s for ranks {missing} at {host}:{port}") from None
            connection.settimeout(timeout)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            peer_rank, peer_world = receive(connection)
            problem = (f"world_size {peer_world} differs from rank 0's {world_size}" if peer_world != world_size else
                       f"rank {peer_rank} is outside 1..{world_size - 1}" if not 0 < peer_rank < world_size else
                       f"rank {peer_rank} joined twice" if peer_rank in peers else None)
            send(connection, problem or "ok")
            if problem:
                connection.close()
                raise RuntimeError(f"distributed: {problem}")
            peers[peer_rank] = connection
    finally:
        server.close()
    return peers
