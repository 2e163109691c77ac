"""Kolokol: a sourced, reviewed database of transnational repression incidents."""

__version__ = "0.1.0"
