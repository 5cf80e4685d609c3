"""Apps the synthesis tests render: one per target, sized like the seeds' workers."""

from __future__ import annotations

from spotq.app import App
from spotq.aws.synth import SynthSettings, Target

CPU_APP = App(
    "golden",
    batch_size=4,
    visibility_timeout_s=300,
    max_receives=5,
    vcpu=2,
    memory_gib=8,
)
GPU_APP = App(
    "golden-gpu",
    batch_size=2,
    visibility_timeout_s=900,
    max_receives=3,
    vcpu=4,
    memory_gib=13,
    gpus=1,
    distinct_instance=True,
)
APPS = {Target.FARGATE_SPOT: CPU_APP, Target.EC2_SPOT: CPU_APP, Target.GPU: GPU_APP}
# Golden files pin the policy's cooldowns, so a change of the spotq-default defaults (tested on its
# own in test_synth_unit) does not rewrite them.
GOLDEN_SETTINGS = SynthSettings(
    max_workers=8,
    policy_params=(("scale_out_cooldown_s", 0), ("scale_in_cooldown_s", 120)),
)
