"""Hostile candidate: leaves a non-daemon thread running forever."""

import threading
import time


def _forever():
    while True:
        time.sleep(0.01)


threading.Thread(target=_forever, daemon=False).start()


def sigmoid(z):
    threading.Thread(target=_forever, daemon=False).start()
    return 0.5
