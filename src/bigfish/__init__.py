"""bigfish: link the small fish into the big networks behind online scams."""

__version__ = "0.1.0"
__all__ = ["__version__"]
