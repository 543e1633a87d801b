from index import offline  # noqa: F401  (environment set before numpy, onnxruntime, chromadb load)
