"""docs/PROTOCOL.md examples must match what the host answers in the replay fixtures."""
import json
import pathlib
import re
import sys
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "replay"))
import run_replay  # noqa: E402

CASES = ROOT / "tests" / "replay" / "cases"
EXAMPLE = re.compile(r"<!-- example: (\S+) (\S+) -->\n```\n→ (.*)\n← (.*)\n```")


def normalise_doc(frame):
    frame = run_replay.normalise(frame, [])
    payload = frame.get("payload")
    if isinstance(payload, dict) and isinstance(payload.get("jobId"), str):
        payload["jobId"] = "<job>"
    return frame


class ProtocolDocTest(unittest.TestCase):
    def test_examples_match_the_replay_fixtures(self):
        text = (ROOT / "docs" / "PROTOCOL.md").read_text()
        examples = EXAMPLE.findall(text)
        self.assertGreaterEqual(len(examples), 10)
        self.assertEqual(len(examples), text.count("<!-- example:"), "a marked example is malformed")
        for case, mid, request, reply in examples:
            with self.subTest(case=case, messageId=mid):
                requests = [json.loads(l) for l in (CASES / f"{case}.in").read_text().splitlines() if l.startswith("{")]
                wanted = [r for r in requests if str(r.get("messageId")) == mid]
                self.assertEqual(len(wanted), 1, f"{mid} not in {case}.in")
                self.assertEqual(json.loads(request), wanted[0])
                frames = [json.loads(l) for l in (CASES / f"{case}.expected").read_text().splitlines() if l.strip()]
                replies = [f for f in frames if "type" not in f and str(f.get("messageId")) == mid]
                self.assertEqual(len(replies), 1)
                expected = replies[0]
                if isinstance(expected.get("payload"), dict) and "jobId" in expected["payload"]:
                    expected["payload"]["jobId"] = "<job>"
                self.assertEqual(normalise_doc(json.loads(reply)), expected)


if __name__ == "__main__":
    unittest.main()
