"""Audio helpers for speech apps: packing short clips into one model window and back."""
