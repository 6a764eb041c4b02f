"""local_environment's checks that need no running service (the module's check())."""

import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.modules import local_environment  # noqa: E402


def params(tmp_path, **overrides):
    base = dict(java=None, java_variable="local_stack_java", java_major_versions=[17, 21], state_dir=str(tmp_path),
                state_dir_variable="local_stack_state_dir", ports=[], min_free_disk_gb=0, min_memory_gb=0,
                required_paths=[], jar_dirs=[], jar_cache=str(tmp_path / "jars"),
                poms=[os.path.join(ROOT, "files", "services", "kafka", "pom.xml")])
    base.update(overrides)
    return base


def test_cold_jar_cache_without_maven_is_a_problem(tmp_path, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(local_environment.shutil, "which", lambda name: None if name == "mvn" else real_which(name))
    problems, _ = local_environment.check(params(tmp_path))
    assert [p for p in problems if "Maven (mvn) is not on PATH" in p and "kafka-4.1.1" in p], problems


def test_cold_jar_cache_with_maven_is_fine(tmp_path):
    problems, _ = local_environment.check(params(tmp_path))
    assert not [p for p in problems if "Maven" in p], problems


def test_resolved_jars_need_no_maven(tmp_path, monkeypatch):
    (tmp_path / "jars" / "kafka-4.1.1").mkdir(parents=True)
    (tmp_path / "jars" / "kafka-4.1.1" / ".resolved.json").write_text("{}")
    monkeypatch.setattr(local_environment.shutil, "which", lambda name: None)
    problems, _ = local_environment.check(params(tmp_path))
    assert not [p for p in problems if "Maven" in p], problems
