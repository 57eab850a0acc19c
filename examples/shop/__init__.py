"""shop: a deliberately small online-shop backend, used as auditor's example project.

The application code is ordinary; the isolation defects live in the tests.
"""

__version__ = "0.1.0"
