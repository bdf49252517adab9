"""Handle a gated repo: ask for a token when the Hub wants one."""
import getpass
import sys
from typing import Optional

from tabagent_cache import AuthRequired, DownloadResult, ModelCache, RateLimited


def fetch(repo: str, token: Optional[str] = None) -> DownloadResult:
    with ModelCache(token=token) as cache:
        return cache.download_quant(repo)


if __name__ == "__main__":
    try:
        result = fetch(sys.argv[1])
    except AuthRequired as err:
        print("%s needs a token (%s)" % (sys.argv[1], err.message))
        result = fetch(sys.argv[1], getpass.getpass("Hugging Face token: "))
    except RateLimited as err:
        sys.exit("rate limited; retry in %s s" % err.retry_after)
    print(result["variant"], len(result["files"]), "files")
