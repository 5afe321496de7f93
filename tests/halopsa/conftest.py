"""The HaloPSA tests' fixtures (defined in halo_support and engine_support, which the tests
import by name)."""

from halo_support import fake_clock, halo, receiver

from tests.halopsa.engine_support import empty_halo_sandbox, halo_sandbox, workdir

__all__ = ["empty_halo_sandbox", "fake_clock", "halo", "halo_sandbox", "receiver", "workdir"]
