"""asyncio: download with progress events; in a notebook, `await main(...)` directly."""
import asyncio
import sys

from tabagent_cache import ModelCache, ProgressEvent


def show(event: ProgressEvent) -> None:
    print("%s %5.1f%% %s" % (event["status"], event["progress"], event["file"]))


async def main(repo: str, variant: str) -> None:
    with ModelCache() as cache:
        result = await cache.adownload_quant(repo, variant, progress=show)
        print(result["totalBytes"], "bytes")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
