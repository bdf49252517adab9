// A second, independent client of the Hugging Face cache layout, for interop tests.
//   node hfhub.mjs scan <cacheDir>                       -> JSON summary of scanCacheDir
//   node hfhub.mjs download <hubUrl> <cacheDir> <repo> <path> [revision]  -> JSON {path}
import { scanCacheDir, downloadFileToCacheDir } from "@huggingface/hub";

const [command, ...args] = process.argv.slice(2);
if (command === "scan") {
  const info = await scanCacheDir(args[0]);
  const repos = info.repos.map((r) => ({
    repo: r.id.name,
    type: r.id.type,
    size: r.size,
    files: r.filesCount,
    revisions: [...r.revisions].map((rev) => ({
      commit: rev.commitOid,
      refs: [...rev.refs],
      files: rev.files.map((f) => ({ path: f.path, size: f.blob.size, blob: f.blob.path })),
    })),
  }));
  console.log(JSON.stringify({ repos, warnings: info.warnings.map(String) }));
} else if (command === "download") {
  const [hubUrl, cacheDir, repo, path, revision] = args;
  const out = await downloadFileToCacheDir({ hubUrl, cacheDir, repo, path, revision: revision ?? "main" });
  console.log(JSON.stringify({ path: out }));
} else {
  console.error("usage: hfhub.mjs scan <cacheDir> | download <hubUrl> <cacheDir> <repo> <path> [revision]");
  process.exit(2);
}
