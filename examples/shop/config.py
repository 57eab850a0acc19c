"""Process-wide pricing configuration.

Values are read at call time by the rest of the package, so rebinding them
(``config.DISCOUNT_RATE = 0.1``) changes behaviour for everything that runs
afterwards in the same process.
"""

DISCOUNT_RATE: float = 0.0
"""Shop-wide discount applied to every cart total (0.0 = no promotion running)."""

TAX_RATE: float = 0.2
"""Default VAT rate."""
