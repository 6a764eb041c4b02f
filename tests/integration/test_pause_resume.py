"""pause.yml and resume.yml on a deployed POC, against the AWS emulator.

deploy -> pause --check (nothing changes) -> pause -> pause again (changed=0)
-> resume --check (nothing changes) -> resume -> resume again (changed=0)
-> verify -> teardown (nothing left).

Set up as test_aws_stack.py does: the emulator for AWS, the test harness's real
Kubernetes API server with fake nodes and the stand-in chart for Pinot,
verify_pinot off. Every assertion about AWS reads the emulator with boto3.

Two things the emulator does not do are done here, in AWS's place:
* EKS's nodes are not EC2 instances in the emulator. When the node group goes
  to zero, the test deletes the fake Kubernetes nodes (EKS drains and
  terminates them); before resume it starts two instances tagged as EKS tags
  its nodes (the node group's Auto Scaling group launches them), and after
  resume it adds the fake Kubernetes nodes again (the nodes join).
* The cost role prices the paused stack; it is the real role (roles/cost).
"""
import json
import re
import time
from pathlib import Path

from integration.awsstate import client, leftovers
from integration.playbook import assert_ok, run_playbook

ENV = "poc"
APP = f"streamstack-{ENV}"
CLUSTER = f"streamstack-{ENV}"
NODEGROUP = f"streamstack-{ENV}-nodes"
NODE_TYPE, SIZES = "t3.medium", {"minSize": 2, "desiredSize": 2, "maxSize": 4}


