"""One verify check per module: ``NAME``, ``applies(ctx, subject)``, ``run(ctx, subject)``."""
