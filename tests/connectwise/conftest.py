"""Registers the ConnectWise fixtures (they live in :mod:`connectwise_fixtures` and
:mod:`engine_support`)."""

from connectwise_fixtures import client, client_for, cw, fake_time, receiver, start_cw
from engine_support import tenant

__all__ = ["client", "client_for", "cw", "fake_time", "receiver", "start_cw", "tenant"]
