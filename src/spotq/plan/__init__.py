"""Capacity and cost planning: prices, capacity options, scenarios and `spotq plan`."""
