"""Experiments: the papers' figures (:mod:`.figure`, one module per paper) and parameter sweeps."""
