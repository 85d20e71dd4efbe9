"""One rule per module; each defines ``RULE``. IDs: IP-RES (residency), IP-CAP (reserved
capacity), IP-SAF (safety)."""
