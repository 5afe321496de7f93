"""Registers the ConnectWise fixtures (they live in :mod:`connectwise_fixtures`)."""

from connectwise_fixtures import client, client_for, cw, fake_time, receiver, start_cw

__all__ = ["client", "client_for", "cw", "fake_time", "receiver", "start_cw"]
