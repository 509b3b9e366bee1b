"""Evaluation against ground truth: metrics (``metrics``) used by ``pose3d-eval`` and the benchmarks."""
