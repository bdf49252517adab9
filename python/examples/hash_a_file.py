"""Stream a cached file into a hash without loading it whole."""
import hashlib
import sys

from tabagent_cache import ModelCache


def sha256_of(repo: str, file: str) -> str:
    digest = hashlib.sha256()
    with ModelCache(offline=True) as cache:
        for chunk in cache.iter_file(repo, file, chunk_size=8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


if __name__ == "__main__":
    print(sha256_of(sys.argv[1], sys.argv[2]))
