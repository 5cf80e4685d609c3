"""spotq's scaler on AWS: the spotq.scaling policy the local fleet and the simulator run, ticking
inside a scheduled Lambda function against SQS and the ECS service.

Everything imported from here ships in the function's zip (see `package`), so these modules use
only the standard library, boto3 (in the Lambda runtime) and spotq.scaling.
"""
