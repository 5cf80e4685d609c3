"""AWS mode: S3 and DynamoDB backends, the ECS worker integration, CloudFormation synthesis.

Nothing here imports boto3 at package import; each backend module does, when it is chosen.
"""
