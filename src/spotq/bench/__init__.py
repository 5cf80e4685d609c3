"""`spotq bench`: an app's handler timed in-process at several batch sizes."""
