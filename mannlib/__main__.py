"""``python -m mannlib COMMAND ...``: the command line.

Each command lives in a module that exposes ``add_parser(subparsers)``; the parser it adds
sets ``func``. Bad input raises a ``ValueError`` subclass (TaskError, ModelError, ...) and is
reported as one line on stderr with exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from importlib import import_module

COMMAND_MODULES = ("mannlib.tasks.cli", "mannlib.cli", "mannlib.engine.bench")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints usage too; keep it short)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["reference"]:     # recorded and checked with portable numerics (mannlib.portable)
        from .portable import ensure
        ensure(argv)
    parser = _Parser(prog="python -m mannlib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except ValueError as e:  # TaskError, ModelError, RunError, ...: bad input
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
