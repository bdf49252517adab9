"""Download a variant with tqdm bars (per file + total), then print where it landed."""
import sys

from tabagent_cache import ModelCache


def main(repo: str, variant: str) -> None:
    with ModelCache() as cache:
        result = cache.download_quant(repo, variant, progress=True)
        print(result["snapshot"] if "snapshot" in result else result["files"])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
