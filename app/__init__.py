"""Chat-Rec: a local-first, voice-driven, explainable recommender."""

__version__ = "0.1.0"
