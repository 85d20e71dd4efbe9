"""One preflight check per module. Each exposes ``NAME`` and
``run(ctx, subject) -> Iterator[CheckResult]`` and says which subjects it applies to with
``applies(subject)``."""
