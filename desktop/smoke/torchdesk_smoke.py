# -*- coding: utf-8 -*-
"""TorchDesk's smoke test, the entry: run by an environment's own python, it proves torch works there and says why not.

``python torchdesk_smoke.py [REPORT_PATH]`` (run from a private copy of the folder's torchdesk_smoke*.py files)
imports torch, runs real GPU work, and writes one JSON report (to REPORT_PATH after every step, so a crash or a
hang still leaves the last stage behind; to stdout as one ``TORCHDESK_REPORT {...}`` line at the end). Progress
lines go to stdout as it runs.

Old environments run old Pythons: the files must stay valid Python 3.6 and use the standard library only until
they import torch. Nothing runs at import time.
"""

import json
import os
import sys
import time

try:
    from .torchdesk_smoke_checks import run_torch_checks
    from .torchdesk_smoke_facts import dist_versions, driver_info, python_info
    from .torchdesk_smoke_words import REPORT_MARKER, SCHEMA, _error, classify_error
except ImportError:  # run as a script (Python 3.6 says ImportError): the siblings are top-level modules beside it
    # `python -I` leaves the script's folder off sys.path; put it first for these imports (main() takes it off).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torchdesk_smoke_checks import run_torch_checks
    from torchdesk_smoke_facts import dist_versions, driver_info, python_info
    from torchdesk_smoke_words import REPORT_MARKER, SCHEMA, _error, classify_error


class _Run(object):
    def __init__(self, path):
        self.path = path
        self.t0 = time.time()
        self.caught = []  # warnings.WarningMessage, filled while torch runs
        self.report = {"schema": SCHEMA, "complete": False, "stage": "start", "checks": [], "warnings": []}

    def say(self, line):
        sys.stdout.write("[smoke] %s\n" % line)
        sys.stdout.flush()

    def stage(self, name):
        self.report["stage"] = name
        self.save()

    def save(self):
        self.report["elapsed_s"] = round(time.time() - self.t0, 4)
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.report, f, default=str)
        os.replace(tmp, self.path)

    def check(self, name, fn, gpu=None, severity="fail"):
        """Run one check, timing it; fn returns a detail dict (or raises). `severity` ("fail" or "warn") is what
        its failure makes the verdict, for a check the verdict has no words of its own for."""
        self.stage(name if gpu is None else "gpu%d.%s" % (gpu, name))
        entry = {"name": name, "gpu": gpu, "severity": severity}
        t = time.time()
        try:
            entry.update(fn() or {})
            entry["ok"] = bool(entry.get("ok", True))  # a check that returns no verdict passed by not raising
        except Exception as exc:  # every failure is data for the verdict
            entry["ok"] = False
            entry["error"] = _error(exc)
        entry["seconds"] = round(time.time() - t, 4)
        self.report["checks"].append(entry)
        why = ""
        if not entry["ok"]:
            why = "  " + (entry["error"]["detail"] if "error" in entry else "wrong result %r" % entry.get("rel_err"))
        self.say("%-14s %s %.3fs%s" % (name + ("" if gpu is None else "[%d]" % gpu), "ok  " if entry["ok"] else "FAIL",
                                       entry["seconds"], why))
        self.save()
        return entry



def main(argv=None):
    """Run the smoke test; write the report. Exit 0 whenever a report was written, whatever it says."""
    import warnings

    argv = sys.argv[1:] if argv is None else argv
    run = _Run(argv[0] if argv else None)
    rep = run.report
    # The script's own folder must not shadow anything (a `torch/` next to it would be imported instead).
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    rep["python"] = python_info()
    rep["dists"] = dist_versions()
    run.stage("driver")
    t = time.time()
    try:
        rep["driver"] = driver_info()
    except Exception as exc:
        rep["driver"] = {"error": _error(exc)}
    rep["driver"]["seconds"] = round(time.time() - t, 4)
    run.say("python %s at %s" % (rep["python"]["version"], rep["python"]["executable"]))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run.caught = caught
        run.stage("import_torch")
        t = time.time()
        imp = {"ok": False}
        rep["import_torch"] = imp
        try:
            import torch  # noqa: F401 - the import is the check
            imp["ok"] = True
        except BaseException as exc:  # SystemExit / KeyboardInterrupt from a broken import are data too
            if isinstance(exc, KeyboardInterrupt):
                raise
            err = _error(exc)
            if isinstance(exc, ImportError) and getattr(exc, "name", None) == "torch":
                err["kind"] = "not_installed"
            imp["error"] = err
        imp["seconds"] = round(time.time() - t, 4)
        run.say("import torch: %s (%.2fs)" % ("ok" if imp["ok"] else imp["error"]["detail"], imp["seconds"]))
        run.save()
        if imp["ok"]:
            try:
                run_torch_checks(run)
            except Exception as exc:
                rep["crash"] = _error(exc)
        for w in caught:
            msg = str(w.message)
            kind, detail = classify_error(msg)
            rep["warnings"].append({"category": w.category.__name__, "message": msg[:2000], "kind": kind,
                                    "detail": detail})
    rep["complete"] = True
    rep["stage"] = "done"
    run.save()
    sys.stdout.write(REPORT_MARKER + json.dumps(rep, default=str) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
