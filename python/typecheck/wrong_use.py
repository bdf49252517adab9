"""Deliberately wrong uses: `mypy --strict` must reject every line marked `# error`."""
from tabagent_cache import ModelCache, RateLimited

with ModelCache() as cache:
    cache.download_quant(42)  # error: a repo is a str
    size: str = cache.delete_model("a/b")  # error: delete_model returns int
    data: str = cache.get_file("a/b", "f")  # error: get_file returns bytes
    cache.download_file("a/b", "f", progress="yes")  # error: progress is None, a bool or a callable
    cache.nonexistent()  # error: no such method
    wait: str = RateLimited("x").retry_after  # error: Optional[float]
