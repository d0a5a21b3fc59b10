"""Helpers shared by the Python tests of tests/store (store_roundtrip.py,
loader_batches.py): the test binary and a fresh work folder under the build
folder, soft checks that are all reported, and the final verdict."""
import os
import shutil
import sys

failures = []


def tool_and_work(tool_name, work_name):
    """Path of the test binary tests/store/TOOL_NAME of the build folder, and
    an emptied folder tests/store/WORK_NAME there."""
    binary = os.environ["DRL_BINARY_DIR"]
    tool = os.path.join(binary, "tests", "store", tool_name)
    work = os.path.join(binary, "tests", "store", work_name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    return tool, work


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def finish(name):
    """Exits 1 after any failed check, otherwise prints NAME: all checks passed."""
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("%s: all checks passed" % name)
