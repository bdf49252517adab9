// Times @huggingface/hub's scanCacheDir on a cache dir: prints {"ms", "repos", "files"} as JSON.
import { scanCacheDir } from "@huggingface/hub";

const dir = process.argv[2];
const start = performance.now();
const info = await scanCacheDir(dir);
const ms = performance.now() - start;
let files = 0;
for (const repo of info.repos) files += repo.filesCount;
console.log(JSON.stringify({ ms, repos: info.repos.length, files, size: info.size, warnings: info.warnings.length }));
