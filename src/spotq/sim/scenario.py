"""The `simulate:` section's schema, which lives with the rest of the scenario file's schema in
spotq.plan (so planning never imports the simulator); re-exported here for the simulator."""

from spotq.plan.simulate_section import PolicySpec, SimulateSection, SpotSection, StartupSection

__all__ = ["PolicySpec", "SimulateSection", "SpotSection", "StartupSection"]
