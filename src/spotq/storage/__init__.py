"""Blob storage (inputs, results) and job state, behind small protocols."""

from spotq.storage.base import BlobStore, JobStore

__all__ = ["BlobStore", "JobStore"]
