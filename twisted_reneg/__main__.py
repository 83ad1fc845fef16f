"""
C{python -m twisted_reneg server ...} (the echo / web service) and
C{python -m twisted_reneg client HOST PORT ...} (an s_client-like client).
"""

import sys

from ._cli import main

if __name__ == "__main__":
    main(sys.argv[1:])
