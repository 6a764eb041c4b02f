"""AWS CodeBuild on top of moto 5.2.5 (the time-to-live trigger's build project).

Gaps in stock moto that this module fixes:

* A project's last change is ``lastModifiedDate``; CodeBuild's API calls it
  ``lastModified`` (community.aws.codebuild_project reads that key and failed
  with a KeyError).
* UpdateProject did not exist: now it changes what it is given (description,
  source, artifacts, environment, serviceRole, timeouts, logsConfig, tags),
  bumps ``lastModified`` and returns the project; an unknown name ->
  ResourceNotFoundException, as on AWS.
* ListTagsForResource does not exist in CodeBuild's API either: tags are read
  from BatchGetProjects, as they are on AWS.

Builds are not run (StartBuild records one, as moto does): the tests run the
project's buildspec themselves (tests/integration/test_poc_lifecycle.py, step 4).
"""
from __future__ import annotations

import copy
from typing import Any

from moto.codebuild.models import CodeBuild, codebuild_backends
from moto.codebuild.responses import CodeBuildResponse
from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds

from ._common import error_class, parsed_params

ServiceError = error_class("codebuild")
UPDATABLE = ("description", "source", "secondarySources", "sourceVersion", "artifacts", "secondaryArtifacts",
             "cache", "environment", "serviceRole", "timeoutInMinutes", "queuedTimeoutInMinutes", "encryptionKey",
             "tags", "vpcConfig", "logsConfig", "concurrentBuildLimit", "autoRetryLimit")

_original_init = CodeBuild.__init__


def _init(self: CodeBuild, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    self.project_metadata["lastModified"] = self.project_metadata.pop("lastModifiedDate", _now())
    if self.project_metadata.get("tags") is None:
        self.project_metadata["tags"] = []


def _now() -> str:
    return iso_8601_datetime_with_milliseconds()


def update_project(self: CodeBuildResponse) -> ActionResult:
    p = parsed_params(self)
    backend = codebuild_backends[self.current_account][self.region]
    project = backend.codebuild_projects.get(p["name"])
    if project is None:
        raise ServiceError("ResourceNotFoundException", f"Project cannot be found: {p['name']}")
    for key in UPDATABLE:
        if key in p:
            project.project_metadata[key] = copy.deepcopy(p[key])
    if "serviceRole" in p:
        project.service_role = p["serviceRole"]
    if "tags" in p:
        project.tags = p["tags"]
    project.project_metadata["lastModified"] = _now()
    return ActionResult({"project": project.project_metadata})


def apply() -> None:
    CodeBuild.__init__ = _init  # type: ignore[method-assign]
    CodeBuildResponse.update_project = update_project  # type: ignore[attr-defined]
