"""Warehouse fixtures (filled in by the warehouse work)."""
