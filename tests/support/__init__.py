"""Test-only code shared by the test areas: stand-ins, writers and helpers.

Nothing here ships; tests import it as ``tests.support.<module>``.
"""
