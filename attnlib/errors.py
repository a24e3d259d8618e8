"""Exceptions the command line catches by name, defined where importing them costs nothing."""

from __future__ import annotations


class NotebookFailed(RuntimeError):
    """A notebook raised; the message gives the cell, the exception and where the failed copy is."""
