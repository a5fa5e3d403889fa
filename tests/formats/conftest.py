import pytest


def pytest_configure(config: pytest.Config) -> None:
    # pycocotools 2.0.11 calls np.array(copy=False) the NumPy 1 way; not our code to fix.
    config.addinivalue_line(
        "filterwarnings", "ignore:__array__ implementation doesn't accept a copy keyword"
    )
