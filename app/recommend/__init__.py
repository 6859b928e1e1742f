"""Recommenders: collaborative, baselines, content and the hybrid that blends them."""
