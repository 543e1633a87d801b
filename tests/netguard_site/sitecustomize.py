"""Put on PYTHONPATH for a subprocess under test: installs the network guard at start-up
and reports every refused connection on stderr (tests assert there is none)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import netguard

netguard.install(report_to_stderr=True)
