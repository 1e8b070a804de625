"""The smoke test: run by an environment's own python, it proves torch works there and says why not.

The files, each named with a ``torchdesk_smoke`` prefix so that, copied next to each other into an empty folder,
they can never shadow a module of the environment:

* ``torchdesk_smoke.py``: the entry, ``main()`` and the stage/report writer.
* ``torchdesk_smoke_words.py``: the report schema and marker, the error table (``classify_error``) and
  ``cc_covered``; the core imports this one. It imports no sibling.
* ``torchdesk_smoke_facts.py``: the Python, pyvenv.cfg, driver, distribution versions and toolchain facts.
* ``torchdesk_smoke_checks.py``: the torch, GPU, numpy and companion checks.
* ``torchdesk_smoke_ext.py``: the C++/CUDA extension check.

They run two ways:

* as a script: desktop/verify.py ``run_smoke`` copies every ``torchdesk_smoke*.py`` into a private temp folder
  and runs ``python -E -s -u torchdesk_smoke.py REPORT_PATH`` there with the environment's own python (as old as
  3.6, standard library only until it imports torch); the siblings import each other as top-level modules.
* as modules: the core and the tests import ``desktop.smoke.<module>``; the siblings import each other relatively.

This file imports nothing.
"""
