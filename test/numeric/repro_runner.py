"""Runs LossLint's generated repro scripts (`losslint probe FILE::NAME --repro`) for
test/numeric/repro.test.ts, in one Python process so that torch is imported once: each script runs
as `python3 script.py` would run it (runpy, __name__ == "__main__"), its stdout captured and its
exit status taken from SystemExit. The scripts import only the repository's own fixtures.

Usage: python3 repro_runner.py scripts.json > results.json   (scripts.json: a list of paths)
Also: python3 repro_runner.py --importable name... prints the names that import here (JSON).
"""
import contextlib
import importlib.util
import io
import json
import runpy
import sys
import traceback


def run(path):
    out = io.StringIO()
    status = 0
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(path, run_name="__main__")
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:  # reported as the script's failure
            status = 1
            print(traceback.format_exc())
    return {"status": status, "stdout": out.getvalue()}


def main():
    if sys.argv[1] == "--importable":
        names = [n for n in sys.argv[2:] if importlib.util.find_spec(n) is not None]
        json.dump(names, sys.stdout)
        return
    with open(sys.argv[1]) as f:
        paths = json.load(f)
    json.dump({p: run(p) for p in paths}, sys.stdout)


if __name__ == "__main__":
    main()
