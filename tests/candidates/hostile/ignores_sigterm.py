"""Hostile candidate: ignores SIGTERM and SIGINT, then loops forever."""

import signal


def sigmoid(z):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass
