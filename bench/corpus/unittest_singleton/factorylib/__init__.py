"""factorylib: builds records with generated ids and stores them under a base directory."""

from __future__ import annotations

from factorylib.factory import Factory, FactoryError, Record
from factorylib.reader import Reader

__all__ = ["Factory", "FactoryError", "Reader", "Record"]
