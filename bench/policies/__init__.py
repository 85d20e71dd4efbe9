"""Policy engine throughput on synthetic graphs (``python -m bench.policies``)."""
