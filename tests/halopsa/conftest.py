"""The HaloPSA tests' fixtures (defined in halo_support, which the tests import by name)."""

from halo_support import fake_clock, halo, receiver

__all__ = ["fake_clock", "halo", "receiver"]
