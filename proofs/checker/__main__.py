"""``python -m checker CERT.json ...`` (from the folder holding ``checker/``): the standalone verifier."""
import sys

from .check import main

sys.exit(main())
