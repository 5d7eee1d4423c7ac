"""Write cupy_api.json: the names and parameters of the CuPy API that the simulated GPU allows.

Run it where CuPy imports (a GPU is not needed):  python tests/gpu_simulation/record_cupy_api.py
The simulation (simulated_cupy.py) refuses any CuPy function, method or keyword that is not in
this record, so code that runs under it cannot call something real CuPy lacks.

tinynn supports more than one CuPy (the ``gpu`` extra asks for 13 or later), so the record holds
what they all have: run it under the newest CuPy, then under each older one with
``--common-with tests/gpu_simulation/cupy_api.json``, which keeps only the names and keywords that
this CuPy and the record both have (the record names every version it came from).
"""
import argparse
import ast
import inspect
import json
from pathlib import Path

RECORD = Path(__file__).with_name("cupy_api.json")


def parameters_from_text(text):
    """'name(self, a, *b, c=1) -> x' (a docstring's first line) -> its parameters, or None."""
    head = text.split("->")[0].strip()
    if "(" not in head or not head.endswith(")"):
        return None
    arguments = head[head.index("(") + 1:-1]
    try:
        tree = ast.parse(f"def f({arguments}): pass")
    except SyntaxError:
        return None
    args = tree.body[0].args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    return {"params": [n for n in names if n != "self"], "var_positional": args.vararg is not None,
            "var_keyword": args.kwarg is not None}


def parameters(obj):
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        doc = (getattr(obj, "__doc__", None) or "").strip().splitlines()
        return parameters_from_text(doc[0]) if doc else None
    kinds = [p.kind for p in signature.parameters.values()]
    return {"params": [n for n in signature.parameters if n != "self"],
            "var_positional": inspect.Parameter.VAR_POSITIONAL in kinds,
            "var_keyword": inspect.Parameter.VAR_KEYWORD in kinds}


def namespace(obj):
    names = {}
    for name in dir(obj):
        if name.startswith("_") and name not in ("__getitem__", "__setitem__", "__array_function__"):
            continue
        member = getattr(obj, name, None)
        names[name] = parameters(member) if callable(member) and not isinstance(member, type) else None
    return names


def common_signature(first, second):
    """What a call may pass where either of two recorded signatures is the real one (None: no
    signature recorded, which checks nothing)."""
    if first is None or second is None:
        return first if second is None else second

    def taken_by(signature, name):
        return name in signature["params"] or signature["var_keyword"]

    params = [name for name in first["params"] if taken_by(second, name)]
    params += [name for name in second["params"] if name not in first["params"] and first["var_keyword"]]
    return {"params": params, "var_positional": first["var_positional"] and second["var_positional"],
            "var_keyword": first["var_keyword"] and second["var_keyword"]}


def common_record(first, second):
    """The API two records both have: a name where both have it, a keyword where both take it."""
    namespaces = {}
    for space in first["namespaces"].keys() & second["namespaces"].keys():
        ours, theirs = first["namespaces"][space], second["namespaces"][space]
        namespaces[space] = {name: common_signature(ours[name], theirs[name]) for name in ours.keys() & theirs.keys()}
    return {"cupy_versions": sorted(set(first["cupy_versions"]) | set(second["cupy_versions"]),
                                    key=lambda version: tuple(int(part) for part in version.split(".")[:3])),
            "namespaces": namespaces,
            **{key: sorted(set(first[key]) & set(second[key]))
               for key in ("ufuncs", "ufunc_methods", "ufunc_keywords")}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--common-with", type=Path, metavar="RECORD",
                        help="keep only what this CuPy and RECORD (another version's record) both have")
    args = parser.parse_args()
    import cupy  # (here: the functions above are tested where CuPy is not installed)
    import cupyx

    ufunc = cupy.add
    record = {
        "cupy_versions": [cupy.__version__],
        "namespaces": {
            "cupy": namespace(cupy),
            "cupy.ndarray": namespace(cupy.ndarray),
            "cupy.linalg": namespace(cupy.linalg),
            "cupy.fft": namespace(cupy.fft),
            "cupy.random": namespace(cupy.random),
            "cupy.random.Generator": namespace(cupy.random.Generator),
            "cupy.lib.stride_tricks": namespace(cupy.lib.stride_tricks),
            "cupy.cuda": namespace(cupy.cuda),
            "cupy.cuda.runtime": namespace(cupy.cuda.runtime),
            "cupy.cuda.Device": namespace(cupy.cuda.Device),
            "cupy.cuda.MemoryPool": namespace(cupy.cuda.MemoryPool),
            "cupyx": namespace(cupyx),
        },
        "ufuncs": sorted(n for n in dir(cupy) if isinstance(getattr(cupy, n), type(ufunc))),
        "ufunc_methods": sorted(n for n in dir(ufunc) if not n.startswith("_")),
        # ufunc.__call__(*args, **kwargs): its docstring names these keywords
        "ufunc_keywords": ["out", "dtype", "casting"],
    }
    if args.common_with:
        record = common_record(record, json.loads(args.common_with.read_text()))
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {RECORD} (CuPy {', '.join(record['cupy_versions'])})")


if __name__ == "__main__":
    main()
