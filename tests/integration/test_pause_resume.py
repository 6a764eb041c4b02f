"""pause.yml and resume.yml where there is nothing to pause, or no AWS at all.

Pausing and resuming a deployed POC (check mode, pause, pause again, resume,
resume again, verify, every result read through the AWS APIs) is step 3 of
test_poc_lifecycle.py, on the stack its other steps share.
"""
from integration.playbook import assert_ok, run_playbook

ENV = "poc"


def test_nothing_deployed_fails_naming_the_variables(aws_emulator, aws_env):
    aws_emulator.reset()
    run = run_playbook("pause.yml", ENV, aws_env, {"aws_endpoint_url": aws_emulator.url})
    assert run.rc != 0
    assert "Nothing to pause in us-east-1" in run.output
    for variable in ("pause_flink_application", "pause_nodegroup_name", "pause_eks_cluster_name"):
        assert variable in run.output


def test_local_target_says_what_to_use_instead(aws_env):
    for playbook, words in (("pause.yml", "teardown.yml -i inventories/local -e teardown_confirm=local"),
                            ("resume.yml", "deploy.yml -i inventories/local")):
        run = run_playbook(playbook, "local", aws_env)
        assert_ok(run, playbook)
        assert run.changed == 0 and words in run.output
