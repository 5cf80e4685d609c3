"""The local fleet: the embedded stack, worker processes, and the autoscaler that sizes them."""
