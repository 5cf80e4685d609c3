"""`spotq status --stack NAME`: one reading of a deployed stack, gathered from the stack itself.

Everything is found through CloudFormation (the stack's resources and outputs), never from names
spotq assumes, so the status follows whatever names a template gives its resources:
`discover` lists the parts, one small module per section reads them (`queues`, `service`,
`capacity`, `alarms`, `logs`), `gather` puts one `StackStatus` together and `render` shows it.
"""
