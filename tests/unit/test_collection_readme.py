"""The collection's README lists every module it ships (a new module is otherwise invisible there)."""

from pathlib import Path

COLLECTION = Path(__file__).resolve().parents[2] / "collections" / "ansible_collections" / "streamstack" / "pipeline"


def test_every_module_is_in_the_collection_readme():
    readme = (COLLECTION / "README.md").read_text()
    modules = sorted(p.stem for p in (COLLECTION / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    assert len(modules) >= 26
    missing = [m for m in modules if f"`{m}`" not in readme]
    assert missing == [], f"not in {COLLECTION / 'README.md'}: {missing}"
