"""FlinkJobService pieces that need no Flink: where a stop's savepoint is found."""

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import services  # noqa: E402


def _service(tmp_path):
    return services.FlinkJobService(str(tmp_path / "flink"), "/bin/true", os.devnull, {}, 1)


def _savepoint(folder, name, complete, age):
    path = folder / name
    path.mkdir(parents=True)
    if complete:
        (path / "_metadata").write_bytes(b"x")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_the_newest_complete_savepoint_of_the_job_is_found_on_disk(tmp_path):
    flink = _service(tmp_path)
    folder = tmp_path / "flink" / "savepoints"
    _savepoint(folder, "savepoint-abc123-old", True, 300)
    newest = _savepoint(folder, "savepoint-abc123-new", True, 10)
    _savepoint(folder, "savepoint-abc123-partial", False, 1)  # no _metadata: not complete
    _savepoint(folder, "savepoint-ffffff-other", True, 0)  # another job
    assert flink._savepoint_on_disk("abc123deadbeef") == "file:" + str(newest)


def test_no_savepoint_on_disk(tmp_path):
    assert _service(tmp_path)._savepoint_on_disk("abc123deadbeef") is None
