"""Text embedders: the Embedder port's adapters (MiniLM over onnxruntime lives in minilm.py)."""
