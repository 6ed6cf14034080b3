"""The ``entra-doctor`` command of the wheel: the Rust CLI, in the extension."""

import sys

from . import _native


def main() -> None:
    sys.exit(_native.run_cli(["entra-doctor", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
