"""``python -m tinynn.distributed.run --nproc-per-node N script.py [args...]``: start a job of N processes
on this machine, as ``torchrun --standalone --nproc-per-node N`` does. Each runs ``script.py`` with
MASTER_ADDR, MASTER_PORT (a free port), WORLD_SIZE, RANK, LOCAL_RANK and LOCAL_WORLD_SIZE set, so
``tinynn.distributed.init_process_group()`` joins them. If one process fails, the others are
stopped and its exit status is the launcher's."""
import argparse
import os
import subprocess
import sys
import time

from tinynn.distributed import transport


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tinynn.distributed.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1, help="processes to start")
    parser.add_argument("script", help="the training script each process runs")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="the script's own arguments")
    options = parser.parse_args(argv)
    if options.nproc_per_node < 1:
        parser.error(f"--nproc-per-node must be at least 1, got {options.nproc_per_node}")
    port, count = transport.free_port(), options.nproc_per_node
    processes = []
    for rank in range(count):
        environment = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(count),
                           RANK=str(rank), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(count))
        processes.append(subprocess.Popen([sys.executable, options.script, *options.arguments], env=environment))
    while True:
        codes = [process.poll() for process in processes]
        failed = [code for code in codes if code not in (None, 0)]
        if failed:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                process.wait()
            print(f"tinynn.distributed.run: a process exited with status {failed[0]}; the others were stopped",
                  file=sys.stderr)
            return failed[0]
        if all(code == 0 for code in codes):
            return 0
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
