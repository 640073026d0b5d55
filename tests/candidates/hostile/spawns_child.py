"""Hostile candidate: starts a long-running child process and returns its pid."""

import subprocess


def sigmoid(z):
    return subprocess.Popen(["sleep", "60"]).pid
