"""The use cases both faces call: what the command line (`desktop.commands`) and the app (`desktop.ui`) ask of the
core, answered once, so the two cannot drift apart.

Rules (tests/test_architecture.py enforces them): nothing here imports Qt, argparse, `desktop.ui` or
`desktop.commands`; the faces import from here, never from each other. Each module answers one question
(a plan and its default name, the install recipe, the driver advice, the environment inventory) from plain
parameters, so a test can ask the same question through the CLI and through the app and compare the answers.
"""
