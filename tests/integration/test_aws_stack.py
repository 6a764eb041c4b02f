"""staging: plan -> deploy -> deploy again -> verify -> teardown -> teardown again, against the emulator.

The checks of a deployed environment are integration/stack.py's, the same for
poc (test_poc_lifecycle.py, whose stack the other whole-stack steps share).
Here: staging's 3 AZs, 3 NAT gateways, 3 brokers and node sizes, then the
teardown path a user takes by hand: refused without the confirmation, the code
bucket kept unless teardown_delete_code_bucket names the environment (the AWX
teardown template does not ask for it; the reaper sets it), nothing left after
it, and a second teardown with nothing to do. Every playbook here runs with 20 %
of its AWS calls throttled or failing transiently (``faulted_aws_env``: the seed
and the count of faults are printed), which botocore's retries (module_defaults'
aws_config, playbooks/group_vars/all/aws.yml) must absorb.
"""
from integration.awsstate import leftovers
from integration.playbook import assert_ok, run_playbook
from integration.stack import FIXED_EXPIRY, deploy_and_check, harness_vars

ENV = "staging"


def test_staging_deploy_is_idempotent_and_teardown_leaves_nothing(aws_emulator, faulted_aws_env, tmp_path,
                                                                  kube_cluster, kube_nodes):
    aws_env = faulted_aws_env
    url = aws_emulator.url
    aws_emulator.reset()
    kube_nodes("m5.large", 3, prefix=f"streamstack-{ENV}-nodes")
    extra = {**harness_vars(url, kube_cluster), "stack_outputs_dir": str(tmp_path), "ttl_expires_at": FIXED_EXPIRY}
    resources = deploy_and_check(ENV, url, aws_env, extra, kube_cluster, tmp_path)

    # -- teardown refuses without the confirmation --------------------------------
    refused = run_playbook("teardown.yml", ENV, aws_env, extra)
    assert refused.rc != 0 and "teardown_confirm" in refused.output
    assert len(leftovers(url, "streamstack", ENV)) == sum(len(v) for v in resources.values())

    # -- teardown: everything but the code bucket, unless told ----------------------
    extra["teardown_confirm"] = ENV
    down = run_playbook("teardown.yml", ENV, aws_env, extra)
    assert_ok(down, "teardown")
    left = leftovers(url, "streamstack", ENV)
    assert [item.split()[0] for item in left] == ["s3_bucket"], left

    # -- teardown with the bucket, then again ----------------------------------------
    extra["teardown_delete_code_bucket"] = ENV
    down = run_playbook("teardown.yml", ENV, aws_env, extra)
    assert_ok(down, "teardown with teardown_delete_code_bucket")
    assert leftovers(url, "streamstack", ENV) == []
    assert not (tmp_path / f"{ENV}.json").exists()
    left = kube_cluster.kubectl("get", "pvc,svc,statefulsets", "-n", "pinot", "-o", "name", check=False).stdout.split()
    assert left == [], left
    down_again = run_playbook("teardown.yml", ENV, aws_env, extra)
    assert_ok(down_again, "second teardown")
    assert down_again.changed == 0, f"second teardown changed: {down_again.changed_tasks()}"
