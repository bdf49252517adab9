// Ecosystem reference for bench/download_bench.py: downloads one file with @huggingface/hub's
// downloadFileToCacheDir into a Hugging-Face-layout cache and prints {"seconds": ..} as JSON.
// Usage: node hub_download.mjs <hubUrl> <repo> <path> <cacheDir>
// The fake hub has no POST paths-info endpoint; the fetch shim below answers it from the tree
// API (one small local request), everything else goes to the fake hub unchanged.
import { downloadFileToCacheDir } from "@huggingface/hub";

const [hubUrl, repo, path, cacheDir] = process.argv.slice(2);

async function shimFetch(url, init) {
  const m = String(url).match(/\/api\/models\/(.+)\/paths-info\/([^/]+)$/);
  if (!m || init?.method !== "POST") return fetch(url, init);
  const wanted = new Set(JSON.parse(init.body).paths);
  const tree = await fetch(`${hubUrl}/api/models/${m[1]}/tree/${m[2]}?recursive=true&expand=true`);
  const entries = (await tree.json()).filter((e) => wanted.has(e.path));
  return new Response(JSON.stringify(entries), { headers: { "Content-Type": "application/json" } });
}

const t0 = process.hrtime.bigint();
const out = await downloadFileToCacheDir({ repo, path, hubUrl, cacheDir, fetch: shimFetch });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ seconds, path: out }) + "\n");
