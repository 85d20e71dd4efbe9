"""The semantic cache: answers to earlier prompts that mean the same, found by embedding.

    embedders.py  text to a unit vector: the in-process ``hashing`` embedder, or a target
                  of the stack that serves ``/v1/embeddings`` (residency-checked)
    index.py      top-1 cosine over one partition, fast enough for 100,000 entries
    shared.py     the vectors and answers, shared by every replica through Redis
    metrics.py    hit/miss/skip counters with reasons, and the cost the hits saved
    cache.py      SemanticCache: the steps above, for one routed call

Its settings are ``cache.semantic`` in the RouterConfig (``router.config.semantic``).
"""
