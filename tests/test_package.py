import bigfish


def test_public_surface_is_sorted() -> None:
    assert list(bigfish.__all__) == sorted(bigfish.__all__)


def test_version_is_a_string() -> None:
    assert isinstance(bigfish.__version__, str) and bigfish.__version__