def test_pause_and_resume(aws_emulator, aws_env, tmp_path, kube_cluster, kube_nodes):
    started = time.monotonic()
    url = aws_emulator.url
    aws_emulator.reset()
    nodes = kube_nodes(NODE_TYPE, SIZES["desiredSize"], prefix=NODEGROUP)
    extra = {"aws_endpoint_url": url, "stack_outputs_dir": str(tmp_path),
             "pinot_kubeconfig": str(kube_cluster.kubeconfig),
             "pinot_helm_binary": str(kube_cluster.bin_dir / "helm"),
             "pinot_chart_ref": str(Path(__file__).resolve().parents[1] / "charts" / "pinot-standin"),
             "pinot_tables_schemas": [], "pinot_tables_tables": [], "verify_pinot": False,
             # The emulator answers at once: poll every second, not every 20.
             "pause_wait_delay": 1}
    msf, eks, kafka, ec2, elb = (client(s, url) for s in ("kinesisanalyticsv2", "eks", "kafka", "ec2", "elbv2"))

    assert_ok(run_playbook("deploy.yml", ENV, aws_env, extra), "deploy")
    deployed = _app(msf)
    assert deployed["ApplicationStatus"] == "RUNNING"
    assert _scaling(eks) == SIZES
    assert msf.list_application_snapshots(ApplicationName=APP)["SnapshotSummaries"] == []
    claims_before = _claims(kube_cluster)
    assert claims_before and set(claims_before.values()) == {"Bound"}

    # -- check mode on the running stack: says what it would do, changes nothing ---------
    plan = run_playbook("pause.yml", ENV, aws_env, extra, check=True)
    assert_ok(plan, "pause --check")
    assert "Check mode: nothing was changed. Pause would:" in plan.output
    assert f"Managed Flink {APP}: stop it (RUNNING now), snapshot first." in plan.output
    assert f"EKS node group {NODEGROUP}: scale from 2/2/4 to 0/0/4" in plan.output
    after_plan = _app(msf)
    assert (after_plan["ApplicationStatus"], after_plan["ApplicationVersionId"]) == ("RUNNING", deployed["ApplicationVersionId"])
    assert _scaling(eks) == SIZES
    assert msf.list_application_snapshots(ApplicationName=APP)["SnapshotSummaries"] == []

    # -- pause ----------------------------------------------------------------------
    pause = run_playbook("pause.yml", ENV, aws_env, extra)
    assert_ok(pause, "pause")
    print(_report(pause))
    paused = _app(msf)
    assert paused["ApplicationStatus"] == "READY", "the Flink application is not stopped"
    assert paused["ApplicationVersionId"] == deployed["ApplicationVersionId"], "pause changed the configuration"
    snapshots = msf.list_application_snapshots(ApplicationName=APP)["SnapshotSummaries"]
    assert [s["SnapshotStatus"] for s in snapshots] == ["READY"], "the stop took no snapshot"
    assert _operations(msf)[-1] == "StopApplication"
    assert _scaling(eks) == {"minSize": 0, "desiredSize": 0, "maxSize": SIZES["maxSize"]}
    ng = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=NODEGROUP)["nodegroup"]
    assert ng["status"] == "ACTIVE" and ng["launchTemplate"]["name"] == NODEGROUP, "pause changed more than the size"
    msk = kafka.list_clusters()["ClusterInfoList"]
    assert [(c["ClusterName"], c["State"]) for c in msk] == [(CLUSTER, "ACTIVE")], "MSK cannot pause and must be left alone"
    # What keeps billing is said plainly, with the paused cost per hour.
    assert f"Paused {ENV}:" in pause.output
    assert ("scaled from 2/2/4 to 0/0/4 (min/desired/max), no node running. Pinot's pods have no node now and wait "
            "Pending; their volume claims and EBS volumes stay, with Pinot's data.") in pause.output
    assert f"resume.yml restores snapshot {snapshots[0]['SnapshotName']}" in pause.output
    assert f"MSK {CLUSTER} (ACTIVE, 2 x kafka.t3.small): an MSK provisioned cluster cannot be" in pause.output
    for billed in ("EKS control plane", "NAT gateways: 1", "Public IPv4 addresses", f"Load balancer {CLUSTER}-pinot:",
                   "EBS volumes of Pinot's claims", "CloudWatch Logs"):
        assert billed in pause.output, billed
    assert re.search(r"Paused cost: \$\d+\.\d\d/h \(about \$\d+/month\)", pause.output), pause.output[-3000:]

    # EKS drains and terminates the nodes: Pinot's pods lose them, their claims stay.
    kube_cluster.delete_nodes(nodes)
    _wait(lambda: _pods(kube_cluster) and all(not p["spec"].get("nodeName") for p in _pods(kube_cluster)),
          "Pinot's pods to be Pending without nodes")
    assert _claims(kube_cluster) == claims_before, "a claim (an EBS volume) went with the nodes"

    # -- pause again: nothing to do ---------------------------------------------------
    again = run_playbook("pause.yml", ENV, aws_env, extra)
    assert_ok(again, "second pause")
    assert again.changed == 0, f"second pause changed: {again.changed_tasks()}"
    assert len(msf.list_application_snapshots(ApplicationName=APP)["SnapshotSummaries"]) == 1

    # -- resume --check: says what it would do, changes nothing -------------------------
    plan = run_playbook("resume.yml", ENV, aws_env, extra, check=True)
    assert_ok(plan, "resume --check")
    assert "Check mode: nothing was changed. Resume would:" in plan.output
    assert f"EKS node group {NODEGROUP}: scale from 0/0/4 to 2/2/4" in plan.output
    assert f"Managed Flink {APP}: start it" in plan.output
    assert _app(msf)["ApplicationStatus"] == "READY"
    assert _scaling(eks)["desiredSize"] == 0

    # -- resume -------------------------------------------------------------------------
    # The node group's Auto Scaling group launches the nodes: in the emulator, the test does.
    subnets = ng["subnets"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    launched = ec2.run_instances(
        ImageId=image, MinCount=2, MaxCount=2, InstanceType=NODE_TYPE, SubnetId=subnets[0],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": "eks:cluster-name", "Value": CLUSTER}, {"Key": "eks:nodegroup-name", "Value": NODEGROUP}]}])
    instances = sorted(i["InstanceId"] for i in launched["Instances"])
    try:
        resume = run_playbook("resume.yml", ENV, aws_env, extra)
        assert_ok(resume, "resume")
        print(_report(resume))
        assert _scaling(eks) == SIZES
        resumed = _app(msf)
        assert resumed["ApplicationStatus"] == "RUNNING"
        run_config = resumed["ApplicationConfigurationDescription"]["RunConfigurationDescription"]
        assert run_config["ApplicationRestoreConfigurationDescription"] == {
            "ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"}
        assert _operations(msf)[-2:] == ["StopApplication", "StartApplication"]
        assert resumed["ApplicationVersionId"] == deployed["ApplicationVersionId"], "resume changed the configuration"
        assert f"from snapshot {snapshots[0]['SnapshotName']} (the latest)" in resume.output
        # The ALB's target group has the new nodes.
        tg = elb.describe_target_groups(Names=[f"{CLUSTER}-pinot-ctrl"])["TargetGroups"][0]
        targets = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
        assert sorted((t["Target"]["Id"], t["Target"]["Port"]) for t in targets) == [(i, tg["Port"]) for i in instances]

        # The nodes join: Pinot's pods are scheduled again, on the claims they had.
        kube_nodes(NODE_TYPE, SIZES["desiredSize"], prefix=NODEGROUP)
        _wait(lambda: _pods(kube_cluster) and all(p["spec"].get("nodeName") for p in _pods(kube_cluster)),
              "Pinot's pods to be scheduled on the new nodes")
        assert _claims(kube_cluster) == claims_before

        # -- resume again: nothing to do --------------------------------------------------
        again = run_playbook("resume.yml", ENV, aws_env, extra)
        assert_ok(again, "second resume")
        assert again.changed == 0, f"second resume changed: {again.changed_tasks()}"
        assert _operations(msf).count("StartApplication") == 2

        # -- verify: the stack is whole again ---------------------------------------------
        checked = run_playbook("verify.yml", ENV, aws_env, extra)
        assert_ok(checked, "verify after resume")
        assert "The MSK cluster is ACTIVE" in checked.output
    finally:
        # Deleting a node group terminates its nodes; the emulator leaves that to the test.
        ec2.terminate_instances(InstanceIds=instances)

    # -- teardown: nothing left -----------------------------------------------------------
    extra.update(teardown_confirm=ENV, teardown_delete_code_bucket=ENV)
    down = run_playbook("teardown.yml", ENV, aws_env, extra)
    assert_ok(down, "teardown")
    assert leftovers(url, "streamstack", ENV) == []
    print(f"pause/resume test took {time.monotonic() - started:.0f} s")


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


def _report(run):
    """The role's last message (what was paused and what keeps billing, or what runs again)."""
    for task in ("TASK [pause : Say what was paused", "TASK [pause : Say what runs again"):
        start = run.output.find(task)
        if start >= 0 and "skipping:" not in run.output[start:start + 200]:
            return run.output[start:run.output.find("\nTASK", start + 1)]
    return ""


def _app(msf):
    return msf.describe_application(ApplicationName=APP)["ApplicationDetail"]


def _operations(msf):
    """The application's operations, oldest first."""
    ops = msf.list_application_operations(ApplicationName=APP)["ApplicationOperationInfoList"]
    return [o["Operation"] for o in sorted(ops, key=lambda o: o["StartTime"])]


def _scaling(eks):
    return eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=NODEGROUP)["nodegroup"]["scalingConfig"]


def _pods(kube):
    return json.loads(kube.kubectl("get", "pods", "-n", "pinot", "-o", "json").stdout)["items"]


def _claims(kube):
    """{claim name: phase}, with the volume's name, so a new volume shows."""
    items = json.loads(kube.kubectl("get", "pvc", "-n", "pinot", "-o", "json").stdout)["items"]
    return {(c["metadata"]["name"], c["spec"].get("volumeName")): c["status"]["phase"] for c in items}


def _wait(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)
