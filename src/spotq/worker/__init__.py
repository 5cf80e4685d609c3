"""The worker runtime: `spotq worker APP` (see spotq.worker.cli for the supervisor contract).

The loop is spotq.worker.runtime (Worker, WorkerConfig) and its hooks spotq.worker.hooks. This
package imports nothing itself: the local fleet needs only a constant of spotq.worker.parent,
not boto3 and the runtime.
"""
