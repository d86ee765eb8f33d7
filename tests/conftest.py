"""Fixtures shared by the gelu_fast tests."""
import pytest

import gelu_fast


def pytest_configure(config):
    # also declared in pyproject.toml; repeated here for runs from a copy of tests/
    config.addinivalue_line("markers", "slow: long-running tests (huge arrays); run with -m slow")


@pytest.fixture(autouse=True)
def _restore_threads():
    yield
    gelu_fast.reset_num_threads()
