import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def pytest_configure(config):
    # pytest-xdist declares this marker; without xdist (-p no:xdist) it must be declared here
    config.addinivalue_line("markers", "xdist_group(name): run the tests of one group on one xdist worker")
