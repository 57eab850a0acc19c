"""Stage 3, campaign: the selection under random orders and xdist seeds and worker counts."""
