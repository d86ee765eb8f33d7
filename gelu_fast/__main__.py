"""python -m gelu_fast [info|bench|accuracy]: see gelu_fast/_cli.py."""
import sys

from gelu_fast._cli import main

if __name__ == "__main__":
    sys.exit(main())
