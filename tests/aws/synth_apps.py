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

# The app's environment (spotq.app_env) at full stretch: plain variables, secrets by SSM name, SSM
# ARN and Secrets Manager ARN (with a JSON key) under a customer managed key, the app's own
# task-role statements, an existing queue and a model artifact in S3.
SSM_PARAMETER_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/golden/api-token"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:golden/db-AbC123"
KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
EXISTING_QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/orders"
ENV_APP = App(
    "golden-env",
    batch_size=4,
    visibility_timeout_s=300,
    max_receives=5,
    vcpu=2,
    memory_gib=8,
    environment={"LOG_LEVEL": "info", "FEATURE_FLAGS": "a,b"},
    secrets={
        "DB_PASSWORD": f"{SECRET_ARN}:password::",
        "API_TOKEN": SSM_PARAMETER_ARN,
        "SIGNING_KEY": "ssm:/golden/signing-key",
    },
    secrets_kms_key_arn=KMS_KEY_ARN,
    task_role_statements=[
        {
            "Sid": "ReadReferenceData",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": "arn:aws:s3:::golden-reference-data/*",
        },
        {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/customers",
        },
    ],
    queue=EXISTING_QUEUE_URL,
    model_uri="s3://golden-models/ranker/model.tar.gz",
)
