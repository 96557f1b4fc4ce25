"""Group accident and medical insurance quoting engine for overseas workers."""

__version__ = "0.1.0"
