"""The job API: a FastAPI app per stack that records jobs and enqueues them; it never runs them.

The app is `spotq.api.app.create_app` and its settings `spotq.api.settings.ApiSettings`. This
package imports nothing itself, so that a module that needs only a light part of it (the
client, the runtime) does not pay for FastAPI.
"""
