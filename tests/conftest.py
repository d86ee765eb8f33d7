"""Fixtures shared by the gelu_fast tests."""
import pytest

import gelu_fast


@pytest.fixture(autouse=True)
def _restore_threads():
    yield
    gelu_fast.reset_num_threads()
