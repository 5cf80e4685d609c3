"""Discrete-event simulation of a queue, workers and a scaling policy (pure, no SimPy)."""
